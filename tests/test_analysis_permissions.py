"""Permission requests judged against the screen, the call and the stack (analysis.permissions).

Each test writes a small session the way the hooks record one (a privacy dialog, the 同意 tap,
then what the app shows and asks for) and reads the findings `analyze` stores.
"""

from __future__ import annotations

import json

import pytest
import yaml

from analysis import permissions
from analysis.pipeline import analyze
from analysis.prepare import permission_types
from analysis.rules import DEFAULT_CATALOG
from piiaudit.store import SessionStore

T0 = 1_800_000_000.0
PRIVACY = {"surface": "dialog", "dialog_class": "android.app.AlertDialog",
           "texts": ["用户协议与隐私政策", "我们会在您授权后收集位置信息、通讯录和相机，用于门店推荐。", "同意", "不同意"]}
LOCATION = ["android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"]
PANGLE_STACK = "\n".join([
    "com.bytedance.sdk.openadsdk.TTAdSdk$PermissionFragment.onCreate(TTAdSdk.java:60)",
    "android.app.FragmentManagerImpl.addFragment(FragmentManagerImpl.java:65)",
    "com.bytedance.sdk.openadsdk.TTAdSdk.requestPermissionIfNecessary(TTAdSdk.java:32)",
    "com.example.demoshop.FullTour.play(FullTour.java:98)",
])


def ev(at: float, kind: str, data: dict, **extra) -> dict:
    return {"ts": T0 + at, "kind": kind, "data": json.dumps(data, ensure_ascii=False), **extra}


def consented(*more: dict) -> list[dict]:
    """The privacy dialog at 0 s and the 同意 tap at 1 s, then `more`."""
    return [ev(0.0, "dialog_shown", PRIVACY, value="\n".join(PRIVACY["texts"])),
            ev(1.0, "click", {"label": "同意"}, value="同意"),
            ev(1.01, "dialog_closed", {"surface": "dialog", "how": "dismiss", "dialog_class": "android.app.AlertDialog"}),
            *more]


def request(at: float, perms: list[str], code: int = 1, **extra) -> dict:
    extra.setdefault("api", "android.app.Activity.requestPermissions(java.lang.String[], int)")
    return ev(at, "permission_request", {"permissions": perms, "request_code": code}, value=",".join(perms), **extra)


def answer(at: float, perms: list[str], results: list[int], code: int = 1) -> dict:
    return ev(at, "permission_result", {"permissions": perms, "results": results, "request_code": code},
              api="android.app.Activity.dispatchRequestPermissionsResult(int, android.content.Intent)")


def dialog(at: float, *texts: str) -> dict:
    return ev(at, "dialog_shown", {"surface": "dialog", "dialog_class": "android.app.AlertDialog", "texts": list(texts)},
              value="\n".join(texts))


def tap(at: float, label: str) -> dict:
    return ev(at, "click", {"label": label}, value=label)


def findings(tmp_path, events: list[dict], rule: str):
    store = SessionStore(tmp_path / "s")
    store.write_events(events)
    store.close()
    result = analyze(tmp_path / "s")
    return result.findings.loc[result.findings["rule_id"].eq(rule)].reset_index(drop=True)


# -- IM2.3: a request with no purpose on screen ---------------------------------------------------

def test_a_rationale_dialog_2_s_before_the_request_states_its_purpose(tmp_path):
    got = findings(tmp_path, consented(
        tap(5.0, "附近门店"),
        dialog(6.0, "开启定位", "需要获取您的位置信息，用于推荐附近门店", "去开启", "暂不"),
        request(8.0, LOCATION)), "IM2.3")
    assert got.empty


def test_a_rationale_4_s_before_with_a_3_s_window_is_too_early(tmp_path):
    got = findings(tmp_path, consented(
        dialog(4.0, "开启定位", "需要获取您的位置信息，用于推荐附近门店", "去开启"),
        request(8.0, LOCATION)), "IM2.3")
    assert got[["pii_type", "sdk"]].values.tolist() == [["location", None]]
    detail = got.iloc[0]["detail"]
    assert detail["window_s"] == 3.0 and detail["requests"][0]["texts_on_screen"] == []


def test_a_rationale_still_on_screen_until_just_before_the_request_counts(tmp_path):
    """Shown 10 s before, read for a while, closed by the tap 0.2 s before the request."""
    got = findings(tmp_path, consented(
        dialog(4.0, "开启定位", "需要获取您的位置信息，用于推荐附近门店", "去开启"),
        tap(13.8, "去开启"),
        ev(13.8, "dialog_closed", {"surface": "dialog", "how": "dismiss", "dialog_class": "android.app.AlertDialog"}),
        request(14.0, LOCATION)), "IM2.3")
    assert got.empty


def test_the_privacy_dialog_is_not_a_purpose_statement_even_when_it_names_the_permission(tmp_path):
    """Step 19 of the full tour: 0.5 s after 同意, the notice said 位置信息 and 相机, asked anyway."""
    got = findings(tmp_path, consented(
        ev(1.3, "permission_rationale", {"permission": LOCATION[0], "show_rationale": False}, value=LOCATION[0]),
        request(1.5, [*LOCATION, "android.permission.CAMERA"])), "IM2.3")
    # one finding for the requester, naming both groups of the call
    (finding,) = got.to_dict("records")
    assert finding["sdk"] is None and finding["pii_type"] is None
    assert finding["detail"]["requests"][0]["groups"] == ["CAMERA", "LOCATION"]
    roles = {r["role"] for r in finding["detail"]["evidence"]}
    assert roles == {"event", "context"}   # the request, and the app's own rationale check (false)
    # the request's one evidence row names every type it asked for, not the first only
    (row,) = [r for r in finding["detail"]["evidence"] if r["role"] == "event"]
    assert row["pii_type"] == "camera, location"
    assert finding["detail"]["requests"][0]["rationale_checks"][0]["show_rationale"] is False


def test_the_privacy_dialog_does_not_explain_a_request_when_a_tester_marked_consent(tmp_path):
    store = SessionStore(tmp_path / "s")
    store.write_events([ev(0.0, "dialog_shown", PRIVACY, value="\n".join(PRIVACY["texts"])), request(1.5, LOCATION)])
    store.add_consent_mark(T0 + 1.0)
    store.close()
    f = analyze(tmp_path / "s").findings
    assert f.loc[f["rule_id"].eq("IM2.3"), "pii_type"].tolist() == ["location"]


def test_a_text_naming_another_group_does_not_explain_the_request(tmp_path):
    got = findings(tmp_path, consented(
        dialog(6.0, "开启相机", "扫一扫需要使用相机", "去开启"),
        request(7.0, [*LOCATION, "android.permission.CAMERA"])), "IM2.3")
    assert got["pii_type"].tolist() == ["location"]
    assert got.iloc[0]["detail"]["requests"][0]["texts_on_screen"] == ["开启相机\n扫一扫需要使用相机\n去开启"]


def test_a_toast_naming_the_use_explains_the_request(tmp_path):
    got = findings(tmp_path, consented(
        ev(6.0, "toast_shown", {"surface": "toast", "texts": ["开启定位后可查看附近门店"], "duration": 1},
           value="开启定位后可查看附近门店"),
        request(7.0, LOCATION)), "IM2.3")
    assert got.empty


def test_english_rationale_text_counts(tmp_path):
    got = findings(tmp_path, consented(
        dialog(6.0, "Allow location", "We use your location to show stores near you", "Continue"),
        request(7.0, LOCATION)), "IM2.3")
    assert got.empty


def test_the_window_is_a_rule_parameter(tmp_path):
    raw = yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))
    rule = next(r for r in raw["rules"] if r["id"] == "IM2.3")
    assert rule["params"] == {"window_s": 3.0}
    rule["params"]["window_s"] = 5.0
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    store = SessionStore(tmp_path / "s")
    store.write_events(consented(dialog(4.0, "开启定位", "需要获取您的位置信息", "去开启"), request(8.0, LOCATION)))
    store.close()
    result = analyze(tmp_path / "s", rules=path)
    assert not result.findings["rule_id"].eq("IM2.3").any()   # 4 s before is inside a 5 s window


# -- IM4.6: bundled requests ------------------------------------------------------------------------

def test_one_call_for_two_unrelated_groups_is_a_bundle(tmp_path):
    got = findings(tmp_path, consented(request(5.0, ["android.permission.READ_PHONE_STATE", LOCATION[1]])), "IM4.6")
    assert len(got) == 1 and got.iloc[0]["sdk"] is None
    call = got.iloc[0]["detail"]["calls"][0]
    assert call["groups"] == ["PHONE 电话 / phone", "LOCATION 位置信息 / location"]
    assert call["permissions"] == ["android.permission.READ_PHONE_STATE", LOCATION[1]]


@pytest.mark.parametrize("perms", [
    LOCATION + ["android.permission.ACCESS_BACKGROUND_LOCATION"],                           # one group
    ["android.permission.CAMERA", "android.permission.RECORD_AUDIO"],                       # a video with sound
    ["android.permission.READ_EXTERNAL_STORAGE", "android.permission.READ_MEDIA_IMAGES"],   # storage across versions
])
def test_one_group_or_related_groups_are_not_a_bundle(tmp_path, perms):
    assert findings(tmp_path, consented(request(5.0, perms)), "IM4.6").empty


# -- IM4.1-SDK: a request made by an SDK ------------------------------------------------------------

def test_an_sdk_request_is_named_with_its_sdk_and_stack(tmp_path):
    perms = ["android.permission.READ_PHONE_STATE", LOCATION[1]]
    got = findings(tmp_path, consented(
        request(5.0, perms, code=2, sdk="pangle", stack=PANGLE_STACK,
                api="android.app.Fragment.requestPermissions(java.lang.String[], int)"),
        request(6.0, LOCATION, code=3)), "IM4.1-SDK")
    assert got[["sdk", "pii_type"]].values.tolist() == [["pangle", None]]
    detail = got.iloc[0]["detail"]
    assert detail["sdk_label"].startswith("穿山甲")
    call = detail["calls"][0]
    assert call["permissions"] == perms and call["api"].startswith("android.app.Fragment.requestPermissions")
    assert call["sdk_frames"] == [PANGLE_STACK.splitlines()[0], PANGLE_STACK.splitlines()[2]]


# -- IM3.2b: asked again after a denial -------------------------------------------------------------

BACKGROUND = ["android.permission.ACCESS_BACKGROUND_LOCATION"]


def test_a_re_ask_within_48_h_of_the_denial_is_found_with_the_denial(tmp_path):
    got = findings(tmp_path, consented(
        request(5.0, BACKGROUND, code=7), answer(5.3, BACKGROUND, [-1], code=7),
        request(13.3, BACKGROUND, code=8), answer(13.6, BACKGROUND, [-1], code=8),
        request(3600.0, BACKGROUND, code=9)), "IM3.2b")
    assert got[["pii_type", "sdk"]].values.tolist() == [["location", None]]
    reasks = got.iloc[0]["detail"]["reasks"]
    assert [(r["seconds_after_denial"], r["nth_after_denial"]) for r in reasks] == [(8.0, 1), (3586.4, 1)]
    evidence = got.iloc[0]["detail"]["evidence"]
    assert sorted(r["role"] for r in evidence) == ["context", "context", "event", "event"]


def test_a_re_ask_after_the_interval_or_after_a_grant_is_not(tmp_path):
    got = findings(tmp_path, consented(
        request(5.0, BACKGROUND, code=7), answer(5.3, BACKGROUND, [-1], code=7),
        request(48 * 3600 + 6.0, BACKGROUND, code=8), answer(48 * 3600 + 6.3, BACKGROUND, [0], code=8),
        request(48 * 3600 + 60.0, BACKGROUND, code=9)), "IM3.2b")
    assert got.empty


def test_max_repeats_allows_one_re_ask(tmp_path):
    raw = yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))
    next(r for r in raw["rules"] if r["id"] == "IM3.2b")["params"]["max_repeats"] = 1
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    store = SessionStore(tmp_path / "s")
    store.write_events(consented(
        request(5.0, BACKGROUND, code=7), answer(5.3, BACKGROUND, [-1], code=7),
        request(10.0, BACKGROUND, code=8), request(20.0, BACKGROUND, code=9)))
    store.close()
    f = analyze(tmp_path / "s", rules=path).findings
    f = f.loc[f["rule_id"].eq("IM3.2b")]
    assert [r["nth_after_denial"] for r in f.iloc[0]["detail"]["reasks"]] == [2]


# -- PERM-EARLY: the consent tap is not using a feature ---------------------------------------------

def test_a_request_right_after_the_agree_tap_is_early(tmp_path):
    got = findings(tmp_path, consented(request(1.5, LOCATION), tap(9.0, "附近门店")), "PERM-EARLY")
    assert got["pii_type"].tolist() == ["location"]


def test_a_request_after_a_feature_tap_is_not_early(tmp_path):
    got = findings(tmp_path, consented(tap(4.0, "附近门店"), request(4.5, LOCATION)), "PERM-EARLY")
    assert got.empty


def test_touches_on_the_privacy_dialog_are_not_feature_use(tmp_path):
    touches = [ev(0.5, "touch", {"action": "down"}, value="down"), ev(0.6, "touch", {"action": "up"}, value="up")]
    got = findings(tmp_path, consented(*touches, request(1.5, LOCATION)), "PERM-EARLY")
    assert got["pii_type"].tolist() == ["location"]


# -- the data -----------------------------------------------------------------------------------------

def test_every_permission_that_can_collect_pi_has_a_group_with_keywords():
    groups = permissions.group_of_permission()
    assert set(permission_types()) <= set(groups)
    assert all(g.keywords and g.zh and g.en for g in permissions.groups().values())
    related = permissions.cluster_of_group()
    assert related["MICROPHONE"] == related["CAMERA"] and related["LOCATION"] != related["PHONE"]
