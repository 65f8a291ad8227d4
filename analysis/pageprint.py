"""report.pdf: the page (report.html) printed by headless Chromium, a footer on every page.

Why Chromium's print and not a Python PDF library: the PDF is then the same page a reader
opens in a browser — the same template, the same fonts (Noto CJK for the Chinese text), the
same timeline chart (SVG stays vector) — with no second layout to keep in step with the
first. Chromium's `Page.printToPDF` (over the DevTools pipe, piiaudit.browser) puts a footer
template on every page, with the page number and the page count filled in by Chromium.

The footer names the session, the SHA-256 of manifest.json as the report left it (that
manifest holds the SHA-256 of report.html, evidence.xlsx, findings.json, session.db and
flows.mitm: a printed page is tied to the files it came from) and "page N / M". The folds of
the summary and the findings are opened before printing (paper cannot be unfolded); the hook
coverage table and the long values of the appendices (stacks, hook counters) stay folded,
their start and length shown: they are in evidence.xlsx. Paper: A4 landscape (the
page's CSS ``@page``).

The PDF is written after manifest.json (it carries the manifest's hash, so the manifest
cannot list it); `piiaudit verify` checks the files the manifest lists, and the PDF's footer
points to that manifest. It is one of piiaudit's own files (piiaudit.sessiondir): a bundle
packs it, with its SHA-256 in the bundle's signed list. Opt-in (`piiaudit report --pdf`): starting Chromium takes seconds and
the demo stays fast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import markupsafe

from analysis import bilingual as b
from piiaudit import browser, sessiondir

# Opened before printing: every fold but the hook coverage table (hundreds of rows) and the long
# values of the flows and events appendices (stacks, hook counters): those are in evidence.xlsx.
PRINT_OPENS = "details:not(.bulky):not(.appendix *)"
FOOTER = ('<div style="font-size:8px;width:100%;padding:0 9mm;font-family:\'Noto Sans CJK SC\',sans-serif;'
          'color:#444;display:flex;justify-content:space-between">'
          '<span>piiaudit · {session} · manifest.json SHA-256 '
          '<span style="font-family:monospace;font-variant-ligatures:none">{sha}</span></span>'
          '<span>{page} <span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


@dataclass(frozen=True)
class Printed:
    path: Path
    seconds: float
    bytes: int


def footer(session: str, manifest_sha256: str) -> str:
    """The footer template: session, manifest hash, page N / M (Chromium fills the two numbers)."""
    return str(markupsafe.Markup(FOOTER).format(session=session, sha=manifest_sha256, page=b.PAGE))


def write_pdf(html: Path, out: Path, *, session: str, manifest_sha256: str) -> Printed:
    """Print `html` to `out` (written whole or not at all). Raises piiaudit.browser.BrowserError."""
    started = time.monotonic()
    with browser.Browser() as chromium:
        page = chromium.open(html)
        page.open_folds(PRINT_OPENS)
        data = page.pdf(footer_html=footer(session, manifest_sha256))
    with sessiondir.replacing(out) as tmp:
        tmp.write_bytes(data)
    return Printed(out, time.monotonic() - started, len(data))
