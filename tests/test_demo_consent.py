"""`piiaudit demo --consent decline|none`: the demo with the user refusing, and its ground truth.

docs/standin-scenario.md has a section per path. Declined: the user taps 不同意, Umeng still
reads the Android ID and uploads it, the app asks again (one second prompt: 同意 / 退出), JPush's
service reads the clipboard and sends its heartbeat, the user taps 退出 and the app closes its
screen and ends its process (不同意即退出). Each event proves one clause: what happens before
不同意 is before consent, what follows it is collection after refusal (IM3.2a). Unanswered: the
prompt is never answered, so everything the SDKs do happens before consent. Both paths also
have the accept path's PERM-DECLARE finding (the stand-in's manifest is the same app's).

The accept path's findings are pinned in tests/test_findings_pinned.py and do not change.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from analysis.pipeline import analyze
from analysis.summary import text_summary
from hooks.standin.scenarios import CONSENT_CHOICES
from piiaudit.store import SessionStore
from tests.support.recordings import copy_recording

REPO = Path(__file__).resolve().parents[1]

DECLINED = [
    ('IM3.2a', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('IM3.2a', 'android_id', 'umeng', 'ulogs.umeng.com'),
    ('IM3.2a', 'clipboard', 'jpush', None),
    ('IM3.3', 'clipboard', 'jpush', None),
    ('IM3.3', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('IM3.3', 'installed_apps', 'umeng', None),
    ('IM5.1', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('IM5.1', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('PERM-DECLARE', None, None, None),
    ('PIPL-CLEARTEXT', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('PIPL-REFUSE', None, None, None),
    ('SDK-PRECONSENT', 'android_id', 'jpush', None),
    ('SDK-PRECONSENT', 'imei', 'umeng', None),
    ('SDK-PRECONSENT', 'installed_apps', 'umeng', None),
    ('SDK-PRECONSENT', 'mac', 'jpush', None),
]

UNANSWERED = [
    ('IM3.3', 'clipboard', 'jpush', None),
    ('IM3.3', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('IM3.3', 'installed_apps', 'umeng', None),
    ('IM5.1', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('IM5.1', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('PERM-DECLARE', None, None, None),
    ('PIPL-CLEARTEXT', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('SDK-PRECONSENT', 'android_id', 'jpush', None),
    ('SDK-PRECONSENT', 'clipboard', 'jpush', None),
    ('SDK-PRECONSENT', 'imei', 'umeng', None),
    ('SDK-PRECONSENT', 'installed_apps', 'umeng', None),
    ('SDK-PRECONSENT', 'mac', 'jpush', None),
]


def _ok(recording):
    if recording.error:
        pytest.fail(f"the {recording.scenario} recording failed: {recording.error}")
    return recording


def _findings(recording) -> Counter:
    rows = _ok(recording).store().rows("SELECT rule_id, pii_type, sdk, host FROM findings")
    return Counter((r["rule_id"], r["pii_type"], r["sdk"], r["host"]) for r in rows)


def _difference(got: Counter, want: list) -> str:
    extra, missing = got - Counter(want), Counter(want) - got
    return "; ".join([*(f"new: {f}" for f in sorted(extra, key=str)), *(f"gone: {f}" for f in sorted(missing, key=str))])


def _doc(recording) -> dict:
    return json.loads((_ok(recording).session_dir / "findings.json").read_text("utf-8"))


def _finding(recording, rule_id: str, **keys) -> dict:
    found = [f for f in _doc(recording)["findings"]
             if f["rule_id"] == rule_id and all(f[k] == v for k, v in keys.items())]
    assert len(found) == 1, f"{rule_id} {keys}: {len(found)} findings"
    return found[0]


def _event(recording, event_id: int) -> dict:
    (row,) = _ok(recording).store().rows("SELECT id, ts, kind, api, value, stack, data FROM events WHERE id = ?",
                                         (event_id,))
    return {**row, "data": json.loads(row["data"] or "{}")}


# -- the pinned ground truth ------------------------------------------------------------------

def test_the_declined_demo_gives_its_fifteen_findings(declined_recording):
    got = _findings(declined_recording)
    assert got == Counter(DECLINED), _difference(got, DECLINED)


def test_the_unanswered_demo_gives_its_twelve_findings(unanswered_recording):
    got = _findings(unanswered_recording)
    assert got == Counter(UNANSWERED), _difference(got, UNANSWERED)


def test_each_path_plays_all_its_steps_and_ends_cleanly(declined_recording, unanswered_recording):
    for recording, choice in ((declined_recording, "decline"), (unanswered_recording, "none")):
        _ok(recording)
        assert recording.exit_status == 0
        steps = CONSENT_CHOICES[choice].steps
        assert f"DONE {steps} steps" in recording.output
        assert re.findall(r"^STEP (\d+)", recording.output, re.M) == [str(n) for n in range(1, steps + 1)]
        manifest = json.loads((recording.session_dir / "manifest.json").read_text("utf-8"))
        assert manifest["consent_choice"] == choice


# -- declined: what each finding rests on -------------------------------------------------------

def test_the_refusal_is_the_tap_on_不同意(declined_recording, tmp_path):
    consent = _doc(declined_recording)["consent"]
    taps = _ok(declined_recording).store().rows("SELECT id, ts, value FROM events WHERE kind = 'click' ORDER BY ts")
    assert [t["value"] for t in taps] == ["不同意", "退出"]
    assert consent["decision"] == "declined" and consent["at"] == pytest.approx(taps[0]["ts"], abs=1e-6)
    assert consent["time"] and consent["dialog_shown_at"] < consent["at"]
    summary = declined_recording.result.summary
    assert "拒绝隐私政策" in summary and "the user declined at" in summary
    assert text_summary(analyze(copy_recording(declined_recording, tmp_path / "s"))).count("the user declined at") == 1


def test_leaving_after_不同意_names_the_tap_the_second_prompt_and_the_exits(declined_recording):
    f = _finding(declined_recording, "PIPL-REFUSE")
    assert f["category"]["key"] == "permission_beyond_necessity"
    d = f["detail"]
    roles = {e["event_id"]: e["role"] for e in d["evidence"]}
    events = {i: _event(declined_recording, i) for i in f["event_ids"]}
    kinds = sorted((events[i]["kind"], roles[i]) for i in roles)
    assert kinds == [("app_exit", "event"), ("click", "context"), ("click", "context"), ("dialog_shown", "context"),
                     ("process_exit", "event")]
    finish = next(e for e in events.values() if e["kind"] == "app_exit")
    assert finish["api"] == "android.app.Activity.finish()"
    assert finish["stack"].splitlines()[0].startswith("com.example.demoshop.MainActivity.leave(")
    prompt = next(e for e in events.values() if e["kind"] == "dialog_shown")
    assert "您需要同意" in prompt["value"] and "退出" in prompt["value"] and "同意" in prompt["value"]
    first_tap = min((e for e in events.values() if e["kind"] == "click"), key=lambda e: e["ts"])
    assert d["declined_label"] == "不同意" and d["declined_event_ids"] == [first_tap["id"]]
    # Seven steps of at least 150 ms lie between the tap and the exit; far inside the 5 s window.
    assert 7 * 0.15 <= d["seconds_to_leave"] < 5.0
    assert d["seconds_to_leave"] == pytest.approx(finish["ts"] - d["declined_ts"], abs=1e-3)
    assert d["exits"] == ["Activity.finish", "System.exit (JVM_Halt)"]


def test_collection_after_the_refusal_counts_reads_and_sends(declined_recording):
    declined_at = _doc(declined_recording)["consent"]["at"]
    umeng = _finding(declined_recording, "IM3.2a", sdk="umeng")
    roles = sorted(e["role"] for e in umeng["detail"]["evidence"])
    assert roles == ["read", "send"] and all(e["ts"] > declined_at for e in umeng["detail"]["evidence"])
    assert umeng["detail"]["location"] == ["body:json:$.header.android_id"]
    # JPush sends the Android ID it read at init, before the refusal: the send is the finding,
    # the earlier read is named through its link.
    jpush = _finding(declined_recording, "IM3.2a", sdk="jpush", pii_type="android_id")
    assert [e["role"] for e in jpush["detail"]["evidence"]] == ["send"]
    assert jpush["detail"]["evidence"][0]["ts"] > declined_at
    (read_id,) = jpush["event_ids"]
    assert _event(declined_recording, read_id)["ts"] < declined_at


def test_one_second_prompt_is_not_frequent_but_two_are(declined_recording, tmp_path):
    assert not any(f["rule_id"] == "IM3.2b-CONSENT" for f in _doc(declined_recording)["findings"])
    session = copy_recording(declined_recording, tmp_path / "s")
    store = SessionStore(session, create=False)
    (prompt,) = store.rows("SELECT * FROM events WHERE kind = 'dialog_shown' AND value LIKE '%您需要同意%'")
    again = {k: v for k, v in prompt.items() if k not in ("id", "seq")}
    store.write({"events": [{**again, "ts": prompt["ts"] + 0.3}]})
    store.close()
    result = analyze(session, scope=REPO / "piiaudit" / "data" / "demo" / "scope.yaml")
    f = result.findings.loc[result.findings["rule_id"].eq("IM3.2b-CONSENT")]
    assert len(f) == 1
    detail = f["detail"].iloc[0]
    assert len(detail["prompt_seconds_after_refusal"]) == 2
    assert [e["role"] for e in detail["evidence"]].count("event") == 2


def test_the_leave_window_is_a_parameter(declined_recording, tmp_path):
    session = copy_recording(declined_recording, tmp_path / "s")
    rules = (REPO / "analysis" / "rules.yaml").read_text("utf-8")
    narrow = rules.replace("detection: left_after_refusal\n    params: {window_s: 5.0}",
                           "detection: left_after_refusal\n    params: {window_s: 1.0}")
    assert narrow != rules
    (tmp_path / "rules.yaml").write_text(narrow, "utf-8")
    scope = REPO / "piiaudit" / "data" / "demo" / "scope.yaml"
    assert "PIPL-REFUSE" not in set(analyze(session, scope=scope, rules=tmp_path / "rules.yaml").findings["rule_id"])
    assert "PIPL-REFUSE" in set(analyze(session, scope=scope).findings["rule_id"])


# -- unanswered --------------------------------------------------------------------------------

def test_an_unanswered_prompt_has_no_consent_moment(unanswered_recording):
    doc = _doc(unanswered_recording)
    assert doc["consent"]["decision"] == "none" and doc["consent"]["at"] is None
    assert doc["consent"]["dialog_shown_at"] is not None
    store = _ok(unanswered_recording).store()
    assert store.count("findings") == len(UNANSWERED)
    assert store.rows("SELECT COUNT(*) AS n FROM events WHERE kind IN ('click', 'app_exit')")[0]["n"] == 0
    assert "was never answered" in unanswered_recording.result.summary
    # JPush's clipboard read happens while the dialog waits: before consent.
    clip = _finding(unanswered_recording, "SDK-PRECONSENT", pii_type="clipboard")
    assert clip["detail"]["consent_status"] == "none" and clip["first_ts"] > doc["consent"]["dialog_shown_at"]


def test_the_accept_path_header_names_the_agreement(demo_recording):
    consent = _doc(demo_recording)["consent"]
    assert consent["decision"] == "accepted" and consent["method"] == "dialog_tap"
    (tap,) = _ok(demo_recording).store().rows("SELECT ts FROM events WHERE kind = 'click'")
    assert consent["at"] == pytest.approx(tap["ts"], abs=1e-6)


# -- the choice itself ---------------------------------------------------------------------------

def test_the_scripted_user_and_the_python_table_tap_the_same_labels():
    java = (REPO / "hooks/standin/src/com/example/demoshop/ScriptedUser.java").read_text("utf-8")
    answers = {m[0]: tuple(re.findall(r'"([^"]+)"', m[1])) for m in
               re.findall(r'^\s+[A-Z]+\("(\w+)"((?:, "[^"]+")*)\)[,;]', java, re.M)}
    assert answers == {name: c.taps for name, c in CONSENT_CHOICES.items()}


def test_a_consent_choice_is_refused_where_it_cannot_play(tmp_path):
    from commands.demo import DemoError, run_demo

    with pytest.raises(DemoError, match="needs --scenario demo"):
        run_demo(tmp_path / "s", scenario="full", consent="decline", echo=lambda _l: None)
    with pytest.raises(DemoError, match="choose one of accept, decline, none"):
        run_demo(tmp_path / "s", consent="maybe", echo=lambda _l: None)
    assert not (tmp_path / "s").exists()


# -- the answer is given by UI automation on the stand-in's screen -------------------------------

AUTOMATION = {
    # answer: (purposes of the automation's actions in order, their labels, causes of the screenshots)
    "accept": (["consent_accept", "permission_allow"], ["同意", "While using the app"],
               ["dialog", "before_tap", "after_tap", "permission_prompt", "end"]),
    "decline": (["consent_decline", "consent_second_prompt"], ["不同意", "退出"],
                ["dialog", "before_tap", "after_tap", "before_tap", "after_tap", "end"]),
    "none": ([], [], ["dialog", "end"]),
}


@pytest.mark.parametrize("answer", ["accept", "decline", "none"])
def test_the_demo_answers_through_ui_automation_and_keeps_its_screenshots(answer, demo_recording,
                                                                          declined_recording, unanswered_recording):
    recording = {"accept": demo_recording, "decline": declined_recording, "none": unanswered_recording}[answer]
    store = _ok(recording).store()
    purposes, labels, causes = AUTOMATION[answer]
    actions = store.rows("SELECT id, ts, action, purpose, target_text, source FROM ui_actions ORDER BY ts, id")
    assert [a["purpose"] for a in actions] == purposes
    assert [a["target_text"] for a in actions] == labels
    assert {a["source"] for a in actions} <= {"automation"}
    screens = store.rows("SELECT file, sha256, cause, action_id FROM screens ORDER BY ts, id")
    assert [s["cause"] for s in screens] == causes
    manifest = json.loads((recording.session_dir / "manifest.json").read_text("utf-8"))
    for s in screens:
        data = (recording.session_dir / s["file"]).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
        assert hashlib.sha256(data).hexdigest() == s["sha256"]
        assert s["file"] in json.dumps(manifest)
    # Every tap the hooks saw in the app was one the automation sent, a moment earlier.
    clicks = store.rows("SELECT ts, value FROM events WHERE kind = 'click' ORDER BY ts")
    consent_taps = [a for a in actions if a["purpose"].startswith("consent_")]
    assert [c["value"] for c in clicks] == [a["target_text"] for a in consent_taps]
    for click, tap in zip(clicks, consent_taps):
        assert 0 <= click["ts"] - tap["ts"] < 3
    marks = store.rows("SELECT kind FROM consent_marks WHERE source = 'automation' ORDER BY ts, id")
    assert [m["kind"] for m in marks] == ["shown", *{"accept": ["accepted"], "decline": ["declined", "declined"],
                                                     "none": []}[answer]]


def test_the_declined_demo_photographs_the_dialog_and_the_second_prompt(declined_recording):
    """The issue's bar: the session holds the dialog and the screen after each tap."""
    store = _ok(declined_recording).store()
    (dialog,) = store.rows("SELECT file FROM screens WHERE cause = 'dialog'")
    after = store.rows("SELECT s.file, a.target_text FROM screens s JOIN ui_actions a ON a.id = s.action_id "
                       "WHERE s.cause = 'after_tap' ORDER BY s.ts")
    assert [a["target_text"] for a in after] == ["不同意", "退出"]
    assert _doc(declined_recording)["consent"]["decision"] == "declined"
