"""Endpoint field maps (piiaudit/data/endpoints/*.yaml, piiaudit.detect.endpoints): every
file is sound, every example request yields exactly the (kind, value) pairs it states, and
the engine survives what hostile software sends."""

from __future__ import annotations

import gzip
import json

import pytest

from piiaudit import sdks, vocab
from piiaudit.detect import Detector, endpoints
from piiaudit.detect.endpoints import EndpointError, load_map, parse_at
from tests.support.flows import example_flow, make_flow

EXAMPLES = endpoints.examples()


def endpoint_pairs(hits) -> set[tuple[str, str]]:
    return {(h["pii_type"], h["value"]) for h in hits if h["source"] == "endpoint"}


# -- the files -----------------------------------------------------------------------------------
def test_every_map_file_is_sound():
    assert endpoints.problems() == []
    assert endpoints.maps(), "no endpoint map loaded"


def test_every_file_is_named_after_a_catalogued_sdk_and_every_endpoint_cites_a_licensed_source():
    for sdk, m in endpoints.maps().items():
        assert sdk in sdks.catalog()
        assert m.file.endswith(f"/{sdk}.yaml")
        for ep in m.endpoints:
            assert ep.source.licence and ep.source.url.startswith("http"), ep.id
            assert all(sdks.sdk_for_host(h) == sdk for h in ep.hosts), ep.id
            assert all(vocab.is_known(f.kind) for f in ep.fields), ep.id


def test_every_endpoint_has_an_example():
    for m in endpoints.maps().values():
        assert {ep.name for ep in m.endpoints} <= {x.endpoint for x in m.examples}, m.sdk


@pytest.mark.parametrize("example", EXAMPLES, ids=[x.id for x in EXAMPLES])
def test_example_request_yields_exactly_its_expected_pairs(example):
    """Through the detector with no device profile: a pair missing or extra fails."""
    result = Detector(None).scan_flow(example_flow(example))
    assert result.errors == []
    assert endpoint_pairs(result.hits) == set(example.expect)
    for h in result.hits:
        if h["source"] == "endpoint":
            assert h["detail"]["sdk"] == example.sdk
            assert h["detail"]["endpoint"] == example.endpoint
            assert h["detail"]["source"] in endpoints.maps()[example.sdk].sources


# -- the checks catch what they should ------------------------------------------------------------
GOOD = """
sdk: branch
sources:
  s: {title: "a source", url: "https://example.org/s", licence: CC0-1.0}
endpoints:
  - name: open
    source: s
    hosts: [api2.branch.io]
    path: ^/v1/open$
    method: POST
    fields:
      - {at: "body:json:$.model", kind: device_model}
examples:
  - endpoint: open
    source: written from the field list
    request: {method: POST, url: "https://api2.branch.io/v1/open", body: '{"model": "Pixel 7"}'}
    expect: [{kind: device_model, value: "Pixel 7"}]
"""


def test_a_sound_file_passes():
    m, problems = load_map("branch.yaml", GOOD.encode())
    assert problems == [] and [ep.name for ep in m.endpoints] == ["open"]


@pytest.mark.parametrize("change, message", [
    (("sdk: branch", "sdk: nosuchsdk"), "sdk 'nosuchsdk' is not an id of piiaudit/data/sdks.yaml"),
    (("hosts: [api2.branch.io]", "hosts: [graph.facebook.com]"),
     "host 'graph.facebook.com' does not fall under the catalog host rules of 'branch' (the catalog gives it to 'facebook')"),
    (("hosts: [api2.branch.io]", "hosts: [branch.example.org]"), "does not fall under the catalog host rules"),
    (("kind: device_model}", "kind: shoe_size}"), "kind 'shoe_size' is not a name of piiaudit/data/pii_types.yaml"),
    (("licence: CC0-1.0", "licence: ''"), "source s: missing licence"),
    (("    source: s\n    hosts", "    source: t\n    hosts"), "source 't' is not a key of sources"),
    (("path: ^/v1/open$", "path: ^/v1/(open$"), "is not a regex"),
    (("method: POST", "method: FETCH"), "method 'FETCH' must be one of"),
    (("at: \"body:json:$.model\"", "at: \"body:xml:/model\""), "must start with query:"),
    (("at: \"body:json:$.model\"", "at: \"body:json:model\""), "a JSON path starts with '$'"),
    (("at: \"body:json:$.model\"", "at: \"header:User-Agent\""), "header names are written in lower case"),
    (("at: \"body:json:$.model\"", "at: \"body:protobuf:1.2\""), "protobuf fields are not supported"),
    (("kind: device_model}", "kind: device_model, value: '(\\d+'}"), "is not a regex"),
    (("kind: device_model}", "kind: device_model, value: '(\\d+)'}"), "needs a group named 'value'"),
    (("endpoint: open\n    source: written", "endpoint: shut\n    source: written"),
     "endpoint 'shut' is not a (valid) endpoint"),
    (("url: \"https://api2.branch.io/v1/open\"", "url: \"https://api2.branch.io/v2/open\""), "does not match endpoint 'open'"),
    (("expect: [{kind: device_model, value: \"Pixel 7\"}]", "expect: []"), "at least one"),
    (("expect: [{kind: device_model, value: \"Pixel 7\"}]", "expect: [{kind: os_version, value: \"13\"}]"),
     "expect kind 'os_version' is not a kind of endpoint 'open'"),
    (("    method: POST\n    fields", "    method: POST\n    color: red\n    fields"), "unknown key(s) color"),
])
def test_a_broken_file_is_reported_with_the_place(change, message):
    old, new = change
    assert old in GOOD
    m, problems = load_map("branch.yaml", GOOD.replace(old, new, 1).encode())
    assert any(message in p for p in problems), problems
    assert all(p.startswith("data/endpoints/branch.yaml") for p in problems)


def test_an_endpoint_without_example_and_a_misnamed_file_are_reported():
    text = GOOD.split("examples:")[0] + "examples: []\n"
    _, problems = load_map("facebook.yaml", text.encode())
    assert "data/endpoints/facebook.yaml: the file of sdk 'branch' is named branch.yaml" in problems
    assert "data/endpoints/facebook.yaml: endpoint 'open' has no example" in problems


def test_not_yaml_or_too_large_is_refused_in_one_line():
    _, problems = load_map("branch.yaml", b"sdk: [unclosed\n")
    assert len(problems) == 1 and "not valid YAML" in problems[0]
    _, problems = load_map("branch.yaml", b"#" * (endpoints.MAX_FILE_BYTES + 1))
    assert len(problems) == 1 and "refused" in problems[0]


# -- `at` ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("at, top, key, path, layers", [
    ("query:advertiser_id", "query", "advertiser_id", (), ()),
    ("header:user-agent", "header", "user-agent", (), ()),
    ("cookie:uid", "cookie", "uid", (), ()),
    ("url:path", "url", None, (), ()),
    ("body:json:$.a.b", "body:json", None, ("a", "b"), ()),
    ('body:json:$["a.b"][0][*]', "body:json", None, ("a.b", 0, any), ()),
    ("body:form:extinfo:json:$[5]", "body:form", "extinfo", (), ("json",)),
    ("query:d:json:$.imei", "query", "d", (), ("json",)),
    ("body:json:$.payload:json:$.id", "body:json", None, ("payload",), ("json",)),
    ("body:form:x:base64:json:$.id", "body:form", "x", (), ("base64", "json")),
])
def test_at_syntax(at, top, key, path, layers):
    parsed = parse_at(at)
    assert (parsed.top, parsed.key, parsed.path, tuple(s.layer for s in parsed.steps)) == (top, key, path, layers)


@pytest.mark.parametrize("at", ["", "body:json:$.", "body:json:$[x]", "query:", "body:form:x:protobuf:1.2", "url:query"])
def test_bad_at_is_refused(at):
    with pytest.raises(EndpointError):
        parse_at(at)


# -- extraction on requests the maps did not come with ----------------------------------------------
def branch_flow(body: bytes, headers=None, host="api2.branch.io", path="/v1/open"):
    return make_flow(f"https://{host}{path}", body, {"content-type": "application/json", **(headers or {})},
                     status=None)


def test_values_travel_as_written_numbers_as_json_text_and_placeholders_are_skipped():
    body = json.dumps({"os_version": 33, "screen_width": 1080.50, "model": "", "brand": None,
                       "google_advertising_id": "00000000-0000-0000-0000-000000000000",
                       "hardware_id": "unknown", "local_ip": "192.168.1.7"}).encode()
    hits = Detector(None).scan_flow(branch_flow(body)).hits
    assert endpoint_pairs(hits) == {("os_version", "33"), ("screen", "1080.5"), ("ip_address", "192.168.1.7")}
    hits = Detector(None).scan_flow(branch_flow(b'{"screen_width": 1.0e3, "os_version": -0}')).hits
    assert endpoint_pairs(hits) == {("screen", "1.0e3"), ("os_version", "-0")}


def test_a_two_letter_carrier_is_a_value_not_a_placeholder():
    # "EE" is a British carrier: one repeated letter, but a real name
    hits = Detector(None).scan_flow(branch_flow(b'{"device_carrier": "EE", "hardware_id": "ffffffff"}')).hits
    assert endpoint_pairs(hits) == {("sim_operator", "EE")}


def test_an_array_or_object_in_a_field_travels_as_compact_json_with_numbers_as_written():
    body = b'{"identity": ["a", 1.50, {"b": true, "c": null}], "metadata": {"user_id": "  "}}'
    hits = Detector(None).scan_flow(branch_flow(body)).hits
    assert endpoint_pairs(hits) == {("user_id", '["a",1.50,{"b":true,"c":null}]')}


def test_destination_decides_not_the_host_header():
    body = b'{"model": "Pixel 7"}'
    flow = make_flow("https://api2.branch.io/v1/open", body, {"content-type": "application/json"}, status=None)
    assert endpoint_pairs(Detector(None).scan_flow(flow).hits) == {("device_model", "Pixel 7")}
    # a request to another server that only claims to be Branch in its Host header
    flow = make_flow("https://tracker.evil.example/v1/open", body, {"host": "api2.branch.io"}, status=None)
    assert endpoint_pairs(Detector(None).scan_flow(flow).hits) == set()


def test_method_and_path_must_match():
    body = b'{"model": "Pixel 7"}'
    assert endpoint_pairs(Detector(None).scan_flow(branch_flow(body, path="/v1/openx")).hits) == set()
    flow = make_flow("https://api2.branch.io/v1/open", body, method="PUT", status=None)
    assert endpoint_pairs(Detector(None).scan_flow(flow).hits) == set()


def test_a_gzip_body_is_read_after_its_content_encoding():
    body = gzip.compress(b'{"model": "Pixel 7"}')
    result = Detector(None).scan_flow(branch_flow(body, {"content-encoding": "gzip"}))
    hit = next(h for h in result.hits if h["source"] == "endpoint")
    assert (hit["pii_type"], hit["value"], hit["location"]) == ("device_model", "Pixel 7", "body:json:$.model")
    assert hit["detail"] == {"sdk": "branch", "endpoint": "session", "field": "body:json:$.model",
                             "source": "trackhar", "content_encoding": "gzip"}


# -- hostile input --------------------------------------------------------------------------------
def test_broken_json_gives_a_clear_error_and_no_endpoint_hit():
    result = Detector(None).scan_flow(branch_flow(b'{"model": "Pixel 7", "brand": '))
    assert endpoint_pairs(result.hits) == set()
    assert any(e.startswith("endpoint branch/session: request body is not valid JSON") for e in result.errors), \
        result.errors


def test_deep_nesting_is_survived():
    body = b'{"model": "Pixel 7", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    result = Detector(None).scan_flow(branch_flow(body))
    assert endpoint_pairs(result.hits) == set()
    assert any("nested too deeply" in e for e in result.errors), result.errors


def test_a_50_mb_body_is_not_parsed_and_costs_little():
    import time

    body = b'{"model": "Pixel 7", "pad": "' + b"a" * (50 << 20) + b'"}'
    started = time.perf_counter()
    result = Detector(None).scan_flow(branch_flow(body))
    assert time.perf_counter() - started < 10
    assert endpoint_pairs(result.hits) == set() and "body_bytes" in result.capped


def test_a_gzip_bomb_stops_at_the_body_limit():
    body = gzip.compress(b'{"model": "Pixel 7", "pad": "' + b"a" * (64 << 20) + b'"}')
    result = Detector(None).scan_flow(branch_flow(body, {"content-encoding": "gzip"}))
    assert endpoint_pairs(result.hits) == set() and "body_bytes" in result.capped


# -- the documentation -----------------------------------------------------------------------------
def test_docs_list_every_map_file_and_endpoint():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "endpoints.md").read_text("utf-8")
    assert endpoints.summary_markdown() in text, "docs/endpoints.md is stale: run python scripts/endpoints.py docs"
    for sdk, m in endpoints.maps().items():
        assert f"(`{sdk}`)" in text
        for ep in m.endpoints:
            assert f"(`{sdk}`) | {ep.name} |" in text
    for name in ("docs/architecture.md", "docs/catalog.md"):
        assert "endpoints.md" in (Path(__file__).resolve().parents[1] / name).read_text("utf-8"), name


def test_the_vocabulary_marks_exactly_the_agreed_attributes():
    assert set(vocab.attributes()) == {
        "device_model", "device_brand", "os_version", "screen", "locale", "timezone", "network_type",
        "app_install_time", "ip_address", "user_id", "sdk_device_id", "consent_state"}
    for name in vocab.attributes():
        t = vocab.get(name)
        assert t.zh and t.en and not t.sensitive and t.permission is None


def test_a_scope_file_may_state_attribute_kinds(tmp_path):
    from analysis import scope

    path = tmp_path / "scope.yaml"
    path.write_text("stated:\n  sdks: {branch: [advertising_id, device_model, consent_state]}\n", "utf-8")
    assert scope.load(path).stated_for("branch") == {"advertising_id", "device_model", "consent_state"}
