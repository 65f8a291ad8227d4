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

def _scope(tmp_path: Path, category: str) -> Path:
    raw = yaml.safe_load(demo_scope_path().read_text("utf-8"))
    raw["app"]["category"] = category
    path = tmp_path / "scope.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _ours(result) -> dict[tuple, dict]:
    f = result.findings
    mine = f.loc[f["rule_id"].isin(["PERM-DECLARE", "IM4.1"])]
    return {(r["rule_id"], r["pii_type"], r["sdk"]): r for r in mine.to_dict("records")}


def test_an_online_shop_declaring_and_asking_for_location_gets_one_finding_per_permission_group(tmp_path):
    ids = write_standin_scenario(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    found = _ours(result)
    declared = {k[1] for k in found if k[0] == "PERM-DECLARE"}
    # The manifest declares ten groups; location is also requested (step 10), so it is IM4.1's alone.
    assert declared == {"accounts", "calendar", "call_log", "camera", "contacts", "imei", "media", "microphone", "sms"}
    assert {k for k in found if k[0] == "IM4.1"} == {("IM4.1", "location", None)}

    request = found[("IM4.1", "location", None)]
    assert request["event_ids"] == [ids.events[10]]
    assert request["category"] == "permission_beyond_necessity"
    assert set(request["detail"]["permission"]) == LOCATION
    assert request["detail"]["category"] == "网上购物类" and request["detail"]["needed_permissions"] == []
    assert request["detail"]["mapping"]["basis"] == "none"
    assert '<uses-permission android:name="android.permission.ACCESS_BACKGROUND_LOCATION" />' in \
        request["detail"]["manifest_entries"]

    media = found[("PERM-DECLARE", "media", None)]
    assert media["event_ids"] == [] and media["flow_ids"] == []
    assert media["detail"]["manifest_entries"] == [
        '<uses-permission android:name="android.permission.READ_EXTERNAL_STORAGE" android:maxSdkVersion="32" />',
        '<uses-permission android:name="android.permission.READ_MEDIA_IMAGES" />',
        '<uses-permission android:name="android.permission.WRITE_EXTERNAL_STORAGE" android:maxSdkVersion="28" />']
    assert [r["role"] for r in media["detail"]["evidence"]] == ["manifest"] * 3
    assert media["detail"]["app_manifest"]["package"] == "com.example.demoshop"
    assert media["detail"]["necessary_zh"].startswith("1.注册用户移动电话号码")


def test_a_navigation_app_is_not_faulted_for_location_but_for_background_location(tmp_path):
    write_standin_scenario(tmp_path / "s")
    found = _ours(analyze(tmp_path / "s", scope=_scope(tmp_path, "地图导航类")))
    assert ("IM4.1", "location", None) not in found
    background = found[("PERM-DECLARE", "location", None)]
    assert background["detail"]["permission"] == ["android.permission.ACCESS_BACKGROUND_LOCATION"]


def test_a_type_whose_function_is_the_camera_is_not_faulted_for_it(tmp_path):
    write_standin_scenario(tmp_path / "s")
    found = _ours(analyze(tmp_path / "s", scope=_scope(tmp_path, "拍摄美化类")))
    groups = {k[1] for k in found if k[0] == "PERM-DECLARE"}
    assert "camera" not in groups and "media" not in groups and "contacts" in groups


def test_without_a_manifest_only_the_requests_are_compared_and_the_skip_says_why(tmp_path):
    write_standin_scenario(tmp_path / "s")
    store = SessionStore(tmp_path / "s", create=False)
    store.conn.execute("DELETE FROM meta WHERE key = ?", (apk.META_KEY,))
    store.conn.commit()
    store.close()
    result = analyze(tmp_path / "s", scope=demo_scope_path(), accept_changes=True)   # the meta row was deleted by hand
    assert {k[0] for k in _ours(result)} == {"IM4.1"}
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
    manifest = found[("PERM-DECLARE", "sms", None)]["detail"]["app_manifest"]
    expected = json.loads((fixture.parent / "demoshop.expected.json").read_text("utf-8"))
    assert manifest["source"] == "apk" and manifest["sha256"] == expected["file_sha256"]
    assert manifest["certificates"] == expected["certificate_sha256"]
