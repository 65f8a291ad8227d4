"""report.html as a person sees it, in a real headless Chromium (piiaudit.browser), and report.pdf.

The demo's page and the full tour's are opened at 1400 px: no horizontal scrolling, no
header word wider than its column, no box whose text overflows it, with the folds closed and
opened; a screenshot of each is saved and checked (a PNG of the asked size, not blank). The
page's order (summary, findings by category, timeline chart, appendices), the chart's lanes,
consent line and marks, the zone in every time header, the tester's screenshot embedded in
its finding, and the PDF (its pages read back: every page has its number, the page count and
manifest.json's SHA-256) are checked on the same recordings.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import unicodedata
import zlib
from pathlib import Path

import pytest

from analysis import bilingual as b
from analysis import categories, tables
from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit import manifest
from piiaudit.store import SessionStore
from piiaudit.times import zone
from tests.support import pdftext
from tests.support.cli_results import run
from tests.support.recordings import copy_recording
from tests.support.samples import demo_scope_path, write_standin_scenario

WIDTH = 1400


def _recording(request, name):
    rec = request.getfixturevalue(name)
    if rec.error:
        pytest.fail(f"{rec.scenario}: not recorded: {rec.error}")
    return rec


def png_facts(path: Path) -> tuple[int, int, float]:
    """Width, height and the share of bytes of the decoded image rows that are not white."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    not_white = sum(1 for byte in raw[::97] if byte not in (0, 0xFF))   # a sample; row filters make 0s
    return width, height, not_white / len(raw[::97])


@pytest.mark.parametrize("scenario", ["demo_recording", "fulltour_recording"])
def test_the_page_lays_out_at_1400_px_with_no_scrolling_no_squeezed_column_and_no_overflow(
        scenario, request, chromium, tmp_path):
    rec = _recording(request, scenario)
    page = chromium.open(rec.session_dir / "report.html", WIDTH, 1000)
    closed = page.layout()
    shot = page.screenshot(tmp_path / f"{rec.scenario}.png", height=1600)
    assert page.open_folds() > 10
    opened = page.layout()
    for state, lay in (("folded", closed), ("unfolded", opened)):
        assert lay["width"] == WIDTH and lay["scroll_width"] <= WIDTH, (state, lay["scroll_width"])
        assert lay["narrow"] == [], (state, lay["narrow"][:5])
        assert lay["overflow"] == [], (state, lay["overflow"][:5])
        assert lay["beyond"] == [], (state, lay["beyond"][:5])
    assert closed["headers"] >= 40 and closed["cells"] >= 400     # it did measure a real page
    assert opened["height"] > closed["height"]
    width, height, ink = png_facts(shot)
    assert (width, height) == (WIDTH, 1600) and shot.stat().st_size > 50_000
    assert ink > 0.01, f"the screenshot is blank ({ink:.2%} not white)"


def test_the_page_reads_summary_first_then_findings_by_category_then_the_chart_then_the_appendices(demo_recording):
    page = (demo_recording.session_dir / "report.html").read_text("utf-8")
    order = [page.index(s) for s in ('id="summary"', b.APP_IDENTITY, b.CONSENT_HEADING, b.COUNTS_HEADING,
                                     'id="findings"', 'id="timeline"', "<svg", 'id="appendix"',
                                     'id="appendix-hooks"', 'id="appendix-flows"', 'id="appendix-events"',
                                     'id="appendix-manifest"')]
    assert order == sorted(order)
    assert page.index('<span class="w">重载</span>') > page.index("</svg>")   # the hook table after the timeline
    summary = page[:page.index('id="findings"')]
    assert "com.example.demoshop" in summary and "1.0.0 (versionCode 100)" in summary
    findings = json.loads((demo_recording.session_dir / "findings.json").read_text("utf-8"))["findings"]
    # the counts table: every category in order, and its total row adds up to the findings
    counts = summary[summary.index(b.COUNTS_HEADING):]
    starts = [counts.index(categories.label(k)) for k in categories.CATEGORIES]
    assert starts == sorted(starts)
    total_row = re.search(r"<td>合计 / Total</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", counts)
    high, medium, low, total = map(int, total_row.groups())
    assert total == len(findings) and (high, medium, low) == tuple(
        sum(f["severity"] == s for f in findings) for s in ("high", "medium", "low"))


def test_each_finding_shows_its_sentence_legal_basis_and_evidence_rows_with_dt_to_consent(demo_recording):
    page = (demo_recording.session_dir / "report.html").read_text("utf-8")
    store = SessionStore(demo_recording.session_dir, create=False)
    try:
        consent = store.get_meta("consent")
        ids = [r["id"] for r in store.rows("SELECT id FROM findings")]
    finally:
        store.close()
    for fid in ids:
        start = page.index(f'id="finding-{fid}"')
        block = page[start:page.index('<div class="finding', start + 10) if '<div class="finding' in page[start + 10:]
                     else page.index('id="timeline"')]
        words = re.sub(r"<[^>]+>", "", block)
        assert b.LEGAL_BASIS_HEADING in words and "<li>" in block, fid
        assert b.DT_CONSENT in words and b.EVIDENCE in words, fid
    # a read of the IMEI before the tap: a negative Δt, the tap's moment as in the summary
    dts = [float(x) for x in re.findall(r"<td>([+-]\d+\.\d{3})</td>", page)]
    assert any(d < 0 for d in dts) and any(d > 0 for d in dts)
    assert consent["status"] == "accepted"


def test_the_timeline_is_a_chart_with_a_lane_per_actor_the_consent_line_and_named_marks(fulltour_recording):
    page = (fulltour_recording.session_dir / "report.html").read_text("utf-8")
    svg = page[page.index("<svg"):page.index("</svg>")]
    store = SessionStore(fulltour_recording.session_dir, create=False)
    try:
        kinds = {r["kind"]: r["n"] for r in store.rows("SELECT kind, count(*) AS n FROM timeline GROUP BY kind")}
        sdks = {r["sdk"] for r in store.rows("SELECT DISTINCT sdk FROM timeline WHERE sdk IS NOT NULL AND sdk != 'None'")}
    finally:
        store.close()
    lanes = re.findall(r'<text class="lane"[^>]*><title>([^<]+)</title>', svg)
    assert lanes[0] == "应用本身 / the app itself" and len(lanes) == 1 + len(sdks)
    assert svg.count('<g class="mark read">') == kinds["pii_read"]
    assert svg.count('<g class="mark send">') == kinds.get("pii_sent", 0)
    assert svg.count('<g class="mark permission">') == sum(kinds.get(k, 0) for k in (
        "permission_request", "permission_result", "permission_rationale", "permission_check"))
    assert '<g class="consent"><title>同意 / consent' in svg
    # every mark names itself on hover (an SVG <title>, no script) and links to its appendix row
    marks = re.findall(r'<a href="#((?:event|flow)-[\w-]+)"><g class="mark (\w+)"><title>([^<]+)</title>', svg)
    assert len(marks) == svg.count('<g class="mark ')
    assert all(f'id="{anchor}"' in page for anchor, _, _ in marks)
    read_title = next(t for _, cls, t in marks if cls == "read")
    assert "pii_read" in read_title and "Δt" in read_title
    assert "<script" not in page.lower()


def test_long_unbroken_values_neither_scroll_nor_overflow(chromium, tmp_path):
    """A 4,000-character query string, a dialog text with no space in 2,000 characters and a
    64-character Host: folded or broken anywhere, never wider than their column."""
    session = tmp_path / "session"
    write_standin_scenario(session, dialog_text="请阅读《隐私政策》" + "长" * 1000 + "x" * 1000,
                           url_suffix="?q=" + "A" * 4000)
    analyze(session, scope=demo_scope_path())
    paths = write_report(session, tz="Asia/Shanghai")
    text = Path(paths["html"]).read_text("utf-8")
    assert "A" * 4000 in text and "x" * 1000 in text        # the values are on the page, whole
    page = chromium.open(paths["html"], WIDTH, 1000)
    for opened in (False, True):
        if opened:
            page.open_folds()
        lay = page.layout()
        assert lay["scroll_width"] <= WIDTH and lay["narrow"] == [] and lay["overflow"] == [], opened
        assert lay["beyond"] == [], opened


HOVER_SCRIPT = r"""(() => {
  const marks = [...document.querySelectorAll('svg.timeline g.mark')];
  marks[0].scrollIntoView({block: 'center'});
  let named = 0;
  const names = [];
  for (const m of marks) {
    const r = m.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const g = hit && hit.closest('g.mark');
    const title = g && g.querySelector('title');
    if (g && title && title.textContent) { named++; if (g === m) names.push(title.textContent); }
  }
  return {marks: marks.length, named: named, own: names.length, sample: names.slice(0, 3)};
})()"""


def test_the_mark_under_the_pointer_names_itself(fulltour_recording, chromium):
    """What a hover would find at each mark's centre, in the browser: a mark with its <title>."""
    page = chromium.open(fulltour_recording.session_dir / "report.html", WIDTH, 1000)
    hover = page.evaluate(HOVER_SCRIPT)
    assert hover["marks"] > 50 and hover["named"] == hover["marks"]
    assert hover["own"] >= 0.6 * hover["marks"]    # the rest sit under a neighbour of the same burst (ms apart)
    assert all("Δt" in t for t in hover["sample"])


def test_every_time_header_names_the_zone_and_long_values_fold(analysed_copy):
    session, paths = analysed_copy
    page = Path(paths["html"]).read_text("utf-8")
    headers = re.findall(r"<th>(.*?)</th>", page)
    words = [re.sub(r"<[^>]+>", "", h) for h in headers]
    time_headers = [w for w in words if w.startswith(("时间 / Time", "首次时间 / First time", "生效时间 / Live at"))]
    assert len(time_headers) > 10
    assert all(w == tables.header_text(w.split(" (")[0], zone("America/New_York")) for w in time_headers), time_headers
    assert all("(America/New_York, UTC-05:00)" in w for w in time_headers)
    assert b.EPOCH in words      # the epoch beside the time
    # the process_exit row's hook counters fold: its start and length, the rest one click away
    row = re.search(r'<tr id="event-\d+">(?:(?!</tr>).)*?<td>进程退出 / process exit</td>(?:(?!</tr>).)*</tr>', page, re.S)
    assert row and '<details class="fold"><summary>hooks=' in row.group(0)


@pytest.fixture(scope="module")
def analysed_copy(demo_recording, chromium, tmp_path_factory):
    """A copy of the demo recording with a tester's mark carrying a screenshot (a real PNG, made by
    Chromium), analysed with the demo's scope and reported in New York time with the PDF."""
    if demo_recording.error:
        pytest.fail(demo_recording.error)
    tmp = tmp_path_factory.mktemp("page-copy")
    session = copy_recording(demo_recording, tmp / "session")
    (tmp / "shot.html").write_text('<body style="background:#fff"><h1 style="color:#c00">设置 / Settings</h1>',
                                   "utf-8")
    shot = chromium.open(tmp / "shot.html", 360, 240).screenshot(tmp / "settings.png")
    assert run("mark", "observed", "account_cancellation_not_found", "--session", str(session),
               "--where", "我的 > 设置", "--screenshot", str(shot)).exit_code == 0
    analyze(session, scope=demo_scope_path())
    return session, write_report(session, tz="America/New_York", pdf=True)


def test_a_tester_screenshot_is_embedded_in_its_finding(analysed_copy):
    session, paths = analysed_copy
    page = Path(paths["html"]).read_text("utf-8")
    store = SessionStore(session, create=False)
    try:
        (fid,) = [r["id"] for r in store.rows("SELECT id FROM findings WHERE rule_id = 'IM6.1'")]
        (obs,) = store.rows("SELECT screenshot, screenshot_sha256 FROM observations")
    finally:
        store.close()
    start = page.index(f'id="finding-{fid}"')
    block = page[start:page.index("</div>\n", page.index(b.SCREENSHOTS, start))]
    img = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', block)
    assert img and base64.b64decode(img.group(1)) == (session / obs["screenshot"]).read_bytes()
    assert obs["screenshot_sha256"] in block and "我的 &gt; 设置" in block


def test_the_pdf_has_every_page_numbered_with_the_manifest_hash(analysed_copy):
    session, paths = analysed_copy
    pdf = Path(paths["pdf"])
    assert pdf == session / "report.pdf"
    pages = [unicodedata.normalize("NFKC", re.sub(r"\s+", "", p)) for p in pdftext.pages(pdf)]
    sha = manifest.file_sha256(session / "manifest.json")
    assert len(pages) >= 5
    for n, text in enumerate(pages, 1):
        assert sha in text, f"page {n}: no manifest hash"
        assert re.search(rf"page{n}/{len(pages)}$", text), f"page {n}: no page number"
    assert "个人信息合规审计报告" in pages[0] and "com.example.demoshop" in pages[0]


def test_report_pdf_from_the_command_line(analysed_copy):
    session, _ = analysed_copy
    result = run("report", str(session), "--pdf", "--tz", "UTC")
    assert result.exit_code == 0, result.output
    assert "pdf: " in result.output and (session / "report.pdf").stat().st_size > 10_000
    assert run("verify", str(session)).exit_code == 0   # the PDF, written after the manifest, upsets nothing
    from piiaudit import bundle
    packed, foreign = bundle.session_files(session)
    assert "report.pdf" in packed and "report.pdf" not in foreign   # a bundle carries it
