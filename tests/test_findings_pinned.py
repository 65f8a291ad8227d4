"""The demo's and the full tour's findings, pinned: (rule, PII type, SDK, host) of every finding.

A change that adds, drops or re-attributes a finding of either scenario fails here and must
say why in the same change (docs/standin-scenario.md, docs/standin-fulltour.md).

Full tour, on purpose: Umeng's bind of the GMS advertising-ID service is its read of the
advertising ID, not a self-start (no MIIT-SELFSTART); a background read and its send are one
MIIT-SILENT finding per destination (jpush android_id, amap location), not two. The tester's
marks of the full tour (piiaudit/data/demo/tester-marks-full.yaml) add IM3.8, IM6.1 and
IM6.1-CORRECT (no such paths in the app) and, after the 个性化推荐 switch-off, IM3.6-SEND for
Pangle's ad request with the advertising ID (steps 59-62), which is also beyond the stated scope
(IM3.3: the policy does not name Pangle).
"""

from __future__ import annotations

from collections import Counter

import pytest

DEMO = [
    ("IM3.3", "clipboard", "jpush", None),
    ("IM3.3", "imei", "umeng", "ulogs.umeng.com"),
    ("IM3.3", "installed_apps", "umeng", None),
    ("IM5.1", "android_id", "jpush", "stats.jpush.cn"),
    ("IM5.1", "imei", "umeng", "ulogs.umeng.com"),
    ("PIPL-CLEARTEXT", "android_id", "jpush", "stats.jpush.cn"),
    ("SDK-PRECONSENT", "android_id", "jpush", None),
    ("SDK-PRECONSENT", "imei", "umeng", None),
    ("SDK-PRECONSENT", "installed_apps", "umeng", None),
    ("SDK-PRECONSENT", "mac", "jpush", None),
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
    ("IM5.1", "advertising_id", "umeng", "ulogs.umeng.com"),
    ("IM6.1", None, None, None),
    ("IM6.1-CORRECT", None, None, None),
    ("IM5.1", "android_id", "getui", "sdk-open-phone.getui.com"),
    ("IM5.1", "imei", "getui", "sdk-open-phone.getui.com"),
    ("IM5.1", "oaid", "umeng", "ulogs.umeng.com"),
    ("MIIT-SILENT", "android_id", "jpush", "stats.jpush.cn"),
    ("MIIT-SILENT", "location", "amap", "apilocate.amap.com"),
    ("PIPL-CLEARTEXT", "location", "amap", "apilocate.amap.com"),
    ("SDK-PRECONSENT", "advertising_id", "umeng", None),
    ("SDK-PRECONSENT", "android_id", "getui", None),
    ("SDK-PRECONSENT", "imei", "getui", None),
    ("SDK-PRECONSENT", "installed_apps", "umeng", None),
    ("SDK-PRECONSENT", "oaid", "umeng", None),
    ("SDK-PRECONSENT", "serial", "bugly", None),
]


def _findings(recording) -> Counter:
    if recording.error:
        pytest.fail(f"the {recording.scenario} recording failed: {recording.error}")
    rows = recording.store().rows("SELECT rule_id, pii_type, sdk, host FROM findings")
    return Counter((r["rule_id"], r["pii_type"], r["sdk"], r["host"]) for r in rows)


def _difference(got: Counter, want: list) -> str:
    extra, missing = got - Counter(want), Counter(want) - got
    return "; ".join([*(f"new: {f}" for f in sorted(extra, key=str)), *(f"gone: {f}" for f in sorted(missing, key=str))])


def test_the_demo_gives_its_ten_findings(demo_recording):
    got = _findings(demo_recording)
    assert got == Counter(DEMO), _difference(got, DEMO)


def test_the_full_tour_gives_its_thirty_two_findings(fulltour_recording):
    got = _findings(fulltour_recording)
    assert got == Counter(FULL_TOUR), _difference(got, FULL_TOUR)
