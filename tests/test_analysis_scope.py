"""scope.yaml validation and the 39-type necessary-PI baseline."""

from __future__ import annotations

import re

import pytest
import yaml

from analysis.scope import ScopeError, baseline, load
from tests.support.samples import demo_scope_path
from piiaudit import vocab

GOOD = {
    "app": {"package": "com.example.demoshop", "category": "网上购物类"},
    "first_party_hosts": ["*.DemoShop.example"],
    "stated": {"app": ["location"], "sdks": {"umeng": ["android_id"]}},
}


def _write(tmp_path, data) -> str:
    path = tmp_path / "scope.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_demo_scope_loads():
    scope = load(demo_scope_path())
    assert scope.category == "网上购物类"
    assert scope.stated_for("umeng") == {"android_id", "oaid"}
    assert scope.stated_for(None) == {"location", "phone_number"}
    assert scope.stated_for("getui") == frozenset()
    assert scope.is_first_party("api.demoshop.example") and not scope.is_first_party("demoshop.example.evil.com")
    assert scope.necessary().pii_types == {"phone_number"}


def test_hosts_are_normalised(tmp_path):
    scope = load(_write(tmp_path, GOOD))
    assert scope.first_party_hosts == ("demoshop.example",)
    assert scope.is_first_party("API.demoshop.example.")


@pytest.mark.parametrize("change, named", [
    (lambda d: d["stated"]["sdks"].update(umeng=["imeii"]), "stated.sdks.umeng: unknown PII type 'imeii'"),
    (lambda d: d["stated"].update(app=["location", "gps"]), "stated.app: unknown PII type 'gps'"),
    (lambda d: d["stated"]["sdks"].update(umang=["imei"]), "unknown SDK id 'umang'; did you mean umeng"),
    (lambda d: d["app"].update(category="购物类"), "app.category: unknown app type '购物类'"),
    (lambda d: d.update(stated_sdks={}), "unknown key 'stated_sdks'"),
    (lambda d: d["stated"].update(app="location"), "stated.app: expected a list"),
    (lambda d: d.update(first_party_hosts=[3]), "first_party_hosts: expected a list of host names"),
])
def test_bad_keys_are_named(tmp_path, change, named):
    data = yaml.safe_load(yaml.safe_dump(GOOD, allow_unicode=True))
    change(data)
    with pytest.raises(ScopeError, match=re.escape(named)):
        load(_write(tmp_path, data))


@pytest.mark.parametrize("text, says", [
    ("app: [unclosed", "not valid YAML"),
    ("- just\n- a list\n", "a scope file is a mapping"),
    (b"\xff\xfe app", "not UTF-8"),
])
def test_broken_files_give_a_clear_message(tmp_path, text, says):
    path = tmp_path / "scope.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ScopeError, match=says):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ScopeError, match="no such scope file"):
        load(tmp_path / "nope.yaml")


def test_baseline_has_the_39_types_mapped_onto_the_vocabulary():
    b = baseline()
    assert len(b.categories) == 39
    assert sorted(c.no for c in b.categories.values()) == list(range(1, 40))
    for cat in b.categories.values():
        assert cat.pii_types <= set(vocab.pii_types()), cat.name
        assert cat.verified in ("V", "P", "U")
    no_pi = [c for c in b.categories.values() if not c.pii_types]
    assert len(no_pi) == 13 and all("无须个人信息" in c.necessary_zh for c in no_pi)
    # device identifiers, app lists, clipboard, contacts, SMS and call logs are never necessary
    never = {"imei", "android_id", "oaid", "mac", "installed_apps", "clipboard", "contacts", "sms", "call_log"}
    assert not any(c.pii_types & never for c in b.categories.values())
    assert b.categories["地图导航类"].pii_types >= {"location"}
    assert b.categories["网络支付类"].pii_types == {"phone_number", "id_number", "bank_card"}
