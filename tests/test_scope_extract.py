"""`piiaudit scope extract`: realistic privacy policies (tests/data/policies/) to the scope file.

Each policy was written for these tests the way real ones are: a Chinese policy with its SDK
table in HTML, a Chinese policy with an SDK list in Markdown, an English policy that names
its SDKs in prose; with negations, conditionals, generic terms (设备信息) and phrases no PII
type covers. Every stated type, SDK, expansion, negation and unmapped phrase is asserted as
an exact set, and the file written is loaded back by analysis.scope.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis import scope as scope_mod
from analysis.policy import document, extract, vocabulary
from tests.support.cli_results import refused, run

ROOT = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).parent / "data" / "policies"
DEMO_POLICY = ROOT / "hooks" / "standin" / "assets" / "privacy.html"

DEVICE_INFO = {"serial", "mac", "installed_apps", "imei", "android_id", "advertising_id", "imsi"}   # GB/T 35273 A.1
DEVICE_IDS = {"imei", "android_id", "advertising_id", "imsi"}


def _extract(path: Path) -> extract.PolicyScope:
    text = document.read(path)
    return extract.extract(text, document.kind_of(text, path.name))


def _sdks(result: extract.PolicyScope) -> dict[str, set[str]]:
    return {key: result.stated_sdk(key) for key in result.sdks}


def _unmapped(result: extract.PolicyScope) -> set[tuple[str, str]]:
    return {(row["actor"], row["phrase"]) for row in result.unmapped}


def test_chinese_policy_with_an_sdk_table_in_html():
    r = _extract(POLICIES / "zh_sdk_table.html")
    assert r.stated_app() == {"phone_number", "sms", "location", "ip_address", "microphone"} | DEVICE_INFO
    assert _sdks(r) == {
        "jpush": {"imei", "android_id", "oaid", "network_type"},       # 设备信息（IMEI、Android ID、OAID）: members only
        "getui": DEVICE_IDS,                                             # matched by its company, 设备标识符 expanded
        "amap": {"location", "ssid", "cell_location", "sensors"},        # cells split on <br>
        "alipay": {"device_model", "os_version"},
        "鲜果客服SDK": {"serial"},                                        # not in the catalog: kept by name
        "pangle": DEVICE_INFO - {"imei"} | {"location"},                 # "不收集IMEI" removes it
    }
    assert {k: (e.catalog_id, e.matched_by) for k, e in r.sdks.items()} == {
        "jpush": ("jpush", "name"), "getui": ("getui", "company"), "amap": ("amap", "name"),
        "alipay": ("alipay", "name"), "鲜果客服SDK": (None, None), "pangle": ("pangle", "name")}
    assert r.sdks["getui"].company == "每日互动股份有限公司" and r.sdks["getui"].purpose == "向您推送订单状态"
    assert {(x["actor"], x["term"]) for x in r.expanded} == {("app", "设备信息"), ("getui", "设备标识符"), ("pangle", "设备信息")}
    assert {(x["actor"], x["term"]) for x in r.negated} == {("app", "通讯录"), ("app", "通话记录"), ("app", "剪贴板"),
                                                              ("pangle", "IMEI")}
    # "若您拒绝授权位置权限，我们将不会获取您的位置" is a conditional, not a denial: location stays stated
    assert "location" in r.stated_app() and "location" not in r.app_negated
    assert _unmapped(r) == {("app", "昵称"), ("app", "收货地址"), ("app", "地址"), ("alipay", "订单信息"),
                            ("鲜果客服SDK", "会员等级")}
    assert r.purposes["安全保障"] == DEVICE_INFO | {"ip_address"} and r.purposes["在线客服"] == {"microphone"}


def test_chinese_policy_with_an_sdk_list_in_markdown():
    r = _extract(POLICIES / "zh_sdk_list.md")
    # the purpose table: 设备信息（Android ID、OAID） counts for its two members, not the generic set
    assert r.stated_app() == {"phone_number", "android_id", "oaid", "installed_apps", "clipboard", "media", "camera"}
    assert r.app_negated == {"call_log", "sms"}
    assert _sdks(r) == {
        "umeng": {"android_id", "oaid", "imei", "device_model", "os_version"},
        "huawei_push": {"installed_apps"},
        "wechat_opensdk": DEVICE_INFO,
        "netease_qiyu": {"device_model", "network_type"},               # from one "SDK名称：…；…" line
    }
    assert r.sdks["umeng"].company == "友盟同欣（北京）科技有限公司" and r.sdks["umeng"].purpose == "统计分析、性能监测"
    assert [x["term"] for x in r.expanded] == ["设备信息"] and r.expanded[0]["actor"] == "wechat_opensdk"
    assert _unmapped(r) == {("huawei_push", "AAID"), ("netease_qiyu", "客服聊天记录")}
    assert r.purposes == {"注册登录": {"phone_number"}, "个性化推荐": {"android_id", "oaid", "installed_apps"},
                          "口令分享": {"clipboard"}, "头像设置": {"media", "camera"}}


def test_english_policy_with_prose_sdk_mentions():
    r = _extract(POLICIES / "en_prose.txt")
    assert r.stated_app() == {"email", "phone_number", "location", "sensors", "media"}
    assert r.app_negated == {"contacts", "sms", "call_log", "clipboard"}
    assert _sdks(r) == {
        "firebase_crashlytics": {"device_model", "os_version", "android_id"},
        "appsflyer": {"advertising_id", "ip_address"},                  # "…; it collects …" belongs to the SDK named before
        "stripe": {"bank_card", "email"},
        "jpush": DEVICE_INFO,                                            # "collects device information": expanded
        "Acme Coach SDK": set(),
    }
    assert r.sdks["Acme Coach SDK"].catalog_id is None and r.sdks["Acme Coach SDK"].company == "Acme Labs"
    assert r.sdks["firebase_crashlytics"].company == "Google LLC"
    assert _unmapped(r) == {("firebase_crashlytics", "crash logs"), ("Acme Coach SDK", "heart rate"),
                            ("Acme Coach SDK", "step count")}


def test_the_demo_apps_policy_reproduces_scope_full():
    """The stand-in's bundled policy (the page its privacy dialog links to) gives scope-full.yaml's stated sets."""
    r = _extract(DEMO_POLICY)
    full = scope_mod.load(ROOT / "piiaudit" / "data" / "demo" / "scope-full.yaml")
    assert r.stated_app() == set(full.stated_app)
    assert _sdks(r) == {k: set(v) for k, v in full.stated_sdks.items()}
    assert r.app_negated == {"imei", "imsi", "clipboard"}


def test_negation_and_conditionals_sentence_by_sentence():
    def app(text):
        return extract.extract(text, "text")

    assert app("我们不会收集您的通讯录、短信和通话记录。").app_negated == {"contacts", "sms", "call_log"}
    assert app("我们会收集您的位置信息，但不会收集您的通讯录。").stated_app() == {"location"}
    assert app("We never access your clipboard or your photos.").app_negated == {"clipboard", "media"}
    assert app("We don't collect your IMEI.").app_negated == {"imei"}
    stated_then_denied = app("我们会获取您的手机号码。我们不会获取您的手机号码。")
    assert stated_then_denied.stated_app() == set()
    conditional = app("如您拒绝位置权限，我们将不会收集您的位置信息。If you decline, we will not access your contacts.")
    assert conditional.stated_app() == set() and conditional.app_negated == set()
    assert app("个人信息是指以电子或者其他方式记录的与已识别自然人有关的各种信息，包括通讯录。").stated_app() == set()


def test_a_generic_term_is_expanded_only_when_not_enumerated():
    def app(text):
        return extract.extract(text, "text")

    plain = app("我们会收集您的设备信息。")
    assert plain.stated_app() == DEVICE_INFO and plain.expanded[0]["basis"].startswith("GB/T 35273-2020")
    assert app("我们会收集您的设备信息（IMEI、OAID）。").stated_app() == {"imei", "oaid"}
    assert app("我们会收集您的IMEI、OAID等设备信息。").stated_app() == {"imei", "oaid"}
    assert app("We collect device identifiers such as the Android ID.").stated_app() == {"android_id"}
    assert app("We collect your device identifiers.").stated_app() == DEVICE_IDS


def test_the_written_file_loads_and_keeps_what_the_policy_said(tmp_path):
    out = tmp_path / "scope.yaml"
    result = run("scope", "extract", POLICIES / "zh_sdk_table.html", "--out", out, "--category", "网上购物类",
                 "--first-party-host", "xianguo.example")
    assert result.exit_code == 0, result.output
    assert "unmapped (鲜果客服SDK): 会员等级" in result.output
    assert "expanded (app): 设备信息" in result.output
    loaded = scope_mod.load(out)
    assert loaded.category == "网上购物类" and loaded.first_party_hosts == ("xianguo.example",)
    assert set(loaded.stated_sdks) == {"jpush", "getui", "amap", "alipay", "鲜果客服SDK", "pangle"}
    assert loaded.sdk_named == {"鲜果客服SDK": "杭州鲜果云服务有限公司"}
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {row["phrase"] for row in raw["policy"]["unmapped"]} == {"昵称", "收货地址", "地址", "订单信息", "会员等级"}
    assert raw["policy"]["expanded"][0] == {"actor": "app", "term": "设备信息", "types": sorted(DEVICE_INFO),
                                            "basis": raw["policy"]["expanded"][0]["basis"]}
    assert out.read_text(encoding="utf-8").startswith("# Stated scope extracted from the privacy policy")
    assert run("scope", "extract", POLICIES / "zh_sdk_table.html", "--out", out).exit_code == 1   # exists: --force


@pytest.mark.parametrize("content, words", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ("binary file",)),
    ("隐私政策：我们收集位置信息".encode("gbk"), ("not UTF-8", "iconv")),
    (b"A" * (document.MAX_BYTES + 1), ("larger than 2 MB",)),
])
def test_a_file_that_is_not_a_policy_is_refused_in_one_line(tmp_path, content, words):
    bad = tmp_path / "policy.txt"
    bad.write_bytes(content)
    refused(run("scope", "extract", bad), str(bad), *words)


def test_scope_file_accepts_policy_wording():
    """A hand-typed scope may use the policy's own terms: 设备信息 stands for its documented set."""
    s = scope_mod.from_dict({"stated": {"app": ["设备信息", "位置信息"], "sdks": {"umeng": ["设备标识符"]}}})
    assert s.stated_app == frozenset(DEVICE_INFO | {"location"})
    assert s.stated_sdks["umeng"] == frozenset(DEVICE_IDS)
    with pytest.raises(scope_mod.ScopeError, match="unknown PII type 'gps'"):
        scope_mod.from_dict({"stated": {"app": ["gps"]}})


def test_vocabulary_size_and_types_are_checked():
    size = vocabulary.size()
    assert size["phrases"] >= 400 and size["generic"] == 4
    assert size["pii_types"] >= 40
    assert vocabulary.lookup("剪贴板").types == {"clipboard"} and vocabulary.lookup("剪切板").types == {"clipboard"}
    assert vocabulary.lookup("已安装应用").types == {"installed_apps"}
    assert vocabulary.lookup("设备信息").generic


def test_the_vocabulary_figures_in_the_docs_are_the_files():
    size = vocabulary.size()
    doc = (ROOT / "docs" / "scope.md").read_text(encoding="utf-8")
    assert f"**{size['phrases']} distinct phrases** ({size['zh']} Chinese, {size['en']} English" in doc
    assert f"in {size['entries']} entries that map onto **{size['pii_types']} PII types**" in doc
    assert f"{size['generic']} of them generic" in doc and f"{size['sdk_aliases']} SDK\naliases" in doc


def test_chinese_plain_text_policy_with_numbered_sdk_entries():
    """Plain text, "1、SDK名称：…" entries with 第三方名称 as the company; 您可以…，我们会… is a statement;
    a denial of 短信内容 leaves the 短信验证码 stated before."""
    r = _extract(POLICIES / "zh_ride.txt")
    assert r.stated_app() == {"phone_number", "sms", "location", "contacts", "microphone"}
    assert r.app_negated == {"sms", "call_log"}
    assert _sdks(r) == {
        "tencent_map": {"location", "imei", "imsi", "ssid"},             # 设备标识符（IMEI/IMSI）: members only
        "xiaomi_push": DEVICE_IDS | {"installed_apps"},
        "sensorsdata": {"android_id", "device_model", "os_version", "ip_address"},
    }
    assert {k: e.company for k, e in r.sdks.items()} == {
        "tencent_map": "深圳市腾讯计算机系统有限公司", "xiaomi_push": "北京小米移动软件有限公司",
        "sensorsdata": "神策网络科技（北京）有限公司"}
    assert _unmapped(r) == {("app", "行程信息")}


def test_english_policy_with_an_sdk_table_in_html():
    r = _extract(POLICIES / "en_table.html")
    assert r.stated_app() == {"email", "calendar", "camera"} and r.app_negated == {"location"}
    assert _sdks(r) == {"firebase_crashlytics": {"device_model", "os_version"},
                        "adjust": {"advertising_id", "ip_address"}, "sentry": DEVICE_INFO}
    assert _unmapped(r) == {("firebase_crashlytics", "crash logs")}
