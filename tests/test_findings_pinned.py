"""The demo's and the full tour's findings, pinned: (rule, PII type, SDK, host) of every finding.

A change that adds, drops or re-attributes a finding of either scenario fails here and must
say why in the same change (docs/standin-scenario.md, docs/standin-fulltour.md).

Full tour, on purpose: Umeng's bind of the GMS advertising-ID service is its read of the
advertising ID, not a self-start (no MIIT-SELFSTART); a background read and its send are one
MIIT-SILENT finding per destination (jpush android_id, amap location), not two. Pangle is at
work (steps 57-58, 68) and scope-full.yaml's SDK list, like the demo app's policy, does not name
it: one SDK-UNDISCLOSED finding.

Both, on purpose, the permission rules give one finding per requester where the violation is
the request (IM2.3 purpose not shown, PERM-EARLY asked before any feature, IM4.6 bundled; the
detail lists each request call), and one per permission group and requester where it is the
permission (IM4.1 beyond what 网上购物类 needs). A permission whose use the policy states for
its requester (the app's location, contacts, camera ... in scope-full.yaml; location in the
demo's scope.yaml) serves a stated extended function and is not beyond necessity. The
manifest's groups declared beyond necessity and never requested are one PERM-DECLARE finding.

The tester's marks of the full tour (piiaudit/data/demo/tester-marks-full.yaml) add IM3.8,
IM6.1 and IM6.1-CORRECT (no such paths in the app) and, after the 个性化推荐 switch-off,
IM3.6-SEND for Pangle's ad request with the advertising ID (steps 65-68), which is also beyond
the stated scope (IM3.3). The 步数换积分 request of step 64 (ACTIVITY_RECOGNITION, with its
rationale shown) is still beyond what 网上购物类 needs and not stated: IM4.1 sensors.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

DEMO = [
    ('IM2.3', 'location', None, None),
    ('IM3.3', 'clipboard', 'jpush', None),
    ('IM3.3', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('IM3.3', 'installed_apps', 'umeng', None),
    ('IM5.1', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('IM5.1', 'imei', 'umeng', 'ulogs.umeng.com'),
    ('PERM-DECLARE', None, None, None),
    ('PERM-EARLY', 'location', None, None),
    ('PIPL-CLEARTEXT', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('SDK-PRECONSENT', 'android_id', 'jpush', None),
    ('SDK-PRECONSENT', 'imei', 'umeng', None),
    ('SDK-PRECONSENT', 'installed_apps', 'umeng', None),
    ('SDK-PRECONSENT', 'mac', 'jpush', None),
]

FULL_TOUR = [
    ('CAC-DRAFT-MIC', 'microphone', 'pangle', None),
    ('IM2.3', None, None, None),
    ('IM2.3', None, 'pangle', None),
    ('IM3.2b', 'location', None, None),
    ('IM3.3', 'advertising_id', 'pangle', 'api-access.pangolin-sdk-toutiao.com'),
    ('IM3.3', 'advertising_id', 'umeng', 'ulogs.umeng.com'),
    ('IM3.3', 'bluetooth_mac', 'umeng', None),
    ('IM3.3', 'call_log', 'umeng', None),
    ('IM3.3', 'clipboard', 'umeng', None),
    ('IM3.3', 'iccid', 'getui', None),
    ('IM3.3', 'imei', 'getui', 'sdk-open-phone.getui.com'),
    ('IM3.3', 'imsi', 'getui', None),
    ('IM3.3', 'installed_apps', 'umeng', None),
    ('IM3.3', 'mac', 'umeng', None),
    ('IM3.3', 'microphone', 'pangle', None),
    ('IM3.3', 'running_apps', 'getui', None),
    ('IM3.3', 'serial', 'bugly', None),
    ('IM3.4', None, None, None),
    ('IM3.6-SEND', 'advertising_id', 'pangle', 'api-access.pangolin-sdk-toutiao.com'),
    ('IM3.8', None, None, None),
    ('IM4.1', 'imei', None, None),
    ('IM4.1', 'imei', 'pangle', None),
    ('IM4.1', 'location', 'pangle', None),
    ('IM4.1', 'sensors', None, None),
    ('IM4.1-SDK', None, 'pangle', None),
    ('IM4.6', None, None, None),
    ('IM4.6', None, 'pangle', None),
    ('IM5.1', 'advertising_id', 'umeng', 'ulogs.umeng.com'),
    ('IM5.1', 'android_id', 'getui', 'sdk-open-phone.getui.com'),
    ('IM5.1', 'imei', 'getui', 'sdk-open-phone.getui.com'),
    ('IM5.1', 'oaid', 'umeng', 'ulogs.umeng.com'),
    ('IM6.1', None, None, None),
    ('IM6.1-CORRECT', None, None, None),
    ('MIIT-SILENT', 'android_id', 'jpush', 'stats.jpush.cn'),
    ('MIIT-SILENT', 'location', 'amap', 'apilocate.amap.com'),
    ('PERM-DECLARE', 'call_log', None, None),
    ('PERM-EARLY', None, None, None),
    ('PIPL-CLEARTEXT', 'location', 'amap', 'apilocate.amap.com'),
    ('SDK-PRECONSENT', 'advertising_id', 'umeng', None),
    ('SDK-PRECONSENT', 'android_id', 'getui', None),
    ('SDK-PRECONSENT', 'imei', 'getui', None),
    ('SDK-PRECONSENT', 'installed_apps', 'umeng', None),
    ('SDK-PRECONSENT', 'oaid', 'umeng', None),
    ('SDK-PRECONSENT', 'serial', 'bugly', None),
    ('SDK-UNDISCLOSED', None, 'pangle', 'api-access.pangolin-sdk-toutiao.com'),
]

def _findings(recording) -> Counter:
    if recording.error:
        pytest.fail(f"the {recording.scenario} recording failed: {recording.error}")
    rows = recording.store().rows("SELECT rule_id, pii_type, sdk, host FROM findings")
    return Counter((r["rule_id"], r["pii_type"], r["sdk"], r["host"]) for r in rows)


def _difference(got: Counter, want: list) -> str:
    extra, missing = got - Counter(want), Counter(want) - got
    return "; ".join([*(f"new: {f}" for f in sorted(extra, key=str)), *(f"gone: {f}" for f in sorted(missing, key=str))])


def test_the_demo_gives_its_thirteen_findings(demo_recording):
    got = _findings(demo_recording)
    assert got == Counter(DEMO), _difference(got, DEMO)


def test_the_full_tour_gives_its_forty_five_findings(fulltour_recording):
    got = _findings(fulltour_recording)
    assert got == Counter(FULL_TOUR), _difference(got, FULL_TOUR)


def test_the_undisclosed_sdk_is_shown_at_work_by_its_own_events(fulltour_recording):
    store = fulltour_recording.store()
    (finding,) = store.rows("SELECT event_ids, flow_ids, detail FROM findings WHERE rule_id = 'SDK-UNDISCLOSED'")
    ids = json.loads(finding["event_ids"])
    events = store.rows(f"SELECT kind, sdk, pii_type, api FROM events WHERE id IN ({','.join(map(str, ids))}) ORDER BY id")
    assert [(e["kind"], e["sdk"], e["pii_type"]) for e in events] == [
        ("permission_request", "pangle", None), ("pii_read", "pangle", "microphone"),       # steps 57, 58
        ("component_launch", "pangle", None),                                               # step 68: the GMS bind
        ("pii_read", "pangle", "advertising_id"), ("pii_read", "pangle", "advertising_id")]  # and its read
    assert events[0]["api"].startswith("android.app.Fragment.requestPermissions")
    (flow_id,) = json.loads(finding["flow_ids"])
    (flow,) = store.rows("SELECT host FROM flows WHERE id = ?", (flow_id,))
    assert flow["host"] == "api-access.pangolin-sdk-toutiao.com"                              # its ad request
    detail = json.loads(finding["detail"])
    assert detail["policy_sdk_list"] == ["amap", "bugly", "getui", "jpush", "umeng"]
    assert detail["company"].startswith("北京巨量引擎网络技术有限公司")
