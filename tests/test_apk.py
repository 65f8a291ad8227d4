"""Reading an app's identity and declared permissions from a real APK (androguard) and from the
stand-in's AndroidManifest.xml; `piiaudit apk-info`; a file that is not an APK is one clear line.

tests/data/apk/demoshop.apk is a real, signed APK built by tests/data/apk/build.sh (aapt, zipalign,
apksigner) from hooks/standin/AndroidManifest.xml; demoshop.expected.json holds what sha256sum and
apksigner said about it when it was built.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from commands.recording import RecordError, record_device
from hooks.standin.build import MANIFEST
from piiaudit import apk
from tests.support.cli_results import refused, run

DATA = Path(__file__).parent / "data" / "apk"
FIXTURE = DATA / "demoshop.apk"
EXPECTED = json.loads((DATA / "demoshop.expected.json").read_text("utf-8"))
P = "android.permission."


def test_the_apk_gives_its_identity_as_the_build_tools_saw_it():
    m = apk.read_apk(FIXTURE)
    assert (m.source, m.file, m.package) == ("apk", "demoshop.apk", "com.example.demoshop")
    assert (m.version_name, m.version_code, m.min_sdk, m.target_sdk) == ("1.0.0", "100", 24, 34)
    assert m.sha256 == EXPECTED["file_sha256"]
    assert list(m.certificates) == EXPECTED["certificate_sha256"]


def test_the_apk_declares_what_the_stand_in_manifest_says_with_max_sdk_versions():
    m = apk.read_apk(FIXTURE)
    names = {p.name: p.max_sdk_version for p in m.permissions}
    assert len(names) == 18
    assert names[P + "WRITE_EXTERNAL_STORAGE"] == 28 and names[P + "READ_EXTERNAL_STORAGE"] == 32
    assert names[P + "CAMERA"] is None and P + "INTERNET" in names
    text = apk.read_manifest_xml(MANIFEST)
    assert text.permissions == m.permissions
    assert text.components == m.components
    assert m.components["activity"] == ("com.example.demoshop.MainActivity", "com.example.demoshop.tour.HomeActivity")
    assert m.components["service"] == ("cn.jpush.android.service.PushService", "com.igexin.sdk.PushService")
    assert (text.package, text.version_name, text.version_code, text.certificates) == \
        ("com.example.demoshop", "1.0.0", "100", ())


def test_apk_info_prints_it_for_a_person_and_as_json():
    human = run("apk-info", FIXTURE)
    assert human.exit_code == 0, human.output
    assert "package:      com.example.demoshop" in human.output
    assert f"certificate:  {EXPECTED['certificate_sha256'][0]}" in human.output
    assert "android.permission.WRITE_EXTERNAL_STORAGE  (maxSdkVersion 28)" in human.output
    as_json = run("apk-info", FIXTURE, "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["sha256"] == EXPECTED["file_sha256"] and data["target_sdk"] == 34
    assert {"name": P + "READ_EXTERNAL_STORAGE", "max_sdk_version": 32} in data["permissions"]
    assert apk.AppManifest.from_dict(data) == apk.read_apk(FIXTURE)


def _broken(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.apk"
    text.write_text("not an apk\n")
    truncated = tmp_path / "truncated.apk"
    truncated.write_bytes(FIXTURE.read_bytes()[:3000])
    no_manifest = tmp_path / "plain.zip"
    with zipfile.ZipFile(no_manifest, "w") as z:
        z.writestr("classes.dex", b"dex\n035\x00")
    garbage = tmp_path / "garbage.apk"
    with zipfile.ZipFile(garbage, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\xff" * 64)
    bad_xml = tmp_path / "AndroidManifest.xml"
    bad_xml.write_text("<manifest><uses-permission</manifest>")
    return {"not a ZIP": text, "not a ZIP ": truncated, "no AndroidManifest.xml": no_manifest,
            "names no package": garbage, "not an AndroidManifest.xml": bad_xml}


def test_a_file_that_is_not_an_apk_is_one_clear_line(tmp_path):
    for why, path in _broken(tmp_path).items():
        with pytest.raises(apk.ApkError) as e:
            apk.read_any(path)
        assert str(e.value).startswith(f"{path}: ") and why.strip() in str(e.value) and "\n" not in str(e.value)
        refused(run("apk-info", path), path.name, why.strip())


def test_record_refuses_an_apk_of_another_app_before_writing_anything(tmp_path):
    with pytest.raises(RecordError, match="the APK is com.example.demoshop, not com.other.app"):
        record_device("com.other.app", tmp_path / "s", profile=None, device_id=None, listen_host="127.0.0.1",
                      listen_port=0, confdir=None, attach=False, apk=FIXTURE)
    assert not (tmp_path / "s").exists()


def test_analyze_refuses_a_broken_apk_in_one_line(tmp_path):
    from tests.support.samples import write_standin_scenario

    write_standin_scenario(tmp_path / "s")
    refused(run("analyze", tmp_path / "s", "--apk", _broken(tmp_path)["not a ZIP"]), "not an APK")


def test_analyze_with_an_apk_on_the_command_line_reports_the_necessity_findings(tmp_path):
    from tests.support.samples import demo_scope_path, write_standin_scenario

    write_standin_scenario(tmp_path / "s")
    result = run("analyze", tmp_path / "s", "--scope", demo_scope_path(), "--apk", FIXTURE)
    assert result.exit_code == 0, result.output
    # one finding for the manifest; location, the one request, is stated in the policy (no IM4.1)
    assert "PERM-DECLARE       1" in result.output and "IM4.1              0" in result.output
    verified = run("verify", tmp_path / "s")
    assert verified.exit_code == 0, verified.output


def test_analyze_refuses_the_apk_of_another_app(tmp_path):
    from tests.support.samples import write_standin_scenario

    write_standin_scenario(tmp_path / "s")
    other = tmp_path / "AndroidManifest.xml"
    other.write_text(MANIFEST.read_text("utf-8").replace('package="com.example.demoshop"', 'package="com.other.app"'),
                     "utf-8")
    refused(run("analyze", tmp_path / "s", "--apk", other), "com.other.app", "com.example.demoshop")
