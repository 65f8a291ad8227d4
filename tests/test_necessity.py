"""Permissions beyond what the app's category needs: the mapping as data, and the two rules.

PERM-DECLARE compares the manifest's uses-permission entries, IM4.1 the runtime requests, with
the permissions the app type of scope.yaml needs (analysis/data/necessary_permissions.yaml,
derived from analysis/data/necessary_pi.yaml). A kind of personal information is one finding:
requested beyond necessity it is IM4.1's (with the manifest's entries), only declared it is
PERM-DECLARE's.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from analysis import necessity
from analysis.pipeline import analyze
from analysis.prepare import permission_types
from piiaudit import apk
from piiaudit.store import SessionStore
from piiaudit.yamlfile import load_resource
from tests.support.samples import demo_scope_path, write_standin_scenario

NEVER_NECESSARY = {  # cn-rules.md PART C: device IDs, contacts, SMS and call logs are necessary for no type
    "READ_PHONE_STATE", "READ_CONTACTS", "WRITE_CONTACTS", "READ_SMS", "RECEIVE_SMS", "SEND_SMS",
    "READ_CALL_LOG", "WRITE_CALL_LOG", "ACCESS_BACKGROUND_LOCATION", "GET_ACCOUNTS",
}
LOCATION = {"android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"}


def _rows() -> list[dict]:
    return load_resource("analysis", "data/necessary_permissions.yaml")["categories"]


def test_every_category_of_the_necessary_pi_table_has_a_row_in_the_same_order():
    pi = load_resource("analysis", "data/necessary_pi.yaml")["categories"]
    assert [(c["number"], c["name"]) for c in pi] == [(r["number"], r["name"]) for r in _rows()]
    assert len(_rows()) == 39


def test_every_permission_is_one_that_can_collect_personal_information():
    known = set(permission_types())
    for row in _rows():
        for p in row["permissions"]:
            assert f"android.permission.{p}" in known, (row["name"], p)
        assert len(set(row["permissions"])) == len(row["permissions"]), row["name"]


def test_each_row_gives_its_reasoning_and_its_basis_matches_its_permissions():
    for row in _rows():
        assert row["because_en"].strip(), row["name"]
        assert row["basis"] in ("necessary_pi", "basic_function", "none"), row["name"]
        assert (row["basis"] == "none") == (not row["permissions"]), row["name"]


def test_the_types_whose_necessary_information_is_location_need_location_and_no_other_does_finely():
    pi = {c["name"]: set(c["pii_types"]) for c in load_resource("analysis", "data/necessary_pi.yaml")["categories"]}
    for name, need in necessity.needs().items():
        if "location" in pi[name]:
            assert LOCATION <= need.permissions, name
        else:
            assert "android.permission.ACCESS_FINE_LOCATION" not in need.permissions, name
        assert not {f"android.permission.{p}" for p in NEVER_NECESSARY} & need.permissions, name


def test_types_that_need_no_personal_information_need_no_permission_for_it():
    # The 13 types of art. 5 whose basic function needs no PI: only a capability the function itself is
    # (taking photos; the utilities' own tools) may need a permission.
    pi = load_resource("analysis", "data/necessary_pi.yaml")["categories"]
    no_pi = [c["name"] for c in pi if not c["pii_types"] and not c["unmapped_zh"]]
    assert len(no_pi) == 13
    assert {n for n in no_pi if necessity.needs()[n].permissions} == {"拍摄美化类", "实用工具类"}
    assert necessity.needs()["网上购物类"].permissions == frozenset()


# -- the rules, on the demo scenario's session (the stand-in's manifest recorded as the demo does) -------

def _scope(tmp_path: Path, category: str, stated_app: list[str] | None = None) -> Path:
    raw = yaml.safe_load(demo_scope_path().read_text("utf-8"))
    raw["app"]["category"] = category
    if stated_app is not None:
        raw["stated"]["app"] = stated_app
    path = tmp_path / "scope.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _ours(result) -> dict[tuple, dict]:
    f = result.findings
    mine = f.loc[f["rule_id"].isin(["PERM-DECLARE", "IM4.1"])]
    return {(r["rule_id"], r["pii_type"], r["sdk"]): r for r in mine.to_dict("records")}


def _declared(found: dict) -> dict:
    (finding,) = [v for k, v in found.items() if k[0] == "PERM-DECLARE"]
    return finding


MEDIA_ENTRIES = [
    '<uses-permission android:name="android.permission.READ_EXTERNAL_STORAGE" android:maxSdkVersion="32" />',
    '<uses-permission android:name="android.permission.READ_MEDIA_IMAGES" />',
    '<uses-permission android:name="android.permission.WRITE_EXTERNAL_STORAGE" android:maxSdkVersion="28" />']


def test_an_online_shop_is_faulted_once_for_its_manifest_and_not_for_what_its_policy_states(tmp_path):
    write_standin_scenario(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    found = _ours(result)
    # The policy states location for the app (a stated extended function: nearby stores), so neither
    # the location request of step 10 nor the location entries are beyond necessity.
    assert not [k for k in found if k[0] == "IM4.1"]
    declared = _declared(found)
    assert declared["category"] == "permission_beyond_necessity"
    assert declared["event_ids"] == [] and declared["flow_ids"] == []
    entries = declared["detail"]["manifest_entries"]
    assert not [e for e in entries if "LOCATION" in e]
    assert set(MEDIA_ENTRIES) <= set(entries)
    assert {"android.permission.READ_CONTACTS", "android.permission.READ_PHONE_STATE", "android.permission.READ_SMS",
            "android.permission.CAMERA", "android.permission.RECORD_AUDIO"} <= set(declared["detail"]["permission"])
    assert {r["role"] for r in declared["detail"]["evidence"]} == {"manifest"}
    assert declared["detail"]["app_manifest"]["package"] == "com.example.demoshop"
    assert declared["detail"]["necessary_zh"].startswith("1.注册用户移动电话号码")
    assert declared["detail"]["category"] == "网上购物类" and declared["detail"]["needed_permissions"] == []


def test_a_request_the_policy_does_not_state_is_beyond_necessity_with_its_manifest_entries(tmp_path):
    ids = write_standin_scenario(tmp_path / "s")
    found = _ours(analyze(tmp_path / "s", scope=_scope(tmp_path, "网上购物类", stated_app=["phone_number"])))
    request = found[("IM4.1", "location", None)]
    assert request["event_ids"] == [ids.events[10]]
    assert set(request["detail"]["permission"]) == LOCATION
    assert request["detail"]["mapping"]["basis"] == "none"
    assert '<uses-permission android:name="android.permission.ACCESS_BACKGROUND_LOCATION" />' in \
        request["detail"]["manifest_entries"]
    # location is the request's: the manifest finding does not list it a second time
    assert not [e for e in _declared(found)["detail"]["manifest_entries"] if "LOCATION" in e]


def test_a_navigation_app_is_not_faulted_for_location_but_for_background_location(tmp_path):
    write_standin_scenario(tmp_path / "s")
    found = _ours(analyze(tmp_path / "s", scope=_scope(tmp_path, "地图导航类", stated_app=["phone_number"])))
    assert ("IM4.1", "location", None) not in found
    location_entries = [e for e in _declared(found)["detail"]["manifest_entries"] if "LOCATION" in e]
    assert location_entries == ['<uses-permission android:name="android.permission.ACCESS_BACKGROUND_LOCATION" />']


def test_a_type_whose_function_is_the_camera_is_not_faulted_for_it(tmp_path):
    write_standin_scenario(tmp_path / "s")
    found = _ours(analyze(tmp_path / "s", scope=_scope(tmp_path, "拍摄美化类")))
    permissions = set(_declared(found)["detail"]["permission"])
    assert "android.permission.CAMERA" not in permissions and "android.permission.READ_MEDIA_IMAGES" not in permissions
    assert "android.permission.READ_CONTACTS" in permissions


def test_without_a_manifest_only_the_requests_are_compared_and_the_skip_says_why(tmp_path):
    write_standin_scenario(tmp_path / "s")
    store = SessionStore(tmp_path / "s", create=False)
    store.conn.execute("DELETE FROM meta WHERE key = ?", (apk.META_KEY,))
    store.conn.commit()
    store.close()
    result = analyze(tmp_path / "s", scope=demo_scope_path(), accept_changes=True)   # the meta row was deleted by hand
    assert not _ours(result)        # location, the only request, is stated; nothing else is compared
    skipped = {s["rule_id"]: s["reason"] for s in result.skipped}
    assert "--apk" in skipped["PERM-DECLARE"]


def test_without_an_app_category_neither_rule_runs(tmp_path):
    write_standin_scenario(tmp_path / "s")
    raw = yaml.safe_load(demo_scope_path().read_text("utf-8"))
    del raw["app"]["category"]
    (tmp_path / "scope.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    result = analyze(tmp_path / "s", scope=tmp_path / "scope.yaml")
    assert not _ours(result)
    assert {"PERM-DECLARE", "IM4.1"} <= {s["rule_id"] for s in result.skipped}


def test_analyze_with_an_apk_records_it_and_uses_its_permissions(tmp_path):
    write_standin_scenario(tmp_path / "s")
    fixture = Path(__file__).parent / "data" / "apk" / "demoshop.apk"
    result = analyze(tmp_path / "s", scope=demo_scope_path(), apk=fixture)
    found = _ours(result)
    manifest = _declared(found)["detail"]["app_manifest"]
    expected = json.loads((fixture.parent / "demoshop.expected.json").read_text("utf-8"))
    assert manifest["source"] == "apk" and manifest["sha256"] == expected["file_sha256"]
    assert manifest["certificates"] == expected["certificate_sha256"]
