"""Replaying saved traffic gives the live run's hits: flows.mitm (in-process and through
`mitmdump -nr`), a HAR export of the same flows, and damaged files of both kinds."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from mitmproxy import io
from mitmproxy.addons.savehar import SaveHar

from addon.replay import ReplayError, replay
from piiaudit import harflow
from piiaudit.store import SessionStore
from tests.support.demo_device import PROFILE
from tests.support.demo_traffic import demo_traffic
from tests.support.mitmdump import addon_args, mitmdump_exe

FIXED = "id, ts_start, method, url, host, status, request_sha256, response_sha256"
# mitmproxy's HAR writer cannot export a body whose gzip is cut short: that flow is compared
# through flows.mitm only. Binary and invalid UTF-8 bodies survive the HAR round trip.
NOT_IN_HAR = ("truncated_gzip",)


@pytest.fixture(scope="module")
def live(demo_capture, tmp_path_factory):
    """A work directory of this module's own, the shared live capture's session and its URLs."""
    return tmp_path_factory.mktemp("replay"), demo_capture.session, demo_capture.urls


def hit_keys(session, with_url=False):
    store = SessionStore(session, create=False)
    first = "f.url" if with_url else "h.flow_id"
    return {tuple(r.values()) for r in store.rows(
        f"SELECT {first}, h.pii_type, h.location, h.encoding FROM pii_hits h JOIN flows f ON f.id = h.flow_id")}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_replaying_flows_mitm_gives_the_live_rows_and_hits(live, tmp_path):
    _, session, _ = live
    before = digest(session / "flows.mitm")
    stats = replay(session / "flows.mitm", tmp_path / "again", PROFILE)
    live_store, again = SessionStore(session, create=False), SessionStore(tmp_path / "again", create=False)
    assert stats["flows"] == live_store.count("flows") and stats["format"] == "mitm" and not stats["truncated"]
    assert hit_keys(tmp_path / "again") == hit_keys(session) != set()
    assert stats["hits"] == live_store.count("pii_hits")
    assert again.rows(f"SELECT {FIXED} FROM flows ORDER BY id") == live_store.rows(f"SELECT {FIXED} FROM flows ORDER BY id")
    assert {r["capture"] for r in again.rows("SELECT capture FROM flows")} == {"replay:flows.mitm"}
    assert digest(session / "flows.mitm") == before
    assert not (tmp_path / "again" / "flows.mitm").exists()
    assert again.get_meta("replay_source")["path"] == str((session / "flows.mitm").resolve())


def test_replaying_into_the_source_session_updates_rows_and_never_appends_to_its_file(live, tmp_path):
    _, session, _ = live
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("session.db", "flows.mitm"):
        (copy / name).write_bytes((session / name).read_bytes())
    before, hits = digest(copy / "flows.mitm"), hit_keys(copy)
    n = SessionStore(copy, create=False).count("flows")
    replay(copy / "flows.mitm", copy, PROFILE)
    assert digest(copy / "flows.mitm") == before
    store = SessionStore(copy, create=False)
    assert store.count("flows") == n and hit_keys(copy) == hits
    assert store.count("pii_hits") == len(hits)  # replaced, not duplicated


def test_mitmdump_nr_with_the_script_reproduces_the_live_hits(live, tmp_path):
    _, session, _ = live
    before = digest(session / "flows.mitm")
    new = tmp_path / "mitmdump-replay"
    proc = subprocess.run(
        [mitmdump_exe(), "-n", "-r", str(session / "flows.mitm"), "--set", f"confdir={tmp_path / 'conf'}",
         *addon_args(new, PROFILE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert hit_keys(new) == hit_keys(session)
    assert {r["capture"] for r in SessionStore(new, create=False).rows("SELECT capture FROM flows")} == {"replay:flows.mitm"}
    assert digest(session / "flows.mitm") == before


@pytest.fixture(scope="module")
def har_export(live):
    """The live flows as mitmproxy's own HAR writer (the save.har command) exports them.

    The flow with a truncated gzip body is left out: save.har cannot export it at all
    (decoding the body raises inside mitmproxy).
    """
    tmp, session, urls = live
    traffic = demo_traffic()
    with open(session / "flows.mitm", "rb") as fo:
        flows = [f for f in io.FlowReader(fo).stream() if f.request.raw_content != traffic["truncated_gzip"][2]]
    har = tmp / "export.har"
    har.write_text(json.dumps(SaveHar().make_har(flows)))
    return har


def test_a_har_export_of_the_same_flows_gives_the_same_hits_per_url(live, har_export, tmp_path):
    _, session, urls = live
    stats = replay(har_export, tmp_path / "from-har", PROFILE)
    assert stats["format"] == "har" and stats["errors"] == 0 and stats["flows"] == len(urls) - 1
    lossy = {urls[name] for name in NOT_IN_HAR}
    live_hits = {k for k in hit_keys(session, with_url=True) if k[0] not in lossy}
    har_hits = {k for k in hit_keys(tmp_path / "from-har", with_url=True) if k[0] not in lossy}
    assert har_hits == live_hits != set()
    rows = SessionStore(tmp_path / "from-har", create=False).rows("SELECT url, status, ts_start FROM flows")
    live_rows = SessionStore(session, create=False).rows("SELECT url, status, ts_start FROM flows WHERE url != ?",
                                                         [urls["truncated_gzip"]])
    assert sorted((r["url"], r["status"]) for r in rows) == sorted((r["url"], r["status"]) for r in live_rows)
    assert sorted(round(r["ts_start"], 3) for r in rows) == sorted(round(r["ts_start"], 3) for r in live_rows)


def test_a_har_flow_goes_to_its_url_host_with_the_recorded_ip_as_its_peer(tmp_path):
    """HAR 1.2: serverIPAddress is what the URL's host resolved to, not the name connected
    to; mitmproxy's own reader puts it where the connection target belongs, which made every
    HAR flow's host an IP address that no party could be named for."""
    entry = {"startedDateTime": "2023-04-07T13:04:57.948779+00:00", "time": 12, "serverIPAddress": "108.138.17.9",
             "request": {"method": "POST", "url": "https://api2.branch.io/v1/open", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": "Host", "value": "api2.branch.io"},
                                     {"name": "Content-Type", "value": "application/json"}],
                         "postData": {"mimeType": "application/json", "text": json.dumps({"os": "Android"})}},
             "response": {"status": 200, "httpVersion": "HTTP/1.1"}}
    har = tmp_path / "one.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    stats = replay(har, tmp_path / "s", PROFILE)
    assert stats["flows"] == 1 and stats["errors"] == 0
    (row,) = SessionStore(tmp_path / "s", create=False).rows("SELECT host, host_header, port FROM flows")
    assert row == {"host": "api2.branch.io", "host_header": "api2.branch.io", "port": 443}
    f = harflow.to_flow(entry)
    assert f.server_conn.address == ("api2.branch.io", 443) and f.server_conn.peername == ("108.138.17.9", 443)


def test_a_flow_file_cut_short_replays_every_complete_flow(live, tmp_path):
    _, session, _ = live
    data = (session / "flows.mitm").read_bytes()
    cut = tmp_path / "flows.mitm"
    cut.write_bytes(data[:-40])  # the last record loses its end, as when the proxy is killed mid-write
    n = SessionStore(session, create=False).count("flows")
    stats = replay(cut, tmp_path / "s", PROFILE)
    assert stats["truncated"] and stats["flows"] == n - 1
    assert f"after {n - 1} complete flows" in stats["messages"][0]
    store = SessionStore(tmp_path / "s", create=False)
    (err,) = store.rows("SELECT message FROM errors WHERE component = 'replay'")
    assert "cut short" in err["message"]
    replayed = {r["id"] for r in store.rows("SELECT id FROM flows")}
    assert {k for k in hit_keys(session) if k[0] in replayed} == hit_keys(tmp_path / "s")


def broken_hars(har: dict) -> dict[str, tuple[str, int, str]]:
    """name -> (file text, valid entries it still holds, what the message must say)."""
    entries = har["log"]["entries"]
    n = len(entries)
    no_url = json.loads(json.dumps(har))
    del no_url["log"]["entries"][1]["request"]["url"]
    bad_date = json.loads(json.dumps(har))
    bad_date["log"]["entries"][2]["startedDateTime"] = "yesterday"
    not_object = json.loads(json.dumps(har))
    not_object["log"]["entries"][0] = "oops"
    text = json.dumps(har, indent=1)
    cut_at = text.index(json.dumps(entries[-1]["request"]["url"]))  # inside the last entry
    return {
        "missing request.url": (json.dumps(no_url), n - 1, "HAR entry 1: missing request.url"),
        "bad date": (json.dumps(bad_date), n - 1, "HAR entry 2"),
        "entry not an object": (json.dumps(not_object), n - 1, "HAR entry 0: not an object"),
        "cut short": (text[:cut_at], n - 1, f"kept the {n - 1} complete entries"),
        "no entries": (json.dumps({"log": {"version": "1.2"}}), 0, "'log.entries' is missing"),
        "not JSON": ("{this is not json", 0, "invalid JSON"),
    }


@pytest.mark.parametrize("case", ["missing request.url", "bad date", "entry not an object", "cut short",
                                  "no entries", "not JSON"])
def test_a_broken_har_keeps_its_valid_entries_and_says_what_is_wrong(har_export, tmp_path, case):
    text, valid, message = broken_hars(json.loads(har_export.read_text()))[case]
    bad = tmp_path / "broken.har"
    bad.write_text(text)
    stats = replay(bad, tmp_path / "s", PROFILE)
    assert stats["flows"] == valid
    assert any(message in m for m in stats["messages"]), stats["messages"]
    store = SessionStore(tmp_path / "s", create=False)
    assert store.count("flows") == valid
    assert any(message in r["message"] for r in store.rows("SELECT message FROM errors WHERE component = 'replay'"))


def test_a_missing_capture_is_a_clear_error(tmp_path):
    with pytest.raises(ReplayError, match="no such capture file"):
        replay(tmp_path / "nope.mitm", tmp_path / "s")
