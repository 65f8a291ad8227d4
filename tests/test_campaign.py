"""`piiaudit campaign SESSION...`: a batch (批量) of audited apps in one workbook.

One row per app (identity from the session's own app manifest), an app x category matrix,
every finding with its app; a broken, unanalysed or foreign directory is a row with its
reason and the batch goes on; sessions are read one at a time. The sessions are copies of
the recordings the suite makes once; the workbook is read back with openpyxl.
"""

from __future__ import annotations

import gc
import json
import weakref
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from analysis import campaign, categories
from piiaudit.store import SessionStore
from piiaudit.times import zone
from tests.support.cli_results import run
from tests.support.recordings import copy_recording

APPS, MATRIX, FINDINGS, SUMMARY = "应用 (Apps)", "矩阵 (Matrix)", "发现 (Findings)", "概要 (Summary)"


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _stored(session: Path) -> tuple[list[dict], dict]:
    """The session's findings (rule, severity) with their category, and its app manifest."""
    store = SessionStore(session, create=False)
    try:
        rules = {r["id"]: r["category"] for r in store.get_meta("analysis")["rules"]}
        rows = store.rows("SELECT id, rule_id, severity FROM findings")
        return [{**r, "category": rules[r["rule_id"]]} for r in rows], store.get_meta("app_manifest")
    finally:
        store.close()


@pytest.fixture(scope="module")
def batch(demo_recording, declined_recording, tmp_path_factory):
    """A folder of five: the demo accepted and declined, a session whose session.db was emptied, one never
    analysed, and a directory that holds only a manifest.json."""
    folder = tmp_path_factory.mktemp("batch") / "audits"
    copy_recording(demo_recording, folder / "1-accepted")
    copy_recording(declined_recording, folder / "2-declined")
    broken = copy_recording(demo_recording, folder / "3-broken")
    (broken / "session.db").write_bytes(b"")
    unanalysed = copy_recording(demo_recording, folder / "4-unanalysed")
    store = SessionStore(unanalysed, create=False)
    store.conn.execute("DELETE FROM meta WHERE key = 'analysis'")
    store.close()
    (folder / "5-stray").mkdir()
    (folder / "5-stray" / "manifest.json").write_text("{}", "utf-8")
    (folder / "notes").mkdir()          # no session file at all: not part of the batch
    return folder


def test_a_folder_of_sessions_gives_one_row_per_app_a_matrix_and_every_finding(batch, tmp_path):
    out = tmp_path / "campaign.xlsx"
    result = run("campaign", batch, "--out", out, "--tz", "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    apps = _sheet(out, APPS)
    assert [a["会话 / Session"] for a in apps] == ["1-accepted", "2-declined", "3-broken", "4-unanalysed", "5-stray"]

    for app, decision in zip(apps[:2], ("accepted", "declined")):
        findings, manifest = _stored(batch / app["会话 / Session"])
        assert app["包名 / Package"] == manifest["package"] == "com.example.demoshop"
        assert (app["版本 / Version"], app["版本号 / Version code"]) == (manifest["version_name"],
                                                                      manifest["version_code"])
        assert app["App文件SHA-256 / App file SHA-256"] == manifest["sha256"]
        assert app["身份来源 / Identity from"] == "manifest_xml"
        assert app["同意判定 / Consent decision"] == decision
        assert "+08:00" in app["同意/拒绝时刻 / Consent or refusal time"]
        assert "+08:00" in app["测试时间 / Tested at"]
        assert app["发现数 / Findings"] == len(findings)
        per_cat = Counter(f["category"] for f in findings)
        for key, cat in categories.CATEGORIES.items():
            assert app[cat.label] == per_cat.get(key, 0), key
        per_sev = Counter(f["severity"] for f in findings)
        assert (app["高 / high"], app["中 / medium"], app["低 / low"]) == (
            per_sev["high"], per_sev["medium"], per_sev["low"])
        assert app["完整性校验 / Integrity (piiaudit verify)"] == "ok"
        assert app["读取状态 / Read"] == "已读取 / read" and app["原因 / Reason"] is None

    broken, unanalysed, stray = apps[2:]
    for row in (broken, unanalysed, stray):
        assert row["读取状态 / Read"] == "无法读取 / not read" and row["包名 / Package"] is None
    assert "session.db" in broken["原因 / Reason"]
    assert "not analysed" in unanalysed["原因 / Reason"] and "piiaudit analyze" in unanalysed["原因 / Reason"]
    assert "no session.db" in stray["原因 / Reason"]

    matrix = _sheet(out, MATRIX)
    assert [m["会话 / Session"] for m in matrix] == ["1-accepted", "2-declined"]
    for m, app in zip(matrix, apps):
        assert all(m[c.label] == app[c.label] for c in categories.CATEGORIES.values())
        assert m["发现数 / Findings"] == app["发现数 / Findings"]

    found = _sheet(out, FINDINGS)
    assert len(found) == apps[0]["发现数 / Findings"] + apps[1]["发现数 / Findings"]
    for session in ("1-accepted", "2-declined"):
        mine = [f for f in found if f["会话 / Session"] == session]
        assert {f["规则编号 / Rule ID"] for f in mine} == {f["rule_id"] for f in _stored(batch / session)[0]}
        assert all(f["包名 / Package"] == "com.example.demoshop" for f in mine)
        order = [categories.ORDER[next(k for k, c in categories.CATEGORIES.items() if c.label == f["类别 / Category"])]
                 for f in mine]
        assert order == sorted(order), "an app's findings are grouped by notice category"
    # collection after refusal is the declined app's alone
    assert {f["会话 / Session"] for f in found if f["规则编号 / Rule ID"] == "IM3.2a"} == {"2-declined"}

    summary = {r["项目 / Item"]: r["值 / Value"] for r in _sheet(out, SUMMARY)}
    assert (summary["会话数 / Sessions"], summary["已读取 / Read"], summary["无法读取 / Not read"]) == (5, 2, 3)
    assert summary["发现数 / Findings"] == len(found)
    assert "5 sessions, 2 read, 3 not read" in result.output


def test_sessions_named_one_by_one_and_the_totals_as_json(batch, tmp_path):
    out = tmp_path / "two.xlsx"
    result = run("campaign", batch / "2-declined", batch / "1-accepted", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.output.strip().splitlines()[-1])
    assert (totals["sessions"], totals["read"], totals["failed"]) == (2, 2, 0)
    assert totals["consent"] == {"accepted": 1, "declined": 1}
    assert sum(totals["per_category"].values()) == sum(totals["per_severity"].values()) == totals["findings"]
    assert [a["会话 / Session"] for a in _sheet(out, APPS)] == ["2-declined", "1-accepted"]   # the order given


def test_strict_fails_the_batch_when_a_session_could_not_be_read(batch, tmp_path):
    result = run("campaign", batch / "1-accepted", batch / "3-broken", "--out", tmp_path / "c.xlsx", "--strict")
    assert result.exit_code == 1
    assert (tmp_path / "c.xlsx").is_file(), "the workbook is written all the same"
    assert "3-broken" in result.output


def test_sessions_are_read_one_at_a_time(batch, tmp_path, monkeypatch):
    """What one session read leaves behind is gone before the next is read: memory does not grow with the batch."""
    alive: list[weakref.ref] = []
    real_read = campaign.read

    def read(path, **kwargs):
        gc.collect()
        assert all(ref() is None for ref in alive), "an earlier session is still held when the next one is read"
        sf = real_read(path, **kwargs)
        alive.append(weakref.ref(sf))
        alive.append(weakref.ref(sf.findings))
        return sf

    monkeypatch.setattr(campaign, "read", read)
    paths = [batch / "1-accepted", batch / "2-declined"] * 3
    totals = campaign.run(paths, tmp_path / "c.xlsx", zone("UTC"))
    assert totals.read == 6 and len(alive) == 12


def test_the_help_teaches_with_examples():
    result = run("campaign", "--help")
    assert result.exit_code == 0
    for words in ("Examples:", "应用 (Apps)", "矩阵 (Matrix)", "发现 (Findings)", "one at a time", "its reason"):
        assert words in result.output


def test_a_workbook_that_cannot_be_written_is_one_line_before_any_session_is_read(batch, tmp_path):
    from tests.support.cli_results import refused

    refused(run("campaign", batch, "--out", tmp_path / "missing" / "c.xlsx"), "no such directory",
            str(tmp_path / "missing"))
