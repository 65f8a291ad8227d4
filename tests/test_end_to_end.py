"""The whole audit on real components: mitmproxy + Frida on the JVM stand-in + SQLite + pandas.

One demo run for the whole suite (the `demo_recording` fixture); every test reads what it
left. The expectations are the ground truth of docs/standin-scenario.md.
"""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from piiaudit import manifest
from piiaudit.store import SessionStore

REPO = Path(__file__).parents[1]
IMEI, ANDROID_ID = "867530912345673", "9774d56d682e549c"


@pytest.fixture(scope="module")
def demo(demo_recording):
    assert demo_recording.error is None, demo_recording.error
    return demo_recording.result, demo_recording.store()


def reads(store):
    return store.rows("SELECT id, ts, api, pii_type, value, sdk FROM events WHERE kind = 'pii_read' ORDER BY ts, seq")


def consent_ts(store):
    decision = store.get_meta("consent")
    assert decision and decision.get("ts"), f"no consent decision stored: {decision!r}"
    return decision["ts"]


def test_hooks_saw_every_read_with_its_value_and_caller(demo):
    _, store = demo
    got = [(r["pii_type"], r["sdk"], r["value"]) for r in reads(store)]
    assert [(t, s) for t, s, _ in got] == [
        ("imei", "umeng"), ("installed_apps", "umeng"), ("android_id", "jpush"), ("mac", "jpush"),
        ("location", None), ("clipboard", "jpush"),
    ]
    values = {t: v for t, _, v in got}
    assert values["imei"] == IMEI and values["android_id"] == ANDROID_ID
    assert values["mac"] == "02:1a:11:f0:6e:2b"
    assert values["location"].replace(" ", "") == "39.908823,116.39747" or values["location"].startswith("39.908823,")
    assert values["clipboard"] == "piiaudit-canary-clipboard-7f3a"


def test_the_consent_moment_is_the_agree_tap_on_the_privacy_dialog(demo):
    _, store = demo
    tap = store.rows("SELECT ts, data FROM events WHERE kind = 'click'")
    assert len(tap) == 1 and "同意" in json.loads(tap[0]["data"])["label"]
    ts = consent_ts(store)
    assert ts == pytest.approx(tap[0]["ts"], abs=1e-3)
    by_type = {r["pii_type"]: r["ts"] for r in reads(store)}
    assert by_type["mac"] < ts < by_type["location"]


def test_the_proxy_recorded_the_four_requests_and_what_they_carried(demo):
    _, store = demo
    flows = store.rows("SELECT id, method, url, host, status, request_sha256 FROM flows ORDER BY ts_start")
    assert [(f["method"], f["host"]) for f in flows] == [
        ("POST", "ulogs.umeng.com"), ("POST", "stats.jpush.cn"), ("GET", "api.demoshop.example"),
        ("GET", "stats.jpush.cn"),
    ]
    assert flows[-1]["url"].startswith("http://") and all(f["url"].startswith("https://") for f in flows[:3])
    assert all(f["status"] == 200 and len(f["request_sha256"]) == 64 for f in flows)
    hits = {(h["host"], h["pii_type"], h["location"], h["encoding"]) for h in store.rows(
        "SELECT f.host, h.pii_type, h.location, h.encoding FROM pii_hits h JOIN flows f ON f.id = h.flow_id "
        "WHERE h.source != 'pattern'")}
    assert ("ulogs.umeng.com", "imei", "body:json:$.header.imei_md5", "md5") in hits
    assert ("stats.jpush.cn", "android_id", "body:form:aid", "base64") in hits
    assert ("stats.jpush.cn", "android_id", "query:aid", "plain") in hits
    assert any(h[0] == "api.demoshop.example" and h[1] == "location" for h in hits)


def test_findings_match_the_ground_truth(demo):
    _, store = demo
    findings = store.rows("SELECT rule_id, pii_type, sdk, host, first_ts, flow_ids, event_ids, detail FROM findings")
    ts = consent_ts(store)
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f["rule_id"], set()).add((f["pii_type"], f["sdk"], f["host"]))

    sdk_before = {(t, s) for t, s, _ in by_rule.get("SDK-PRECONSENT", set())}
    assert {("imei", "umeng"), ("installed_apps", "umeng"), ("android_id", "jpush"), ("mac", "jpush")} <= sdk_before
    app_before = by_rule.get("IM3.1", set()) | by_rule.get("IM3.1-SEND", set())
    assert not any(t == "location" for t, _, _ in app_before | {(t, s, None) for t, s in sdk_before}), \
        "the app's own post-consent location was flagged as before consent"

    shared = by_rule.get("IM5.1", set())
    assert ("imei", "umeng", "ulogs.umeng.com") in shared and ("android_id", "jpush", "stats.jpush.cn") in shared

    beyond = {(t, s) for t, s, _ in by_rule.get("IM3.3", set())}
    assert {("imei", "umeng"), ("installed_apps", "umeng"), ("clipboard", "jpush")} <= beyond
    assert not any(t in ("location", "android_id") for t, _ in beyond)  # the policy states these

    assert ("android_id", "jpush", "stats.jpush.cn") in by_rule.get("PIPL-CLEARTEXT", set())

    # an online shop needs no location, but the policy states it (nearby stores): not beyond necessity;
    # the manifest's other groups, neither needed nor stated, are one PERM-DECLARE finding
    assert "IM4.1" not in by_rule and len(by_rule["PERM-DECLARE"]) == 1

    for f in findings:
        evidence = json.loads(f["flow_ids"]) + json.loads(f["event_ids"])
        if f["rule_id"] == "PERM-DECLARE":   # its evidence is the manifest's entries, not an event or a flow
            evidence = json.loads(f["detail"])["manifest_entries"]
        assert evidence, f"finding without evidence: {f}"
        if f["rule_id"] in ("SDK-PRECONSENT", "IM5.1"):
            assert f["first_ts"] < ts


def test_the_umeng_send_is_linked_to_the_read_that_preceded_it(demo):
    _, store = demo
    row = store.rows("SELECT flow_ids, event_ids FROM findings WHERE rule_id = 'IM5.1' AND pii_type = 'imei'")[0]
    imei_read = next(r for r in reads(store) if r["pii_type"] == "imei")
    umeng_flow = store.rows("SELECT id, ts_start FROM flows WHERE host = 'ulogs.umeng.com'")[0]
    assert umeng_flow["id"] in json.loads(row["flow_ids"])
    assert imei_read["id"] in json.loads(row["event_ids"])
    assert imei_read["ts"] < umeng_flow["ts_start"]


def test_the_evidence_workbook_opens_and_shows_the_findings(demo):
    result, store = demo
    book = openpyxl.load_workbook(result.session_dir / "evidence.xlsx")
    assert {"Summary", "Findings", "Flows", "API events", "Timeline"} <= set(book.sheetnames)
    findings = book["Findings"]
    text = "\n".join(" ".join(str(c) for c in row if c is not None) for row in findings.iter_rows(values_only=True))
    assert "ulogs.umeng.com" in text and "SDK-PRECONSENT" in text
    assert IMEI not in text  # values are masked unless --reveal
    assert findings.freeze_panes is not None and findings.auto_filter.ref
    doc = json.loads((result.session_dir / "findings.json").read_text())
    assert len(doc["findings"]) == doc["findings_count"] == store.count("findings")
    assert doc["schema"] == 3 and doc["session"]["state"] == "complete" and doc["app"]["package"] == "com.example.demoshop"


def test_manifest_hashes_match_the_files(demo):
    result, _ = demo
    data = manifest.read(result.session_dir)
    for name in ("flows.mitm", "evidence.xlsx", "findings.json", "report.html"):
        assert data["artifacts"][name]["sha256"] == manifest.file_sha256(result.session_dir / name), name
    assert data["clock_syncs"] and data["versions"]["frida"].startswith("17.")


def known_hits(store, key):
    return {key(r) for r in store.rows(
        "SELECT h.flow_id, f.url, h.pii_type, h.location, h.encoding FROM pii_hits h "
        "JOIN flows f ON f.id = h.flow_id WHERE h.source = 'known_value'")}


def test_piiaudit_replay_reproduces_the_live_hits(demo, tmp_path):
    result, store = demo
    done = subprocess.run([sys.executable, "-m", "commands.cli", "replay", str(result.session_dir / "flows.mitm"),
                           "--session", str(tmp_path / "again"), "--profile", str(result.session_dir / "device.yaml")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    key = lambda r: (r["flow_id"], r["pii_type"], r["location"], r["encoding"])  # noqa: E731
    assert known_hits(SessionStore(tmp_path / "again", create=False), key) == known_hits(store, key)


def test_mitmdump_with_the_addon_reproduces_the_live_hits(demo, tmp_path):
    result, store = demo
    mitmdump = Path(sys.executable).with_name("mitmdump")
    done = subprocess.run([str(mitmdump), "-q", "-nr", str(result.session_dir / "flows.mitm"),
                           "-s", str(REPO / "addon" / "piiaudit_addon.py"),
                           "--set", f"piiaudit_session={tmp_path / 'md'}",
                           "--set", f"piiaudit_profile={result.session_dir / 'device.yaml'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    key = lambda r: (r["flow_id"], r["pii_type"], r["location"], r["encoding"])  # noqa: E731
    assert known_hits(SessionStore(tmp_path / "md", create=False), key) == known_hits(store, key)


def test_a_har_export_of_the_same_flows_gives_the_same_hits(demo, tmp_path):
    result, store = demo
    har = tmp_path / "flows.har"
    mitmdump = Path(sys.executable).with_name("mitmdump")
    done = subprocess.run([str(mitmdump), "-q", "-nr", str(result.session_dir / "flows.mitm"),
                           "--set", f"hardump={har}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and har.exists(), done.stderr
    from addon.replay import replay

    replay(har, tmp_path / "har", result.session_dir / "device.yaml")
    key = lambda r: (r["url"], r["pii_type"], r["location"], r["encoding"])  # noqa: E731
    assert known_hits(SessionStore(tmp_path / "har", create=False), key) == known_hits(store, key)
