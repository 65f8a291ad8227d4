"""Which app, who tested it, when, on what device, with which tools: shown in every output.

A regulator reads the evidence as a whole: the app is named by its package, version and the
SHA-256 of its APK and signing certificates (or, in the demo, by the stand-in's own manifest,
said to be one); the tester, the test's time, the device's model and build and the tools'
versions stand beside it in manifest.json, on the workbook's first sheet, on the page, on the
console and in findings.json's header. Times are in the report's zone, named in every header.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import openpyxl
import pytest

from analysis import bilingual as b
from commands.recording import device_build
from hooks.standin import build as standin
from piiaudit import identity
from tests.support.cli_results import run

REPO = Path(__file__).resolve().parents[1]
APK = REPO / "tests" / "data" / "apk" / "demoshop.apk"
EXPECTED_APK = json.loads((REPO / "tests" / "data" / "apk" / "demoshop.expected.json").read_text("utf-8"))
TOOLS = {"piiaudit", "mitmproxy", "frida", "frida-tools", "python", "pandas"}


def _summary(xlsx: Path) -> dict[str, str]:
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    return {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`piiaudit demo --tester …` with PIIAUDIT_TESTER set too (the option wins), reported in Beijing time."""
    out = tmp_path_factory.mktemp("identity") / "session"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(identity.TESTER_ENV, "someone else")
        done = run("demo", "--out", out, "--tester", "李雷 (Example Test Lab)")
        assert done.exit_code == 0, done.output
        report = run("report", out, "--tz", "Asia/Shanghai")
        assert report.exit_code == 0, report.output
    return out, done.output


# -- the demo: the stand-in's identity, recorded as an APK's would be ---------------------------

def test_the_demo_session_manifest_names_the_stand_in_app_tester_device_and_tools(demo):
    out, _ = demo
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    app = m["app_identity"]
    assert (app["package"], app["version_name"], app["version_code"], app["min_sdk"], app["target_sdk"]) == (
        "com.example.demoshop", "1.0.0", "100", 24, 34)
    assert app["source"] == "manifest_xml" and app["certificates"] == [] and app["file"] == "AndroidManifest.xml"
    assert app["sha256"] == hashlib.sha256(standin.MANIFEST.read_bytes()).hexdigest()
    assert m["tester"] == {"name": "李雷 (Example Test Lab)", "source": "--tester"}
    assert m["device"]["model"] == "piiaudit JVM stand-in" and m["device"]["fingerprint"].startswith("piiaudit/standin")
    assert TOOLS <= set(m["recording"]["versions"]) and m["recording"]["zone"]
    assert m["recording"]["started"] <= m["recording"]["ended"]


def test_the_stand_in_build_recorded_is_what_its_android_os_build_reports():
    """hooks/standin/build.py's BUILD_FACTS read back from the Java source the app runs."""
    java = (REPO / "hooks" / "standin" / "src" / "android" / "os" / "Build.java").read_text("utf-8")
    fingerprint = re.search(r'FINGERPRINT = "([^"]+)"', java).group(1)
    assert standin.BUILD_FACTS == {
        "android": re.search(r'RELEASE = "([^"]+)"', java).group(1),
        "api": re.search(r'SDK_INT = Integer.parseInt\("(\d+)"\)', java).group(1),
        "build_id": fingerprint.split("/")[3], "fingerprint": fingerprint}


def test_findings_json_header_names_app_tester_device_tools_consent_and_counts(demo):
    out, _ = demo
    doc = json.loads((out / "findings.json").read_text("utf-8"))
    assert doc["schema"] == 3 and doc["tz"] == {"name": "Asia/Shanghai", "utc_offset": "+08:00"}
    assert doc["session"]["name"] == "session" and doc["session"]["state"] == "complete"
    assert doc["app"]["package"] == "com.example.demoshop" and doc["app"]["name"] == "演示商城 (Demo Shop)"
    assert doc["app"]["source"] == "manifest_xml"
    assert doc["tester"]["name"] == "李雷 (Example Test Lab)"
    assert doc["device"]["api"] == "34" and doc["device"]["build_id"] == "UP1A.231005.007"
    assert set(doc["tools"]) == {"recording", "report"} and set(doc["tools"]["report"]) == TOOLS
    assert doc["tools"]["report"]["pandas"] and doc["tools"]["recording"]["mitmproxy"]
    started = doc["tested"]["started"]
    assert started["time"].endswith("+08:00") and isinstance(started["at"], float)
    assert doc["consent"]["decision"] == "accepted" and doc["consent"]["time"].endswith("+08:00")
    counts = doc["counts"]
    assert counts["total"] == doc["findings_count"] == len(doc["findings"]) > 0
    assert sum(counts["by_category"].values()) == sum(counts["by_severity"].values()) == counts["total"]
    for key, n in counts["by_category"].items():
        assert n == sum(1 for f in doc["findings"] if f["category"]["key"] == key)
    for sev, n in counts["by_severity"].items():
        assert n == sum(1 for f in doc["findings"] if f["severity"] == sev)


def test_the_workbook_first_sheet_shows_the_identity(demo):
    out, _ = demo
    s = _summary(out / "evidence.xlsx")
    assert s[b.APP] == "演示商城 (Demo Shop) · com.example.demoshop"
    assert s[b.APP_VERSION] == "1.0.0 (versionCode 100)"
    assert s[b.APK_SHA256].startswith(hashlib.sha256(standin.MANIFEST.read_bytes()).hexdigest())
    assert "stand-in app's AndroidManifest.xml" in s[b.IDENTITY_SOURCE]
    assert "not read from an APK" in s[b.SIGNING_CERTIFICATES]
    assert s[b.SDK_LEVELS] == "min 24, target 34"
    assert s[b.TESTER] == "李雷 (Example Test Lab) (--tester)"
    assert re.fullmatch(r"\S+\+08:00 \(\d+\.\d{3}\) – \S+\+08:00 \(\d+\.\d{3}\)", s[b.TEST_DATE])
    assert s[b.DEVICE] == "piiaudit piiaudit JVM stand-in, Android 14 (API 34), kind=jvm-standin"
    assert s[b.DEVICE_BUILD] == f"UP1A.231005.007; {standin.BUILD_FACTS['fingerprint']}"
    assert "记录时 / recording: piiaudit" in s[b.VERSIONS] and "报告时 / report: piiaudit" in s[b.VERSIONS]
    assert s[b.TIME_ZONE] == "Asia/Shanghai (UTC+08:00)"


def test_the_page_summary_and_the_console_show_the_identity(demo):
    out, console = demo
    page = (out / "report.html").read_text("utf-8")
    for text in ("com.example.demoshop", "versionCode 100", "李雷 (Example Test Lab)", "UP1A.231005.007",
                 b.IDENTITY_SOURCE, "Asia/Shanghai (UTC+08:00)"):
        assert text in page, text
    assert "App: com.example.demoshop 1.0.0 (100) sha256 " in console
    assert "测试人员 / Tester: 李雷 (Example Test Lab) (--tester)" in console
    assert "时区 / Time zone: " in console


# -- a real APK: its hash and signing certificates -------------------------------------------------

def test_a_session_analysed_with_a_real_apk_names_its_hash_and_certificates(tmp_path):
    from tests.support.samples import demo_scope_path, write_standin_scenario

    write_standin_scenario(tmp_path / "s")
    assert run("analyze", tmp_path / "s", "--scope", demo_scope_path(), "--apk", APK).exit_code == 0
    done = run("report", tmp_path / "s", "--tz", "UTC")
    assert done.exit_code == 0, done.output
    app = json.loads((tmp_path / "s" / "findings.json").read_text("utf-8"))["app"]
    assert (app["source"], app["file"], app["sha256"]) == ("apk", "demoshop.apk", EXPECTED_APK["file_sha256"])
    assert app["certificates"] == EXPECTED_APK["certificate_sha256"]
    m = json.loads((tmp_path / "s" / "manifest.json").read_text("utf-8"))
    assert m["app_identity"]["sha256"] == EXPECTED_APK["file_sha256"]
    s = _summary(tmp_path / "s" / "evidence.xlsx")
    assert s[b.SIGNING_CERTIFICATES].split("\n") == EXPECTED_APK["certificate_sha256"]
    assert "APK" in s[b.IDENTITY_SOURCE] and s[b.APK_SHA256] == f"{EXPECTED_APK['file_sha256']} (demoshop.apk)"


def test_a_session_without_identity_says_what_was_not_recorded(tmp_path):
    from tests.support.samples import write_standin_scenario

    write_standin_scenario(tmp_path / "s")
    assert run("report", tmp_path / "s").exit_code == 0
    doc = json.loads((tmp_path / "s" / "findings.json").read_text("utf-8"))
    assert doc["tester"] is None and doc["app"]["certificates"] == []
    s = _summary(tmp_path / "s" / "evidence.xlsx")
    assert "not recorded" in s[b.TESTER] and "PIIAUDIT_TESTER" in s[b.TESTER]


# -- who: --tester, else PIIAUDIT_TESTER ------------------------------------------------------------

def test_the_tester_comes_from_the_option_else_the_environment():
    env = {identity.TESTER_ENV: "  王芳\t(Lab B) "}
    assert identity.tester_from("李雷", env) == {"name": "李雷", "source": "--tester"}
    assert identity.tester_from("  ", env) == {"name": "王芳 (Lab B)", "source": "PIIAUDIT_TESTER"}
    assert identity.tester_from(None, {}) is None
    assert identity.tester_from("a\x1b[31mb", {}) == {"name": "a[31mb", "source": "--tester"}


@pytest.mark.parametrize("command", ["record", "demo"])
def test_record_and_demo_take_the_tester(command):
    help_text = " ".join(run(command, "--help").output.split())
    assert "--tester TEXT" in help_text and "PIIAUDIT_TESTER" in help_text


# -- where: the device's build over adb -------------------------------------------------------------

class FakeAdb:
    def __init__(self, props=None, error=None):
        self.props, self.error = props or {}, error

    def getprop(self, name):
        if self.error:
            raise self.error
        return self.props.get(name, "") + "\n"


def test_the_device_build_is_read_with_getprop():
    props = {"ro.product.model": "Pixel 7", "ro.product.manufacturer": "Google", "ro.build.version.release": "14",
             "ro.build.version.sdk": "34", "ro.build.display.id": "UQ1A.240105.004",
             "ro.build.fingerprint": "google/panther/panther:14/UQ1A.240105.004/11206848:user/release-keys"}
    assert device_build(None, FakeAdb(props)) == {
        "model": "Pixel 7", "manufacturer": "Google", "android": "14", "api": "34", "build_id": "UQ1A.240105.004",
        "fingerprint": "google/panther/panther:14/UQ1A.240105.004/11206848:user/release-keys"}
    assert device_build(None, FakeAdb({"ro.product.model": "Pixel 7"})) == {"model": "Pixel 7"}


def test_no_adb_leaves_the_profile_facts_alone():
    from commands.device.adb import AdbError

    assert device_build(None, FakeAdb(error=AdbError("adb not found"))) == {}
