"""Device profiles, the PII vocabulary and SDK attribution speak one language."""

from pathlib import Path

import pytest

from piiaudit import profile, sdks, vocab
from piiaudit.values import mask, value_sha256

DEMO = Path(__file__).parents[1] / "piiaudit" / "data" / "demo"


def test_demo_profile_loads_with_values_and_a_location_fix():
    p = profile.load(DEMO / "device.yaml")
    assert p.values["imei"] == ["867530912345673"]
    assert p.locations == [profile.Fix(39.908823, 116.397470)]
    assert ("android_id", "9774d56d682e549c") in p.known_values()


def test_every_profile_key_must_be_a_vocabulary_name(tmp_path):
    bad = tmp_path / "d.yaml"
    bad.write_text("values:\n  imei_number: '1'\n")
    with pytest.raises(profile.ProfileError, match="unknown PII type 'imei_number'"):
        profile.load(bad)


@pytest.mark.parametrize("text, message", [
    ("values: [1, 2]", "'values' must be a mapping"),
    ("values:\n  location: {lat: 91, lng: 0}", "out of range"),
    ("values:\n  location: '39.9,116.4'", "a location is"),
    (": : :", "not valid YAML"),
])
def test_broken_profiles_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    with pytest.raises(profile.ProfileError, match=message):
        profile.load(path)


def test_vocabulary_labels_are_bilingual_and_sensitivity_follows_pipl():
    types = vocab.pii_types()
    assert types["location"].sensitive and types["id_number"].sensitive and types["bank_card"].sensitive
    assert not types["imei"].sensitive  # device identifiers are general PI, not 敏感个人信息
    # the English name keeps its own brackets, so it stands beside the Chinese, never nested inside brackets
    assert vocab.get("imei").label == "国际移动设备识别码（IMEI） / IMEI (device identifier)"
    assert vocab.get("clipboard").zh == "剪贴板内容"
    ssid = vocab.get("ssid")   # the network's name (SSID) and its access point's MAC address (BSSID), not "a name"
    assert (ssid.zh, ssid.en) == ("WLAN名称（SSID）及接入点MAC地址（BSSID）",
                                  "Wi-Fi network name (SSID) and access point MAC address (BSSID)")
    assert not any(" / " in t.en for t in vocab.pii_types().values())   # one ' / ' per label: between the languages
    with pytest.raises(KeyError, match="unknown PII type"):
        vocab.get("shoe_size")


def test_sdk_attribution_takes_the_innermost_non_framework_frame():
    frames = [
        "android.telephony.TelephonyManager.getImei(TelephonyManager.java:1)",
        "java.lang.reflect.Method.invoke(Method.java:2)",
        "com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:3)",
        "cn.jpush.android.api.JPushInterface.init(JPushInterface.java:4)",
        "com.example.demoshop.DemoShopApplication.onCreate(DemoShopApplication.java:5)",
    ]
    assert sdks.attribute(frames) == ("umeng", ["umeng", "jpush"])
    assert sdks.attribute(frames[-1:]) == (None, [])  # the app itself


def test_longest_prefix_and_domain_suffix_win():
    assert sdks.sdk_for_class("com.tencent.bugly.crashreport.CrashReport") == "bugly"
    assert sdks.sdk_for_host("ULOGS.umeng.com") == "umeng"
    assert sdks.sdk_for_host("notumeng.com") is None
    assert sdks.label(None).startswith("App本身")


def test_masking_keeps_ends_and_hash_is_sha256():
    assert mask("867530912345673") == "867*********673"
    assert mask("ab") == "**"
    assert value_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
