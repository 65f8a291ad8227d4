"""Error accounting: what each stage stored, skipped and failed, read back and said plainly.

Stages: proxy (live capture), replay (a capture read again), hooks (the hooks runner),
analysis. Outcomes:

- stored: rows committed (counted by `piiaudit.store.write` in the same transaction), the
  stage's `errors` rows among them;
- skipped: rows that never reached the session or the analysis (a flow read from a capture
  that the recorder never saw the end of, a flow without a usable time left out);
- failed: rows that could not be stored, scans that raised, rules that failed;
- capped: scans cut short by a limit (piiaudit.detect.limits): the flow is stored, what lay
  beyond the cap was not searched.

The `tally` table holds deltas; `read` sums them. An `errors` row that no stage counted
(written by an older piiaudit) is shown under `other`, so the total is never less than the
errors table holds. `lost` is every skipped and failed row; `problems` adds failed and
capped scans and errors: a summary says "nothing lost" only when it is 0 and every run
ended (a run killed mid-way lost what it had not committed, in a number nobody counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from piiaudit.store import SessionStore

STAGES = ("proxy", "replay", "hooks", "analysis", "other")
OUTCOMES = ("stored", "skipped", "failed", "capped")
HEADING = "记录核算 / Accounting"
# what -> (one, many) as a reader says it; others are shown as they are stored
WHAT = {
    "flows": ("flow", "flows"), "pii_hits": ("PII hit", "PII hits"), "events": ("hook event", "hook events"),
    "errors": ("error", "errors"), "scans": ("scan", "scans"), "consent_marks": ("consent mark", "consent marks"),
    "clock_syncs": ("clock sync", "clock syncs"), "findings": ("finding", "findings"),
    "timeline": ("timeline row", "timeline rows"), "rules": ("rule", "rules"),
    "flows.mitm": ("flow not saved to flows.mitm", "flows not saved to flows.mitm"),
    "agent messages": ("agent message", "agent messages"), "look-back": ("look-back", "look-backs"),
    "har entries": ("HAR entry", "HAR entries"), "capture": ("capture file end", "capture file ends"),
    "detection": ("detection failure", "detection failures"),
}
# rows of these are evidence: one skipped or failed is one lost
NOT_ROWS = frozenset({"scans", "errors", "look-back", "detection"})


def say(n: int, what: str) -> str:
    one, many = WHAT.get(what, (what, what))
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Accounting:
    rows: list[dict[str, Any]]          # stage, outcome, what, n (summed, n > 0), in STAGES/OUTCOMES order

    def n(self, stage: str | None = None, outcome: str | None = None, what: str | None = None) -> int:
        return sum(r["n"] for r in self.rows if (stage is None or r["stage"] == stage)
                   and (outcome is None or r["outcome"] == outcome) and (what is None or r["what"] == what))

    @property
    def lost(self) -> int:
        """Rows skipped or not stored: evidence that is not in the session or not in the analysis."""
        return sum(r["n"] for r in self.rows if r["outcome"] in ("skipped", "failed") and r["what"] not in NOT_ROWS)

    @property
    def errors(self) -> int:
        return self.n(outcome="stored", what="errors")

    @property
    def problems(self) -> int:
        """Everything that was not a clean stored row: lost rows, failed and capped scans, errors."""
        return sum(r["n"] for r in self.rows if r["outcome"] != "stored") + self.errors

    def stages(self) -> list[str]:
        return [s for s in STAGES if any(r["stage"] == s for r in self.rows)]

    def stage_line(self, stage: str) -> str:
        """'replay    stored 3 flows, 3 PII hits, 1 error · skipped 1 flow · failed 1 flow'"""
        parts = []
        for outcome in OUTCOMES:
            items = [say(r["n"], r["what"]) for r in self.rows if r["stage"] == stage and r["outcome"] == outcome]
            if items:
                parts.append(f"{outcome} {', '.join(items)}")
        return f"{stage:<9} {' · '.join(parts)}"

    def headline(self, partial: int = 0) -> str:
        """One bilingual sentence: nothing lost, or each kind of problem with its number (never '0 errors'
        then); `partial`: runs that did not end (piiaudit.runs)."""
        if not self.problems and not partial:
            return "nothing lost, 0 errors / 无记录丢失，0 个错误"
        scans = self.n(outcome="failed", what="scans")
        capped = self.n(outcome="capped")
        others = self.problems - self.lost - scans - capped - self.errors   # detection failures, look-backs
        en, zh = [], []
        for n, e, z in ((partial, f"{partial} run{'s' if partial != 1 else ''} did not end cleanly (killed, crashed or "
                                  f"refused by the database: what was not stored is lost)",
                         f"{partial} 次记录未正常结束（被终止、崩溃或数据库拒绝写入：未写入的记录已丢失）"),
                        (self.lost, "1 row lost" if self.lost == 1 else f"{self.lost} rows lost", f"丢失 {self.lost} 条记录"),
                        (scans, f"{say(scans, 'scans')} failed", f"{scans} 次扫描失败"),
                        (capped, f"{say(capped, 'scans')} capped", f"{capped} 次扫描受限"),
                        (others, f"{others} other failures", f"{others} 项其他失败"),
                        (self.errors, say(self.errors, "errors"), f"{self.errors} 个错误")):
            if n:
                en.append(e)
                zh.append(z)
        return f"{', '.join(en)} / {'，'.join(zh)} (see the errors table of session.db / 详见 session.db 的 errors 表)"

    def lines(self, partial: int = 0) -> list[str]:
        """The console's block: heading with the headline, then one line per stage."""
        return [f"{HEADING}: {self.headline(partial)}", *(f"  {self.stage_line(s)}" for s in self.stages())]

    def records(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]


def read(store: SessionStore) -> Accounting:
    """The session's accounting, summed per stage, outcome and what."""
    rows = _summed(store, "SELECT stage, outcome, what, sum(n) AS n FROM tally GROUP BY stage, outcome, what")
    uncounted = store.count("errors") - sum(r["n"] for r in rows if r["outcome"] == "stored" and r["what"] == "errors")
    if uncounted > 0:
        rows.append({"stage": "other", "outcome": "stored", "what": "errors", "n": uncounted})
    return Accounting(sorted(rows, key=_order))


def read_run(store: SessionStore, run_id: str) -> Accounting:
    """What one run (piiaudit.runs) counted."""
    return Accounting(sorted(_summed(store, "SELECT stage, outcome, what, sum(n) AS n FROM tally WHERE run_id = ? "
                                            "GROUP BY stage, outcome, what", (run_id,)), key=_order))


def _summed(store: SessionStore, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    return [{"stage": r["stage"], "outcome": r["outcome"], "what": r["what"], "n": int(r["n"])}
            for r in store.rows(sql, params) if r["n"]]


def _order(r: dict[str, Any]) -> tuple:
    stage = STAGES.index(r["stage"]) if r["stage"] in STAGES else len(STAGES)
    outcome = OUTCOMES.index(r["outcome"]) if r["outcome"] in OUTCOMES else len(OUTCOMES)
    what = list(WHAT).index(r["what"]) if r["what"] in WHAT else len(WHAT)
    return stage, r["stage"], outcome, what, r["what"]
