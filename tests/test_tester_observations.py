"""Tester observations: what a person saw that no hook decides, and the findings made from it.

`piiaudit mark observed KIND` (or a filled-in checklist, `--from`) records that a right the app
must offer (a switch for personalised recommendations, account cancellation, correcting or
deleting personal information, withdrawing consent) was found or not found, and when the
tester switched personalisation off. A "not found" is a finding of its category, labelled
as a tester observation in findings.json, the workbook and the page; a "found" is evidence
of compliance and makes none. After the switch-off, ad and analytics SDKs that still send
an advertising identifier are a finding resting on the mark and the measured flows.
Screenshots are copied into the session, hashed, and checked by `piiaudit verify`.
"""

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit import integrity, testermarks
from piiaudit.store import SessionStore
from tests.support.cli_results import refused, run

T0 = 1_780_000_000.0
CONSENT = T0 + 5
SWITCH_OFF = T0 + 60
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
OAID = "a1b2c3d4-0000-4e5f-8a9b-0123456789ab"
TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "tester-checklist.yaml"


def _flow(fid, ts, url, host):
    return {"id": fid, "ts_start": ts, "ts_end": ts + 0.1, "method": "POST", "url": url, "host": host,
            "port": 443, "scheme": "https", "status": 200, "capture": "live"}


def _hit(fid, pii_type, value, location):
    return {"flow_id": fid, "pii_type": pii_type, "location": location, "encoding": "plain",
            "source": "known_value", "value_sha256": "x", "value": value}


@pytest.fixture
def session(tmp_path):
    """Consent at T0+5; the tester turns personalisation off at T0+60. Before it, Branch gets the
    GAID (allowed); after it, Branch gets the GAID again and Umeng the OAID (the findings), Branch
    gets only the Android ID (not an advertising identifier) and the app's own host the GAID (not
    an ad SDK)."""
    d = tmp_path / "s"
    store = SessionStore(d)
    flows = [
        _flow("before", T0 + 30, "https://api2.branch.io/v1/open", "api2.branch.io"),
        _flow("branch-after", T0 + 70, "https://api2.branch.io/v1/open", "api2.branch.io"),
        _flow("umeng-after", T0 + 75, "https://ulogs.umeng.com/unify_logs", "ulogs.umeng.com"),
        _flow("branch-androidid", T0 + 80, "https://api2.branch.io/v1/close", "api2.branch.io"),
        _flow("own-after", T0 + 85, "https://api.demoshop.example/ad", "api.demoshop.example"),
    ]
    hits = [
        _hit("before", "advertising_id", GAID, "body:json:$.google_advertising_id"),
        _hit("branch-after", "advertising_id", GAID, "body:json:$.google_advertising_id"),
        _hit("umeng-after", "oaid", OAID, "body:json:$.header.oaid"),
        _hit("branch-androidid", "android_id", "7d5a6fd0d53a566b", "body:json:$.android_id"),
        _hit("own-after", "advertising_id", GAID, "body:json:$.gaid"),
    ]
    store.write_flows_and_hits(flows, hits)
    store.add_consent_mark(CONSENT, "accepted")
    store.close()
    return d


def _findings(d, rule=None):
    result = analyze(d)
    f = result.findings
    return f if rule is None else f.loc[f["rule_id"].eq(rule)]


def test_a_mark_is_stored_with_its_place_note_time_and_screenshot_copied_in_and_hashed(session, tmp_path):
    shot = tmp_path / "switch.png"
    shot.write_bytes(b"\x89PNG fake screenshot bytes")
    r = run("mark", "observed", "personalisation_switch_found", "--session", str(session),
            "--where", "设置 > 隐私 > 个性化推荐", "--note", "开关默认开启", "--screenshot", str(shot),
            "--at", str(T0 + 50))
    assert r.exit_code == 0, r.output
    assert "找到个性化推荐开关 / personalisation switch found at 设置 > 隐私 > 个性化推荐" in r.output
    store = SessionStore(session, create=False)
    row, = store.rows("SELECT * FROM observations")
    assert (row["kind"], row["place"], row["note"], row["ts"], row["source"]) == (
        "personalisation_switch_found", "设置 > 隐私 > 个性化推荐", "开关默认开启", T0 + 50, "mark")
    copied = session / row["screenshot"]
    assert copied.read_bytes() == shot.read_bytes() and testermarks.is_screenshot_name(copied.name)
    import hashlib
    assert row["screenshot_sha256"] == hashlib.sha256(shot.read_bytes()).hexdigest()


def test_an_unknown_kind_a_missing_screenshot_and_kind_with_checklist_are_refused(session, tmp_path):
    assert run("mark", "observed", "switch_maybe", "--session", str(session)).exit_code == 2
    r = run("mark", "observed", "personalisation_switch_found", "--session", str(session),
            "--screenshot", str(tmp_path / "nope.png"))
    assert r.exit_code == 2 and "nope.png" in r.output
    r = run("mark", "observed", "personalisation_switch_found", "--session", str(session), "--from", str(TEMPLATE))
    assert r.exit_code == 2 and "not both" in r.output
    assert SessionStore(session, create=False).count("observations") == 0


def test_not_found_marks_are_findings_of_their_category_labelled_as_tester_observations(session):
    for kind, note in (("account_cancellation_not_found", "我的/设置/帮助 均无注销入口"),
                       ("correction_deletion_not_found", None), ("withdraw_consent_not_found", None),
                       ("personalisation_switch_not_found", None)):
        args = ["mark", "observed", kind, "--session", str(session), "--at", str(T0 + 40)]
        assert run(*args, *(["--note", note] if note else [])).exit_code == 0
    f = _findings(session)
    mine = f.loc[f["rule_id"].isin(["IM6.1", "IM6.1-CORRECT", "IM3.8", "IM3.6"])].set_index("rule_id")
    assert dict(mine["category"]) == {"IM6.1": "no_correction_deletion_cancellation",
                                      "IM6.1-CORRECT": "no_correction_deletion_cancellation",
                                      "IM3.8": "collected_before_consent",
                                      "IM3.6": "no_personalisation_opt_out"}
    cancel = mine.loc["IM6.1", "detail"]
    assert cancel["evidence_source"] == "tester"
    obs, = cancel["tester_observations"]
    assert obs["kind"] == "account_cancellation_not_found" and obs["note"] == "我的/设置/帮助 均无注销入口"
    assert [e["role"] for e in cancel["evidence"]] == ["tester"]
    assert mine.loc["IM6.1", "flow_ids"] == [] and mine.loc["IM6.1", "event_ids"] == []


def test_found_marks_make_no_finding_and_contradict_a_not_found_of_the_same_topic(session):
    assert run("mark", "observed", "account_cancellation_found", "--session", str(session),
               "--where", "我的 > 设置 > 注销账号").exit_code == 0
    assert _findings(session, "IM6.1").empty
    assert run("mark", "observed", "account_cancellation_not_found", "--session", str(session)).exit_code == 0
    finding, = _findings(session, "IM6.1").to_dict("records")
    assert [o["place"] for o in finding["detail"]["contradicted_by"]] == ["我的 > 设置 > 注销账号"]


def test_after_the_switch_off_ad_sdks_still_sending_advertising_ids_are_a_finding(session):
    assert run("mark", "observed", "personalisation_switched_off", "--session", str(session),
               "--where", "设置 > 隐私 > 个性化推荐", "--at", str(SWITCH_OFF)).exit_code == 0
    f = _findings(session, "IM3.6-SEND")
    got = {(r["sdk"], r["pii_type"], r["host"]): r for r in f.to_dict("records")}
    assert set(got) == {("branch", "advertising_id", "api2.branch.io"), ("umeng", "oaid", "ulogs.umeng.com")}
    branch = got[("branch", "advertising_id", "api2.branch.io")]
    assert branch["flow_ids"] == ["branch-after"]            # not the send before the switch-off
    assert branch["category"] == "no_personalisation_opt_out" and branch["severity"] == "high"
    d = branch["detail"]
    assert d["evidence_source"] == "tester+measured"
    assert [o["kind"] for o in d["tester_observations"]] == ["personalisation_switched_off"]
    assert [e["role"] for e in d["evidence"]] == ["tester", "send"]


def test_without_a_switch_off_mark_the_dynamic_check_finds_nothing(session):
    # the same requests, but no tester said the switch was off: nothing to hold them against
    assert _findings(session, "IM3.6-SEND").empty
    assert run("mark", "observed", "personalisation_switched_off", "--session", str(session),
               "--at", str(SWITCH_OFF)).exit_code == 0
    assert len(_findings(session, "IM3.6-SEND")) == 2


def test_the_report_labels_tester_findings_in_every_output(session, tmp_path):
    shot = tmp_path / "none.png"
    shot.write_bytes(b"screenshot of the settings page")
    assert run("mark", "observed", "account_cancellation_not_found", "--session", str(session),
               "--where", "我的 > 设置", "--screenshot", str(shot)).exit_code == 0
    analyze(session)
    paths = write_report(session)
    doc = json.loads(Path(paths["json"]).read_text("utf-8"))
    im61, = [f for f in doc["findings"] if f["rule_id"] == "IM6.1"]
    assert im61["detail"]["evidence_source"] == "tester"
    html = Path(paths["html"]).read_text("utf-8")
    assert "测试人员观察，非测量结果 / tester observation, not a measurement" in html
    sheet = openpyxl.load_workbook(paths["xlsx"]).worksheets
    cells = [str(c.value) for ws in sheet for row in ws.iter_rows() for c in row if c.value]
    assert any("tester observation, not a measurement" in c and "我的 > 设置" in c for c in cells)
    # every observation, found ones too, is listed in the summary of the workbook and the page
    assert run("mark", "observed", "correction_deletion_found", "--session", str(session),
               "--where", "我的 > 个人资料 > 编辑").exit_code == 0
    analyze(session)
    paths = write_report(session)
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(paths["xlsx"])["Summary"].iter_rows(values_only=True) if r[0]}
    listed = summary["测试人员观察 / Tester observations"]
    assert "未找到注销账号入口 / account cancellation path not found @ 我的 > 设置" in listed
    assert "找到更正/删除个人信息入口 / correction/deletion path found @ 我的 > 个人资料 > 编辑" in listed
    assert "correction/deletion path found" in Path(paths["html"]).read_text("utf-8")


def test_verify_checks_the_screenshots_against_their_recorded_hash(session, tmp_path):
    shot = tmp_path / "s.png"
    shot.write_bytes(b"original")
    assert run("mark", "observed", "withdraw_consent_not_found", "--session", str(session),
               "--screenshot", str(shot)).exit_code == 0
    analyze(session)                               # writes the manifest
    assert integrity.verify(session).verdict == "ok"
    name, = [p.name for p in session.iterdir() if testermarks.is_screenshot_name(p.name)]
    (session / name).write_bytes(b"edited")
    v = integrity.verify(session)
    assert v.verdict == "mismatch" and any(f.name == name and f.status == "changed" for f in v.files)
    (session / name).unlink()
    assert any(f.name == name and f.status == "missing" for f in integrity.verify(session).files)
    shutil.copy(shot, session / "screenshot-0123456789abcdef.png")
    assert any(f.name == "screenshot-0123456789abcdef.png" and f.status == "new"
               for f in integrity.verify(session).files)


def test_a_mark_on_a_verified_session_keeps_it_verified(session, tmp_path):
    analyze(session)
    assert integrity.verify(session).verdict == "ok"
    assert run("mark", "observed", "personalisation_switch_found", "--session", str(session)).exit_code == 0
    assert integrity.verify(session).verdict == "ok"
    shot = tmp_path / "p.png"
    shot.write_bytes(b"settings page")
    assert run("mark", "observed", "withdraw_consent_found", "--session", str(session),
               "--screenshot", str(shot)).exit_code == 0
    assert integrity.verify(session).verdict == "ok"


def test_the_checklist_template_is_bilingual_and_empty_and_a_filled_one_becomes_marks(session, tmp_path):
    text = TEMPLATE.read_text("utf-8")
    assert "个性化推荐" in text and "personalisation" in text and "注销账号" in text and "撤回同意" in text
    r = run("mark", "observed", "--session", str(session), "--from", str(TEMPLATE))
    assert r.exit_code == 0 and "not checked" in r.output
    assert SessionStore(session, create=False).count("observations") == 0
    filled = yaml.safe_load(text)
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "cancel.png").write_bytes(b"cancel page")
    filled["personalisation"].update(found="是", place="设置 > 隐私 > 个性化推荐", switched_off_at=str(SWITCH_OFF))
    filled["account_cancellation"].update(found="no", note="没有注销入口", screenshot="shots/cancel.png")
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(filled, allow_unicode=True), "utf-8")
    r = run("mark", "observed", "--session", str(session), "--from", str(path), "--at", str(T0 + 90))
    assert r.exit_code == 0, r.output
    rows = SessionStore(session, create=False).rows("SELECT kind, ts, place, source, screenshot FROM observations")
    assert {(x["kind"], x["ts"]) for x in rows} == {("personalisation_switch_found", T0 + 90),
                                                     ("personalisation_switched_off", SWITCH_OFF),
                                                     ("account_cancellation_not_found", T0 + 90)}
    assert {x["source"] for x in rows} == {"checklist:checklist.yaml"}
    assert set(_findings(session)["rule_id"]) >= {"IM6.1", "IM3.6-SEND"}


def test_a_wrong_checklist_writes_nothing(session, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("personalisation:\n  found: 是\naccount_cancellation:\n  found: maybe\n", "utf-8")
    r = run("mark", "observed", "--session", str(session), "--from", str(path))
    assert refused(r, "account_cancellation.found", "maybe")
    assert SessionStore(session, create=False).count("observations") == 0


def test_screenshots_are_the_sessions_own_files_so_demo_force_clears_them(session, tmp_path):
    from piiaudit import sessiondir
    shot = tmp_path / "x.png"
    shot.write_bytes(b"x")
    assert run("mark", "observed", "withdraw_consent_found", "--session", str(session),
               "--screenshot", str(shot)).exit_code == 0
    assert sessiondir.foreign_entries(session) == []
    removed = sessiondir.clear(session)
    assert any(testermarks.is_screenshot_name(n) for n in removed) and not any(session.iterdir())
