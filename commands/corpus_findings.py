"""Findings a labelled corpus produces, and how many of them rest on pattern hits alone.

For each capture of a corpus (the generated corpus is one capture) a real session is built:
every flow is scanned by the detector with the corpus's device profile and written through
the store (`flows` rows by `piiaudit.flowrow.flow_row`, `pii_hits` rows as the detector
returned them), a scope.yaml names the app's package and its first-party hosts, and the
analysis runs on it (`analysis.pipeline.analyze`) with the consent moment one second after
the last flow: every request counts as sent before consent, the hardest case for a
pattern hit, since then every rule about pre-consent sending can fire on it.

A finding is *pattern-only* when no hook event is among its evidence and every PII hit of
its type in its flows is a pattern hit (no known or observed value): a shape that passed its
check, not proof that this device's data left it. None may be high or critical
(docs/analysis.md: such a finding is capped at `low`); the count and their severities are
the figure. Findings resting on hits of other sources (e.g. endpoint field maps) are counted
apart. It lives here because it wires the base (store, detector) to the analysis.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from analysis.pipeline import analyze
from piiaudit.detect.corpus import KNOWN_SOURCES, Capture, Corpus, Sample
from piiaudit.detect.detector import Detector
from piiaudit.flowrow import flow_row
from piiaudit.profile import DeviceProfile
from piiaudit.store import SessionStore

CONSENT_AFTER_LAST_FLOW_S = 1.0
HIGH = ("high", "critical")


def build_session(directory: Path, profile: DeviceProfile, capture: Capture, samples: list[Sample]) -> float:
    """Write the capture's flows and their hits into a session at `directory`, and its
    scope.yaml; returns the consent moment (one second after the last flow)."""
    det = Detector(profile)
    rows, hits = [], []
    for s in samples:
        row = flow_row(s.flow, f"corpus:{capture.name}")
        rows.append(row)
        hits += [{**h, "flow_id": row["id"]} for h in det.scan_flow(s.flow).hits]
    store = SessionStore(directory)
    try:
        store.write_flows_and_hits(rows, hits)
    finally:
        store.close()
    scope = {"app": {"package": capture.app_package}}
    if capture.first_party_hosts:
        scope["first_party_hosts"] = list(capture.first_party_hosts)
    (directory / "scope.yaml").write_text(yaml.safe_dump(scope, allow_unicode=True), encoding="utf-8")
    if capture.consent != "after_last_flow":
        raise ValueError(f"{capture.name}: consent place {capture.consent!r} is not supported")
    last = max(max(r["ts_start"], r["ts_end"] or r["ts_start"]) for r in rows)
    return last + CONSENT_AFTER_LAST_FLOW_S


def _evidence_kind(finding: dict, hit_sources: dict[tuple[str, str], set[str]]) -> str:
    """'pattern_only', 'other_only' (hits of another source, e.g. endpoint), or 'value'
    (a known or observed value, or a hook event, among the evidence)."""
    if finding["event_ids"]:
        return "value"
    # A finding of one type rests on its type's hits; one of a destination (no type: cross-border) on all.
    sources = set().union(*(s for (f, t), s in hit_sources.items() if f in set(finding["flow_ids"])
                            and (finding["pii_type"] is None or t == finding["pii_type"]))) \
        if finding["flow_ids"] else set()
    if not sources or sources & set(KNOWN_SOURCES):
        return "value"
    return "pattern_only" if sources == {"pattern"} else "other_only"


def capture_findings(directory: Path, profile: DeviceProfile, capture: Capture, samples: list[Sample]) -> dict:
    consent_at = build_session(directory, profile, capture, samples)
    result = analyze(directory, consent_at=consent_at, scope=directory / "scope.yaml")
    store = SessionStore(directory, create=False)
    try:
        hit_rows = store.rows("SELECT flow_id, pii_type, source FROM pii_hits WHERE direction = 'request'")
    finally:
        store.close()
    hit_sources: dict[tuple[str, str], set[str]] = {}
    for h in hit_rows:
        hit_sources.setdefault((h["flow_id"], h["pii_type"]), set()).add(h["source"])
    findings = [{**f, "flow_ids": list(f["flow_ids"]), "event_ids": list(f["event_ids"])}
                for f in result.findings.to_dict("records")]
    for f in findings:
        f["evidence"] = _evidence_kind(f, hit_sources)
    return {"consent_at": consent_at, "findings": findings, "errors": result.errors}


def findings_count(corpus: Corpus, keep: Path | None = None) -> dict:
    """The findings of every capture of the corpus, counted; `keep`: a directory to leave the
    sessions in (one sub-directory per capture), else they are removed."""
    all_findings: list[dict] = []
    errors: list = []
    with tempfile.TemporaryDirectory(prefix="piiaudit-corpus-") as tmp:
        root = Path(keep) if keep is not None else Path(tmp)
        for capture in corpus.captures:
            directory = root / f"{corpus.name}-{Path(capture.name).stem}"
            if directory.exists() and any(directory.iterdir()):
                raise FileExistsError(f"{directory}: not empty; the corpus sessions need fresh directories")
            directory.mkdir(parents=True, exist_ok=True)
            r = capture_findings(directory, corpus.profile, capture,
                                 [s for s in corpus.samples if s.capture == capture.name])
            all_findings += [{**f, "capture": capture.name} for f in r["findings"]]
            errors += r["errors"]
    pattern_only = [f for f in all_findings if f["evidence"] == "pattern_only"]
    return {
        "consent": "one second after each capture's last flow: every request is sent before consent",
        "findings": len(all_findings),
        "by_severity": dict(Counter(f["severity"] for f in all_findings)),
        "by_rule": dict(sorted(Counter(f["rule_id"] for f in all_findings).items())),
        "pattern_only": len(pattern_only),
        "pattern_only_by_severity": dict(Counter(f["severity"] for f in pattern_only)),
        "pattern_only_high": sum(f["severity"] in HIGH for f in pattern_only),
        "pattern_only_findings": [{k: f[k] for k in ("rule_id", "severity", "pii_type", "sdk", "host")}
                                  | {"rule_severity": (f["detail"] or {}).get("rule_severity")}
                                  for f in pattern_only[:20]],
        "other_source_only": sum(f["evidence"] == "other_only" for f in all_findings),
        "other_source_findings": [{k: f[k] for k in ("rule_id", "severity", "pii_type", "sdk", "host")}
                                  for f in all_findings if f["evidence"] == "other_only"][:20],
        "rule_errors": errors,
        "sessions": str(keep) if keep is not None else None,
    }


def measure_with(keep: Path | None = None):
    """The corpus command's measure hook, keeping the sessions under `keep` when given."""
    def measure(corpus: Corpus) -> tuple[str, dict, list[str]]:
        r = findings_count(corpus, keep)
        sev = ", ".join(f"{k} {v}" for k, v in sorted(r["by_severity"].items())) or "none"
        po = ", ".join(f"{k} {v}" for k, v in sorted(r["pattern_only_by_severity"].items())) or "none"
        lines = [f"findings (consent {r['consent']}): {r['findings']} ({sev})",
                 "  by rule: " + (", ".join(f"{k} {v}" for k, v in r["by_rule"].items()) or "none"),
                 f"findings from pattern-only hits: {r['pattern_only']} ({po}); high or critical: "
                 f"{r['pattern_only_high']}"]
        lines += [f"  {f['rule_id']} {f['severity']} (rule: {f['rule_severity'] or f['severity']}) "
                  f"{f['pii_type']} -> {f['sdk'] or 'the app'} at {f['host']}" for f in r["pattern_only_findings"][:10]]
        if r["other_source_only"]:
            lines.append(f"findings from hits of other sources only (e.g. endpoint fields): {r['other_source_only']}")
        if r["rule_errors"]:
            lines.append(f"rules that failed: {json.dumps(r['rule_errors'], ensure_ascii=False)[:300]}")
        if r["sessions"]:
            lines.append(f"sessions kept in {r['sessions']}")
        return "findings", r, lines
    return measure


measure = measure_with()
