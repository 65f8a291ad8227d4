"""`piiaudit compare OLD NEW`: a re-test (复测) of one app, on sessions of the demo's scenarios.

A finding is matched across the two sessions by rule, actor (SDK or the app), PII type and
destination host, never by its number; each is resolved (已整改), still present (仍存在) or
new (新增), with both sides' evidence, in a workbook read back here with openpyxl, in the
console and as JSON. The sessions are copies of the recordings the suite makes once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.compare import match
from analysis.pipeline import analyze
from piiaudit.store import SessionStore
from tests.support.cli_results import refused, run
from tests.support.recordings import copy_recording
from tests.support.samples import demo_scope_path

ALL, RESOLVED, STILL, NEW = "全部 (All)", "已整改 (Resolved)", "仍存在 (Still present)", "新增 (New)"
STATED_NOW = {("umeng", "imei"), ("umeng", "installed_apps"), ("jpush", "clipboard")}   # _fixed_scope adds these


def _findings(session: Path) -> list[dict]:
    """(rule, sdk, pii_type, host, id, first_ts) of every finding the session's analysis stored."""
    store = SessionStore(session, create=False)
    try:
        return store.rows("SELECT id, rule_id, sdk, pii_type, host, first_ts FROM findings ORDER BY id")
    finally:
        store.close()


def _sheet(path: Path, name: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _fixed_scope(tmp_path: Path) -> Path:
    """The demo's scope file, stating what the IM3.3 findings said was not stated: the honest fix
    of a policy that now names everything its SDKs collect."""
    text = demo_scope_path().read_text("utf-8")
    text = text.replace("umeng: [android_id, oaid]", "umeng: [android_id, oaid, imei, installed_apps]")
    text = text.replace("jpush: [android_id, mac]", "jpush: [android_id, mac, clipboard]")
    assert "installed_apps" in text and "clipboard" in text, "the demo's scope.yaml changed its SDK lines"
    path = tmp_path / "scope-fixed.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def before_and_after(demo_recording, tmp_path_factory):
    """The demo as recorded (before), and a copy re-analysed with a policy that states more (after)."""
    tmp = tmp_path_factory.mktemp("retest")
    before, after = copy_recording(demo_recording, tmp / "before"), copy_recording(demo_recording, tmp / "after")
    analyze(before, scope=demo_scope_path())
    analyze(after, scope=_fixed_scope(tmp))
    return before, after


def test_a_policy_that_now_states_what_the_sdks_collect_resolves_the_scope_findings_and_only_those(
        before_and_after, tmp_path):
    before, after = before_and_after
    out = tmp_path / "compare.xlsx"
    result = run("compare", before, after, "--out", out, "--tz", "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    old_f = _findings(before)
    # the beyond-scope findings of what the fixed policy now states: IMEI and the installed apps
    # to Umeng, the clipboard to JPush
    fixed = [f for f in old_f if f["rule_id"] == "IM3.3" and (f["sdk"], f["pii_type"]) in STATED_NOW]
    assert fixed, "the demo has beyond-scope findings for what the fixed policy states"

    resolved = _sheet(out, RESOLVED)
    assert {(r["规则编号 / Rule ID"], r["复测结论 / Re-test status"]) for r in resolved} == {("IM3.3", "已整改 / resolved")}
    assert sorted(r["原编号 / Old No."] for r in resolved) == [f["id"] for f in fixed]
    for r in resolved:                        # the old side's evidence, and nothing on the new side
        assert r["原编号 / Old No."] is not None and r["复测编号 / New No."] is None
        assert r["原证据行 / Old evidence rows"].startswith("read · event ")
        assert "+08:00" in r["原首次时间 / Old first time"]
        assert r["复测首次时间 / New first time"] is None and r["复测证据行 / New evidence rows"] is None
    assert _sheet(out, NEW) == []
    still = _sheet(out, STILL)
    assert len(still) == len(old_f) - len(fixed)
    summary = {r["项目 / Item"]: r["原会话 / Old session"] for r in _sheet(out, "摘要 (Summary)")}
    assert (summary["已整改 / resolved"], summary["仍存在 / still present"], summary["新增 / new"]) == (
        len(fixed), len(still), 0)
    assert summary["完整性校验 / Integrity (piiaudit verify)"] == "ok"
    assert summary["时区 / Time zone"].startswith("Asia/Shanghai")
    assert "+08:00" in summary["测试时间 / Tested at"]
    # the console says the same, grouped under the notice category of the scope findings
    assert f"已整改 / resolved {len(fixed)}" in result.output
    assert "[超出用户授权范围收集个人信息 / Personal information collected beyond the scope the user authorised]" \
        in result.output


def test_still_present_findings_show_both_sides_evidence_and_are_matched_whatever_their_numbers(
        demo_recording, declined_recording, tmp_path):
    accepted = copy_recording(demo_recording, tmp_path / "accepted")
    declined = copy_recording(declined_recording, tmp_path / "declined")
    out = tmp_path / "compare.xlsx"
    result = run("compare", accepted, declined, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output.strip().splitlines()[-1])
    old_f, new_f = _findings(accepted), _findings(declined)
    assert doc["old"]["consent"]["decision"] == "accepted" and doc["new"]["consent"]["decision"] == "declined"
    counts = doc["counts"]
    assert counts["resolved"] + counts["still_present"] == len(old_f)
    assert counts["new"] + counts["still_present"] == len(new_f)
    rows = {(r["status"], r["rule_id"], r["actor"], r["pii_type"]): r for r in doc["rows"]}
    # Refusing: what follows 不同意 is collection after refusal (IM3.2a), new in the declined run;
    # the app exits before asking for location, so its permission findings are gone.
    assert {k[1] for k in rows if k[0] == "new"} >= {"IM3.2a"}
    assert {(k[1], k[2]) for k in rows if k[0] == "resolved"} >= {("PERM-EARLY", "app"), ("IM2.3", "app")}
    # The Umeng IMEI beyond scope finding is numbered differently in the two analyses and still matched.
    imei = rows[("still_present", "IM3.3", "umeng", "imei")]
    assert imei["old"]["id"] != imei["new"]["id"]
    assert imei["host"] == "ulogs.umeng.com"
    consent_at = doc["old"]["consent"]["at"]
    assert imei["old"]["dt_consent_s"] == pytest.approx(imei["old"]["first_ts"] - consent_at, abs=1e-3)
    assert imei["old"]["flows"] == 1 and imei["old"]["events"] == 1
    assert imei["new"]["evidence"] and imei["old"]["evidence"]
    # the workbook's All sheet: grouped by notice category, resolved before still present before new
    table = _sheet(out, ALL)
    assert len(table) == sum(counts.values())
    cats = [r["类别 / Category"] for r in table]
    assert cats == sorted(cats, key=cats.index), "each category's rows stand together"
    statuses = [r["复测结论 / Re-test status"] for r in table if r["类别 / Category"] == cats[0]]
    assert statuses == sorted(statuses, key=["已整改 / resolved", "仍存在 / still present", "新增 / new"].index)
    by_cat = _sheet(out, "按类别 (By category)")
    assert sum(r["新增 / new"] for r in by_cat) == counts["new"]


def test_findings_renumbered_are_all_still_present(demo_recording, tmp_path):
    """Ids never match: the same findings under other numbers are the same findings."""
    old = copy_recording(demo_recording, tmp_path / "old")
    new = copy_recording(demo_recording, tmp_path / "new")
    conn = sqlite3.connect(new / "session.db")
    with conn:
        conn.execute("UPDATE findings SET id = 1000 - id")
    conn.close()
    result = run("compare", old, new, "--json")
    doc = json.loads(result.output.strip().splitlines()[-1])
    assert doc["counts"] == {"resolved": 0, "still_present": len(_findings(old)), "new": 0}
    # ... and the edit made outside piiaudit is said, not hidden
    assert doc["new"]["integrity"] == "mismatch"
    assert any("mismatch" in n for n in doc["notes"])


def test_two_different_apps_are_refused_unless_forced(demo_recording, tmp_path):
    old = copy_recording(demo_recording, tmp_path / "old")
    other = copy_recording(demo_recording, tmp_path / "other")
    store = SessionStore(other, create=False)
    app = store.get_meta("app_manifest")
    store.set_meta("app_manifest", {**app, "package": "com.example.othershop"})
    store.close()
    refused(run("compare", old, other), "com.example.demoshop", "com.example.othershop", "--force")
    forced = run("compare", old, other, "--force", "--out", tmp_path / "c.xlsx")
    assert forced.exit_code == 0, forced.output
    assert "different apps compared (--force)" in forced.output
    notes = [r["原会话 / Old session"] for r in _sheet(tmp_path / "c.xlsx", "摘要 (Summary)")
             if r["项目 / Item"] == "说明 / Note"]
    assert any("com.example.othershop" in n for n in notes)


def test_a_session_never_analysed_is_refused_with_the_command_that_analyses_it(demo_recording, tmp_path):
    old = copy_recording(demo_recording, tmp_path / "old")
    fresh = copy_recording(demo_recording, tmp_path / "fresh")
    store = SessionStore(fresh, create=False)
    store.conn.execute("DELETE FROM meta WHERE key = 'analysis'")
    store.close()
    refused(run("compare", old, fresh), "not analysed", f"piiaudit analyze {fresh}")
    refused(run("compare", old, tmp_path), "not a piiaudit session")


def test_the_help_teaches_with_examples():
    result = run("compare", "--help")
    assert result.exit_code == 0
    for words in ("Examples:", "已整改 / resolved", "仍存在 / still present", "新增 / new", "--force",
                  "never by number"):
        assert words in result.output


def _frame(rows: list[tuple]) -> pd.DataFrame:
    cols = ["id", "rule_id", "category", "severity", "pii_type", "sdk", "actor", "host", "host_key", "host_shown",
            "first_ts", "dt_consent_s", "flows", "events", "api", "evidence"]
    out = []
    for fid, rule, sdk, pii, host, first in rows:
        out.append([fid, rule, "other", "medium", pii, sdk, sdk or "app", host, (host or "").lower(), host, first,
                    None, 1, 1, "", f"evidence of {fid}"])
    return pd.DataFrame(out, columns=cols)


def test_findings_sharing_a_key_pair_in_order_of_first_time_and_the_rest_is_resolved_or_new():
    old = _frame([(1, "R", "umeng", "imei", "A.example", 20.0), (2, "R", "umeng", "imei", "a.example", 10.0),
                  (3, "R", None, None, None, 5.0)])
    new = _frame([(7, "R", "umeng", "imei", "a.EXAMPLE", 11.0), (8, "R", "jpush", "imei", "a.example", 12.0)])
    m = match(old, new).set_index(["status", "old_id"], drop=False)
    pairs = {(r["status"], r["old_id"] if r["old_id"] == r["old_id"] else None,
              r["new_id"] if r["new_id"] == r["new_id"] else None) for r in m.to_dict("records")}
    # the earlier old Umeng finding pairs with the new one (host compared case-insensitively)
    assert pairs == {("still_present", 2, 7), ("resolved", 1, None), ("resolved", 3, None), ("new", None, 8)}


def test_a_workbook_that_cannot_be_written_is_one_line(before_and_after, tmp_path):
    before, after = before_and_after
    refused(run("compare", before, after, "--out", tmp_path / "missing" / "c.xlsx"), "no such directory")
    assert not (tmp_path / "missing").exists()
