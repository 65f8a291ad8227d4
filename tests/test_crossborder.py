"""Cross-border transfer (PIPL-XBORDER): personal information sent to a server outside mainland China.

The destination is the IP address the proxy connected to, as recorded (mitmproxy's peer
address; a HAR's serverIPAddress), placed by the country database piiaudit ships (DB-IP IP to
Country Lite, CC BY 4.0): offline, never a DNS query. Hong Kong, Macao and Taiwan count as
outside mainland China. Loopback and private addresses (the demo's local responder) have no
country and make no finding. The finding names the country, the address and the company
behind the host.
"""

import socket
from pathlib import Path

import numpy as np
import pytest
from mitmproxy.test import tflow

from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit import geoip
from piiaudit.flowrow import flow_row
from piiaudit.store import SessionStore
from tests.support.cli_results import run

REAL_HAR = Path(__file__).resolve().parents[1] / "piiaudit" / "data" / "corpus" / "real" / "android-first-run.har"
T0 = 1_780_000_000.0


@pytest.fixture
def no_dns(monkeypatch):
    """Any name lookup fails the test: the analysis must never resolve a host."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"DNS lookup attempted: {args[:1]}")
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)


# --- the database -------------------------------------------------------------------------------
def test_the_shipped_database_records_its_source_licence_and_attribution():
    meta = geoip.database().meta
    assert meta["package"].startswith("@ip-location-db/dbip-country@")
    assert meta["licence"].startswith("CC BY 4.0") and "DB-IP" in meta["attribution"]
    assert "Creative Commons Attribution 4.0" in meta["licence_text"]
    db = geoip.database()
    assert len(db.v4_start) == meta["ranges"]["ipv4"] and len(db.v6_start) == meta["ranges"]["ipv6"]
    assert np.all(np.diff(db.v4_start.astype("int64")) > 0)          # sorted: a binary search is valid
    assert list(db.v6_start) == sorted(db.v6_start)
    assert "DB-IP" in db.source and "CC BY 4.0" in db.source


@pytest.mark.parametrize("address, country", [
    ("114.114.114.114", "CN"), ("223.5.5.5", "CN"), ("2400:3200::1", "CN"),     # mainland resolvers
    ("202.67.240.1", "HK"), ("202.175.3.3", "MO"), ("61.64.0.1", "TW"),          # outside mainland
    ("8.8.8.8", "US"), ("35.190.88.7", "US"),
    ("::ffff:114.114.114.114", "CN"),                                             # IPv4-mapped IPv6
])
def test_an_address_gets_the_country_the_database_gives_it(address, country):
    assert geoip.country(address) == country


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.22", "::1", "fe80::1", "fd00::1",
                                     "api2.branch.io", "", None, "999.1.1.1"])
def test_loopback_private_and_names_have_no_country(address):
    assert geoip.country(address) is None


def test_hong_kong_macao_and_taiwan_count_as_outside_mainland_china():
    assert [geoip.outside_mainland(c) for c in ("CN", "HK", "MO", "TW", "US", None)] == [
        False, True, True, True, True, False]


# --- where the address comes from ----------------------------------------------------------------
def test_a_flow_row_keeps_the_address_the_proxy_connected_to():
    f = tflow.tflow(resp=True)
    f.server_conn.address = ("api2.branch.io", 443)
    f.server_conn.peername = ("108.138.17.9", 443)
    row = flow_row(f, "live")
    assert (row["host"], row["server_ip"]) == ("api2.branch.io", "108.138.17.9")
    f.server_conn.peername = None
    assert flow_row(f, "live")["server_ip"] is None        # a name is never resolved to fill it
    f.server_conn.address = ("2001:db8::5", 443)
    assert flow_row(f, "live")["server_ip"] == "2001:db8::5"


# --- findings ----------------------------------------------------------------------------------
def _flow(fid, ts, host, ip):
    return {"id": fid, "ts_start": ts, "ts_end": ts + 0.1, "method": "POST", "url": f"https://{host}/v1",
            "host": host, "server_ip": ip, "port": 443, "scheme": "https", "status": 200, "capture": "live"}


def _hit(fid, pii_type="android_id"):
    return {"flow_id": fid, "pii_type": pii_type, "location": "body:json:$.id", "encoding": "plain",
            "source": "known_value", "value_sha256": "x", "value": "7d5a6fd0d53a566b"}


def test_pii_sent_to_a_server_outside_mainland_china_is_a_finding_with_country_address_and_entity(tmp_path, no_dns):
    store = SessionStore(tmp_path / "s")
    store.write_flows_and_hits(
        [_flow("hk", T0 + 10, "api2.branch.io", "202.67.240.1"),        # HK: outside mainland
         _flow("cn", T0 + 11, "ulogs.umeng.com", "114.114.114.114"),    # mainland
         _flow("lo", T0 + 12, "api2.branch.io", "127.0.0.1"),           # the local responder
         _flow("none", T0 + 13, "api2.branch.io", None),                # address not recorded
         _flow("no-pii", T0 + 14, "sessions.bugsnag.com", "35.190.88.7")],
        [_hit("hk"), _hit("cn"), _hit("lo"), _hit("none")])
    store.add_consent_mark(T0, "accepted")
    store.close()
    f = analyze(tmp_path / "s").findings
    finding, = f.loc[f["rule_id"].eq("PIPL-XBORDER")].to_dict("records")
    assert (finding["host"], finding["sdk"], finding["category"]) == ("api2.branch.io", "branch", "other")
    assert finding["flow_ids"] == ["hk"]
    d = finding["detail"]
    assert d["countries"] == ["HK"] and d["server_ips"] == ["202.67.240.1"]
    assert d["entity"]["region"] == "US" and "Branch" in d["entity"]["en"]
    assert "DB-IP" in d["geo_source"]


def test_replaying_a_real_capture_places_each_destination_at_its_recorded_address(tmp_path, no_dns):
    # A HAR recorded elsewhere keeps the server address of every request (serverIPAddress):
    # the honest end-to-end case, since the demo's own flows all go to 127.0.0.1.
    session = tmp_path / "real"
    assert run("replay", REAL_HAR, "--session", session).exit_code == 0
    f = analyze(session).findings
    abroad = {r["host"]: r["detail"] for r in f.loc[f["rule_id"].eq("PIPL-XBORDER")].to_dict("records")}
    assert "graph.facebook.com" in abroad and "api2.branch.io" in abroad
    assert abroad["graph.facebook.com"]["server_ips"] == ["157.240.20.15"]
    assert abroad["api2.branch.io"]["server_ips"] == ["108.138.17.9"]
    assert abroad["graph.facebook.com"]["entity"]["en"] == "Meta Platforms"
    assert all(geoip.outside_mainland(c) for d in abroad.values() for c in d["countries"])
    assert "cdn.branch.io" not in abroad           # the CDN fetch carries no personal information
    # DB-IP's licence (CC BY 4.0) asks pages that show its results to link to it
    html = Path(write_report(session)["html"]).read_text("utf-8")
    assert '<a href="https://db-ip.com">IP Geolocation by DB-IP</a>' in html and "157.240.20.15" in html


def test_the_demo_flows_to_the_local_responder_are_never_placed(tmp_path):
    store = SessionStore(tmp_path / "d")
    store.write_flows_and_hits([_flow("a", T0 + 1, "api2.branch.io", "127.0.0.1")], [_hit("a")])
    store.close()
    f = analyze(tmp_path / "d").findings
    assert f.loc[f["rule_id"].eq("PIPL-XBORDER")].empty


def test_lookup_is_fast_enough_for_every_flow_of_a_long_session():
    import time
    rng = np.random.default_rng(1)
    ips = [f"{a}.{b}.{c}.{d}" for a, b, c, d in rng.integers(1, 255, size=(20000, 4))]
    t = time.perf_counter()
    placed = [geoip.country(ip) for ip in ips]
    assert time.perf_counter() - t < 5.0 and sum(p is not None for p in placed) > 15000
