"""How the consent moment is decided: hook tap, tester mark, given time, none, declined."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.consent import decide
from analysis.load import EVENT_COLUMNS, MARK_COLUMNS, typed
from analysis.pipeline import analyze
from tests.support.samples import demo_scope_path, write_standin_scenario


def _events(*rows):
    """Hook events as the store holds them: (ts, kind, data) tuples."""
    frame = pd.DataFrame([{"id": i + 1, "ts": ts, "kind": kind, "data": json.dumps(data, ensure_ascii=False),
                           "clock_error_ms": 2.0} for i, (ts, kind, data) in enumerate(rows)])
    return typed(frame, EVENT_COLUMNS)


def _marks(*rows):
    frame = pd.DataFrame([{"id": i + 1, "ts": ts, "kind": kind, "source": source}
                          for i, (ts, kind, source) in enumerate(rows)])
    return typed(frame, MARK_COLUMNS)


NO_MARKS = _marks()
PRIVACY = {"text": "请阅读并同意《隐私政策》和《用户协议》"}


def test_hook_tap_on_the_privacy_dialog(standin_scenario, tmp_path):
    ids = standin_scenario.write(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    assert (result.consent.status, result.consent.source, result.consent.ts) == ("accepted", "hook", ids.ts(8))
    assert "点击“同意”" in result.consent.describe()


def test_tester_mark(tmp_path):
    ids = write_standin_scenario(tmp_path / "s", consent="mark")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    c = result.consent
    assert (c.status, c.source, c.method) == ("accepted", "tester", "tester_mark")
    assert c.ts == pytest.approx(ids.ts(8) + 0.4)
    assert len(c.mark_ids) == 1
    # the same findings: nothing of steps 1-6 moves across a mark 0.4 s after the tap; with no
    # touch or click recorded PERM-EARLY cannot run, so of the tap session's thirteen it gives twelve
    assert len(result.findings) == 12 and "PERM-EARLY" in {s["rule_id"] for s in result.skipped}


def test_time_given_to_analyze_overrides_hook_evidence(tmp_path):
    ids = write_standin_scenario(tmp_path / "s", consent="tap")
    late = ids.ts(12) + 0.1   # after the app's location read (11) and send (12)
    result = analyze(tmp_path / "s", scope=demo_scope_path(), consent_at=late)
    c = result.consent
    assert (c.source, c.method, c.ts) == ("analyze", "override", late)
    assert any("overridden" in n for n in c.notes)
    keys = {(r, p) for r, p in zip(result.findings["rule_id"], result.findings["pii_type"])}
    assert ("IM3.1", "location") in keys and ("IM3.1-SEND", "location") in keys
    assert ("IM3.1-PERM", "location") in keys


def test_no_consent_observed_everything_counts_as_before(tmp_path):
    write_standin_scenario(tmp_path / "s", consent="none")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    c = result.consent
    assert (c.status, c.ts, c.source) == ("none", None, None)
    assert "no consent observed" in c.describe() and "未观察到同意" in c.describe()
    assert result.timeline.loc[result.timeline["stream"].ne("consent"), "before_consent"].all()
    keys = {(r, p, s) for r, p, s in zip(result.findings["rule_id"], result.findings["pii_type"], result.findings["sdk"])}
    assert ("IM3.1", "location", None) in keys                 # the app's own read
    assert ("SDK-PRECONSENT", "clipboard", "jpush") in keys    # the late SDK read
    assert ("NEC-BASELINE", "location", None) in keys          # location is not necessary for online shopping
    assert ("IM3.1-PERM", "location", None) in keys
    perm = result.findings.loc[result.findings["rule_id"].eq("IM3.1-PERM")].iloc[0]
    assert perm["detail"]["permission"] == ["android.permission.ACCESS_COARSE_LOCATION", "android.permission.ACCESS_FINE_LOCATION"]
    assert len(perm["event_ids"]) == 2   # the request and its result


def test_declined_is_recorded_and_collection_after_it_is_a_finding(tmp_path):
    ids = write_standin_scenario(tmp_path / "s", consent="declined")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    c = result.consent
    assert (c.status, c.ts, c.declined_ts) == ("declined", None, ids.ts(8))
    assert set(c.declined_event_ids) == {ids.events[8], ids.events[9]}
    after = result.findings.loc[result.findings["rule_id"].eq("IM3.2a")]
    assert {(p, s) for p, s in zip(after["pii_type"], after["sdk"])} >= {("location", None), ("clipboard", "jpush")}
    assert all(ids.ts(8) <= t for t in after["first_ts"])
    assert "declined" in c.describe()


def test_disagree_label_never_counts_as_agreement():
    events = _events((1.0, "dialog_shown", PRIVACY), (2.0, "click", {"label": "不同意"}),
                     (3.0, "click", {"label": "Disagree"}))
    c = decide(events, NO_MARKS)
    assert c.status == "declined" and c.declined_ts == 2.0


def test_decline_then_agree_on_the_second_dialog():
    events = _events((1.0, "dialog_shown", PRIVACY), (2.0, "click", {"label": "不同意"}),
                     (3.0, "dialog_shown", {"text": "您需要同意后才能继续使用"}), (4.0, "click", {"label": "同意并继续"}))
    c = decide(events, NO_MARKS)
    assert (c.status, c.ts, c.declined_ts, c.refusal_window) == ("accepted", 4.0, 2.0, (2.0, 4.0))


def test_weak_ok_counts_only_on_the_privacy_dialog():
    on_other = _events((1.0, "dialog_shown", PRIVACY), (2.0, "dialog_shown", {"text": "发现新版本"}),
                       (3.0, "click", {"label": "OK"}))
    assert decide(on_other, NO_MARKS).status == "none"
    on_privacy = _events((1.0, "dialog_shown", {"text": "We value your privacy"}), (2.0, "click", {"label": "OK"}))
    assert decide(on_privacy, NO_MARKS).ts == 2.0


def test_a_tap_without_a_privacy_notice_is_not_consent():
    events = _events((1.0, "dialog_shown", {"text": "发现新版本，是否更新？"}), (2.0, "click", {"label": "同意"}))
    assert decide(events, NO_MARKS).status == "none"


def test_consent_flag_alone_stands_in_for_the_tap():
    events = _events((5.0, "pref_write", {"key": "is_privacy_agreed", "value": True}))
    c = decide(events, NO_MARKS)
    assert (c.status, c.method, c.ts, c.event_ids) == ("accepted", "pref_write", 5.0, (1,))


def test_tester_mark_wins_over_hook_and_the_gap_is_noted():
    events = _events((1.0, "dialog_shown", PRIVACY), (2.0, "click", {"label": "同意"}))
    c = decide(events, _marks((9.0, "accepted", "tester")))
    assert (c.source, c.ts) == ("tester", 9.0)
    assert any("+7.000 s" in n for n in c.notes)


def test_hook_written_mark_counts_as_hook_evidence():
    c = decide(_events(), _marks((3.0, "accepted", "hook")))
    assert (c.source, c.method, c.ts) == ("hook", "hook_mark", 3.0)


def test_broken_event_data_is_ignored():
    frame = typed(pd.DataFrame([{"id": 1, "ts": 1.0, "kind": "dialog_shown", "data": "{not json"},
                                {"id": 2, "ts": 2.0, "kind": "click", "data": "[1, 2]"}]), EVENT_COLUMNS)
    assert decide(frame, NO_MARKS).status == "none"


def test_agent_shape_dialog_texts_list_and_label_in_value():
    """The Frida agent reports a dialog's texts as a list and the tapped label in `value` too."""
    events = _events((1.0, "dialog_shown", {"texts": ["温馨提示", "请阅读《隐私政策》", "同意", "不同意"],
                                            "dialog_class": "android.app.AlertDialog"}),
                     (2.0, "click", {"view_class": "android.widget.Button"}))
    events.loc[1, "value"] = "同意"
    c = decide(events, NO_MARKS)
    assert (c.status, c.ts, c.label) == ("accepted", 2.0, "同意")
    assert "隐私政策" in c.dialog_text


def test_permission_requests_without_request_code_or_for_non_pi_permissions(tmp_path):
    """A request without a code still counts; permissions that collect no PI are not findings."""
    from piiaudit.store import SessionStore

    store = SessionStore(tmp_path / "s")
    store.write_events([
        {"ts": 1.0, "kind": "permission_request",
         "data": json.dumps({"permissions": ["android.permission.POST_NOTIFICATIONS", "READ_PHONE_STATE"]})},
        {"ts": 1.5, "kind": "permission_result", "data": json.dumps(
            {"permissions": ["android.permission.CAMERA"], "results": [-1], "request_code": 3})},
        {"ts": 2.0, "kind": "dialog_shown", "data": json.dumps(PRIVACY)},
        {"ts": 3.0, "kind": "click", "data": json.dumps({"label": "同意"})},
    ])
    store.close()
    result = analyze(tmp_path / "s")
    perm = result.findings.loc[result.findings["rule_id"].eq("IM3.1-PERM")]
    assert perm["pii_type"].tolist() == ["imei"]
    assert perm.iloc[0]["detail"]["permission"] == ["android.permission.READ_PHONE_STATE"]
    assert perm.iloc[0]["event_ids"] == [1]   # the result without a matching request is not evidence
