"""App-state rules on a full-tour-shaped session: background reads, other apps started,
camera without a tap, a pre-ticked consent box, a permission asked at launch; and the
Hooks sheet and second process in the report (the latter also on the real full tour)."""

from __future__ import annotations

import openpyxl
import pytest

from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit.store import SessionStore
from tests.support.samples import PUSH_PROCESS, write_fulltour


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    session = tmp_path_factory.mktemp("tour") / "s"
    ids = write_fulltour(session)
    result = analyze(session)
    return session, ids.events, result


def _only(result, rule_id):
    f = result.findings.loc[result.findings["rule_id"].eq(rule_id)]
    return f


def test_background_reads_are_found_with_the_pause_that_began_the_spell(tour):
    _, ev, result = tour
    f = _only(result, "MIIT-SILENT")
    got = {tuple(sorted(ids)) for ids in f["event_ids"]}
    assert got == {(ev["read_push_before_resume"],), tuple(sorted((ev["pause"], ev["read_bg_push"])))}
    assert set(f["sdk"]) == {"jpush"}
    every = {i for ids in f["event_ids"] for i in ids}
    assert ev["read_quick_switch"] not in every          # a 0.2 s switch between screens is not background


def test_another_app_started_without_a_touch_is_self_start(tour):
    _, ev, result = tour
    f = _only(result, "MIIT-SELFSTART")
    assert [list(x) for x in f["event_ids"]] == [[ev["launch_silent"]]]
    assert f.iloc[0]["sdk"] == "jpush"
    assert f.iloc[0]["detail"]["location"] == ["service:com.tencent.mm/com.tencent.mm.plugin.PushService"]
    every = {i for ids in f["event_ids"] for i in ids}
    assert ev["launch_permission_ui"] not in every   # the system's permission dialog is not another app


def test_camera_without_a_tap_is_found_and_the_microphone_after_a_tap_is_not(tour):
    _, ev, result = tour
    f = _only(result, "CAC-DRAFT-MIC")
    assert [list(x) for x in f["event_ids"]] == [[ev["camera_silent"]]]
    assert list(f["pii_type"]) == ["camera"]


def test_a_box_ticked_by_code_before_the_dialog_is_default_consent(tour):
    _, ev, result = tour
    f = _only(result, "IM3.4")
    assert [sorted(x) for x in f["event_ids"]] == [sorted([ev["checkbox"], ev["dialog"]])]


def test_a_permission_asked_before_any_touch_is_early(tour):
    _, ev, result = tour
    f = _only(result, "PERM-EARLY")
    assert [list(x) for x in f["event_ids"]] == [[ev["early_perm"]]] and list(f["pii_type"]) == ["camera"]


def test_sessions_without_ui_hooks_do_not_run_the_app_state_rules(tmp_path):
    from tests.support.samples import write_standin_scenario

    write_standin_scenario(tmp_path / "s", consent="mark")      # no touch or click events
    store = SessionStore(tmp_path / "s", create=False)
    store.write({}, delete=["DELETE FROM events WHERE kind = 'activity_state'"])   # nor activity ones
    store.close()
    result = analyze(tmp_path / "s")
    skipped = {s["rule_id"] for s in result.skipped}
    assert {"MIIT-SILENT", "MIIT-SELFSTART", "CAC-DRAFT-MIC", "IM3.4", "PERM-EARLY"} <= skipped
    assert not skipped & set(result.findings["rule_id"])


def test_window_parameters_are_data(tmp_path):
    import yaml

    from analysis.rules import DEFAULT_CATALOG

    raw = yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))
    for rule in raw["rules"]:
        if rule["id"] == "MIIT-SELFSTART":
            rule["params"]["window_s"] = 10.0            # the silent launch is 4 s after the last touch
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    write_fulltour(tmp_path / "s")
    result = analyze(tmp_path / "s", rules=path)
    assert "MIIT-SELFSTART" not in set(result.findings["rule_id"])


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_hooks_sheet_and_summary_say_which_hooks_were_live(tour):
    session, _, result = tour
    paths = write_report(session, result=result)
    wb = openpyxl.load_workbook(paths["xlsx"])
    hooks = _rows(wb["Hooks"])
    status = {r["重载 / Overload"]: r["状态 / Status"] for r in hooks}
    assert status["android.telephony.TelephonyManager.getImei()"] == "已挂钩 / hooked"
    assert status["android.telephony.TelephonyManager.getMeid(int)"] == "方法不存在 / method-missing"
    live = next(r for r in hooks if r["状态 / Status"] == "已挂钩 / hooked")
    assert live["生效（纪元秒） / Live (epoch s)"] == pytest.approx(result.session.events["ts"].min(), abs=1e-3)
    assert all(r["生效（纪元秒） / Live (epoch s)"] is None for r in hooks if r["状态 / Status"] != "已挂钩 / hooked")
    summary = {r["项目 / Item"]: r["值 / Value"] for r in _rows(wb["Summary"])}
    assert summary["钩子覆盖 / Hook coverage"].startswith("hooks live: 3 of 6 overloads (1 classes missing on this device)")
    assert summary["钩子就绪 / Hooks ready"].startswith("hooks ready before the app's first instruction")
    html = paths["html"].read_text("utf-8")
    assert "钩子覆盖 / Hooks" in html and "method-missing" in html


@pytest.fixture(scope="module", params=["sample", "recording"])
def push_read(request, tour):
    """A report of the tour and the id of a read by its :push process: the sample's, or the
    report `piiaudit demo --scenario full` wrote for the real tour."""
    if request.param == "sample":
        session, ev, result = tour
        return ev["read_bg_push"], write_report(session, result=result)
    recording = request.getfixturevalue("fulltour_recording")
    assert recording.error is None, recording.error
    store = recording.store()
    (event_id,) = [r["id"] for r in store.rows("SELECT id FROM events WHERE kind = 'pii_read' AND process = ?",
                                               (PUSH_PROCESS,))]
    store.close()
    return event_id, recording.result.outputs


def test_second_process_events_show_their_process(push_read):
    event_id, paths = push_read
    wb = openpyxl.load_workbook(paths["xlsx"])
    api = {r["事件编号 / Event ID"]: r for r in _rows(wb["API events"])}
    assert api[event_id]["进程 / Process"] == PUSH_PROCESS
    timeline = [r for r in _rows(wb["Timeline"]) if r["事件编号 / Event ID"] == event_id]
    assert [r["进程 / Process"] for r in timeline] == [PUSH_PROCESS]


def test_reads_before_hooks_ready_are_reported(tmp_path):
    write_fulltour(tmp_path / "s")
    store = SessionStore(tmp_path / "s", create=False)
    store.conn.execute("UPDATE events SET ts = ts + 1.0 WHERE kind = 'hooks_ready'")
    store.close()
    paths = write_report(tmp_path / "s", accept_changes=True)   # the edit above is one outside piiaudit
    summary = {r["项目 / Item"]: r["值 / Value"] for r in _rows(openpyxl.load_workbook(paths["xlsx"])["Summary"])}
    assert summary["钩子就绪 / Hooks ready"].startswith("hooks NOT ready")
