"""A session recorded WITHOUT a device profile still says what each SDK sent: endpoint hits
through the real recorder (detection process and inline), replay and look-back, then the
analysis, the workbook's "Sent by SDK" sheet (opened back), the HTML page and the console
summary. A known value at a mapped field wins and keeps the field as support."""

from __future__ import annotations

import json
import time

import openpyxl
import pytest
from mitmproxy import io

from addon.replay import replay
from analysis import bilingual as b
from analysis.pipeline import analyze
from analysis.report import write_report
from analysis.summary import text_summary
from piiaudit.detect import Detector, endpoints
from piiaudit import profile, vocab
from piiaudit.store import SessionStore
from piiaudit.times import time_header, zone
from tests.support.flows import example_flow, make_flow
from tests.support.recorder_harness import MODES, Harness

GAID = "1209d0b9-b959-42e6-b921-aa5d9d08c1af"
T0 = 1_700_000_000.0


def example(sdk: str, endpoint: str):
    return next(x for x in endpoints.examples() if x.sdk == sdk and x.endpoint == endpoint)


def sdk_flows(t0: float = T0) -> list:
    """A Branch open and a Facebook app-events request, as the real SDKs sent them."""
    flows = []
    for i, (sdk, ep) in enumerate((("branch", "session"), ("facebook", "activities"))):
        f = example_flow(example(sdk, ep), status=200)
        f.request.timestamp_start, f.request.timestamp_end = t0 + i, t0 + i + 0.001
        flows.append(f)
    return flows


def stored_hits(session):
    rows = SessionStore(session, create=False).rows(
        "SELECT flow_id, pii_type, location, source, value, detail FROM pii_hits ORDER BY id")
    return [{**r, "detail": json.loads(r["detail"]) if r["detail"] else {}} for r in rows]


def endpoint_pairs(rows) -> set[tuple[str, str]]:
    return {(r["pii_type"], r["value"]) for r in rows if r["source"] == "endpoint"}


def expected_pairs() -> set[tuple[str, str]]:
    return set(example("branch", "session").expect) | set(example("facebook", "activities").expect)


def sheet_rows(path, title):
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb[title]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    return [dict(zip(header, r)) for r in body]


# -- recording --------------------------------------------------------------------------------
@MODES
def test_a_session_recorded_without_profile_stores_endpoint_hits(tmp_path, process):
    session = tmp_path / "s"
    harness = Harness(session, piiaudit_profile=None, piiaudit_detect_process=process)
    worker = []
    store = harness.run(sdk_flows(), between=lambda i: worker.append(harness.recorder.detection.process))
    if process and worker[0] is None:
        pytest.skip("no detection process on this machine (one core)")
    rows = stored_hits(session)
    assert endpoint_pairs(rows) == expected_pairs()
    assert {r["source"] for r in rows} <= {"endpoint", "pattern"}
    aaid = next(r for r in rows if r["location"] == "body:json:$.advertising_ids.aaid")
    support = aaid["detail"].pop("support", [])
    assert aaid["detail"] == {"sdk": "branch", "endpoint": "session", "field": "body:json:$.advertising_ids.aaid",
                              "source": "trackhar"}
    # the advertising-ID pattern (key `aaid`) fires at the same place: kept as support only
    assert all(s["rule"] == "uuid-keyed" and s["pii_type"] == "advertising_id" for s in support)
    assert store.count("errors") == 0


def test_replay_without_profile_gives_the_live_endpoint_hits(tmp_path):
    capture = tmp_path / "flows.mitm"
    with open(capture, "wb") as fo:
        w = io.FlowWriter(fo)
        for f in sdk_flows():
            w.add(f)
    stats = replay(capture, tmp_path / "again", None)
    assert stats["flows"] == 2 and stats["errors"] == 0
    assert endpoint_pairs(stored_hits(tmp_path / "again")) == expected_pairs()


# -- the merge: known value > observed value > endpoint field > pattern ----------------------------
@pytest.mark.parametrize("source", ["known_value", "observed_value"])
def test_a_known_value_at_a_mapped_field_wins_and_keeps_the_field_as_support(source):
    if source == "known_value":
        det = Detector(profile.from_dict({"values": {"advertising_id": GAID}}))
    else:
        det = Detector(None)
        det.observe("advertising_id", GAID)
    hits = det.scan_flow(example_flow(example("branch", "session"))).hits
    at_field = [h for h in hits if h["location"] == "body:json:$.google_advertising_id"]
    assert len(at_field) == 1, at_field
    (h,) = at_field
    assert (h["source"], h["pii_type"], h["value"]) == (source, "advertising_id", GAID)
    support = [s for s in h["detail"]["support"] if s["source"] != "pattern"]   # the uuid pattern may join
    assert support == [{
        "source": "endpoint", "pii_type": "advertising_id", "encoding": "plain", "confidence": endpoints.CONFIDENCE,
        "value": GAID, "sdk": "branch", "endpoint": "session", "field": "body:json:$.google_advertising_id",
        "doc_source": "trackhar"}]
    # what the profile does not know stays an endpoint hit
    assert ("device_model", "sdk_gphone64_x86_64") in endpoint_pairs(hits)
    assert ("advertising_id", GAID) not in endpoint_pairs(hits)


def test_an_endpoint_field_absorbs_a_pattern_at_its_place():
    body = json.dumps({"identity": "jane.doe@example.com"}).encode()   # a user id the e-mail pattern fires on
    flow = make_flow("https://api2.branch.io/v1/open", body, {"content-type": "application/json"}, status=None)
    hits = Detector(None).scan_flow(flow).hits
    at_field = [h for h in hits if h["location"] == "body:json:$.identity"]
    assert [(h["source"], h["pii_type"]) for h in at_field] == [("endpoint", "user_id")]
    assert [(s["source"], s["pii_type"]) for s in at_field[0]["detail"]["support"]] == [("pattern", "email")]


@MODES
def test_a_late_observed_value_at_a_mapped_field_supersedes_the_endpoint_row(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    (sent,) = sdk_flows(time.time())[:1]
    harness = Harness(session, piiaudit_profile=None, piiaudit_detect_process=process)

    def hooks_runner_reads(i):
        if process and harness.recorder.detection.process is None:
            pytest.skip("no detection process on this machine (one core)")
        hooks_store.write_events([{"ts": time.time(), "kind": "pii_read", "pii_type": "advertising_id",
                                   "value": GAID, "api": "com.google.android.gms.ads.identifier.AdvertisingIdClient"
                                   ".getAdvertisingIdInfo()"}])
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not [r for r in stored_hits(session)
                                                   if r["source"] == "observed_value"]:
            time.sleep(0.02)

    harness.run([sent], between=hooks_runner_reads)
    rows = [r for r in stored_hits(session) if r["pii_type"] == "advertising_id"]
    by_place = {r["location"]: r for r in rows}
    assert len(rows) == len(by_place) == 2, rows      # one row per field, no endpoint row left beside
    for where in ("body:json:$.google_advertising_id", "body:json:$.advertising_ids.aaid"):
        r = by_place[where]
        assert r["source"] == "observed_value" and r["detail"]["lookback"] is True
        assert [(s["source"], s["field"]) for s in r["detail"]["support"]] == [("endpoint", where)]


# -- analysis and reports ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    session = tmp_path_factory.mktemp("noprofile") / "s"
    Harness(session, piiaudit_profile=None, piiaudit_detect_process=False).run(sdk_flows())
    # the tester marks consent between the Branch request (T0) and the Facebook one (T0 + 1)
    SessionStore(session, create=False).add_consent_mark(T0 + 0.25, kind="accepted", source="tester")
    result = analyze(session)
    paths = write_report(session, result=result)
    return session, result, paths


def test_identifiers_found_by_a_map_are_findings_and_name_their_field(analysed):
    _, result, _ = analysed
    f = result.findings
    assert set(f["pii_type"].dropna()) == {"advertising_id", "sim_operator"}
    gaid = f.loc[f["pii_type"].eq("advertising_id") & f["sdk"].eq("branch")]
    assert not gaid.empty
    detail = gaid.iloc[0]["detail"]
    assert not detail.get("pattern_only")
    assert "branch/session body:json:$.google_advertising_id — TrackHAR adapter branch-io" \
        in " ".join(detail["documented_field"])
    send = next(r for r in detail["evidence"] if r["role"] == "send")
    assert send["documented_field"].endswith("[CC0-1.0]")


def test_attributes_never_make_a_finding(analysed):
    _, result, _ = analysed
    attrs = set(vocab.attributes())
    assert len(attrs) == 12 and {"device_model", "consent_state", "user_id", "sdk_device_id"} <= attrs
    assert not set(result.findings["pii_type"].dropna()) & attrs
    sent = result.evidence.sent
    assert not sent.empty and not sent["pii_type"].isin(attrs).any()


def test_the_workbook_lists_what_each_sdk_sent(analysed):
    session, _, paths = analysed
    rows = sheet_rows(paths["xlsx"], b.SENT_BY_SDK_SHEET)
    value_col = b.value_header(False)
    model = next(r for r in rows if r[b.FIELD] == "body:json:$.model")
    assert (model[b.SDK], model[b.ENDPOINT], model[b.DATA_KIND], model[b.ATTRIBUTE]) == (
        "Branch 深度链接 (Branch)", "session", "设备型号 (Device model)", "是 / yes")
    fb = {r[b.FIELD] for r in rows if r[b.ENDPOINT] == "activities"}
    assert fb >= {"body:form:advertiser_id", "body:form:extinfo:json:$[5]", "body:form:extinfo:json:$[15]"}
    gaid = next(r for r in rows if r[b.FIELD] == "body:json:$.google_advertising_id")
    assert gaid[value_col] != GAID and gaid[value_col].startswith("120") and gaid[b.FLOW_COUNT] == 1
    assert gaid[b.PARTY] == "third_party" and gaid[b.ATTRIBUTE] == "否 / no"
    assert gaid[b.FIELD_SOURCE] == ("TrackHAR adapter branch-io (tweaselORG/TrackHAR src/adapters/branch-io.ts) "
                                    "[CC0-1.0]")
    first_time = time_header(b.FIRST_TIME, zone())     # the header names the report's zone
    assert all(r[first_time] and r[b.FIRST_EPOCH] >= T0 for r in rows)
    assert {r[b.DT_CONSENT] for r in rows if r[b.ENDPOINT] == "session"} == {-0.25}
    assert {r[b.DT_CONSENT] for r in rows if r[b.ENDPOINT] == "activities"} == {0.75}
    consent_fields = [r for r in rows if r[b.DATA_KIND] == "同意状态 (Consent / tracking state)"]
    assert {r[b.FIELD_SOURCE].split(":")[0] for r in consent_fields} == {"Meta Graph API reference"}
    # every stored endpoint hit (field and value) is on the sheet, once
    stored = {(h["detail"]["endpoint"], h["detail"]["field"], h["value"]) for h in stored_hits(session)
              if h["source"] == "endpoint"}
    assert len(rows) == len(stored)
    assert {(r[b.ENDPOINT], r[b.FIELD]) for r in rows} == {s[:2] for s in stored}


def test_the_page_and_the_console_name_each_sdk(analysed):
    _, result, paths = analysed
    page = paths["html"].read_text("utf-8")
    assert b.SENT_BY_SDK_HEADING in page and "body:form:extinfo:json:$[5]" in page
    summary = text_summary(result)
    section = summary.split(b.SENT_BY_SDK_HEADING + ":")[1].splitlines()
    lines = [line for line in section if line.startswith("  ")]
    assert len(lines) == 2
    branch, facebook = lines
    assert branch.startswith("  Branch 深度链接 (Branch): ") and branch.endswith(" · 1 flows, 1 endpoints")
    assert facebook.startswith("  Facebook SDK (Facebook (Meta) SDK): ")
    kinds = branch.split(": ", 1)[1].split(" · ")[0].split(", ")
    # the PII types first, then the device and context attributes, each by time then name
    assert kinds == ["广告标识符（GAID） (Google advertising ID)", "运营商信息 (Carrier / SIM operator)",
                     "设备品牌/制造商 (Device brand / manufacturer)", "设备型号 (Device model)", "IP地址 (IP address)",
                     "语言与地区 (Language and region)", "网络类型 (Network type)", "操作系统版本 (OS version)",
                     "屏幕参数 (Screen size and density)", "SDK生成的设备标识 (SDK-generated device ID)",
                     "用户标识 (User ID)"]
    assert "同意状态 (Consent / tracking state)" in facebook and "时区 (Time zone)" in facebook


def test_with_a_profile_the_known_value_wins_and_the_sheet_still_names_the_field(tmp_path):
    device = tmp_path / "device.yaml"
    device.write_text(f"values:\n  advertising_id: {GAID}\n", "utf-8")
    session = tmp_path / "s"
    Harness(session, piiaudit_profile=str(device), piiaudit_detect_process=False).run(sdk_flows())
    rows = [r for r in stored_hits(session) if r["location"] == "body:json:$.google_advertising_id"]
    assert [(r["source"], r["value"]) for r in rows] == [("known_value", GAID)]
    assert any(s["source"] == "endpoint" and s["field"] == "body:json:$.google_advertising_id"
               for s in rows[0]["detail"]["support"])
    paths = write_report(session, result=analyze(session))
    sheet = sheet_rows(paths["xlsx"], b.SENT_BY_SDK_SHEET)
    gaid = [r for r in sheet if r[b.FIELD] == "body:json:$.google_advertising_id"]
    assert len(gaid) == 1 and gaid[0][b.ENDPOINT] == "session" and gaid[0][b.FLOW_COUNT] == 1
