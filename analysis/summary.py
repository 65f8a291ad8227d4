"""A short bilingual console summary of an analysis (printed by `piiaudit analyze` and `demo`)."""

from __future__ import annotations

import datetime as dt

from analysis import bilingual as b
from analysis import categories
from analysis import identityrows, screens, sentbysdk, sessionstate
from analysis.labels import SEVERITY, pii_label, result_line, sdk_label
from analysis.pipeline import AnalysisResult
from analysis.reportdata import identity_fields
from analysis.rules import SEVERITY_RANK
from piiaudit import manifest as manifest_mod
from piiaudit.times import iso_one, utc_offset, zone, zone_name

TOP = 10


def text_summary(result: AnalysisResult, *, top: int = TOP, tz: dt.tzinfo | None = None) -> str:
    """Counts, the consent decision, findings per rule and the top findings; times in `tz`."""
    counts = result.counts
    lines = [
        f"piiaudit — {result.session_dir.name}: {counts['flows']} flows, {counts['pii_hits']} PII hits, "
        f"{counts['events']} hook events",
        *identity_lines(result, tz),
        *state_head(result, tz),
        result.consent.describe(tz),
        *automation_lines(result),
        *[f"  ! {n}" for n in (*result.consent.notes, *result.notes)],
        *state_block(result),
        "",
        f"{b.FINDINGS_HEADING}: {counts['findings']}",
        f"{b.RESULT}: {result_line(len(result.findings), empty=result.session.is_empty, failed_rules=len(result.errors))}",
    ]
    per_rule = result.counts_per_rule()
    per_rule = per_rule.loc[per_rule["status"] != "disabled"]
    per_rule = per_rule.assign(_order=per_rule["category"].map(lambda c: categories.ORDER.get(c, len(categories.ORDER))))
    heading = None
    for rec in per_rule.sort_values("_order", kind="stable").to_dict("records"):
        if rec["category"] != heading:
            heading = rec["category"]
            n = int(per_rule.loc[per_rule["category"] == heading, "findings"].sum())
            lines.append(f" [{categories.label(heading)}] {n}")
        status = "" if rec["status"] == "run" else f"  [{rec['status']}: {rec['reason']}]"
        lines.append(f"  {rec['rule_id']:<15}{rec['findings']:>5}  {rec['title_zh']} / {rec['title_en']}{status}")
    f = result.findings
    if not f.empty:
        ranked = f.assign(rank=f["severity"].map(SEVERITY_RANK)).sort_values(
            ["rank", "first_ts", "id"], kind="stable").head(top)
        lines += ["", f"主要发现 / Top findings ({zone_name(tz)}, UTC{utc_offset(tz)}):"]
        for rec in ranked.to_dict("records"):
            where = f" → {rec['host']}" if rec["host"] else ""
            lines.append(
                f"  #{rec['id']} [{SEVERITY[rec['severity']]}] {rec['rule_id']}: {pii_label(rec['pii_type']) or '—'}"
                f" · {sdk_label(rec['sdk'])}{where} · {iso_one(rec['first_ts'], tz)}"
                f" (flows {len(rec['flow_ids'])}, events {len(rec['event_ids'])})")
        if len(f) > top:
            lines.append(f"  … {len(f) - top} more / 另有 {len(f) - top} 条")
    lines += sent_by_sdk_lines(result)
    for err in result.errors:
        lines.append(f"  ! rule {err['rule_id']} failed / 规则执行失败: {err['message']}")
    return "\n".join(lines)


def automation_lines(result: AnalysisResult) -> list[str]:
    """How the decision was given and what the UI automation left, when it ran (analysis.screens)."""
    s = result.session
    actions, shots = s.ui_actions, s.screens
    if (actions is None or actions.empty) and (shots is None or shots.empty):
        return []
    given = screens.consent_given(result.consent, s)
    by = b.value_label("consent_by", given["by"]) if given["by"] else "—"
    return [f"  {b.CONSENT_BY}: {by}; {b.both('自动化操作', 'UI actions')} "
            f"{0 if actions is None else len(actions)}, {b.SCREENSHOTS} {0 if shots is None else len(shots)} "
            f"(screens/)"]


def identity_lines(result: AnalysisResult, tz: dt.tzinfo | None = None) -> list[str]:
    """Which app, who, on what device, and the zone the times below are in (analysis.identityrows)."""
    manifest = manifest_mod.read(result.session_dir)
    facts = identity_fields(manifest, result.session.store, result.scope.to_dict() if result.scope else None)
    return ["  " + line for line in identityrows.console_lines(facts["app_identity"], manifest, facts["tester"],
                                                               facts["device"], tz or zone())]


def _state(result: AnalysisResult) -> sessionstate.SessionState:
    return result.state or sessionstate.read(result.session.store, result.session.manifest)


def state_head(result: AnalysisResult, tz: dt.tzinfo | None = None) -> list[str]:
    """Under the first line: a partial session, files changed after recording (analysis.sessionstate)."""
    state = _state(result)
    return [f"  ! {line}" for line in (*state.partial_lines(tz), *state.accepted_lines(tz))]


def state_block(result: AnalysisResult) -> list[str]:
    """Before the findings: what each stage stored, skipped and failed."""
    state = _state(result)
    return ["", *state.accounting.lines(len(state.partial_runs))]


def sent_by_sdk_lines(result: AnalysisResult) -> list[str]:
    """One line per SDK the endpoint field maps saw: its kinds (identifiers first) and flows."""
    s = result.session
    v = sentbysdk.per_sdk(s.hits, s.flows, result.timeline_order)
    if v.empty:
        return []
    lines = ["", f"{b.SENT_BY_SDK_HEADING}:"]
    for rec in v.to_dict("records"):
        kinds = ", ".join(pii_label(k) for k in rec["kinds"])
        lines.append(f"  {sdk_label(rec['sdk'])}: {kinds} · {rec['flows']} flows, {rec['endpoints']} endpoints")
    return lines
