"""HTTP/2 through Conscrypt's Java boundary, on the JVM stand-in: an app (the JDK's
HttpClient, ALPN h2) talks to a local HTTP/2 server over TLS through the stand-in's Conscrypt
engine, whose plaintext passes NativeCrypto.ENGINE_SSL_write_direct / ENGINE_SSL_read_direct
(same package, class, names and descriptors as the platform's). The hook table's rows catch
it and the HTTP/2 frames become flows carrying the IMEI the app sent.

The stand-in's NativeCrypto is Java with the JDK's TLS behind it (no BoringSSL): the hook path
is the one a device takes, the native side is not."""

import base64

import pytest

from hooks.h2_plaintext import PREFACE
from piiaudit import profile
from piiaudit.detect import Detector
from tests.support import java_fixtures as fixtures
from tests.support.h2_server import H2Server

DEMO_IMEI = "867530912345673"  # the stand-in's IMEI without -Dstandin.device (piiaudit/data/demo/device.yaml)



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = H2Server(tmp_path_factory.mktemp("h2"))
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory, server):
    fx = fixtures.build()
    detector = Detector(profile.from_dict({"values": {"imei": DEMO_IMEI}}))
    return fixtures.run_hooked(tmp_path_factory.mktemp("h2run"), fx.argv("Http2Main", str(server.port)),
                               timeout=90, detector=detector)


def test_the_app_spoke_http2_through_the_hooked_engine(run, server):
    assert run.status == 0
    assert [h[":path"] for h, _ in server.requests] == [f"/v1/config?imei={DEMO_IMEI}", "/v1/report"]
    writes = run.events("tls_write")
    assert writes and all(w["api"].startswith("com.android.org.conscrypt.NativeCrypto.ENGINE_SSL_write_direct(")
                          for w in writes)
    first = base64.b64decode(writes[0]["data"]["bytes_b64"])
    assert first.startswith(PREFACE)
    assert {w["data"]["peer"] for w in writes} == {f"127.0.0.1:{server.port}"}
    assert {w["data"]["mode"] for w in writes} == {"engine"}
    reads = run.events("tls_read")
    assert reads and {r["data"]["ssl_ptr"] for r in reads} == {writes[0]["data"]["ssl_ptr"]}
    hooked = {r["api"].split("(")[0] for r in run.events("coverage", status="hooked")}
    assert {"com.android.org.conscrypt.NativeCrypto.ENGINE_SSL_write_direct",
            "com.android.org.conscrypt.NativeCrypto.ENGINE_SSL_read_direct",
            "com.android.org.conscrypt.NativeCrypto.SSL_write",
            "com.android.org.conscrypt.NativeCrypto.SSL_read"} <= hooked


def test_the_http2_streams_become_flows_carrying_the_imei(run, server):
    flows = run.store.rows("SELECT * FROM flows ORDER BY ts_start, url")
    assert [(f["method"], f["url"], f["status"], f["capture"]) for f in flows] == [
        ("GET", f"https://127.0.0.1:{server.port}/v1/config?imei={DEMO_IMEI}", 200, "tls-hook"),
        ("POST", f"https://127.0.0.1:{server.port}/v1/report", 200, "tls-hook"),
    ]
    hits = run.store.rows("SELECT f.method, h.location FROM pii_hits h JOIN flows f ON f.id = h.flow_id "
                          "WHERE h.pii_type = 'imei'")
    assert {(h["method"], h["location"].split(":")[0]) for h in hits} == {("GET", "query"), ("POST", "body")}
    assert run.store.rows("SELECT message FROM errors") == []
