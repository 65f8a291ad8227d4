"""One suffix rule for host names: the SDK catalog, the scope and the responder agree."""

import pytest

from mitmproxy import flowfilter
from mitmproxy.test import tflow

from addon.responder import for_hosts
from analysis.scope import Scope
from piiaudit import hosts, sdks


@pytest.mark.parametrize("host, domain, expected", [
    ("stats.jpush.cn", "jpush.cn", True),
    ("jpush.cn", "jpush.cn", True),
    ("STATS.JPush.CN.", "jpush.cn", True),
    ("notjpush.cn", "jpush.cn", False),
    ("jpush.cn.evil.example", "jpush.cn", False),
    ("", "jpush.cn", False),
    (None, "*", False),
    ("anything.example", "*", True),
])
def test_a_domain_covers_itself_and_the_names_below_it(host, domain, expected):
    assert hosts.under(host, domain) is expected


def test_catalog_scope_and_responder_use_the_same_rule():
    domain = "umeng.com"
    assert sdks.sdk_for_host("ulogs.umeng.com") == sdks.sdk_for_host("umeng.com") is not None
    assert sdks.sdk_for_host("notumeng.com") is None
    scope = Scope.__new__(Scope)
    object.__setattr__(scope, "first_party_hosts", (domain,))
    responder = flowfilter.parse(for_hosts([domain]))
    for host in ("ulogs.umeng.com", "umeng.com", "UMENG.com.", "notumeng.com", "umeng.com.example"):
        flow = tflow.tflow()
        flow.request.host = host
        assert scope.is_first_party(host) is responder(flow) is hosts.under(host, domain)
