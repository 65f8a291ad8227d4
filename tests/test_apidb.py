"""Hook targets are checked against the Android SDK's own API database, without a device."""

from pathlib import Path

import pytest

from hooks import apidb, hook_table
from piiaudit import vocab

# The merged hook table (the seed table of public targets was folded into it).
SEED_TABLE = Path(apidb.DATA_DIR) / "hook_table.yaml"


def public(cls, method, overloads, min_api, **extra):
    return {"class": cls, "method": method, "overloads": overloads, "min_api": min_api,
            "visibility": "public", **extra}


# --- descriptors -------------------------------------------------------------------------

@pytest.mark.parametrize("types, expected", [
    ([], "()"),
    (["int"], "(I)"),
    (["boolean", "byte", "char", "short", "long", "float", "double"], "(ZBCSJFD)"),
    (["java.lang.String", "int"], "(Ljava/lang/String;I)"),
    (["java.lang.String[]"], "([Ljava/lang/String;)"),
    (["[Ljava.lang.String;"], "([Ljava/lang/String;)"),      # Frida's own spelling
    (["int[]", "[B", "byte[][]"], "([I[B[[B)"),
    (["android.app.AlertDialog$Builder"], "(Landroid/app/AlertDialog$Builder;)"),
    (["android/content/Intent"], "(Landroid/content/Intent;)"),
])
def test_java_types_become_jvm_descriptors(types, expected):
    assert apidb.java_descriptor(types) == expected


def test_descriptor_with_a_return_type_matches_the_database_spelling():
    assert apidb.java_descriptor(["int"], "java.lang.String") == "(I)Ljava/lang/String;"
    assert apidb.java_descriptor([], "void") == "()V"


# --- loader: facts the research notes rely on ----------------------------------------------

@pytest.mark.parametrize("cls, method, args, since", [
    ("android.telephony.TelephonyManager", "getImei", ["int"], 26),
    ("android.telephony.TelephonyManager", "getImei", [], 26),
    ("android.telephony.TelephonyManager", "getDeviceId", [], 1),
    ("android.telephony.TelephonyManager", "getDeviceId", ["int"], 23),
    ("android.telephony.TelephonyManager", "getPrimaryImei", [], 34),
    ("android.telephony.UiccPortInfo", "getIccId", [], 33),
    ("android.provider.Settings$Secure", "getString",
     ["android.content.ContentResolver", "java.lang.String"], 3),
    ("java.util.Base64$Encoder", "encodeToString", ["byte[]"], 26),
])
def test_lookup_returns_the_level_a_method_appeared(cls, method, args, since):
    entry = apidb.lookup(cls, method, args)
    assert entry is not None
    assert entry.since == since


def test_class_levels_come_from_the_database():
    db = apidb.load()
    assert db.get_class("android.telephony.UiccPortInfo").since == 33
    assert db.get_class("android/telephony/UiccCardInfo").since == 29


def test_deprecation_and_removal_are_kept():
    assert apidb.lookup("android.telephony.UiccCardInfo", "getIccId", []).deprecated == 33
    assert apidb.lookup("android.telephony.TelephonyManager", "getDeviceId", []).deprecated == 26
    assert apidb.lookup("android.media.MediaRecorder", "setAuxiliaryOutputFile",
                        ["java.lang.String"]).removed == 16


def test_inherited_methods_are_found_on_the_declaring_supertype():
    # The database lists a method only where it is declared.
    dismiss = apidb.lookup("android.app.Dialog", "dismiss", [])
    assert dismiss.class_name == "android/content/DialogInterface"
    check = apidb.lookup("android.app.Activity", "checkSelfPermission", ["java.lang.String"])
    assert (check.class_name, check.since) == ("android/content/Context", 23)
    assert apidb.lookup("android.widget.CompoundButton", "setChecked",
                        ["boolean"]).class_name == "android/widget/Checkable"


def test_unknown_overloads_and_classes_are_none():
    assert apidb.lookup("android.telephony.TelephonyManager", "getImei", ["long"]) is None
    assert apidb.lookup("android.example.NoSuchManager", "get", []) is None
    # constructors are not inherited
    assert apidb.lookup("android.app.Activity", "<init>", ["android.content.Context"]) is None


# --- validator ----------------------------------------------------------------------------

def test_a_correct_row_has_no_problems():
    rows = [public("android.telephony.TelephonyManager", "getImei", [[], ["int"]], 26)]
    assert apidb.validate(rows) == []


def test_a_min_api_earlier_than_the_database_is_reported_clearly():
    rows = [public("android.telephony.TelephonyManager", "getImei", [["int"]], 23)]
    assert apidb.validate(rows) == [
        "android.telephony.TelephonyManager.getImei(int): table says min_api 23 "
        "but the API database says since 26"]


def test_per_overload_levels_are_checked_one_by_one():
    rows = [public("android.telephony.TelephonyManager", "getDeviceId", [[], ["int"]], [1, 1])]
    problems = apidb.validate(rows)
    assert len(problems) == 1
    assert "getDeviceId(int)" in problems[0] and "since 23" in problems[0]


def test_an_inherited_method_is_not_older_than_the_class_it_is_called_on():
    rows = [public("android.content.ClipboardManager", "getText", [[]], 1)]
    assert apidb.validate(rows) == [
        "android.content.ClipboardManager.getText(): table says min_api 1 "
        "but the API database says since 11"]


def test_a_fabricated_overload_is_reported_with_the_real_ones():
    rows = [public("android.telephony.TelephonyManager", "getImei", [["java.lang.String"]], 26)]
    [problem] = apidb.validate(rows)
    assert problem.startswith(
        "android.telephony.TelephonyManager.getImei(java.lang.String): not in the public API")
    assert "getImei(I)Ljava/lang/String;" in problem


def test_a_missing_public_class_is_reported():
    [problem] = apidb.validate([public("android.telephony.FakeIdManager", "getId", [[]], 1)])
    assert "android.telephony.FakeIdManager: class is not in the API database subset" in problem


def test_a_method_left_out_of_a_partial_extraction_says_so():
    rows = [public("android.view.View", "setVisibility", [["int"]], 1)]
    [problem] = apidb.validate(rows)
    assert "extracted partially" in problem


def test_a_removed_method_is_reported():
    rows = [public("android.media.MediaRecorder", "setAuxiliaryOutputFile",
                   [["java.lang.String"]], 11)]
    assert apidb.validate(rows) == [
        "android.media.MediaRecorder.setAuxiliaryOutputFile(java.lang.String): "
        "removed from the public API in API 16"]


def test_a_row_without_overloads_only_needs_the_name():
    assert apidb.validate([public("android.os.Build", "getSerial", None, 26)]) == []
    assert apidb.validate([public("android.os.Build", "getImei", None, 26)]) != []


def test_hidden_rows_need_an_aosp_source_pointer():
    row = {"class": "android.app.ApplicationPackageManager", "method": "getInstalledPackages",
           "visibility": "hidden", "min_api": 1}
    [problem] = apidb.validate([row])
    assert "hidden target has no aosp_source" in problem
    row["aosp_source"] = "frameworks/base/core/java/android/app/ApplicationPackageManager.java"
    assert apidb.validate([row]) == []


def test_third_party_rows_are_skipped_and_unknown_visibility_is_not():
    sdk = {"class": "com.google.android.gms.ads.identifier.AdvertisingIdClient",
           "method": "getAdvertisingIdInfo", "visibility": "third-party"}
    assert apidb.validate([sdk]) == []
    [problem] = apidb.validate([{**sdk, "visibility": "private"}])
    assert "unknown visibility" in problem


# --- the hook table ------------------------------------------------------------------------

def test_the_hook_table_matches_the_api_database():
    # One database for everything: the bundled subset holds every class a public row needs.
    assert apidb.validate(apidb.load_table(SEED_TABLE)) == []
    assert hook_table.api_problems() == []


def test_the_subset_keeps_the_sources_order_and_source_md_lists_its_classes():
    # api-versions.xml is sorted by class name with a plain string sort; a class inserted
    # elsewhere is a sign it was not copied from there (docs/api-database.md).
    names = list(apidb.load().classes)
    assert names == sorted(names)
    source_md = (Path(apidb.DATA_DIR) / "android_api" / "SOURCE.md").read_text("utf-8")
    listed = [line.split("|")[1].strip() for line in source_md.splitlines()
              if line.startswith("| android/") or line.startswith("| java")]
    assert listed == names
    assert f"## Classes ({len(names)})" in source_md


def test_the_hook_table_uses_the_project_pii_vocabulary():
    known = set(vocab.pii_types())
    for row in apidb.load_table(SEED_TABLE):
        types = row.get("pii_type")
        for name in types if isinstance(types, list) else [types]:
            assert name is None or name in known, f"{row['class']}.{row['method']}: {name}"


def test_every_public_row_names_its_overloads():
    for row in apidb.load_table(SEED_TABLE):
        if row["visibility"] == "public":
            assert isinstance(row["overloads"], list) and row["overloads"], row["id"]
