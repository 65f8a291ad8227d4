"""The UI automation's captures (screens/, session schema 6) as evidence a reader can check:
hashed in manifest.json by name, checked by `piiaudit verify` (a changed, missing or added
screenshot named), packed into `piiaudit bundle` and checked inside it, and cleared with the
rest of a session by `demo --force` (piiaudit.sessiondir)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.pipeline import analyze
from commands.cli import cli
from piiaudit import bundle, integrity, sessiondir, signing
from tests.support.automation import add_automation
from tests.support.recordings import copy_recording


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(autouse=True)
def no_home_key(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(signing.ENV, str(tmp_path / "home" / "keys" / "signing-key.pem"))


@pytest.fixture(scope="module")
def automated(demo_recording, tmp_path_factory) -> tuple[Path, object]:
    """A copy of the demo recording with the automation's rows and captures, analysed (manifest written)."""
    session = copy_recording(demo_recording, tmp_path_factory.mktemp("screens") / "run1")
    auto = add_automation(session, "accept")
    analyze(session)
    return session, auto


@pytest.fixture
def copy(automated, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(automated[0], tmp_path / "run1"))


def test_a_capture_written_since_the_manifest_is_written_not_new(demo_recording, tmp_path):
    session = copy_recording(demo_recording, tmp_path / "run1")
    auto = add_automation(session)
    v = integrity.verify(session)
    shots = {f.name: f for f in v.files if f.name.startswith("screens/")}
    assert set(shots) == set(auto.files()) and all(f.status == "written" for f in shots.values())
    assert v.verdict == "stale"
    assert integrity.guard(session, "analyze") is None      # piiaudit's own writes: not refused


def test_every_capture_is_hashed_in_the_manifest_and_verifies(automated):
    session, auto = automated
    m = json.loads((session / "manifest.json").read_text("utf-8"))
    for name in auto.files():
        data = (session / name).read_bytes()
        assert m["artifacts"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    v = integrity.verify(session)
    assert v.verdict == "ok", integrity.summary(v)
    assert [f.name for f in v.files if f.name.startswith("screens/")] == sorted(auto.files())


def test_a_changed_missing_or_added_screenshot_is_named_and_analyze_refuses(copy, automated):
    auto = automated[1]
    changed, missing = auto.files("before_tap")[0], auto.files("end")[0]
    (copy / changed).write_bytes((copy / changed).read_bytes() + b"\0")
    (copy / missing).unlink()
    (copy / "screens" / "9999-dialog.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (copy / "screens" / "notes.txt").write_text("mine")
    result = invoke("verify", copy)
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert any(ln.startswith(changed) and "changed" in ln for ln in lines), result.output
    assert any(ln.startswith(missing) and "missing" in ln for ln in lines), result.output
    assert any(ln.startswith("screens/9999-dialog.png") and "new" in ln for ln in lines), result.output
    assert any(ln.startswith("screens/notes.txt") and "new" in ln for ln in lines), result.output
    verdict = lines[-1]
    assert verdict.startswith("verdict: mismatch") and changed in verdict and missing in verdict
    with pytest.raises(integrity.IntegrityError, match=changed):
        integrity.guard(copy, "analyze")


def test_a_capture_swapped_before_the_manifest_is_caught_by_its_row(copy, automated):
    """The manifest hashes what is there when it is written; the row keeps the hash the driver took."""
    from piiaudit import manifest
    from piiaudit.store import SessionStore

    name = automated[1].files("dialog")[0]
    (copy / name).write_bytes((copy / automated[1].files("end")[0]).read_bytes())
    store = SessionStore(copy, create=False)
    try:
        manifest.write(store)       # a manifest written over the swap still names it
    finally:
        store.close()
    (check,) = [f for f in integrity.verify(copy).files if f.name == name]
    assert (check.status, check.detail) == ("changed", "not the capture its screens row recorded")


def test_the_bundle_packs_the_captures_and_names_a_changed_one(automated, tmp_path):
    session, auto = automated
    out = tmp_path / "out" / "run1.zip"
    assert invoke("bundle", session, "--out", out).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        listed = {f["name"]: f for f in json.loads(zf.read(bundle.MANIFEST))["files"]}
    for name in auto.files():
        assert f"session/{name}" in names
        assert listed[f"session/{name}"]["sha256"] == hashlib.sha256((session / name).read_bytes()).hexdigest()
    result = bundle.check(out)
    assert result.verdict == "ok", bundle.summary(result)
    assert any(ln.strip().startswith(auto.files()[0]) and ln.strip().endswith("ok") for ln in result.session_lines)

    swapped = tmp_path / "swapped.zip"
    target = f"session/{auto.files('after_tap')[0]}"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(swapped, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b"\0" if info.filename == target else data)
    bad = bundle.check(swapped)
    assert bad.verdict == "mismatch" and bad.reasons[0].startswith(f"{target}: changed")


def test_a_name_out_of_the_screens_folder_is_refused_in_a_bundle(automated, tmp_path):
    out = tmp_path / "run1.zip"
    assert invoke("bundle", automated[0], "--out", out).exit_code == 0
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("session/screens/sub/0001-dialog.png", b"x")
    with pytest.raises(bundle.BundleError, match="unexpected entry"):
        bundle.check(evil)


def test_demo_force_clears_the_screens_folder_but_never_a_foreign_file(copy):
    assert sessiondir.foreign_entries(copy) == []
    assert sessiondir.screen_files(copy) == (sorted(f"screens/{p.name}" for p in (copy / "screens").iterdir()), [])
    (copy / "screens" / "notes.txt").write_text("mine")
    assert sessiondir.foreign_entries(copy) == ["screens/"]
    assert sessiondir.screen_files(copy)[1] == ["screens/notes.txt"]
    with pytest.raises(sessiondir.SessionDirError, match="screens/"):
        sessiondir.clear(copy)
    assert (copy / "screens" / "notes.txt").read_text() == "mine"
    (copy / "screens" / "notes.txt").unlink()
    removed = sessiondir.clear(copy)
    assert "screens/" in removed and not (copy / "screens").exists()
    assert list(copy.iterdir()) == []
