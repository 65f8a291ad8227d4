"""The consent driver's label table (commands/device/ui/labels.yaml) against what reads it.

A tap the driver makes as an accept must be read by the analysis as agreement, a decline as a
refusal (analysis/data/consent_patterns.yaml), or the session would say something else than the
automation did. The deny list refuses what pays, sends or calls, and nothing innocent."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis.consent import patterns
from commands.device.ui import finder, hierarchy, labels

UI = Path(__file__).resolve().parent / "data" / "ui"
TABLE = labels.table()


def _all(what):
    return [*TABLE[what]["exact"], *TABLE[what]["prefix"]]


@pytest.mark.parametrize("label", _all("accept"))
def test_every_accept_label_is_agreement_to_the_analysis_and_to_the_driver(label):
    p = patterns()
    assert p["agree_label_strong"].search(label) and not p["decline_label"].search(label)
    assert labels.meaning(label) == "accept"


@pytest.mark.parametrize("label", _all("decline"))
def test_every_decline_label_is_a_refusal_to_the_analysis_and_to_the_driver(label):
    assert patterns()["decline_label"].search(label)
    assert labels.meaning(label) == "decline"


def test_labels_are_read_whole_or_by_their_start_never_inside_a_sentence():
    assert labels.meaning(" 同意并继续使用 ") == "accept"
    assert labels.meaning("不同意") == "decline" and labels.meaning("Disagree") == "decline"
    assert labels.meaning("AGREE") == "accept" and labels.meaning("我知道了") == "continue"
    assert labels.meaning("请阅读并同意《隐私政策》") is None
    assert labels.meaning("查看隐私政策全文") is None


@pytest.mark.parametrize("texts, word", [
    (("支付",), "支付"), (("立即购买",), "购买"), (("去充值",), "充值"), (("拨打客服电话",), "拨打"),
    (("发送短信验证码",), "发送"), (("Pay now",), "pay"), (("Checkout",), "checkout"), (("Call us",), "call"),
    (("", "", "com.example:id/btn_pay"), "pay"), (("Send",), "send"), (("Payment",), "pay"), (("Calls",), "call"), (("My orders",), "order")])
def test_the_deny_list_refuses_what_pays_sends_or_calls(texts, word):
    assert labels.unsafe_word(*texts) == word


@pytest.mark.parametrize("text", ["设置", "我的", "首页", "Display", "Recall history", "Settings",
                                  "com.example:id/display_name", "com.example:id/dialog_close", "Dialog", "Ordinary",
                                  "优惠活动", "同意"])
def test_the_deny_list_leaves_innocent_views_alone(text):
    assert labels.unsafe_word(text) is None


def test_the_fixtures_are_uiautomator_dumps_the_finder_reads():
    def load(name):
        return hierarchy.parse((UI / name).read_text(encoding="utf-8"))
    cn = finder.find_dialog(load("dialog_cn.xml"))
    assert (cn.kind, cn.buttons["accept"].label, cn.buttons["decline"].label) == ("privacy", "同意", "不同意")
    second = finder.find_dialog(load("second_cn.xml"), after_refusal=True, first_texts=cn.signature())
    assert second.kind == "second_prompt" and second.buttons["decline"].label == "不同意并退出"
    box = finder.find_dialog(load("dialog_checkbox.xml"))
    assert box.checkbox.checked and box.checkbox_label.startswith("我已阅读并同意")
    assert box.buttons["accept"].label == "同意"          # the checkbox's label is not taken for a button
    image = finder.find_dialog(load("dialog_image.xml"))
    assert {k: b.how for k, b in image.buttons.items()} == {"accept": "position_row", "decline": "position_row"}
    assert image.buttons["accept"].node.centre[0] > image.buttons["decline"].node.centre[0]
    assert finder.find_dialog(load("home.xml")) is None and finder.find_dialog(load("permission.xml")) is None
    prompt = finder.find_permission_prompt(load("permission.xml"))
    assert set(prompt.buttons) == {"allow", "deny"} and "位置信息" in prompt.message


def test_a_dump_with_the_device_s_trailer_and_a_device_error():
    tree = hierarchy.parse((UI / "home.xml").read_text(encoding="utf-8") + "UI hierchary dumped to: /dev/tty\n")
    assert tree.size == (1080, 2400) and "支付" in tree.texts()
    with pytest.raises(hierarchy.DumpError, match="null root node"):
        hierarchy.parse("ERROR: null root node returned by UiTestAutomationBridge.\n")


def test_a_screen_that_only_mentions_privacy_is_not_a_dialog():
    mine = hierarchy.parse((UI / "mine.xml").read_text(encoding="utf-8"))
    assert "隐私设置" in mine.texts() and finder.find_dialog(mine) is None
