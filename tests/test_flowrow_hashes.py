"""The evidence hashes computed from a message's get_state() form (what the detection
process holds) are the hashes of the message itself (mitmproxy's assemble functions), for
every shape a message can take: plain, chunked with and without trailers, trailers without
chunking, a streamed body that was not kept, CONNECT, origin-form, HTTP/2, empty bodies,
header bytes that are not UTF-8."""

import hashlib
import random

import pytest
from mitmproxy import http
from mitmproxy.net.http.http1 import assemble

from addon.lookback import flow_payload, rebuild
from addon.scanner import _evidence_hashes, _payload_hashes
from piiaudit.flowrow import request_sha256, request_state_sha256, response_sha256, response_state_sha256
from tests.support.flows import make_flow


def _requests():
    yield http.Request.make("POST", "https://ulogs.umeng.com/unify_logs", b'{"imei": "1"}',
                            {"content-type": "application/json"})
    yield http.Request.make("GET", "http://example.com/a?b=c")
    r = http.Request.make("POST", "https://example.com/up", b"hello world", {"transfer-encoding": "Chunked"})
    yield r
    r = http.Request.make("POST", "https://example.com/up", b"abc", {"Transfer-Encoding": "gzip, chunked"})
    r.trailers = http.Headers(x_check=b"1")
    yield r
    r = http.Request.make("POST", "https://example.com/up", b"", {"transfer-encoding": "chunked"})
    r.trailers = http.Headers(a=b"b")
    yield r
    r = http.Request.make("POST", "https://example.com/up", b"xyz")
    r.trailers = http.Headers(a=b"b")  # trailers without chunking: head and body
    yield r
    r = http.Request.make("POST", "https://example.com/up", b"streamed")
    r.data.content = None  # a streamed body, not kept
    yield r
    r = http.Request.make("CONNECT", "https://example.com:443/")
    r.authority = "example.com:443"
    yield r
    r = http.Request.make("GET", "https://example.com/x")
    r.authority = ""  # origin form
    r.http_version = "HTTP/2.0"
    yield r
    r = http.Request.make("GET", "https://example.com/x", b"", [(b"x-raw", b"\xff\xfe"), (b"x-raw", b"2")])
    yield r


def _responses():
    yield http.Response.make(200, b'{"code": 0}', {"content-type": "application/json"})
    yield http.Response.make(204)
    r = http.Response.make(200, b"chunk me", {"transfer-encoding": "chunked"})
    r.trailers = http.Headers(grpc_status=b"0")
    yield r
    r = http.Response.make(200, b"x" * 100_000, {"transfer-encoding": "chunked"})
    yield r
    r = http.Response.make(404, b"gone")
    r.reason = b"\xe6\x97\xa0"
    yield r
    r = http.Response.make(200, b"streamed")
    r.data.content = None
    yield r


def _wire_sha256(message, full, head) -> str:
    try:
        wire = full(message)
    except ValueError:
        wire = head(message) + (message.raw_content or b"")
    return hashlib.sha256(wire).hexdigest()


@pytest.mark.parametrize("request_", list(_requests()))
def test_request_hash_from_state_equals_the_messages(request_):
    want = _wire_sha256(request_, assemble.assemble_request, assemble.assemble_request_head)
    assert request_sha256(request_) == want
    assert request_state_sha256(request_.get_state()) == want


@pytest.mark.parametrize("response", list(_responses()))
def test_response_hash_from_state_equals_the_messages(response):
    want = _wire_sha256(response, assemble.assemble_response, assemble.assemble_response_head)
    assert response_sha256(response) == want
    assert response_state_sha256(response.get_state()) == want


def test_the_detection_process_hashes_equal_those_of_the_rebuilt_flow():
    rng = random.Random(5)
    for i in range(200):
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        headers = {"content-type": "application/octet-stream"}
        if i % 3 == 0:
            headers["transfer-encoding"] = "chunked"
        f = make_flow(f"https://h{i % 7}.example/p/{i}?q={i}", body, headers)
        if i % 5 == 0:
            f.response = None
        payload = flow_payload(f)
        assert _payload_hashes(payload) == _evidence_hashes(rebuild(f.id, payload)) == _evidence_hashes(f)
