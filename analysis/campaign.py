"""Batch (批量): many analysed sessions, one workbook: an app per row, a matrix, every finding.

`sessions(paths)` names the sessions of a batch: a path holding ``session.db`` is a session;
any other directory is a folder of sessions, each subdirectory that holds ``session.db``,
``manifest.json`` or ``flows.mitm`` (one that holds none is not a session and is passed
over). `run(paths, out, tz)` reads them one at a time (analysis.sessionfindings) and streams
their rows into campaign.xlsx (analysis.sheetstream, constant memory): what it keeps
between sessions is a few counters, so a thousand sessions take no more memory than one.

Sheets: 概要 (Summary): the batch's counts per category and severity; 应用 (Apps): one row
per session with the app's identity (the APK's own manifest when the session recorded it),
the consent decision, counts per category and per severity, and the result; 矩阵 (Matrix):
app x category; 发现 (Findings): every finding with its app. A session that cannot be read
(broken, not analysed, not a session) is a row of Apps with its reason, never the end
of the batch.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import categories, sheetstream
from analysis.bilingual import both
from analysis.labels import SEVERITY, pii_label, result_line, sdk_label
from analysis.sessionfindings import SessionFindings, SessionUnreadable, read
from piiaudit.store import DB_NAME, FLOWS_NAME, MANIFEST_NAME
from piiaudit.times import iso_one, zone_label

SEVERITIES = ("high", "medium", "low")
SESSION_FILES = (DB_NAME, MANIFEST_NAME, FLOWS_NAME)
READ, FAILED = both("已读取", "read"), both("无法读取", "not read")

NO = both("序号", "No.")
SESSION = both("会话", "Session")
PATH = both("路径", "Path")
PACKAGE = both("包名", "Package")
APP_NAME = both("App名称", "App name")
VERSION = both("版本", "Version")
VERSION_CODE = both("版本号", "Version code")
APP_SHA = both("App文件SHA-256", "App file SHA-256")
IDENTITY_SOURCE = both("身份来源", "Identity from")
TESTER = both("测试人员", "Tester")
TESTED = both("测试时间", "Tested at")
CONSENT = both("同意判定", "Consent decision")
CONSENT_TIME = both("同意/拒绝时刻", "Consent or refusal time")
FINDINGS = both("发现数", "Findings")
RESULT = both("结论", "Result")
INTEGRITY = both("完整性校验", "Integrity (piiaudit verify)")
STATUS = both("读取状态", "Read")
REASON = both("原因", "Reason")
CATEGORY = both("类别", "Category")
RULE = both("规则编号", "Rule ID")
TITLE = both("规则", "Rule")
SEVERITY_H = both("严重程度", "Severity")
ACTOR = both("行为主体", "Actor (SDK or app)")
PII = both("个人信息类型", "PII type")
HOST = both("目的主机", "Destination host")
FIRST = both("首次时间", "First time")
FIRST_EPOCH = both("首次（纪元秒）", "First (epoch s)")
DT = both("距同意时刻（秒）", "Δt to consent (s)")
FLOWS = both("流量数", "Flows")
EVENTS = both("事件数", "Events")
FINDING_NO = both("发现编号", "Finding No.")
EVIDENCE = both("证据行", "Evidence rows")
APPS_WITH = both("有发现的App数", "Apps with findings")

CATEGORY_HEADERS = {k: c.label for k, c in categories.CATEGORIES.items()}   # the matrix's columns, wrapped
SEVERITY_HEADERS = {s: SEVERITY[s] for s in SEVERITIES}
APP_HEADERS = [NO, SESSION, PACKAGE, APP_NAME, VERSION, VERSION_CODE, APP_SHA, IDENTITY_SOURCE, TESTER, TESTED,
               CONSENT, CONSENT_TIME,
               FINDINGS, *SEVERITY_HEADERS.values(), *CATEGORY_HEADERS.values(), RESULT, INTEGRITY, STATUS, REASON, PATH]
MATRIX_HEADERS = [NO, PACKAGE, VERSION, SESSION, *CATEGORY_HEADERS.values(), FINDINGS]
FINDING_HEADERS = [NO, PACKAGE, VERSION, SESSION, CATEGORY, RULE, TITLE, SEVERITY_H, ACTOR, PII, HOST, FIRST,
                   FIRST_EPOCH, DT, FLOWS, EVENTS, FINDING_NO, EVIDENCE]
WIDTHS = {SESSION: 24, TESTED: 30, PACKAGE: 28, APP_NAME: 24, APP_SHA: 66, CONSENT_TIME: 30, RESULT: 26, REASON: 60, PATH: 50,
          CATEGORY: 44, TITLE: 44, ACTOR: 26, PII: 28, HOST: 24, FIRST: 30, FIRST_EPOCH: 17, EVIDENCE: 60,
          **{h: 22 for h in CATEGORY_HEADERS.values()}}
WRAPPED = {CATEGORY, TITLE, EVIDENCE, REASON}


def _is_session(path: Path) -> bool:
    return any((path / name).exists() for name in SESSION_FILES)


def sessions(paths: Iterable[Path]) -> Iterator[Path]:
    """The session directories the arguments name, in order (a folder's sessions sorted by name)."""
    for path in paths:
        path = Path(path)
        if not path.is_dir() or (path / DB_NAME).exists():
            yield path                       # a session, or something to report as not one
            continue
        inside = sorted(p for p in path.iterdir() if p.is_dir() and _is_session(p))
        yield from inside if inside else [path]


@dataclass
class Totals:
    """What the batch keeps between sessions: counters only."""

    sessions: int = 0
    read: int = 0
    failed: int = 0
    findings: int = 0
    apps_with_findings: int = 0
    per_category: Counter = field(default_factory=Counter)
    per_severity: Counter = field(default_factory=Counter)
    per_decision: Counter = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"sessions": self.sessions, "read": self.read, "failed": self.failed, "findings": self.findings,
                "apps_with_findings": self.apps_with_findings,
                "per_category": {k: self.per_category.get(k, 0) for k in categories.CATEGORIES},
                "per_severity": {k: self.per_severity.get(k, 0) for k in SEVERITIES},
                "consent": dict(self.per_decision), "failures": self.failures}


def _app_row(no: int, sf: SessionFindings, tz: Any) -> tuple[list[Any], Counter, Counter]:
    f, i, c = sf.findings, sf.identity, sf.consent
    per_cat, per_sev = Counter(f["category"].tolist()), Counter(f["severity"].tolist())
    row = [no, sf.name, i.get("package"), i.get("name"), i.get("version_name"), i.get("version_code"), i.get("sha256"),
           i.get("source"), sf.tester, iso_one(sf.tested_at, tz) if sf.tested_at else None, c["decision"], iso_one(c["at"], tz) if c.get("at") is not None else None, len(f),
           *[per_sev.get(s, 0) for s in SEVERITIES], *[per_cat.get(k, 0) for k in categories.CATEGORIES],
           result_line(len(f), empty=False), sf.verdict, READ, None, str(sf.session_dir)]
    return row, per_cat, per_sev


def _finding_rows(no: int, sf: SessionFindings, tz: Any) -> Iterator[list[Any]]:
    f = sf.findings
    order = f["category"].map(lambda k: categories.ORDER.get(k, len(categories.ORDER)))
    f = f.assign(_o=order).sort_values(["_o", "id"], kind="stable")
    i = sf.identity
    for r in f.to_dict("records"):
        zh, en = sf.titles.get(r["rule_id"], ("", ""))
        first = r["first_ts"]
        yield [no, i.get("package"), i.get("version_name"), sf.name, categories.label(r["category"]), r["rule_id"],
               f"{zh}\n{en}".strip(), SEVERITY.get(r["severity"], r["severity"]), sdk_label(r["sdk"]),
               pii_label(r["pii_type"]) if r["pii_type"] else None, r["host_shown"],
               iso_one(first, tz) if first == first else None, first, r["dt_consent_s"], r["flows"], r["events"],
               r["id"], r["evidence"]]


def run(paths: Iterable[Path], out: Path, tz: Any, *, verify: bool = True,
        progress: Callable[[int, Path], None] | None = None) -> Totals:
    """Read every session of `paths` one at a time into campaign.xlsx at `out`; the batch's totals."""
    totals = Totals()
    started = time.time()
    with sheetstream.book(out) as book:
        summary = book.sheet("概要 (Summary)", [both("项目", "Item"), both("值", "Value")])
        summary.ws.set_column(0, 0, 40)
        summary.ws.set_column(1, 1, 60)
        apps = book.sheet("应用 (Apps)", APP_HEADERS, WIDTHS, WRAPPED)
        matrix = book.sheet("矩阵 (Matrix)", MATRIX_HEADERS, WIDTHS, WRAPPED)
        found = book.sheet("发现 (Findings)", FINDING_HEADERS, WIDTHS, WRAPPED)
        for no, path in enumerate(sessions(paths), start=1):
            totals.sessions += 1
            if progress:
                progress(no, path)
            try:
                sf = read(path, verify=verify)
            except Exception as e:   # noqa: BLE001 - one session's failure is its row, never the batch's end
                reason = str(e) if isinstance(e, SessionUnreadable) else f"{path}: cannot be read ({type(e).__name__}: {e})"
                totals.failed += 1
                totals.failures.append({"session": str(path), "reason": reason})
                apps.add([no, path.name, *[None] * (len(APP_HEADERS) - 5), FAILED, reason, str(path)])
                continue
            row, per_cat, per_sev = _app_row(no, sf, tz)
            apps.add(row)
            i = sf.identity
            matrix.add([no, i.get("package"), i.get("version_name"), sf.name,
                        *[per_cat.get(k, 0) for k in categories.CATEGORIES], len(sf.findings)])
            for values in _finding_rows(no, sf, tz):
                found.add(values)
            totals.read += 1
            totals.findings += len(sf.findings)
            totals.apps_with_findings += bool(len(sf.findings))
            totals.per_category.update(per_cat)
            totals.per_severity.update(per_sev)
            totals.per_decision[sf.consent["decision"]] += 1
            del sf, row, per_cat, per_sev   # nothing of this session is held while the next one is read
        items = [
            (both("报告", "Report"), both("批量审计汇总", "Batch audit summary")),
            (both("生成时间", "Made at"), iso_one(started, tz)),
            (both("时区", "Time zone"), zone_label(tz)),
            (both("会话数", "Sessions"), totals.sessions),
            (both("已读取", "Read"), totals.read),
            (both("无法读取", "Not read"), totals.failed),
            (FINDINGS, totals.findings),
            (APPS_WITH, totals.apps_with_findings),
            *((f"{CONSENT}: {k}", v) for k, v in sorted(totals.per_decision.items())),
            *((f"{SEVERITY_H}: {SEVERITY[s]}", totals.per_severity.get(s, 0)) for s in SEVERITIES),
            *((categories.label(k), totals.per_category.get(k, 0)) for k in categories.CATEGORIES),
        ]
        for item in items:
            summary.add(list(item))
    return totals


def console_lines(totals: Totals, out: Path) -> list[str]:
    lines = [f"批量 / campaign: {totals.sessions} sessions, {totals.read} read, {totals.failed} not read, "
             f"{totals.findings} findings in {totals.apps_with_findings} apps → {out}"]
    for k in categories.CATEGORIES:
        if totals.per_category.get(k):
            lines.append(f"  {totals.per_category[k]:>6}  {categories.label(k)}")
    for f in totals.failures[:20]:
        lines.append(f"  ! {f['reason']}")
    if len(totals.failures) > 20:
        lines.append(f"  ! … {len(totals.failures) - 20} more (see the Apps sheet)")
    return lines
