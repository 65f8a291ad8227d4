"""The accuracy corpora: real SDK traffic labelled by hand, and the generated one, measured alike.

On both: every labelled device value is found in its encoding (recall 1.00), almost nothing
else is reported (precision at least 0.99), every labelled host goes to its party, and no
finding that rests on pattern hits alone is high. The real corpus is captures nobody on this
project wrote (piiaudit/data/corpus/real/README.md); its labels must point at real entries.
"""

import dataclasses
import json
import shutil

import pytest
import yaml
from click.testing import CliRunner

from commands import corpus_findings, corpus_party
from commands.cli import cli
from piiaudit.detect import corpus, realcorpus
from piiaudit.profile import DeviceProfile

GAID = "1209d0b9-b959-42e6-b921-aa5d9d08c1af"


@pytest.fixture(scope="module")
def real():
    return realcorpus.load()


@pytest.fixture(scope="module")
def real_metrics(real):
    return corpus.evaluate(real.profile, real.samples)


@pytest.fixture(scope="module")
def generated():
    return corpus.generated_corpus(96, seed=4)


def _totals(tallies):
    planted = sum(t.planted for t in tallies.values())
    found = sum(t.found for t in tallies.values())
    false_pos = sum(t.false_pos for t in tallies.values())
    return planted, found, false_pos


# --- the real corpus loads, and its labels point at real entries ------------------------------
def test_the_real_corpus_is_every_request_of_the_shipped_capture(real):
    assert [s.name for s in real.samples] == [f"android-first-run.har#{i}" for i in range(16)]
    assert {s.party for s in real.samples} == {"facebook", "branch", "bugsnag"}
    assert real.profile.values == {"advertising_id": [GAID], "sim_operator": ["T-Mobile"],
                                   "android_id": ["7d5a6fd0d53a566b"]}
    assert sum(len(s.labels) for s in real.samples) == 18
    assert all(s.exhaustive and s.capture == "android-first-run.har" for s in real.samples)
    assert any("argued" in note and "android_id" in note for note in real.notes)


def test_every_label_names_a_value_the_request_really_carries(real):
    for s in real.samples:
        wire = (s.flow.request.url + "\n" + (s.flow.request.get_text(strict=False) or "")).replace("\\/", "/")
        for lab in s.labels:
            assert lab.value in wire or lab.value in s.flow.request.urlencoded_form.get("extinfo", ""), (s.name, lab)
            assert lab.reason and lab.location


def _broken(tmp_path, change):
    shutil.copytree(realcorpus.CORPUS_DIR, tmp_path / "real")
    labels = tmp_path / "real" / "labels.yaml"
    doc = yaml.safe_load(labels.read_text(encoding="utf-8"))
    change(doc)
    labels.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return tmp_path / "real"


def _requests(doc):
    return doc["captures"][0]["requests"]


@pytest.mark.parametrize("change, message", [
    (lambda d: _requests(d).pop(3), "every entry 0..15 is labelled once"),
    (lambda d: _requests(d)[9].update(request="POST https://api2.branch.io/v1/close"), "#9: labelled as"),
    (lambda d: _requests(d)[5]["values"][0].update(value="00000000-0000-0000-0000-000000000000"),
     "is not the profile's advertising_id"),
    (lambda d: _requests(d)[5]["values"][0].update(type="device_colour"), "not a PII type"),
    (lambda d: _requests(d)[5]["values"][0].update(location="advertiser_id"), "not a hit location"),
    (lambda d: d["hosts"].pop("cdn.branch.io"), "host cdn.branch.io has no party"),
    (lambda d: d["hosts"]["cdn.branch.io"].update(party="branchio"), "no SDK id"),
    (lambda d: d["captures"][0].update(sha256="0" * 64), "not the file the labels were written for"),
])
def test_a_label_that_does_not_fit_its_capture_is_refused(tmp_path, change, message):
    with pytest.raises(realcorpus.RealCorpusError, match=message.replace(".", r"\.")):
        realcorpus.load(_broken(tmp_path, change))


# --- known-value recall 1.00 and precision >= 0.99, on both corpora ---------------------------
def test_on_real_traffic_every_labelled_value_is_found_at_its_place_and_nothing_else(real_metrics):
    m = real_metrics
    assert m["misses"] == [] and m["false_positives"] == [] and m["errors"] == 0
    planted, found, false_pos = _totals(m["by_type"])
    assert planted == found == 18 and found / (found + false_pos) >= 0.99
    assert {t: (x.planted, x.found) for t, x in m["by_type"].items()} == {
        "advertising_id": (10, 10), "sim_operator": (5, 5), "android_id": (3, 3)}
    assert {sdk: x.found for sdk, x in m["by_sdk"].items()} == {"facebook": 7, "branch": 8, "bugsnag": 3}


def test_a_hit_at_a_place_no_label_names_is_a_false_positive(real):
    # the breadcrumb that repeats the app's deviceId, unlabelled: the detector still finds it
    s15 = real.samples[15]
    trimmed = [lab for lab in s15.labels if "breadcrumbs" not in (lab.location or "")]
    samples = real.samples[:15] + [dataclasses.replace(s15, labels=trimmed)]
    m = corpus.evaluate(real.profile, samples)
    assert m["false_positives"] == [("android-first-run.har#15", "android_id", "plain",
                                     "body:json:$.events[0].breadcrumbs[20].name")]
    assert m["misses"] == []


def test_the_carrier_inside_facebooks_percent_encoded_extinfo_is_plain(real_metrics, real):
    # extinfo=%5B%22a2%22...%22T-Mobile%22...: the name itself travelled as it is
    labels = [lab for s in real.samples for lab in s.labels if lab.pii_type == "sim_operator"]
    assert {lab.location for lab in labels} == {"body:form:extinfo:json:$[8]", "body:json:$.device_carrier"}
    assert real_metrics["by_encoding"]["plain"].found == 18


def test_on_generated_traffic_recall_and_precision_hold_too(generated):
    m = corpus.evaluate(generated.profile, generated.samples)
    planted, found, false_pos = _totals(m["by_type"])
    assert m["misses"] == [] and planted > 50 and found == planted
    assert found / (found + false_pos) >= 0.99


# --- party attribution: every labelled host ----------------------------------------------------
def test_every_labelled_host_of_the_real_capture_goes_to_its_party(real):
    r = corpus_party.party_accuracy(real.samples, {c.name: c.first_party_hosts for c in real.captures})
    assert r["wrong"] == 0 and r["flows_labelled"] == 16
    assert {h: x["got"] for h, x in r["hosts"].items()} == {
        "graph.facebook.com": "facebook", "api2.branch.io": "branch", "cdn.branch.io": "branch",
        "sessions.bugsnag.com": "bugsnag", "notify.bugsnag.com": "bugsnag"}
    assert r["hosts_right"] == r["hosts_labelled"] == 5


def test_every_labelled_host_of_the_generated_corpus_goes_to_its_party(generated):
    _, r, _ = corpus_party.measure(generated)
    assert r["wrong"] == 0 and r["hosts_right"] == r["hosts_labelled"] == len(corpus.TEMPLATES)


# --- findings: none from pattern-only hits is high ---------------------------------------------
def test_real_traffic_makes_high_findings_only_from_known_values(real, tmp_path):
    r = corpus_findings.findings_count(real, keep=tmp_path)
    assert r["pattern_only"] == 0 and r["pattern_only_high"] == 0 and r["rule_errors"] == []
    # IM5.1: pre-consent sends to the three SDKs; PIPL-XBORDER: the four hosts that received PII, each
    # at the server address the capture recorded, all outside mainland China (tests/test_crossborder.py)
    assert r["by_rule"] == {"IM5.1": 6, "PIPL-XBORDER": 4} and r["by_severity"] == {"high": 6, "medium": 4}
    session = tmp_path / "real-android-first-run"
    assert (session / "session.db").exists() and (session / "scope.yaml").exists()


def test_recorded_without_a_profile_real_traffic_is_judged_on_documented_fields(real):
    # no device profile: the advertising ID and the carrier are still found, in the fields the
    # endpoint maps document (Facebook's advertiser_id and extinfo, Branch's
    # google_advertising_id and device_carrier); the pattern that also fires there is support
    r = corpus_findings.findings_count(dataclasses.replace(real, profile=DeviceProfile()))
    assert r["pattern_only"] == 0 and r["pattern_only_high"] == 0
    # four pre-consent sends, and the two of those hosts abroad (PIPL-XBORDER, one per destination)
    assert r["other_source_only"] == r["findings"] == 6
    assert {(f["rule_id"], f["sdk"], f["pii_type"]) for f in r["other_source_findings"]} == {
        ("IM5.1", "facebook", "advertising_id"), ("IM5.1", "facebook", "sim_operator"),
        ("IM5.1", "branch", "advertising_id"), ("IM5.1", "branch", "sim_operator"),
        ("PIPL-XBORDER", "facebook", None), ("PIPL-XBORDER", "branch", None)}


def test_generated_noise_makes_pattern_only_findings_and_none_is_high(generated):
    r = corpus_findings.findings_count(generated)
    assert r["pattern_only"] > 0 and r["pattern_only_high"] == 0
    assert set(r["pattern_only_by_severity"]) == {"low"}
    assert r["by_severity"].get("high", 0) > 0          # findings from the device's own values stay high


# --- the command ------------------------------------------------------------------------------
def test_the_command_prints_both_corpora():
    res = CliRunner().invoke(cli, ["corpus", "--flows", "48", "--seed", "2"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.index("== generated corpus ==") < out.index("== real corpus ==")
    assert "party attribution: 16 flows labelled, 16 attributed right, 0 wrong (accuracy 1.000); " \
           "5 hosts labelled, 5 right" in out
    assert "  graph.facebook.com: right (facebook)" in out
    assert out.count("high or critical: 0") == 2


def test_the_command_gives_json_for_ci():
    res = CliRunner().invoke(cli, ["corpus", "--flows", "36", "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) == {"generated", "real"}
    real = data["real"]
    assert real["by_type"]["advertising_id"] == {"planted": 10, "found": 10, "false_positives": 0}
    assert real["party_attribution"]["hosts_right"] == 5 and real["findings"]["pattern_only_high"] == 0
    assert data["generated"]["flows"] == 36 and data["generated"]["findings"]["pattern_only_high"] == 0
    res = CliRunner().invoke(cli, ["corpus", "--corpus", "real", "--json", "--no-findings"])
    assert res.exit_code == 0 and "findings" not in json.loads(res.output)
