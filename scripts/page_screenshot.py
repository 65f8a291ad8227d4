"""The README's pictures of the page: the demo's report.html at 1400 px in headless Chromium.

    .venv/bin/python scripts/page_screenshot.py [--session DIR] [--out docs/img]

Without --session it runs `piiaudit demo` into a temporary directory first. The report is
written again in Asia/Shanghai time (a Chinese tester's clock), then two PNGs are taken:
``report-page.png`` (the top: summary and the first findings) and ``report-timeline.png``
(the timeline chart). It prints the page's layout measurements (piiaudit.browser) and fails
if the page scrolls sideways, squeezes a header or overflows a box.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.report import write_report  # noqa: E402
from piiaudit.browser import Browser  # noqa: E402

WIDTH = 1400


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--session", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        session = args.session
        if session is None:
            session = Path(tmp) / "demo-session"
            subprocess.run([sys.executable, "-m", "commands.cli", "demo", "--out", str(session)], check=True,
                           cwd=ROOT, stdout=subprocess.DEVNULL)
        html = write_report(session, tz="Asia/Shanghai")["html"]
        args.out.mkdir(parents=True, exist_ok=True)
        with Browser() as chromium:
            page = chromium.open(html, WIDTH, 1000)
            layout = page.layout()
            page.screenshot(args.out / "report-page.png", height=1700)
            top = page.evaluate("document.querySelector('#timeline').getBoundingClientRect().top + window.scrollY")
            page.screenshot(args.out / "report-timeline.png", top=top - 12, height=520)
    print({k: (len(v) if isinstance(v, list) else v) for k, v in layout.items()})
    bad = layout["scroll_width"] > WIDTH or layout["narrow"] or layout["overflow"] or layout["beyond"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
