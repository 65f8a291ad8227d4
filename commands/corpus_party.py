"""Party-attribution accuracy on a labelled corpus (generated or real).

Every sample carries the party its destination host belongs to, written by hand: in the
generated corpus per template (`piiaudit.detect.corpus.EXPECTED_PARTY`), in the real one per
host (`hosts:` of piiaudit/data/corpus/real/labels.yaml). This module asks the analysis's own
flow-party decision (`analysis.party.host_party`, on the host `piiaudit.flowrow.destination`
reads, with each capture's first-party hosts as its scope) and counts where the two agree,
per flow and per labelled host. It lives here because the corpora are in the base package,
which may not import the analysis.
"""

from __future__ import annotations

from analysis.party import host_party
from analysis.scope import Scope
from piiaudit.detect.corpus import FIRST_PARTY_HOSTS, Corpus, Sample
from piiaudit.flowrow import destination


def decided_party(host: str, scope: Scope) -> str:
    """The actor the analysis names for a host, or its party when there is no actor (the app)."""
    actor, party, _ = host_party(host, scope)
    return actor or party


def party_accuracy(samples: list[Sample], first_party_hosts: dict[str, tuple[str, ...]] | tuple[str, ...] | None = None
                   ) -> dict:
    """Per flow and per distinct (capture, host): right or wrong. `first_party_hosts`: one
    tuple for every sample, a tuple per capture name, or None for the generated corpus's."""
    if first_party_hosts is None:
        first_party_hosts = FIRST_PARTY_HOSTS
    per_capture = first_party_hosts if isinstance(first_party_hosts, dict) else None
    scopes: dict[str, Scope] = {}
    wrong = []
    decided: dict[tuple[str, str], str] = {}
    expected: dict[tuple[str, str], str] = {}
    for s in samples:
        scope = scopes.setdefault(s.capture, Scope(first_party_hosts=(
            per_capture.get(s.capture, ()) if per_capture is not None else first_party_hosts)))
        host = destination(s.flow)
        got = decided.setdefault((s.capture, host), decided_party(host, scope))
        expected.setdefault((s.capture, host), s.party)
        if got != s.party:
            wrong.append({"host": host, "expected": s.party, "got": got})
    labelled = len(samples)
    wrong_hosts = _distinct(wrong)
    return {"flows_labelled": labelled, "attributed_right": labelled - len(wrong), "wrong": len(wrong),
            "accuracy": (labelled - len(wrong)) / labelled if labelled else float("nan"),
            "hosts_labelled": len(expected), "hosts_right": len(expected) - len(wrong_hosts),
            "hosts": {key[1]: {"expected": expected[key], "got": decided[key]} for key in sorted(expected)},
            "wrong_hosts": wrong_hosts[:10]}


def _distinct(rows: list[dict]) -> list[dict]:
    return list({(r["host"], r["expected"], r["got"]): r for r in rows}.values())


def measure(corpus: Corpus) -> tuple[str, dict, list[str]]:
    """The corpus command's measure hook: (name, JSON result, report lines)."""
    r = party_accuracy(corpus.samples, {c.name: c.first_party_hosts for c in corpus.captures})
    lines = [f"party attribution: {r['flows_labelled']} flows labelled, {r['attributed_right']} attributed right, "
             f"{r['wrong']} wrong (accuracy {r['accuracy']:.3f}); {r['hosts_labelled']} hosts labelled, "
             f"{r['hosts_right']} right"]
    if corpus.name == "real":
        lines += [f"  {host}: {'right' if h['got'] == h['expected'] else 'WRONG'} ({h['got']})"
                  for host, h in r["hosts"].items()]
    if r["wrong_hosts"]:
        lines.append(f"wrong hosts (first {len(r['wrong_hosts'])}):")
        lines += [f"  {w['host']}: expected {w['expected']}, got {w['got']}" for w in r["wrong_hosts"]]
    return "party_attribution", r, lines
