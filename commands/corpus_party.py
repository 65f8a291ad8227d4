"""Party-attribution accuracy on the generated corpus.

Every generated flow carries the party its destination host belongs to, written by hand in
the corpus (`piiaudit.detect.corpus.EXPECTED_PARTY`). This module asks the analysis's own
flow-party decision (`analysis.party.host_party`, with the corpus app's first-party hosts as
its scope) and counts where the two agree. It lives here because the corpus is in the base
package, which may not import the analysis.
"""

from __future__ import annotations

from analysis.party import host_party
from analysis.scope import Scope
from piiaudit.detect.corpus import FIRST_PARTY_HOSTS, Sample
from piiaudit.flowrow import destination


def decided_party(host: str, scope: Scope) -> str:
    """The actor the analysis names for a host, or its party when there is no actor (the app)."""
    actor, party, _ = host_party(host, scope)
    return actor or party


def party_accuracy(samples: list[Sample]) -> dict:
    scope = Scope(first_party_hosts=FIRST_PARTY_HOSTS)
    wrong = []
    decided: dict[str, str] = {}
    for s in samples:
        host = destination(s.flow)
        got = decided.setdefault(host, decided_party(host, scope))
        if got != s.party:
            wrong.append({"host": host, "expected": s.party, "got": got})
    labelled = len(samples)
    return {"flows_labelled": labelled, "attributed_right": labelled - len(wrong), "wrong": len(wrong),
            "accuracy": (labelled - len(wrong)) / labelled if labelled else float("nan"),
            "wrong_hosts": _distinct(wrong)[:10]}


def _distinct(rows: list[dict]) -> list[dict]:
    return list({(r["host"], r["expected"], r["got"]): r for r in rows}.values())


def measure(samples: list[Sample]) -> tuple[str, dict, list[str]]:
    """The corpus command's measure hook: (name, JSON result, report lines)."""
    r = party_accuracy(samples)
    lines = [f"party attribution: {r['flows_labelled']} flows labelled, {r['attributed_right']} attributed right, "
             f"{r['wrong']} wrong (accuracy {r['accuracy']:.3f})"]
    if r["wrong_hosts"]:
        lines.append(f"wrong hosts (first {len(r['wrong_hosts'])}):")
        lines += [f"  {w['host']}: expected {w['expected']}, got {w['got']}" for w in r["wrong_hosts"]]
    return "party_attribution", r, lines
