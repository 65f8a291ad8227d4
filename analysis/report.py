"""write_report(): evidence.xlsx, findings.json and report.html in the session directory.

The outputs show what the last ``analyze`` stored: its findings, consent decision, scope,
rule catalog and timeline (``analysis.reportdata``); a session never analysed is analysed
first with the defaults. Values from traffic are shown masked with their SHA-256 unless
``reveal``; they are written as text in the workbook and escaped in the page. Times are
shown in `tz` (an IANA name; default: ``TZ``, else the system's zone).

findings.json is written by analysis.findingsjson (its layout: docs/findings-json.md); for a long
session it and the page are written by a child process beside the workbook (analysis.pageapart).
A session whose files changed outside piiaudit is refused unless `accept_changes`
(piiaudit.integrity).
"""

from __future__ import annotations

from pathlib import Path

from analysis import findingsjson, pageapart, workbook
from analysis.errors import AnalysisError
from analysis.pipeline import AnalysisResult
from analysis.reportdata import gather
from piiaudit import integrity
from piiaudit import manifest as manifest_mod
from piiaudit.times import zone

OUTPUTS = {"xlsx": "evidence.xlsx", "json": findingsjson.NAME, "html": "report.html"}
PDF_NAME = "report.pdf"   # with --pdf: the page printed (analysis.pageprint)
FINDINGS_SCHEMA = findingsjson.FINDINGS_SCHEMA


def write_report(session_dir: Path | str, *, reveal: bool = False, result: AnalysisResult | None = None,
                 tz: str | None = None, accept_changes: bool = False, pdf: bool = False,
                 progress=None) -> dict[str, Path]:
    """Write the three outputs; returns {"xlsx": path, "json": path, "html": path}.

    With `pdf`, the page is also printed to report.pdf by headless Chromium after the manifest
    (analysis.pageprint: its footer carries manifest.json's SHA-256), and "pdf" is returned too;
    raises AnalysisError when Chromium is missing or fails.

    `result` (from analyze, in the same process) saves reading the session; without it the
    stored analysis is used. Raises AnalysisError (and piiaudit.times.ZoneError for a bad `tz`).
    `progress(done, total, what)` is told the rows written so far (piiaudit.progress).
    """
    session_dir = Path(session_dir)
    tzinfo = zone(tz)
    try:
        integrity.guard(session_dir, "report", accept=accept_changes)
    except integrity.IntegrityError as e:
        raise AnalysisError(str(e)) from None
    progress and progress(0, None, "reading the session")
    data = gather(session_dir, tzinfo, result, accept_changes=accept_changes)
    paths = {kind: session_dir / name for kind, name in OUTPUTS.items()}
    # A long session's page and findings.json are written by a child beside the workbook (analysis.pageapart).
    page = pageapart.start(data, paths, reveal)
    try:
        workbook.write(data, paths["xlsx"], reveal=reveal, progress=progress)
    except BaseException:
        page.cancel()
        raise
    page.finish(progress)
    manifest_mod.write(data.session.store)
    if pdf:
        paths["pdf"] = print_page(session_dir)
    return paths


def print_page(session_dir: Path) -> Path:
    """report.pdf from report.html, its footer naming manifest.json's SHA-256 (analysis.pageprint)."""
    from analysis import pageprint
    from piiaudit.browser import BrowserError
    from piiaudit.store import MANIFEST_NAME

    try:
        return pageprint.write_pdf(session_dir / OUTPUTS["html"], session_dir / PDF_NAME, session=session_dir.name,
                                   manifest_sha256=manifest_mod.file_sha256(session_dir / MANIFEST_NAME)).path
    except BrowserError as e:
        raise AnalysisError(f"report.pdf not written: {e}") from None
