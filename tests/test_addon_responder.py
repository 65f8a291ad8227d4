"""The local responder answers SDK hosts inside the proxy: no DNS query, no connect()
beyond loopback (checked on the real mitmdump with strace)."""

import asyncio
import re
import shutil

import pytest
from mitmproxy import connection, exceptions, http, master, options
from mitmproxy.proxy.layers.http import HttpRequestHook

from tests.support.mitmdump import SCRIPT, Mitmdump, via_proxy
from addon.responder import LocalResponder, for_hosts
from piiaudit.store import SessionStore

HOSTS = for_hosts(["ulogs.umeng.com", "stats.jpush.cn", "api.demoshop.example"])


def request_through(responder_hosts: str, url: str) -> http.HTTPFlow:
    async def go():
        m = master.Master(options.Options())
        m.addons.add(LocalResponder())
        m.options.update(piiaudit_respond=responder_hosts)
        f = http.HTTPFlow(connection.Client(peername=("127.0.0.1", 1), sockname=("127.0.0.1", 2), timestamp_start=0),
                          connection.Server(address=None))
        f.request = http.Request.make("GET", url)
        await m.addons.handle_lifecycle(HttpRequestHook(f))  # what the proxy fires for a request
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
            "--set", f"piiaudit_session={tmp_path / 'session'}"]
    prefix = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)]
    with Mitmdump(tmp_path / "conf", args, prefix=prefix, cwd=tmp_path) as proxy:
        assert via_proxy(proxy.port, proxy.ca_pem, "POST", "https://ulogs.umeng.com/unify_logs", b'{"a":1}',
                         {"content-type": "application/json"})[0] == 200
        assert via_proxy(proxy.port, proxy.ca_pem, "GET", "http://stats.jpush.cn/v3/hb?aid=x")[0] == 200
    assert SessionStore(tmp_path / "session", create=False).count("flows") == 2
    calls = [line for line in trace.read_text().splitlines() if re.search(r"\b(connect|sendto|sendmsg)\(", line)]
    assert any("sendto(" in c for c in calls), "strace saw the proxy answer (sanity check of the trace)"
    offending = []
    for c in calls:
        if "htons(53)" in c or "nscd" in c:
            offending.append(c)  # a name lookup
        elif ("AF_INET" in c) and not LOOPBACK.search(c):
            offending.append(c)  # an address beyond loopback
    assert not offending, "\n".join(offending)
