"""The UI automation's consent marks (source `automation`) in the analysis' consent decision:
the automation's tap is the tap the hooks see a moment later, so it must neither move nor
double the hooks' consent moment or refusal; it decides only when the hooks saw no tap."""
from __future__ import annotations

import json

import pandas as pd

from analysis.consent import decide
from analysis.load import EVENT_COLUMNS, MARK_COLUMNS, typed

PRIVACY = {"text": "请阅读并同意《隐私政策》和《用户协议》"}


def _events(*rows):
    """Hook events as the store holds them: (ts, kind, data)."""
    return typed(pd.DataFrame([{"id": i + 1, "ts": ts, "kind": kind, "data": json.dumps(data, ensure_ascii=False),
                                "clock_error_ms": 2.0} for i, (ts, kind, data) in enumerate(rows)]), EVENT_COLUMNS)


def _marks(*rows):
    """consent_marks rows: (ts, kind, source)."""
    return typed(pd.DataFrame([{"id": i + 1, "ts": ts, "kind": kind, "source": source}
                               for i, (ts, kind, source) in enumerate(rows)]), MARK_COLUMNS)


NO_MARKS = _marks()


def test_the_hooks_tap_stays_the_consent_moment_when_the_automation_sent_it_a_moment_before():
    events = _events((1.0, "dialog_shown", PRIVACY), (2.25, "click", {"label": "同意"}))
    alone = decide(events, NO_MARKS)
    both = decide(events, _marks((1.1, "shown", "automation"), (2.0, "accepted", "automation")))
    assert (both.status, both.source, both.method, both.ts) == ("accepted", "hook", "dialog_tap", 2.25)
    assert (both.ts, both.event_ids, both.dialog_shown_ts) == (alone.ts, alone.event_ids, alone.dialog_shown_ts)
    assert both.notes == ()          # 0.25 s of adb latency is not a disagreement


def test_a_decline_seen_by_both_counts_once_at_the_hooks_time():
    events = _events((1.0, "dialog_shown", PRIVACY), (2.3, "click", {"label": "不同意"}))
    c = decide(events, _marks((2.0, "declined", "automation")))
    assert (c.status, c.declined_ts, c.declined_event_ids, c.declined_mark_ids) == ("declined", 2.3, (2,), ())


def test_without_hook_evidence_the_automation_s_tap_decides():
    c = decide(_events(), _marks((1.0, "shown", "automation"), (2.0, "accepted", "automation")))
    assert (c.status, c.source, c.method, c.ts, c.mark_ids, c.dialog_shown_ts) == (
        "accepted", "automation", "automation_tap", 2.0, (2,), 1.0)
    assert "UI自动化点击" in c.describe()
    d = decide(_events(), _marks((1.0, "shown", "automation"), (2.0, "declined", "automation")))
    assert (d.status, d.declined_ts, d.declined_mark_ids) == ("declined", 2.0, (2,))


def test_the_automation_s_tap_wins_over_a_consent_flag_and_keeps_it_as_support():
    events = _events((2.8, "pref_write", {"key": "is_privacy_agreed", "value": True}))
    c = decide(events, _marks((2.0, "accepted", "automation")))
    assert (c.source, c.method, c.ts, c.event_ids) == ("automation", "automation_tap", 2.0, (1,))


def test_a_tester_mark_still_wins_over_the_automation():
    c = decide(_events(), _marks((2.0, "accepted", "automation"), (5.0, "accepted", "tester")))
    assert (c.source, c.ts) == ("tester", 5.0)
