"""The tracker and SDK catalog (piiaudit/data/sdks.yaml): sound, sourced, big enough, right."""

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from piiaudit import hosts, sdks, vocab

ROOT = Path(__file__).resolve().parent.parent

# The 33 ids sessions, scope files and the demo's expected findings already use.
KEPT_IDS = {
    "umeng", "jpush", "getui", "bugly", "baidu_mobstat", "sensorsdata", "growingio", "talkingdata", "shuzilm",
    "msa_oaid", "oaid_gzuliyujiang", "firebase", "appsflyer", "adjust", "facebook", "xiaomi_push", "huawei_hms",
    "vivo_push", "oppo_push", "meizu_push", "aliyun_push", "gdt", "pangle", "kuaishou_ads", "baidu_ads", "amap",
    "baidu_location", "tencent_map", "mob_sharesdk", "wechat_opensdk", "qq_connect", "weibo", "alipay",
}


def test_the_catalog_has_no_problems():
    assert sdks.problems() == []


def test_no_host_or_prefix_is_claimed_by_two_entities():
    owners = defaultdict(set)
    for sdk in sdks.catalog().values():
        for host in sdk.hosts:
            owners[("host", host)].add(sdk.entity)
        for prefix in sdk.prefixes:
            owners[("prefix", prefix)].add(sdk.entity)
    shared = {key: ents for key, ents in owners.items() if len(ents) > 1}
    assert shared == {}


def test_every_entry_names_a_source_with_a_url_and_a_licence():
    for sdk in sdks.catalog().values():
        assert sdk.sources, sdk.id
        assert all(s.url.startswith(("http://", "https://")) and s.licence for s in sdk.sources), sdk.id
    assert {s.licence for s in sdks.sources().values()} <= {"MIT", "Apache-2.0", "CC0-1.0"}


def test_categories_regions_and_collects_come_from_fixed_lists():
    assert {s.category for s in sdks.catalog().values()} <= set(sdks.CATEGORIES)
    assert {e.region for e in sdks.entities().values()} <= set(sdks.REGIONS)
    collected = {t for s in sdks.catalog().values() for t in s.collects}
    assert collected and all(vocab.is_known(t) for t in collected)
    assert all(s.collects_docs for s in sdks.catalog().values() if s.collects)


def test_the_catalog_is_big_enough_and_covers_every_category():
    catalog = sdks.catalog()
    assert len(catalog) >= 300
    assert sum(len(s.hosts) for s in catalog.values()) >= 1000
    assert {s.category for s in catalog.values()} == set(sdks.CATEGORIES)
    assert KEPT_IDS <= set(catalog)


@pytest.mark.parametrize("host, sdk_id", [
    ("api2.branch.io", "branch"),
    ("app-measurement.com", "firebase"),
    ("firebaseinstallations.googleapis.com", "firebase"),
    ("crashlyticsreports-pa.googleapis.com", "firebase_crashlytics"),
    ("mtalk.google.com", "firebase_messaging"),
    ("googleads.g.doubleclick.net", "admob"),
    ("graph.facebook.com", "facebook"),
    ("launches.appsflyer.com", "appsflyer"),
    ("app.adjust.com", "adjust"),
    ("sessions.bugsnag.com", "bugsnag"),
    ("o123.ingest.sentry.io", "sentry"),
    ("api.onesignal.com", "onesignal"),
    ("auction.unityads.unity3d.com", "unity_ads"),
    ("ms.applovin.com", "applovin"),
    ("outcome-ssp.supersonicads.com", "ironsource"),
    ("logs.ironsrc.mobi", "ironsource"),
    ("sdk-api.kidoz.net", "kidoz"),
    ("de.ioam.de", "infonline"),
    ("configure.rayjump.com", "mintegral"),
    ("api-access.pangolin-sdk-toutiao.com", "pangle"),
    ("ulogs.umeng.com", "umeng"),
    ("stats.jpush.cn", "jpush"),
    ("sdk-open-phone.getui.com", "getui"),
    ("sdk.open.phone.igexin.com", "getui"),
    ("apilocate.amap.com", "amap"),
    ("android.bugly.qq.com", "bugly"),
    ("mi.gdt.qq.com", "gdt"),
    ("fp-it.fengkongcloud.com", "shumei"),
    ("ir-sdk.dun.163.com", "netease_yidun"),
    ("api.geetest.com", "geetest"),
    ("wap.cmpassport.com", "cmcc_auth"),
    ("id6.me", "ctcc_auth"),
    ("log.tbs.qq.com", "tencent_tbs"),
    ("zxid-m.mobileservice.cn", "zxid"),
    ("loc.map.baidu.com", "baidu_location"),
    ("api.map.baidu.com", "baidu_map"),
])
def test_real_hosts_map_to_the_right_sdk(host, sdk_id):
    assert sdks.sdk_for_host(host) == sdk_id


@pytest.mark.parametrize("host", ["api.demoshop.example", "www.demoshop.example", "demoshop.example",
                                  "localhost", "127.0.0.1", "notumeng.com", None, ""])
def test_the_stand_ins_own_and_unknown_hosts_belong_to_no_sdk(host):
    assert sdks.sdk_for_host(host) is None


@pytest.mark.parametrize("class_name, sdk_id", [
    ("com.umeng.commonsdk.statistics.common.DeviceConfig", "umeng"),
    ("com.umeng.message.PushAgent", "umeng_push"),
    ("cn.jpush.android.api.JPushInterface", "jpush"),
    ("cn.jiguang.verifysdk.api.JVerificationInterface", "jverification"),
    ("com.igexin.sdk.PushManager", "getui"),
    ("com.bun.miitmdid.core.MdidSdkHelper", "msa_oaid"),
    ("com.tencent.smtt.sdk.WebView", "tencent_tbs"),
    ("com.ishumei.smantifraud.SmAntiFraud", "shumei"),
    ("com.netease.nis.captcha.Captcha", "netease_yidun"),
    ("com.netease.nis.quicklogin.QuickLogin", "netease_quicklogin"),
    ("com.geetest.onelogin.OneLoginHelper", "geetest_onelogin"),
    ("com.cmic.sso.sdk.auth.AuthnHelper", "cmcc_auth"),
    ("com.google.firebase.crashlytics.FirebaseCrashlytics", "firebase_crashlytics"),
    ("com.google.firebase.analytics.FirebaseAnalytics", "firebase"),
    ("com.facebook.react.bridge.ReactContext", "react_native"),
    ("com.facebook.appevents.AppEventsLogger", "facebook"),
    ("io.branch.referral.Branch", "branch"),
    ("com.tencent.mmkv.MMKV", None),          # a key-value store, not a tracker: stays the app's own
    ("com.example.demoshop.MainActivity", None),
])
def test_classes_map_to_the_longest_prefix(class_name, sdk_id):
    assert sdks.sdk_for_class(class_name) == sdk_id


def test_the_stand_ins_advertising_id_client_stays_uncatalogued():
    # Cataloguing it would name Google's ID client, not Umeng, as the reader behind the full
    # tour's advertising-ID bind; docs/catalog.md explains the choice.
    assert sdks.sdk_for_class("com.google.android.gms.ads.identifier.AdvertisingIdClient") is None
    assert sdks.sdk_for_class("com.google.android.gms.ads.internal.ClientApi") == "admob"


def test_entities_labels_and_the_old_field_names():
    umeng = sdks.catalog()["umeng"]
    assert sdks.entity_for("umeng").region == "CN" and umeng.vendor.startswith("友盟")
    assert umeng.domains == umeng.hosts and "umeng.com" in umeng.hosts
    assert sdks.entity_for("branch").region == "US" and sdks.entity_for(None) is None
    assert sdks.label("umeng") == "友盟+ 统计分析 (Umeng+ Analytics)"
    assert set(sdks.catalog()["jpush"].collects) >= {"android_id", "oaid", "imei"}


def test_a_broken_catalog_is_reported_with_the_entry(monkeypatch):
    raw = yaml.safe_load((ROOT / "piiaudit" / "data" / "sdks.yaml").read_text("utf-8"))
    raw["sdks"].append(dict(raw["sdks"][0], id="umeng_copy", collects=["imeii"], category="tracking"))
    raw["entities"]["umeng"]["region"] = "XX"
    sdks.reload()
    monkeypatch.setattr(sdks, "_raw", lambda: raw)
    try:
        found = "\n".join(sdks.problems())
        assert "sdk umeng_copy: collects unknown PII type 'imeii'" in found
        assert "sdk umeng_copy: unknown category 'tracking'" in found
        assert "entity umeng: unknown region 'XX'" in found
        assert "host 'umeng.com' claimed by entries umeng, umeng_copy" in found
    finally:
        monkeypatch.undo()
        sdks.reload()


def test_longest_suffix_wins_through_the_shared_host_rule():
    table = {"qq.com": "a", "gdt.qq.com": "b"}
    assert hosts.longest_under("mi.gdt.qq.com", table) == "b"
    assert hosts.longest_under("x.qq.com.", table) == "a"
    assert hosts.longest_under("notqq.com", table) is None
    assert list(hosts.parents("A.b.CN")) == ["a.b.cn", "b.cn", "cn"]


def test_docs_table_matches_the_catalog():
    text = (ROOT / "docs" / "catalog.md").read_text("utf-8")
    assert sdks.summary_markdown() in text, "docs/catalog.md is stale: run python scripts/catalog.py docs"


def test_the_catalog_file_is_in_its_canonical_layout(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("catalog_tool", ROOT / "scripts" / "catalog.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    data, header = tool.load_raw()
    tool._normalise(data)
    tool._prune(data)
    assert tool.dump(data, header) == tool.CATALOG.read_text("utf-8"), "run python scripts/catalog.py check"
