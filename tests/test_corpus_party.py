"""Party attribution on the generated corpus: the analysis's decision against hand labels."""

import dataclasses

import pytest

from commands import corpus_party
from commands.cli import cli
from piiaudit.detect import corpus


@pytest.fixture(scope="module")
def generated():
    return corpus.generated_corpus(120, seed=3)


@pytest.fixture(scope="module")
def samples(generated):
    return generated.samples


def test_every_generated_flow_goes_to_its_labelled_party(samples):
    r = corpus_party.party_accuracy(samples)
    assert r["flows_labelled"] == 120 and r["wrong"] == 0 and r["accuracy"] == 1.0
    labels = {s.party for s in samples}
    # SDKs, the app's own servers and an uncatalogued tracker are all in the measure
    assert {"umeng", "baidu_location", corpus.FIRST_PARTY, "unattributed:unknown-tracker.example"} <= labels


def test_a_mislabelled_host_is_reported_wrong(generated, samples):
    relabelled = [dataclasses.replace(s, party="jpush") if s.sdk == "umeng" else s for s in samples]
    r = corpus_party.party_accuracy(relabelled)
    n_umeng = sum(s.sdk == "umeng" for s in samples)
    assert r["wrong"] == n_umeng > 0 and r["attributed_right"] == 120 - n_umeng
    assert r["wrong_hosts"] == [{"host": "ulogs.umeng.com", "expected": "jpush", "got": "umeng"}]
    _, _, lines = corpus_party.measure(dataclasses.replace(generated, samples=relabelled))
    assert "ulogs.umeng.com: expected jpush, got umeng" in "\n".join(lines)


def test_first_party_needs_the_scope(samples):
    # without the app's first-party hosts its own server is an uncatalogued domain: not the app
    app = next(s for s in samples if s.sdk == "app_api")
    assert corpus_party.decided_party("api.demoshop.example", corpus_party.Scope()) == "unattributed:demoshop.example"
    assert app.party == corpus.FIRST_PARTY


def test_the_command_prints_the_party_lines():
    from click.testing import CliRunner
    res = CliRunner().invoke(cli, ["corpus", "--corpus", "generated", "--flows", "48", "--seed", "2", "--no-findings"])
    assert res.exit_code == 0, res.output
    assert "party attribution: 48 flows labelled, 48 attributed right, 0 wrong (accuracy 1.000)" in res.output
    res = CliRunner().invoke(cli, ["corpus", "--corpus", "generated", "--flows", "24", "--seed", "2", "--json",
                                   "--no-findings"])
    assert '"party_attribution"' in res.output and '"accuracy": 1.0' in res.output
