"""Below TLS: the plaintext a process hands to OpenSSL (SSL_write / SSL_write_ex) and gets
back (SSL_read / SSL_read_ex), seen for real in curl and in Python's urllib talking HTTPS to
a local server, and a request seen there turned into a scanned flow."""

import base64
import datetime
import http.server
import shutil
import ssl
import sys
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from piiaudit.detect import Detector
from piiaudit import profile
from tests.support import java_fixtures as fixtures

IMEI = "867530912345673"
BODY = b'{"ok":true}'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """HTTPS on 127.0.0.1 with a throwaway self-signed certificate."""
    d = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "cert.pem", d / "key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()


def client_argv(client, port):
    url = f"https://127.0.0.1:{port}/?imei={IMEI}"
    if client == "curl":
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed")
        return [shutil.which("curl"), "-sk", "--http1.1", url]
    code = f"import ssl, urllib.request; print(urllib.request.urlopen({url!r}, context=ssl._create_unverified_context()).read())"
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("client, write_api", [("curl", "SSL_write"), ("python", "SSL_write_ex")])
def test_the_plaintext_of_an_https_request_is_recorded(tmp_path, server, client, write_api):
    run = fixtures.run_hooked(tmp_path, client_argv(client, server), java=False, timeout=30)
    assert run.status == 0 and run.store.rows("SELECT message FROM errors") == []
    assert run.events("hooks_ready")[0]["data"]["phase"] == "native"
    (write,) = run.events("tls_write")
    assert write["api"].endswith(f"!{write_api}") and write["data"]["lib"].startswith("libssl")
    assert write["value"].startswith(f"GET /?imei={IMEI} HTTP/1.1\r\n")
    assert base64.b64decode(write["data"]["bytes_b64"]).decode() == write["value"]
    assert write["data"]["len"] == len(write["value"]) and write["data"]["truncated"] is False
    reads = "".join(r["value"] for r in run.events("tls_read"))
    assert reads.startswith("HTTP/1.0 200 OK") and reads.endswith(BODY.decode())
    assert all(r["data"]["ssl_ptr"] == write["data"]["ssl_ptr"] for r in run.events("tls_read"))
    if client == "python":  # curl talks through its own BIO: no socket to ask for the peer
        assert write["data"]["peer"] == f"127.0.0.1:{server}" and write["data"]["fd"] >= 0
    hooked = {r["api"] for r in run.events("coverage", status="hooked")}
    assert any(api.endswith("!SSL_write") for api in hooked) and any(api.endswith("!SSL_read") for api in hooked)


def test_a_request_seen_below_tls_becomes_a_scanned_flow(tmp_path, server):
    detector = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    run = fixtures.run_hooked(tmp_path, client_argv("python", server), java=False, timeout=30, detector=detector)
    (flow,) = run.store.rows("SELECT * FROM flows")
    assert (flow["method"], flow["url"], flow["capture"]) == ("GET", f"https://127.0.0.1:{server}/?imei={IMEI}", "tls-hook")
    assert len(flow["request_sha256"]) == 64
    hits = run.store.rows("SELECT pii_type, location, encoding, source FROM pii_hits WHERE flow_id = ?", (flow["id"],))
    assert {(h["pii_type"], h["location"], h["encoding"]) for h in hits} == {("imei", "query:imei", "plain")}
    (write,) = run.events("tls_write")
    assert write["data"]["flow_id"] == flow["id"]
