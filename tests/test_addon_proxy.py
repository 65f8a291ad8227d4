"""ProxyRunner: the proxy embedded in the piiaudit process (`piiaudit record`, `piiaudit demo`)."""

import socket

import pytest
from mitmproxy import io

from addon.proxy import ProxyError, ProxyRunner
from piiaudit.store import SessionStore
from tests.support.demo_device import ANDROID_ID, DEMO_HOSTS, PROFILE
from tests.support.mitmdump import via_proxy


def test_start_serves_https_for_sdk_hosts_and_stop_flushes_everything(tmp_path):
    runner = ProxyRunner(tmp_path / "s", PROFILE, respond_hosts=DEMO_HOSTS, confdir=tmp_path / "conf")
    runner.start()
    try:
        assert runner.port > 0 and runner.ca_pem == tmp_path / "conf" / "mitmproxy-ca-cert.pem" and runner.ca_pem.exists()
        for i in range(5):
            status, body = via_proxy(runner.port, runner.ca_pem, "POST", "https://stats.jpush.cn/v3/report",
                                     f"aid={ANDROID_ID}&n={i}".encode(), {"content-type": "application/x-www-form-urlencoded"})
            assert status == 200 and b"success" in body
    finally:
        runner.stop()
    # No waiting for a batch timer: stop() committed the last batch and closed flows.mitm.
    store = SessionStore(tmp_path / "s", create=False)
    assert store.count("flows") == 5
    assert {r["pii_type"] for r in store.rows("SELECT pii_type FROM pii_hits")} == {"android_id"}
    with open(tmp_path / "s" / "flows.mitm", "rb") as fo:
        assert len(list(io.FlowReader(fo).stream())) == 5
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", runner._addrs[0][1]), timeout=1).close()  # no longer listening


def test_a_port_in_use_is_a_clear_error_and_the_next_start_works(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        with pytest.raises(ProxyError, match=str(port)):
            ProxyRunner(tmp_path / "a", listen_port=port, confdir=tmp_path / "conf").start()
    finally:
        busy.close()
    with ProxyRunner(tmp_path / "b", confdir=tmp_path / "conf") as runner:
        assert runner.port > 0


def test_a_bad_profile_stops_start_with_the_reason(tmp_path):
    bad = tmp_path / "device.yaml"
    bad.write_text("values: [not, a, mapping]\n")
    with pytest.raises(ProxyError, match="piiaudit_profile"):
        ProxyRunner(tmp_path / "s", bad, confdir=tmp_path / "conf").start()
