"""The stand-in scenario (docs/standin-scenario.md) gives exactly its expected findings, on the
hand-made sample session and on the real recording alike (`standin_scenario`)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from analysis.pipeline import analyze, stored_findings
from analysis.load import load_session
from tests.support.recordings import SCENARIO_SOURCES, ScenarioSource
from tests.support.samples import demo_scope_path, write_standin_scenario
from piiaudit.store import SessionStore


@pytest.fixture(scope="module", params=SCENARIO_SOURCES)
def scenario(request, tmp_path_factory):
    """The scenario's session, analysed once per source; the tests below only read it."""
    session = tmp_path_factory.mktemp("scenario") / "session"
    ids = ScenarioSource(request.param, request).write(session)
    result = analyze(session, scope=demo_scope_path())
    return ids, result


def _by_key(findings):
    return {(f["rule_id"], f["pii_type"], f["sdk"], f["host"]): f for f in findings.to_dict("records")}


def test_exactly_the_expected_findings(scenario):
    ids, result = scenario
    e, f = ids.events, ids.flows
    expected = {
        # read before consent, by SDKs
        ("SDK-PRECONSENT", "imei", "umeng", None): ({e[1]}, {f[3]}),
        ("SDK-PRECONSENT", "installed_apps", "umeng", None): ({e[2]}, set()),
        ("SDK-PRECONSENT", "android_id", "jpush", None): ({e[4]}, {f[6], f[14]}),
        ("SDK-PRECONSENT", "mac", "jpush", None): ({e[5]}, set()),
        # sent before consent to a third party, linked to the read
        ("IM5.1", "imei", "umeng", "ulogs.umeng.com"): ({e[1]}, {f[3]}),
        ("IM5.1", "android_id", "jpush", "stats.jpush.cn"): ({e[4]}, {f[6]}),
        # beyond the stated scope: a read and its send are one finding
        ("IM3.3", "imei", "umeng", "ulogs.umeng.com"): ({e[1]}, {f[3]}),
        ("IM3.3", "installed_apps", "umeng", None): ({e[2]}, set()),
        ("IM3.3", "clipboard", "jpush", None): ({e[13]}, set()),
        # plain HTTP
        ("PIPL-CLEARTEXT", "android_id", "jpush", "stats.jpush.cn"): ({e[4]}, {f[14]}),
        # necessity (网上购物类 needs no permission): the groups the stand-in's manifest declares beyond it
        # and beyond what the policy states, one finding for the manifest (no event, no flow). Location,
        # requested at step 10, is stated in the policy (nearby stores): not beyond necessity.
        ("PERM-DECLARE", None, None, None): (set(), set()),
        # the location request right after 同意: no purpose on screen, no feature used yet
        ("IM2.3", "location", None, None): ({e[10]}, set()),
        ("PERM-EARLY", "location", None, None): ({e[10]}, set()),
    }
    got = _by_key(result.findings)
    assert set(got) == set(expected)
    for key, (events, flows) in expected.items():
        assert set(got[key]["event_ids"]) == events, key
        assert set(got[key]["flow_ids"]) == flows, key


def test_nothing_before_consent_for_the_apps_own_location(scenario):
    ids, result = scenario
    location = result.findings.loc[result.findings["pii_type"].eq("location")]
    # Only the permission rules speak of location: they judge the request (step 10), not the read.
    assert set(location["rule_id"]) == {"IM2.3", "PERM-EARLY"}
    assert list(location["event_ids"]) == [[ids.events[10]]] * 2
    assert not result.findings["event_ids"].map(lambda v: ids.events[11] in v).any()
    assert not result.findings["flow_ids"].map(lambda v: ids.flows[12] in v).any()
    timeline = result.timeline
    app_location = timeline.loc[timeline["pii_type"].eq("location")]
    assert len(app_location) == 2 and not app_location["before_consent"].any()


def test_consent_is_the_tap_on_the_privacy_dialog(scenario):
    ids, result = scenario
    c = result.consent
    assert (c.status, c.source, c.method, c.label) == ("accepted", "hook", "dialog_tap", "同意")
    assert c.ts == ids.ts(8)
    assert set(c.event_ids) == {ids.events[7], ids.events[8], ids.events[9]}


def test_findings_are_stored_with_the_fixed_columns_and_reproducible(scenario, tmp_path):
    ids, result = scenario
    copy = shutil.copytree(result.session.dir, tmp_path / "session")   # analysed again below
    session = load_session(copy)
    stored = stored_findings(session)
    assert stored["rule_id"].tolist() == result.findings["rule_id"].tolist()
    assert stored["event_ids"].tolist() == result.findings["event_ids"].tolist()
    raw = SessionStore(copy, create=False).rows("SELECT flow_ids, event_ids, detail FROM findings")
    assert all(isinstance(json.loads(r["flow_ids"]), list) and isinstance(json.loads(r["detail"]), dict) for r in raw)
    again = analyze(copy, scope=demo_scope_path())
    cols = ["rule_id", "severity", "pii_type", "sdk", "host", "first_ts", "flow_ids", "event_ids"]
    assert again.findings[cols].to_dict("records") == result.findings[cols].to_dict("records")
    assert stored_findings(load_session(copy))["id"].tolist() == list(range(1, len(stored) + 1))


def test_read_to_sent_link_is_in_the_finding(scenario):
    ids, result = scenario
    finding = _by_key(result.findings)[("IM5.1", "imei", "umeng", "ulogs.umeng.com")]
    (link,) = finding["detail"]["links"]
    assert link["event_id"] == ids.events[1] and link["flow_id"] == ids.flows[3]
    assert (link["read_ts"], link["sent_ts"]) == (ids.ts(1), ids.ts(3))
    assert (link["encoding"], link["location"], link["match"]) == ("md5", "body:json:$.header.imei_md5", "value")


def test_scope_and_consent_are_recorded_in_meta_and_manifest(scenario):
    session = scenario[1].session.dir
    store = SessionStore(session, create=False)
    assert store.get_meta("consent")["method"] == "dialog_tap"
    assert store.get_meta("scope")["category"] == "网上购物类"
    manifest = json.loads((session / "manifest.json").read_text("utf-8"))
    assert manifest["scope_used"]["stated"]["sdks"]["umeng"] == ["android_id", "oaid"]


def test_scope_yaml_in_the_session_is_used_when_none_is_given(standin_scenario, tmp_path):
    standin_scenario.write(tmp_path / "s")
    (tmp_path / "s" / "scope.yaml").write_bytes(demo_scope_path().read_bytes())
    result = analyze(tmp_path / "s")
    assert "IM3.3" in set(result.findings["rule_id"])
    # Every rule runs: the scope rules have their scope, the app-state rules their UI events.
    assert result.skipped == []


def test_without_scope_the_scope_rules_are_skipped_and_said_so(standin_scenario, tmp_path):
    standin_scenario.write(tmp_path / "s")
    result = analyze(tmp_path / "s")
    scope_rules = {"IM3.3", "NEC-BASELINE", "PERM-DECLARE", "IM4.1", "SDK-UNDISCLOSED"}
    assert {s["rule_id"] for s in result.skipped} == scope_rules
    assert any("scope.yaml" in n for n in result.notes)
    assert not scope_rules & set(result.findings["rule_id"])
    # SDK hosts are third parties even without a scope file
    assert {"IM5.1", "SDK-PRECONSENT", "PIPL-CLEARTEXT"} <= set(result.findings["rule_id"])


def test_first_party_hosts_decide_what_is_a_third_party(tmp_path):
    """Listed, the operator's hosts are the app itself; every other uncatalogued host is a third party,
    named by its registrable domain and never "the app itself"."""
    write_standin_scenario(tmp_path / "s", consent="none")
    scope = yaml.safe_load(demo_scope_path().read_text("utf-8"))
    scope["first_party_hosts"] = ["other-operator.example"]
    (tmp_path / "scope.yaml").write_text(yaml.safe_dump(scope, allow_unicode=True), "utf-8")
    result = analyze(tmp_path / "s", scope=tmp_path / "scope.yaml")
    keys = set(_by_key(result.findings))
    assert ("IM5.1", "location", "unattributed:demoshop.example", "api.demoshop.example") in keys
    assert not {k for k in keys if k[0] == "IM3.1-SEND"}
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    keys = set(_by_key(result.findings))
    assert ("IM3.1-SEND", "location", None, "api.demoshop.example") in keys
    assert ("IM5.1", "location", None, "api.demoshop.example") not in keys


def test_a_flow_closer_to_the_tap_than_the_clock_error_is_marked(standin_scenario, tmp_path):
    """The tap is a device time mapped with a clock error over 1 ms; a flow 1 ms before it is
    before consent, flagged uncertain."""
    ids = standin_scenario.write(tmp_path / "s")
    store = SessionStore(tmp_path / "s", create=False)
    flow = {"id": "close-call", "ts_start": ids.ts(8) - 0.001, "method": "POST", "url": "https://ulogs.umeng.com/x",
            "host": "ulogs.umeng.com", "scheme": "https", "request_sha256": "0" * 64}
    hit = {"flow_id": "close-call", "pii_type": "oaid", "location": "body:json:$.oaid", "encoding": "plain",
           "source": "known_value", "value_sha256": "f" * 64, "value": "8f1d2c3b-4a5e-4f60-9a7b-1c2d3e4f5a6b"}
    store.write_flows_and_hits([flow], [hit])
    store.close()
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    close = _by_key(result.findings)[("IM5.1", "oaid", "umeng", "ulogs.umeng.com")]
    assert close["detail"]["within_clock_error"] == ["close-call"]
    assert "within_clock_error" not in _by_key(result.findings)[("IM5.1", "imei", "umeng", "ulogs.umeng.com")]["detail"]


def test_a_pattern_hit_alone_never_makes_a_high_severity_finding(standin_scenario, tmp_path):
    """A Luhn-valid number found by its shape only (no hook read, no known value) in the
    Umeng request before consent: reported, but capped at low; the IMEI the profile knows
    there keeps the rule's high severity."""
    import sqlite3

    ids = standin_scenario.write(tmp_path / "s")
    umeng = ids.flows[3]
    db = sqlite3.connect(tmp_path / "s" / "session.db")
    with db:
        db.execute("INSERT INTO pii_hits (flow_id, pii_type, location, encoding, source, value_sha256, value, "
                   "direction, confidence, detail) VALUES (?, 'bank_card', 'body:json:$.analytics.ekv[0].v', "
                   "'plain', 'pattern', 'x', '6222020200112233446', 'request', 0.55, '{}')", (umeng,))
    db.close()
    found = analyze(tmp_path / "s", scope=demo_scope_path(), accept_changes=True).findings   # a row written outside piiaudit
    im51 = found.loc[found["rule_id"].eq("IM5.1")].set_index("pii_type")
    card = im51.loc["bank_card"]
    assert card["severity"] == "low"
    assert card["detail"]["pattern_only"] is True and card["detail"]["rule_severity"] == "high"
    assert im51.loc["imei", "severity"] == "high" and "pattern_only" not in im51.loc["imei", "detail"]
