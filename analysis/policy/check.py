"""`piiaudit scope check`: the stated scope against what a session observed, per actor, side by side.

For the app itself and every SDK seen or listed: the PII types stated and seen, stated but
not seen, and seen but not stated (what IM3.3 reports), whether the policy's SDK list names
the SDK (an SDK seen at work but not listed is what SDK-UNDISCLOSED reports). Observed means
the hooks' reads and the PII found in requests, attributed as `piiaudit analyze` attributes
them (analysis.party, analysis.prepare); a cloud or CDN provider counts as the app.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import consent as consent_mod
from analysis.load import load_session
from analysis.party import attribute_events
from analysis.pipeline import _crypto_hits, _resolve_scope
from analysis.prepare import prepare
from analysis.scope import ScopeError
from piiaudit import sdks as sdk_catalog
from piiaudit.store import StoreError

APP = "app"


@dataclass(frozen=True)
class ActorRow:
    actor: str                  # "app" or an SDK id / name
    label: str
    listed: bool                # the app, or an SDK the policy's SDK list names
    seen_at_work: bool
    stated: frozenset[str]
    seen: frozenset[str]

    @property
    def undisclosed(self) -> bool:
        """At work and not listed: what SDK-UNDISCLOSED reports (an unattributed host or unidentified library is
        no SDK the list could name)."""
        return (self.seen_at_work and not self.listed
                and not self.actor.startswith((sdk_catalog.UNATTRIBUTED, sdk_catalog.LIBRARY)))

    @property
    def both(self) -> list[str]:
        return sorted(self.stated & self.seen)

    @property
    def stated_only(self) -> list[str]:
        return sorted(self.stated - self.seen)

    @property
    def seen_only(self) -> list[str]:
        return sorted(self.seen - self.stated)


@dataclass(frozen=True)
class Comparison:
    session: str
    scope_source: str
    rows: list[ActorRow]


def _observed(evidence) -> pd.DataFrame:
    parts = [evidence.reads[["sdk", "pii_type"]], evidence.sent[["sdk", "pii_type"]]]
    rows = pd.concat(parts, ignore_index=True).dropna(subset=["pii_type"])
    infra = rows["sdk"].map(sdk_catalog.is_infrastructure, na_action="ignore").fillna(False).astype(bool)
    return rows.assign(sdk=rows["sdk"].where(~infra).fillna(APP).astype("str"), pii_type=rows["pii_type"].astype("str"))


def compare(session_dir: Path | str, scope_path: Path | str | None = None) -> Comparison:
    session_dir = Path(session_dir)
    notes: list[str] = []
    try:
        session = load_session(session_dir)
    except StoreError as e:
        raise ScopeError(str(e)) from None
    scope = _resolve_scope(session_dir, scope_path, notes)
    if scope is None or not scope.has_statements:
        raise ScopeError(f"{session_dir}: no scope.yaml with `stated` given or found in the session; give --scope "
                         "(write one with `piiaudit scope extract POLICY`)")
    session, _ = _crypto_hits(session)
    session = attribute_events(session, scope)
    evidence = prepare(session, consent_mod.decide(session.events, session.marks), scope)
    observed = _observed(evidence)
    seen = observed.groupby("sdk")["pii_type"].agg(lambda s: frozenset(s)).to_dict()
    at_work = set(seen)
    perms = evidence.permissions
    at_work |= set(perms.loc[perms["sdk"].notna(), "sdk"].astype("str"))
    actors = [APP] + sorted((set(scope.stated_sdks) | at_work) - {APP})
    rows = []
    for actor in actors:
        sdk = None if actor == APP else actor
        rows.append(ActorRow(
            actor=actor, label=sdk_catalog.label(sdk), listed=actor == APP or actor in scope.stated_sdks,
            seen_at_work=actor in at_work, stated=scope.stated_for(sdk), seen=seen.get(actor, frozenset())))
    return Comparison(session=str(session_dir), scope_source=scope.source, rows=rows)


# -- rendering -----------------------------------------------------------------------------

COLUMNS = [("actor / 主体", 30), ("stated and seen / 声明且观察到", 26), ("stated, not seen / 声明未观察到", 26),
           ("seen, not stated / 观察到未声明 (IM3.3)", 30)]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}".strip()
        if line and _width(candidate) > width:
            out.append(line)
            line = word
        else:
            line = candidate
    if line:
        out.append(line)
    return out or [""]


def render(comparison: Comparison) -> str:
    lines = [f"Stated against observed / 声明与实际对照 — session {comparison.session}, scope {comparison.scope_source}", ""]
    lines.append("  ".join(_pad(name, w) for name, w in COLUMNS).rstrip())
    lines.append("  ".join("-" * w for _, w in COLUMNS))
    for row in comparison.rows:
        note = []
        if row.undisclosed:
            note = ["[not in the policy's SDK list", "未列入SDK清单: SDK-UNDISCLOSED]"]
        elif row.actor != APP and not row.seen_at_work:
            note = ["[listed, not seen at work", "已列出，未见运行]"]
        cells = [", ".join(row.both) or "—", ", ".join(row.stated_only) or "—", ", ".join(row.seen_only) or "—"]
        wrapped = [_wrap(row.label, COLUMNS[0][1]) + note] + [_wrap(c, w) for c, (_, w) in zip(cells, COLUMNS[1:])]
        for k in range(max(len(col) for col in wrapped)):
            lines.append("  ".join(_pad(col[k] if k < len(col) else "", w) for col, (_, w) in zip(wrapped, COLUMNS))
                         .rstrip())
    seen_not_stated = sum(len(r.seen_only) for r in comparison.rows)
    undisclosed = [r.actor for r in comparison.rows if r.undisclosed]
    lines += ["", f"{seen_not_stated} PII types seen but not stated (IM3.3); "
                  f"SDKs at work not in the policy's SDK list (SDK-UNDISCLOSED): {', '.join(undisclosed) or 'none'}"]
    return "\n".join(lines)
