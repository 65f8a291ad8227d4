"""The labelled corpus: every planted value found in its encoding, nothing else reported."""

import json

import pytest

from piiaudit.detect import corpus


@pytest.fixture(scope="module")
def metrics():
    profile, samples = corpus.generate(440, seed=1)
    return profile, samples, corpus.evaluate(profile, samples)


def _total(tallies):
    planted = sum(t.planted for t in tallies.values())
    found = sum(t.found for t in tallies.values())
    false_pos = sum(t.false_pos for t in tallies.values())
    return planted, found, false_pos


def test_recall_is_complete_on_every_type_and_encoding(metrics):
    _, _, m = metrics
    assert m["misses"] == []
    for t in list(m["by_type"].values()) + list(m["by_encoding"].values()):
        assert t.found == t.planted


def test_precision_on_clean_and_leaky_traffic(metrics):
    _, _, m = metrics
    planted, found, false_pos = _total(m["by_type"])
    assert planted > 300 and found / (found + false_pos) >= 0.99, m["false_positives"][:5]


def test_the_corpus_covers_what_it_claims(metrics):
    _, samples, m = metrics
    assert {s.sdk for s in samples} == set(corpus.TEMPLATES)
    encodings = set(m["by_encoding"])
    for expected in ("plain", "md5", "sha1", "sha256", "sha512", "upper>md5", "base64", "base64>md5", "hex",
                     "md5>md5", "nosep", "urlencoded", "gcj02", "bd09", "e6", "float64", "unicode_escape"):
        assert expected in encodings, expected
    assert any(e.startswith("base64>") for e in encodings)           # values inside base64 JSON (Getui)
    assert sum(1 for s in samples if not s.labels) > 150             # clean flows are really there


def test_same_seed_same_corpus():
    a = corpus.generate(30, seed=5)[1]
    b = corpus.generate(30, seed=5)[1]
    assert [s.flow.request.raw_content for s in a] == [s.flow.request.raw_content for s in b]
    assert [s.labels for s in a] == [s.labels for s in b]


def test_command_prints_tables_and_json(capsys):
    assert corpus.main(["--corpus", "generated", "--flows", "60", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "PII type" in out and "encoding" in out and "precision" in out and "pattern hits" in out
    assert corpus.main(["--corpus", "generated", "--flows", "30", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["flows"] == 30 and "imei" in data["by_type"] or "android_id" in data["by_type"]


def test_command_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        corpus.main(["--flows", "0"])
    assert "--flows" in capsys.readouterr().err


def test_noise_is_in_every_flow_and_no_pattern_fires_on_floats_times_or_digests(metrics):
    _, samples, m = metrics
    kinds = {kind for s in samples for kind, _ in s.noise}
    assert set(corpus.NOISE_KINDS) <= kinds
    assert all(s.noise for s in samples if s.sdk in ("umeng", "jpush", "getui", "appsflyer", "adjust", "app_api"))
    assert all(m["pattern_only_by_noise"].get(kind, 0) == 0 for kind in corpus.FALSE_NOISE), m["pattern_only_by_noise"]
    # other devices' IMEIs under an `imei` key are what a pattern is for: found, and counted apart
    assert m["pattern_only_by_noise"]["other_device"] > 0 and m["pattern"]["only_clean_flows"] > 0


def test_pattern_hits_on_planted_values_are_support_not_hits(metrics):
    _, _, m = metrics
    p = m["pattern"]
    assert p["matching_planted"] == 0
    assert p["leaky_flows"] > p["only_leaky_flows"]   # absorbed as support of the planted known values
