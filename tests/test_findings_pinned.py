"""The demo's and the full tour's findings, pinned: (rule, PII type, SDK, host) of every finding.

A change that adds, drops or re-attributes a finding of either scenario fails here and must
say why in the same change (docs/standin-scenario.md, docs/standin-fulltour.md).

Full tour, on purpose: Umeng's bind of the GMS advertising-ID service is its read of the
advertising ID, not a self-start (no MIIT-SELFSTART); a background read and its send are one
MIIT-SILENT finding per destination (jpush android_id, amap location), not two.

Both, on purpose: the necessity rules give one finding per permission group (the personal
information the permissions guard) and requester. A group the app asks for at run time beyond
what 网上购物类 needs is IM4.1's (its detail lists the manifest's entries of the group); a group
only declared in the stand-in's manifest (hooks/standin/AndroidManifest.xml) is PERM-DECLARE's.
MIIT-SILENT finding per destination (jpush android_id, amap location), not two. The 同意 tap
answers the privacy dialog and uses no feature, so the app's requests right after it are
PERM-EARLY findings (nine PII types of steps 19-20).
MIIT-SILENT finding per destination (jpush android_id, amap location), not two. Pangle is at
work (steps 57-58) and scope-full.yaml's SDK list, like the demo app's policy, does not name it:
one SDK-UNDISCLOSED finding, whose evidence is exactly pangle's own permission request and read.

The tester's marks of the full tour (piiaudit/data/demo/tester-marks-full.yaml) add IM3.8,
IM6.1 and IM6.1-CORRECT (no such paths in the app) and, after the 个性化推荐 switch-off,
IM3.6-SEND for Pangle's ad request with the advertising ID (steps 65-68), which is also beyond
the stated scope (IM3.3: the policy does not name Pangle). The 步数换积分 request of step 64
(ACTIVITY_RECOGNITION, with its rationale shown) is still beyond what 网上购物类 needs: IM4.1
sensors.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

DEMO = [
    ("IM3.3", "clipboard", "jpush", None),
    ("IM3.3", "imei", "umeng", "ulogs.umeng.com"),
    ("IM3.3", "installed_apps", "umeng", None),
    ("IM4.1", "location", None, None),
    ("IM5.1", "android_id", "jpush", "stats.jpush.cn"),
    ("IM5.1", "imei", "umeng", "ulogs.umeng.com"),
    ("PERM-DECLARE", "accounts", None, None),
    ("PERM-DECLARE", "calendar", None, None),
    ("PERM-DECLARE", "call_log", None, None),
    ("PERM-DECLARE", "camera", None, None),
    ("PERM-DECLARE", "contacts", None, None),
    ("PERM-DECLARE", "imei", None, None),
    ("PERM-DECLARE", "media", None, None),
    ("PERM-DECLARE", "microphone", None, None),
    ("PERM-DECLARE", "sms", None, None),
    ("PIPL-CLEARTEXT", "android_id", "jpush", "stats.jpush.cn"),
    ("SDK-PRECONSENT", "android_id", "jpush", None),
    ("SDK-PRECONSENT", "imei", "umeng", None),
    ("SDK-PRECONSENT", "installed_apps", "umeng", None),
    ("SDK-PRECONSENT", "mac", "jpush", None),
    # The app asks for location at step 10, right after 同意, with nothing on screen saying why.
    ("IM2.3", "location", None, None),
    ("PERM-EARLY", "location", None, None),
]

FULL_TOUR = [
    ("CAC-DRAFT-MIC", "microphone", "pangle", None),
    ("IM3.3", "advertising_id", "pangle", "api-access.pangolin-sdk-toutiao.com"),
    ("IM3.3", "advertising_id", "umeng", "ulogs.umeng.com"),
    ("IM3.3", "bluetooth_mac", "umeng", None),
    ("IM3.3", "call_log", "umeng", None),
    ("IM3.3", "clipboard", "umeng", None),
    ("IM3.3", "iccid", "getui", None),
    ("IM3.3", "imei", "getui", "sdk-open-phone.getui.com"),
    ("IM3.3", "imsi", "getui", None),
    ("IM3.3", "installed_apps", "umeng", None),
    ("IM3.3", "mac", "umeng", None),
    ("IM3.3", "microphone", "pangle", None),
    ("IM3.3", "running_apps", "getui", None),
    ("IM3.3", "serial", "bugly", None),
    ("IM3.4", None, None, None),
    ("IM3.6-SEND", "advertising_id", "pangle", "api-access.pangolin-sdk-toutiao.com"),
    ("IM3.8", None, None, None),
    ("IM4.1", "accounts", None, None),
    ("IM4.1", "calendar", None, None),
    ("IM4.1", "camera", None, None),
    ("IM4.1", "contacts", None, None),
    ("IM4.1", "imei", None, None),
    ("IM4.1", "imei", "pangle", None),
    ("IM4.1", "location", None, None),
    ("IM4.1", "location", "pangle", None),
    ("IM4.1", "media", None, None),
    ("IM4.1", "microphone", None, None),
    ("IM4.1", "sensors", None, None),
    ("IM4.1", "sms", None, None),
    ("IM5.1", "advertising_id", "umeng", "ulogs.umeng.com"),
    ("IM6.1", None, None, None),
    ("IM6.1-CORRECT", None, None, None),
    ("IM5.1", "android_id", "getui", "sdk-open-phone.getui.com"),
    ("IM5.1", "imei", "getui", "sdk-open-phone.getui.com"),
    ("IM5.1", "oaid", "umeng", "ulogs.umeng.com"),
    ("MIIT-SILENT", "android_id", "jpush", "stats.jpush.cn"),
    ("MIIT-SILENT", "location", "amap", "apilocate.amap.com"),
    ("PERM-DECLARE", "call_log", None, None),
    ("PIPL-CLEARTEXT", "location", "amap", "apilocate.amap.com"),
    ("SDK-PRECONSENT", "advertising_id", "umeng", None),
    ("SDK-PRECONSENT", "android_id", "getui", None),
    ("SDK-PRECONSENT", "imei", "getui", None),
    ("SDK-PRECONSENT", "installed_apps", "umeng", None),
    ("SDK-PRECONSENT", "oaid", "umeng", None),
    ("SDK-PRECONSENT", "serial", "bugly", None),
    # Permission rules (docs/standin-fulltour.md): step 19 asks for ten permissions 0.5 s after 同意 with
    # nothing on screen naming their use, step 20 for background location; Pangle asks from a hidden
    # fragment (57); the denied background location is asked for again 8 s later (60). Step 64, after
    # its rationale dialog, and the re-ask after its toast have no purpose finding.
    *[("IM2.3", t, None, None) for t in ("accounts", "calendar", "camera", "contacts", "imei", "location", "media",
                                          "microphone", "sms")],
    ("IM2.3", "imei", "pangle", None),
    ("IM2.3", "location", "pangle", None),
    ("IM4.6", None, None, None),
    ("IM4.6", None, "pangle", None),
    ("IM4.1-SDK", None, "pangle", None),
    ("IM3.2b", "location", None, None),
    *[("PERM-EARLY", t, None, None) for t in ("accounts", "calendar", "camera", "contacts", "imei", "location", "media",
                                               "microphone", "sms")],
    ("SDK-UNDISCLOSED", None, "pangle", None),
]


def _findings(recording) -> Counter:
    if recording.error:
        pytest.fail(f"the {recording.scenario} recording failed: {recording.error}")
    rows = recording.store().rows("SELECT rule_id, pii_type, sdk, host FROM findings")
    return Counter((r["rule_id"], r["pii_type"], r["sdk"], r["host"]) for r in rows)


def _difference(got: Counter, want: list) -> str:
    extra, missing = got - Counter(want), Counter(want) - got
    return "; ".join([*(f"new: {f}" for f in sorted(extra, key=str)), *(f"gone: {f}" for f in sorted(missing, key=str))])


def test_the_demo_gives_its_pinned_findings(demo_recording):
    got = _findings(demo_recording)
    assert got == Counter(DEMO), _difference(got, DEMO)


def test_the_full_tour_gives_its_thirty_nine_findings(fulltour_recording):
def test_the_full_tour_gives_its_fifty_one_findings(fulltour_recording):
def test_the_full_tour_gives_its_twenty_eight_findings(fulltour_recording):
def test_the_full_tour_gives_its_fifty_seven_findings(fulltour_recording):
    got = _findings(fulltour_recording)
    assert got == Counter(FULL_TOUR), _difference(got, FULL_TOUR)


def test_the_undisclosed_sdk_is_shown_at_work_by_its_own_events(fulltour_recording):
    store = fulltour_recording.store()
    (finding,) = store.rows("SELECT event_ids, flow_ids, detail FROM findings WHERE rule_id = 'SDK-UNDISCLOSED'")
    ids = json.loads(finding["event_ids"])
    events = store.rows(f"SELECT kind, sdk, pii_type, api FROM events WHERE id IN ({','.join(map(str, ids))}) ORDER BY id")
    assert [(e["kind"], e["sdk"], e["pii_type"]) for e in events] == [
        ("permission_request", "pangle", None), ("pii_read", "pangle", "microphone")]      # steps 57, 58
    assert events[0]["api"].startswith("android.app.Fragment.requestPermissions")
    assert json.loads(finding["flow_ids"]) == []
    detail = json.loads(finding["detail"])
    assert detail["policy_sdk_list"] == ["amap", "bugly", "getui", "jpush", "umeng"]
    assert detail["company"].startswith("北京巨量引擎网络技术有限公司")
