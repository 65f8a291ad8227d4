"""The local responder answers SDK hosts inside the proxy: no DNS query, no connect()
beyond loopback (checked on the real mitmdump with strace)."""

import asyncio
import re
import shutil

import pytest
from mitmproxy import connection, exceptions, http, master, options
from mitmproxy.proxy.layers.http import HttpRequestHook

from tests.support.demo_device import IMEI, PROFILE
from tests.support.mitmdump import SCRIPT, Mitmdump, via_proxy
from tests.support.wsclient import websocket_via_proxy
from addon.responder import BODY, LocalResponder, for_hosts
from addon.wsanswer import HOST as LOOPBACK_HOST
from piiaudit.flowrow import destination
from piiaudit.store import SessionStore

HOSTS = for_hosts(["ulogs.umeng.com", "stats.jpush.cn", "api.demoshop.example"])


def request_through(responder_hosts: str, url: str, *, method: str = "GET", headers: dict | None = None,
                    address: tuple | None = None, sni: str | None = None, bodies: str | None = None) -> http.HTTPFlow:
    """The flow after the responder's `request` hook, as the proxy fires it; `address` and
    `sni` are where the connection went (None: nowhere yet, as under the lazy strategy)."""
    async def go():
        m = master.Master(options.Options())
        m.addons.add(LocalResponder())
        m.options.update(piiaudit_respond=responder_hosts, **({"piiaudit_respond_bodies": bodies} if bodies else {}))
        f = http.HTTPFlow(connection.Client(peername=("127.0.0.1", 1), sockname=("127.0.0.1", 2), timestamp_start=0),
                          connection.Server(address=address))
        f.server_conn.sni = sni
        f.request = http.Request.make(method, url)
        for k, v in (headers or {}).items():
            f.request.headers[k] = v
        await m.addons.handle_lifecycle(HttpRequestHook(f))  # what the proxy fires for a request
        getattr(m.addons.get("localresponder"), "done", lambda: None)()
        return f
    return asyncio.run(go())


@pytest.mark.parametrize("url, answered", [
    ("https://ulogs.umeng.com/unify_logs", True),
    ("http://stats.jpush.cn/v3/hb", True),
    ("https://sub.api.demoshop.example/x", True),      # subdomain of a listed host
    ("https://notumeng.com/x", False),                 # a suffix, not a substring
    ("https://example.org/", False),
])
def test_listed_hosts_and_their_subdomains_are_answered_locally(url, answered):
    f = request_through(HOSTS, url)
    assert (f.response is not None) is answered
    if answered:
        assert f.response.status_code == 200 and f.response.json() == {"code": 0, "msg": "success", "data": {}}


def test_star_answers_every_host():
    assert request_through(for_hosts(["*"]), "https://anything.example/").response.status_code == 200


def test_any_filter_expression_chooses_what_is_answered():
    spec = "~d jpush.cn & ~m POST"
    assert request_through(spec, "https://stats.jpush.cn/v3/hb").response is None  # a GET
    assert request_through("", "https://stats.jpush.cn/v3/hb").response is None    # off


@pytest.mark.parametrize("spec", ["https://ulogs.umeng.com", "stats.jpush.cn:443", "*.jpush.cn", "a b.com"])
def test_a_host_list_that_is_not_host_names_is_refused(spec):
    with pytest.raises(ValueError, match="not a host name"):
        for_hosts([spec])


@pytest.mark.parametrize("spec", ["~d (", "~nonsense x", "(~q"])
def test_an_option_that_is_not_a_filter_expression_is_refused(spec):
    async def go():
        m = master.Master(options.Options())
        m.addons.add(LocalResponder())
        with pytest.raises(exceptions.OptionsError, match="piiaudit_respond"):
            m.options.update(piiaudit_respond=spec)
    asyncio.run(go())


LOOPBACK = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "(::1|::ffff:127\.)')


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_sdk_hosts_over_https_and_http_cause_no_dns_query_and_no_outside_connect(tmp_path):
    trace = tmp_path / "strace.out"
    # The whole addon records meanwhile (detection process included: strace follows it too).
    args = ["-s", str(SCRIPT), "--set", "connection_strategy=lazy", "--set", f"piiaudit_respond={HOSTS}",
            "--set", f"piiaudit_session={tmp_path / 'session'}", "--set", f"piiaudit_profile={PROFILE}"]
    prefix = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)]
    with Mitmdump(tmp_path / "conf", args, prefix=prefix, cwd=tmp_path) as proxy:
        assert via_proxy(proxy.port, proxy.ca_pem, "POST", "https://ulogs.umeng.com/unify_logs", b'{"a":1}',
                         {"content-type": "application/json"})[0] == 200
        assert via_proxy(proxy.port, proxy.ca_pem, "GET", "http://stats.jpush.cn/v3/hb?aid=x")[0] == 200
        # A Host header naming another host changes nothing: the connection target is listed.
        assert via_proxy(proxy.port, proxy.ca_pem, "GET", "https://ulogs.umeng.com/x", b"",
                         {"Host": "other.example"}) == (200, BODY)
        # WebSockets over TLS and plain: 101 from the loopback server, the session recorded.
        assert websocket_via_proxy(proxy.port, proxy.ca_pem, "stats.jpush.cn", "/ws",
                                   ['{"imei": "%s"}' % IMEI]) == 101
        assert websocket_via_proxy(proxy.port, proxy.ca_pem, "stats.jpush.cn", "/ws2", ["hello"], tls=False) == 101
    store = SessionStore(tmp_path / "session", create=False)
    rows = {r["url"]: r for r in store.rows("SELECT url, host, host_header, status FROM flows")}
    assert len(rows) == 5
    assert rows["https://other.example/x"]["host"] == "ulogs.umeng.com"
    assert rows["https://stats.jpush.cn/ws"]["status"] == 101 == rows["http://stats.jpush.cn/ws2"]["status"]
    assert rows["https://stats.jpush.cn/ws"]["host"] == "stats.jpush.cn" == rows["http://stats.jpush.cn/ws2"]["host"]
    assert store.rows("SELECT location FROM pii_hits WHERE pii_type = 'imei'") == [{"location": "ws:0:json:$.imei"}]
    calls = [line for line in trace.read_text().splitlines() if re.search(r"\b(connect|sendto|sendmsg)\(", line)]
    assert any("sendto(" in c for c in calls), "strace saw the proxy answer (sanity check of the trace)"
    offending = []
    for c in calls:
        if "htons(53)" in c or "nscd" in c:
            offending.append(c)  # a name lookup
        elif ("AF_INET" in c) and not LOOPBACK.search(c):
            offending.append(c)  # an address beyond loopback
    assert not offending, "\n".join(offending)


# -- the connection target, never the Host header --------------------------------------------
@pytest.mark.parametrize("address, sni, host_header, answered", [
    (("ulogs.umeng.com", 443), None, "other.example", True),      # listed target, another Host header
    (("203.0.113.7", 443), "ulogs.umeng.com", "other.example", True),  # an IP: the SNI names the target
    (("other.example", 443), None, "ulogs.umeng.com", False),     # a listed name in the Host header only
    (("203.0.113.7", 443), "other.example", "ulogs.umeng.com", False),
])
def test_the_connection_target_decides_never_the_host_header(address, sni, host_header, answered):
    f = request_through(HOSTS, f"https://{address[0]}/x", address=address, sni=sni, headers={"host": host_header})
    assert (f.response is not None) is answered
    assert f.request.host_header == host_header   # the request itself is left as the app wrote it


# -- answers by protocol -----------------------------------------------------------------------
URL = "https://ulogs.umeng.com/v1/x"


def test_head_gets_the_headers_of_the_answer_and_no_body():
    r = request_through(HOSTS, URL, method="HEAD").response
    assert r.status_code == 200 and r.raw_content == b"" and r.headers["content-length"] == str(len(BODY))


def test_delete_and_options_get_204_and_a_preflight_its_cors_headers():
    assert request_through(HOSTS, URL, method="DELETE").response.status_code == 204
    r = request_through(HOSTS, URL, method="OPTIONS", headers={
        "origin": "https://app.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-sign"}).response
    assert r.status_code == 204 and r.raw_content == b"" and "DELETE" in r.headers["allow"]
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-headers"] == "content-type, x-sign"
    assert request_through(HOSTS, URL, method="TRACE").response.status_code == 405


def test_protobuf_and_grpc_clients_get_an_empty_message_of_their_own_type():
    r = request_through(HOSTS, URL, method="POST", headers={"content-type": "application/x-protobuf"}).response
    assert r.status_code == 200 and r.raw_content == b"" and r.headers["content-type"] == "application/x-protobuf"
    r = request_through(HOSTS, URL, method="POST", headers={"content-type": "application/grpc+proto"}).response
    assert r.raw_content == b"\0\0\0\0\0" and r.trailers["grpc-status"] == "0"


def test_a_websocket_upgrade_goes_to_the_loopback_server_and_keeps_its_destination():
    f = request_through(HOSTS, "https://stats.jpush.cn/ws", headers={
        "host": "stats.jpush.cn", "upgrade": "websocket", "connection": "Upgrade", "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert f.response is None and f.request.host == LOOPBACK_HOST and f.request.scheme == "http"
    assert f.request.host_header == "stats.jpush.cn" and destination(f) == "stats.jpush.cn"
    old = request_through(HOSTS, "https://stats.jpush.cn/ws", headers={
        "upgrade": "websocket", "connection": "Upgrade", "sec-websocket-version": "8", "sec-websocket-key": "x"})
    assert old.response.status_code == 426 and old.response.headers["sec-websocket-version"] == "13"


# -- canned answers ----------------------------------------------------------------------------
CANNED = """\
- host: ulogs.umeng.com
  path: ^/v1/config
  method: GET
  status: 200
  content_type: application/json
  body: {"enabled": true, "interval": 60}
- host: stats.jpush.cn
  path: /v3/report$
  status: 202
  content-type: text/plain
  body: accepted
  headers: {x-config-version: 3}
"""


def test_canned_answers_per_host_and_path(tmp_path):
    bodies = tmp_path / "answers.yaml"
    bodies.write_text(CANNED)
    r = request_through(HOSTS, "https://sub.ulogs.umeng.com/v1/config?app=1", bodies=str(bodies)).response
    assert r.status_code == 200 and r.json() == {"enabled": True, "interval": 60}
    r = request_through(HOSTS, "https://ulogs.umeng.com/v1/config", method="HEAD", bodies=str(bodies)).response
    assert r.raw_content == b"" and r.headers["content-length"] == str(len(b'{"enabled": true, "interval": 60}'))
    r = request_through(HOSTS, "https://ulogs.umeng.com/v1/config", method="POST", bodies=str(bodies)).response
    assert r.raw_content == BODY                       # another method: the default answer
    r = request_through(HOSTS, "http://stats.jpush.cn/v3/report", method="POST", bodies=str(bodies)).response
    assert (r.status_code, r.raw_content, r.headers["content-type"], r.headers["x-config-version"]) == \
        (202, b"accepted", "text/plain", "3")
    assert request_through(HOSTS, "http://stats.jpush.cn/v3/hb", bodies=str(bodies)).response.raw_content == BODY


@pytest.mark.parametrize("text, problem", [
    ("- host: ulogs.umeng.com\n  bdy: x\n", "answer 1: unknown key 'bdy'"),
    ("- path: /x\n", "answer 1: 'host' is required"),
    ("- host: https://x.example\n", "is not a host name"),
    ("- host: x.example\n  path: '(unclosed'\n", "'path' '(unclosed' is not a regular expression"),
    ("- host: x.example\n  status: 99\n", "'status' must be a number from 200 to 599"),
    ("- host: x.example\n  status: '200'\n", "'status' must be a number"),
    ("- host: x.example\n  headers: {a b: c}\n", "'headers' must map header names"),
    ("host: x.example\n", "must be a list of answers"),
    ("- host: [\n", "not valid YAML: line"),
    (b"- host: x\xff.example\n", "not UTF-8"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                    for p, c in zip("abcdefg", "bcdefgh")), "alias"),
])
def test_a_canned_answers_file_that_cannot_be_used_is_refused_in_one_line(tmp_path, text, problem):
    bodies = tmp_path / "answers.yaml"
    bodies.write_bytes(text if isinstance(text, bytes) else text.encode())

    async def go():
        m = master.Master(options.Options())
        m.addons.add(LocalResponder())
        with pytest.raises(exceptions.OptionsError) as e:
            m.options.update(piiaudit_respond_bodies=str(bodies))
        return str(e.value)
    message = asyncio.run(go())
    assert message.startswith("piiaudit_respond_bodies: ") and str(bodies) in message and problem in message
    assert "\n" not in message


def test_a_missing_canned_answers_file_is_refused(tmp_path):
    async def go():
        m = master.Master(options.Options())
        m.addons.add(LocalResponder())
        with pytest.raises(exceptions.OptionsError, match="piiaudit_respond_bodies: .*nothere.yaml: cannot read"):
            m.options.update(piiaudit_respond_bodies=str(tmp_path / "nothere.yaml"))
    asyncio.run(go())
