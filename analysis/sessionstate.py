"""What the outputs say about the session itself, before any finding: whether it is partial
(a recording run did not end: piiaudit.runs), what every stage stored, skipped and failed
(piiaudit.accounting), and which files changed after recording with the tester's acceptance
(piiaudit.integrity).

`read(store, manifest)` gathers it once; `lines` is the console's block, `items` the rows of
the summary (the workbook's first sheet and the page), `to_json` the `session` object of
findings.json, `table` the workbook's Accounting sheet. `record_analysis` writes the analysis
stage's own counts: rows of session.db it left out, rules and steps that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import bilingual as b
from piiaudit import accounting, integrity, runs
from piiaudit.accounting import Accounting
from piiaudit.store import SessionStore, tally_row

STAGE = "analysis"


@dataclass(frozen=True)
class SessionState:
    partial_runs: list[dict[str, Any]]
    accounting: Accounting
    manifest: dict[str, Any]

    @property
    def state(self) -> str:
        return "partial" if self.partial_runs else "complete"

    def partial_lines(self, tz: Any = None) -> list[str]:
        return [runs.describe(r, tz) for r in self.partial_runs]

    def accepted_lines(self, tz: Any = None) -> list[str]:
        return integrity.accepted_lines(self.manifest, tz)

    def lines(self, tz: Any = None) -> list[str]:
        """The console: partial runs and accepted changes first (they qualify everything), then the accounting."""
        return ([f"  ! {line}" for line in (*self.partial_lines(tz), *self.accepted_lines(tz))]
                + self.accounting.lines(len(self.partial_runs)))

    def items(self, tz: Any = None) -> list[tuple[str, str]]:
        state = "\n".join(self.partial_lines(tz)) if self.partial_runs else b.COMPLETE_SESSION
        acc = self.accounting
        return [
            (b.SESSION_STATE, state),
            *((b.ACCEPTED_CHANGES, line) for line in self.accepted_lines(tz)),
            (b.ACCOUNTING, "\n".join([acc.headline(len(self.partial_runs)), *(acc.stage_line(s) for s in acc.stages())])),
        ]

    def to_json(self, tz: Any = None) -> dict[str, Any]:
        return {
            "state": self.state,
            "state_text": b.PARTIAL_SESSION if self.partial_runs else b.COMPLETE_SESSION,
            "partial_runs": [{"id": r["id"], "stage": r["stage"], "started": r["started"], "pid": r["pid"],
                              "host": r["host"], "running": r["running"], "text": runs.describe(r, tz)}
                             for r in self.partial_runs],
            "accounting": self.accounting.records(),
            "lost": self.accounting.lost,
            "errors": self.accounting.errors,
            "problems": self.accounting.problems,
            "accounting_text": self.accounting.headline(len(self.partial_runs)),
            "accepted_changes": integrity.accepted(self.manifest),
            "accepted_changes_text": self.accepted_lines(tz),
        }

    def table(self) -> pd.DataFrame:
        rows = self.accounting.records()
        return pd.DataFrame({b.STAGE: [r["stage"] for r in rows], b.OUTCOME: [r["outcome"] for r in rows],
                             b.WHAT: [r["what"] for r in rows], b.COUNT: [r["n"] for r in rows]},
                            columns=[b.STAGE, b.OUTCOME, b.WHAT, b.COUNT])


def read(store: SessionStore, manifest: dict[str, Any]) -> SessionState:
    return SessionState(runs.partial(store), accounting.read(store), manifest or {})


def of(data: Any) -> SessionState:
    """The state of a report's session (analysis.reportdata.ReportData), read once per report."""
    return data.cached("session_state", lambda: read(data.session.store, data.manifest))


def record_analysis(store: SessionStore, left_out: dict[str, int], failed: dict[str, int]) -> None:
    """Replace the analysis stage's counts: rows left out (table -> n) and what failed (rules, steps).
    Its `errors` rows are counted when written (piiaudit.store.record_error) and stay, as the rows do."""
    rows = [tally_row(STAGE, "skipped", what, n) for what, n in left_out.items() if n]
    rows += [tally_row(STAGE, "failed", what, n) for what, n in failed.items() if n]
    store.write({"tally": rows}, delete=[f"DELETE FROM tally WHERE stage = '{STAGE}' AND what != 'errors'"])
