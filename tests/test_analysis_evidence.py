"""A finding carries exactly its own evidence, and a bind to an identifier service is a read.

On the real recordings of the stand-in's scenarios: no finding lists a read or a request of
another PII type; Umeng's bind of the GMS advertising-ID service is its read of the
advertising ID, not a self-start; a background read and its send make one finding; a
request sent after consent inside a pre-consent finding is marked, with each link's time
against the consent moment and the value as sent, masked.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from analysis.findings import _as_travelled
from analysis.idservices import identifier_read
from analysis.labels import finding_notes


def _findings(recording) -> list[dict]:
    if recording.error:
        pytest.fail(f"the {recording.scenario} recording failed: {recording.error}")
    return json.loads((recording.session_dir / "findings.json").read_text("utf-8"))["findings"]


def _one(findings, rule_id, pii_type, sdk):
    got = [f for f in findings if (f["rule_id"], f["pii_type"], f["sdk"]) == (rule_id, pii_type, sdk)]
    assert len(got) == 1, got
    return got[0]


def test_no_full_tour_finding_lists_a_read_or_request_of_another_type(fulltour_recording):
    store = fulltour_recording.store()
    read_type = {r["id"]: r["pii_type"] for r in store.rows("SELECT id, pii_type FROM events WHERE kind = 'pii_read'")}
    flow_types: dict[str, set] = {}
    for r in store.rows("SELECT flow_id, pii_type FROM pii_hits WHERE coalesce(direction, 'request') = 'request'"):
        flow_types.setdefault(r["flow_id"], set()).add(r["pii_type"])
    checked = 0
    for f in _findings(fulltour_recording):
        if f["pii_type"] is None:
            continue
        for event_id in f["event_ids"]:
            if event_id in read_type:
                assert read_type[event_id] == f["pii_type"], (f["rule_id"], f["pii_type"], event_id)
                checked += 1
        for flow_id in f["flow_ids"]:
            assert f["pii_type"] in flow_types[flow_id], (f["rule_id"], f["pii_type"], flow_id)
            checked += 1
        assert all(link["pii_type"] == f["pii_type"] for link in f["detail"]["links"])
    assert checked > 40
    im51 = {f["pii_type"]: f for f in _findings(fulltour_recording) if f["rule_id"] == "IM5.1"}
    ids = {t: {e for e in im51[t]["event_ids"] if e in read_type} for t in ("android_id", "imei", "oaid", "advertising_id")}
    assert ids["android_id"].isdisjoint(ids["imei"]) and ids["oaid"].isdisjoint(ids["advertising_id"])


def test_each_evidence_row_has_its_role_its_time_against_consent_and_its_masked_value(fulltour_recording):
    findings = _findings(fulltour_recording)
    silent = _one(findings, "MIIT-SILENT", "location", "amap")
    rows = silent["detail"]["evidence"]
    assert [r["role"] for r in rows] == ["read", "send", "context"]
    assert all(r["pii_type"] == "location" and r["dt_s"] > 0 for r in rows[:2]) and "pii_type" not in rows[2]
    assert rows[0]["value_shown"] == "39.*************747"
    assert f"context, not PII: events {rows[2]['event_id']}" in finding_notes(silent["detail"])
    for f in findings:
        if f["rule_id"] == "SDK-PRECONSENT":
            assert f["detail"]["evidence"] and all(r["role"] == "read" and r["dt_s"] < 0 for r in f["detail"]["evidence"])
            assert all(r["pii_type"] == f["pii_type"] for r in f["detail"]["evidence"])


def test_the_advertising_id_bind_is_umengs_read_not_a_self_start(fulltour_recording):
    store = fulltour_recording.store()
    # Umeng's at start (step 7) and Pangle's for its ad request after the 个性化推荐 switch-off (step 67)
    bind = store.rows("SELECT id, sdk FROM events WHERE kind = 'component_launch' "
                      "AND data LIKE '%ads.identifier.service.START%' ORDER BY ts")
    assert [b["sdk"] for b in bind] == ["umeng", "pangle"]
    findings = _findings(fulltour_recording)
    assert not [f for f in findings if f["rule_id"] == "MIIT-SELFSTART"]
    assert bind[0]["id"] in _one(findings, "SDK-PRECONSENT", "advertising_id", "umeng")["event_ids"]
    assert bind[1]["id"] in _one(findings, "IM3.3", "advertising_id", "pangle")["event_ids"]


def test_a_background_read_and_its_send_are_one_finding(fulltour_recording):
    findings = _findings(fulltour_recording)
    for pii_type, sdk, host in (("android_id", "jpush", "stats.jpush.cn"), ("location", "amap", "apilocate.amap.com")):
        f = _one(findings, "MIIT-SILENT", pii_type, sdk)
        assert f["host"] == host and f["flow_ids"]
        assert any(link["event_id"] in f["event_ids"] for link in f["detail"]["links"])


def test_a_request_after_consent_in_a_pre_consent_finding_is_marked(demo_recording):
    f = _one(_findings(demo_recording), "SDK-PRECONSENT", "android_id", "jpush")
    links = {link["flow_id"]: link for link in f["detail"]["links"]}
    late = [flow for flow, link in links.items() if link["after_consent"]]
    assert f["detail"]["flows_after_consent"] == late and len(late) == 1
    assert links[late[0]]["sent_dt_s"] > 0 and links[late[0]]["read_dt_s"] < 0
    early = [link for link in links.values() if not link["after_consent"]]
    assert early and all(link["sent_dt_s"] < 0 for link in early)
    assert all(link["value_sent"] == "977**********49c" for link in links.values())
    assert sum("sent AFTER consent" in s["en"] and "同意之后发送" in s["zh"] for s in f["read_sent"]) == 1


def test_identifier_services_are_told_apart_from_other_components():
    launches = pd.DataFrame([
        ("com.google.android.gms.ads.identifier.service.START", "com.google.android.gms", None, "advertising_id"),
        (None, "com.google.android.gms", "com.google.android.gms.ads.identifier.service.AdvertisingIdService",
         "advertising_id"),
        ("com.google.android.gms.measurement.START", "com.google.android.gms", None, None),
        ("com.uodis.opendevice.OPENIDS_SERVICE", "com.huawei.hwid", None, "oaid"),
        ("com.huawei.push.action.MESSAGING_EVENT", "com.huawei.hwid", None, None),   # HMS push: another app
        ("action.com.heytap.openid.OPEN_ID_SERVICE", "com.heytap.openid", None, "oaid"),
        (None, "com.samsung.android.deviceidservice", "com.samsung.android.deviceidservice.DeviceIdService", "oaid"),
        (None, "com.zui.deviceidservice", None, "oaid"),
        (None, "com.tencent.mm", "com.tencent.mm.plugin.PushService", None),
    ], columns=["action", "package", "cls", "want"])
    got = identifier_read(launches["action"], launches["package"], launches["cls"])
    assert got.tolist() == [w if isinstance(w, str) else None for w in launches["want"]]


def test_a_hashed_value_shows_as_its_masked_hash():
    md5 = hashlib.md5(b"867530912345673").hexdigest()
    assert _as_travelled("867530912345673", "hex>md5") == md5[:3] + "*" * 26 + md5[-3:]
    assert _as_travelled("867530912345673", "plain") == "867*********673"
    assert _as_travelled(None, "plain") == ""
