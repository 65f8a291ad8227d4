"""The UI automation in the evidence: findings.json says how consent was given (automation, hook,
tester) with the consent path's screenshots; the workbook's UI actions and Screens sheets link
to the capture files (opened back with openpyxl); the page shows the consent path in the
summary's consent box and the whole run in an appendix, thumbnails linked to the full-size
files, findings with the screen of their moment, laid out in a real headless Chromium.

Sessions are copies of the demo's recordings with the automation's rows and real PNG captures
written into them (tests/support/automation.py), then analysed and reported."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from analysis import bilingual as b
from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit.store import SessionStore
from tests.support.automation import add_automation, strip_automation
from tests.support.recordings import copy_recording

WIDTH = 1400


def _reported(recording, where: Path, answer: str | None):
    session = copy_recording(recording, where / "session")
    auto = add_automation(session, answer) if answer else None
    analyze(session)
    paths = write_report(session)
    return session, auto, paths


@pytest.fixture(scope="module")
def accepted(demo_recording, tmp_path_factory):
    return _reported(demo_recording, tmp_path_factory.mktemp("auto-accept"), "accept")


@pytest.fixture(scope="module")
def declined(declined_recording, tmp_path_factory):
    return _reported(declined_recording, tmp_path_factory.mktemp("auto-decline"), "decline")


def _doc(session: Path) -> dict:
    return json.loads((session / "findings.json").read_text("utf-8"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- findings.json ------------------------------------------------------------------------
def test_findings_json_says_consent_was_given_by_the_automation_with_its_screenshots(accepted):
    session, auto, _ = accepted
    consent = _doc(session)["consent"]
    assert consent["decision"] == "accepted" and consent["by"] == "automation"
    assert consent["ui_action_ids"] == [auto.actions["consent"]]
    files = [s["file"] for s in consent["screens"]]
    assert files == ["screens/0001-dialog.png", "screens/0002-before_tap.png", "screens/0003-after_tap.png"]
    for s in consent["screens"]:
        assert s["sha256"] == _sha(session / s["file"]) and s["time"]
    # the automation's tap does not move the consent moment the hooks saw
    store = SessionStore(session, create=False)
    try:
        (click,) = store.rows("SELECT ts FROM events WHERE kind = 'click' AND value LIKE '%同意%'")
    finally:
        store.close()
    assert consent["at"] == pytest.approx(click["ts"])


def test_a_refusal_by_the_automation_lists_the_decline_and_the_second_prompt(declined):
    session, auto, _ = declined
    consent = _doc(session)["consent"]
    assert consent["decision"] == "declined" and consent["by"] == "automation"
    assert consent["ui_action_ids"] == [auto.actions["consent"], auto.actions["second"]]
    causes = [s["cause"] for s in consent["screens"]]
    assert causes == ["dialog", "before_tap", "after_tap", "before_tap"]


def test_without_automation_consent_is_by_the_hook_or_the_tester(demo_recording, tmp_path):
    # The demo itself is answered by the automation, and says so with its taps and captures.
    demo = _doc(demo_recording.session_dir)["consent"]
    assert demo["by"] == "automation" and demo["ui_action_ids"] and demo["screens"]
    session = strip_automation(copy_recording(demo_recording, tmp_path / "session"))
    analyze(session)
    write_report(session)
    doc = _doc(session)["consent"]
    assert (doc["by"], doc["ui_action_ids"], doc["screens"]) == ("hook", [], [])
    store = SessionStore(session, create=False)
    try:
        store.add_consent_mark(doc["at"] + 0.2, "accepted", "tester")
    finally:
        store.close()
    analyze(session)
    write_report(session)
    assert _doc(session)["consent"]["by"] == "tester"


# -- the workbook -------------------------------------------------------------------------
def test_the_workbook_has_ui_actions_and_screens_sheets_linked_to_the_files(accepted):
    session, auto, paths = accepted
    wb = openpyxl.load_workbook(paths["xlsx"])
    names = wb.sheetnames
    assert names.index(b.UI_ACTIONS_SHEET) == names.index("Timeline") + 1
    assert names.index(b.SCREENS_SHEET) == names.index(b.UI_ACTIONS_SHEET) + 1
    shots = wb[b.SCREENS_SHEET]
    head = [c.value for c in shots[1]]
    col = {h: i for i, h in enumerate(head)}
    rows = list(shots.iter_rows(min_row=2))
    assert [r[col[b.SCREEN_FILE]].value for r in rows] == [s["file"] for s in sorted(auto.screens, key=lambda s: s["ts"])]
    actions = wb[b.UI_ACTIONS_SHEET]
    ahead = [c.value for c in actions[1]]
    for r in rows:
        cell = r[col[b.SCREEN_FILE]]
        assert cell.hyperlink is not None and cell.hyperlink.target == cell.value
        linked = Path(paths["xlsx"]).parent / cell.hyperlink.target
        assert _sha(linked) == r[col[b.SHA256]].value
        aid = r[col[b.UI_ACTION_ID]]
        if aid.value is not None:
            sheet, row = re.fullmatch(r"'(.+)'!A(\d+)", aid.hyperlink.location).groups()
            assert sheet == b.UI_ACTIONS_SHEET
            assert str(actions.cell(int(row), ahead.index(b.UI_ACTION_ID) + 1).value) == aid.value
        eid = r[col[b.EVENT_ID]]
        if eid.value is not None:   # the permission prompt's capture: to the permission_request event
            sheet, row = re.fullmatch(r"'(.+)'!A(\d+)", eid.hyperlink.location).groups()
            events = wb[sheet]
            assert str(events.cell(int(row), [c.value for c in events[1]].index(b.EVENT_ID) + 1).value) == eid.value
    # the actions in order, each with its purpose in words and its first capture linked
    arows = list(actions.iter_rows(min_row=2, values_only=False))
    purposes = [r[ahead.index(b.UI_PURPOSE)].value for r in arows]
    assert purposes == [b.value_label("ui_purpose", p) for p in
                        ("consent_accept", "permission_allow", "explore", "refused_unsafe")]
    first = arows[0][ahead.index(b.SCREEN_FILE)]
    assert first.value.splitlines() == [f for s in auto.screens if s["action_id"] == auto.actions["consent"]
                                        for f in [s["file"]]]
    assert first.hyperlink.target == first.value.splitlines()[0]
    refused = arows[-1]
    assert refused[ahead.index(b.UI_ACTION)].value == b.value_label("ui_action", "none")
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows() if r[0].value}
    assert summary[b.CONSENT_BY].startswith(b.value_label("consent_by", "automation"))


def test_a_session_without_automation_still_has_the_sheets_saying_so(demo_recording, tmp_path):
    session = strip_automation(copy_recording(demo_recording, tmp_path / "session"))
    analyze(session)
    wb = openpyxl.load_workbook(write_report(session)["xlsx"], read_only=True)
    for name in (b.UI_ACTIONS_SHEET, b.SCREENS_SHEET):
        assert [tuple(v for v in r if v is not None) for r in wb[name].iter_rows(min_row=2, values_only=True)] == [
            (b.NO_AUTOMATION,)]


# -- the page -----------------------------------------------------------------------------
def _css(page: str) -> dict[str, str]:
    return dict(re.findall(r"\.(cap-[0-9a-f]{16})\{background-image:url\(data:image/png;base64,([A-Za-z0-9+/=]+)\)\}",
                           page))


def test_the_consent_box_shows_the_consent_path_in_order_with_thumbnails_linked_full_size(accepted):
    session, auto, paths = accepted
    page = Path(paths["html"]).read_text("utf-8")
    box = page[page.index('<div class="consent-box'):page.index('<p class="result">')]
    assert b.value_label("consent_by", "automation") in box
    items = re.findall(r"<li>(.*?)</li>", box, re.S)
    whys = [next((w for w in ("consent: accept", "permission: allow") if w in it), "capture") for it in items]
    assert whys == ["capture", "consent: accept", "capture", "permission: allow"]   # dialog, tap, prompt, allow
    links = re.findall(r'<a class="thumb" href="(screens/[^"]+)"[^>]*>(<span class="cap (cap-[0-9a-f]{16})")?', box)
    assert [h for h, _, _ in links] == [s["file"] for s in sorted(auto.screens, key=lambda s: s["ts"])
                                        if s["cause"] in ("dialog", "permission_prompt")
                                        or s["action_id"] in (auto.actions["consent"], auto.actions["permission"])]
    css = _css(page)
    for href, _, cls in links:
        assert cls and base64.b64decode(css[cls]) == (session / href).read_bytes()
    # every picture is embedded once, however often it is shown and however many captures show it
    pictures = {s["sha256"] for s in auto.screens}
    assert len(pictures) < len(auto.screens)      # the dialog before and at the tap: the same picture
    assert set(css) == {f"cap-{sha[:16]}" for sha in pictures}
    assert page.count("url(data:image/png;base64,") == len(pictures)


def test_the_appendix_lists_every_action_and_capture_in_order(accepted):
    session, auto, paths = accepted
    page = Path(paths["html"]).read_text("utf-8")
    part = page[page.index('id="appendix-ui"'):]
    rows = re.findall(r'<tr id="ui-step-(\d+)">(.*?)</tr>', part, re.S)
    loose = [s for s in auto.screens if s["action_id"] is None]
    assert [int(n) for n, _ in rows] == list(range(1, len(auto.actions) + len(loose) + 1))
    hrefs = re.findall(r'href="(screens/[^"]+)"', part)
    assert sorted(hrefs) == sorted(auto.files())
    refused = next(r for _, r in rows if "refused (pays, sends or calls)" in r)
    assert "立即支付" in refused and "pays" in refused


def test_a_finding_at_the_permission_prompt_shows_the_screen_of_that_moment(accepted):
    session, auto, paths = accepted
    page = Path(paths["html"]).read_text("utf-8")
    prompt = next(s for s in auto.screens if s["cause"] == "permission_prompt")
    blocks = re.findall(r'<div class="finding[^>]*>.*?(?=<div class="finding|<h2 id="timeline")', page, re.S)
    shown = [blk for blk in blocks if b.SCREENS_OF_MOMENT in blk]
    assert shown, "no finding shows a screen"
    assert any(f'href="{prompt["file"]}"' in blk for blk in shown)
    store = SessionStore(session, create=False)
    try:
        findings = store.rows("SELECT id, first_ts FROM findings")
    finally:
        store.close()
    far = [f["id"] for f in findings if min(abs(f["first_ts"] - s["ts"]) for s in auto.screens) > 60]
    for fid in far:   # a finding far from every capture and every evidence row near none: no screen
        blk = next(x for x in blocks if f'id="finding-{fid}"' in x)
        assert b.SCREENS_OF_MOMENT not in blk or "href=\"screens/" in blk


def test_a_changed_screenshot_is_not_reported_over(accepted, tmp_path):
    import shutil

    from analysis.errors import AnalysisError
    from piiaudit.integrity import IntegrityError

    session = Path(shutil.copytree(accepted[0], tmp_path / "s"))
    shot = session / accepted[1].files("after_tap")[0]
    shot.write_bytes(shot.read_bytes()[:-10])
    with pytest.raises((IntegrityError, AnalysisError), match=shot.name):
        analyze(session)


def test_the_page_with_thumbnails_lays_out_at_1400_px_with_no_overflow(accepted, chromium, tmp_path):
    session, auto, paths = accepted
    page = chromium.open(Path(paths["html"]), WIDTH, 1000)
    for state in ("folded", "unfolded"):
        if state == "unfolded":
            page.open_folds()
        lay = page.layout()
        assert lay["width"] == WIDTH and lay["scroll_width"] <= WIDTH, (state, lay["scroll_width"])
        assert lay["overflow"] == [] and lay["beyond"] == [] and lay["narrow"] == [], (state, lay)
    thumbs = page.evaluate("""JSON.stringify([...document.querySelectorAll('a.thumb .cap')].map(e => {
        const r = e.getBoundingClientRect(), s = getComputedStyle(e);
        return [r.width, r.height, s.backgroundImage.slice(0, 27)]; }))""")
    sizes = json.loads(thumbs)
    assert len(sizes) >= len(auto.screens)
    for w, h, bg in sizes:
        assert w == pytest.approx(96, abs=1) and h == pytest.approx(96 * 2400 / 1080, abs=2)
        assert bg.startswith('url("data:image/png;base64')
    # the thumbnails are drawn: the consent box's screenshot holds the captures' blue title bars
    top = page.evaluate("document.querySelector('.consent-path').getBoundingClientRect().top + window.scrollY")
    shot = page.screenshot(tmp_path / "consent.png", top=top, height=900)
    from PIL import Image

    with Image.open(shot) as img:
        blue = int((np.asarray(img.convert("RGB")) == (33, 99, 170)).all(axis=-1).sum())
    assert blue > 500, f"{blue} pixels of the captures' title bar: the thumbnails are not drawn"


def test_the_pdf_prints_the_thumbnails(accepted, tmp_path, chromium):
    """Chromium prints the thumbnails (CSS backgrounds, printed with print-color-adjust): the PDF holds
    image objects, which a report of the same recording without captures does not."""
    import shutil

    session = Path(shutil.copytree(accepted[0], tmp_path / "s"))
    pdf = Path(write_report(session, pdf=True)["pdf"]).read_bytes()
    assert pdf.count(b"/Subtype /Image") >= len(accepted[1].screens)


def test_a_capture_row_naming_a_file_outside_screens_is_never_followed(demo_recording, tmp_path):
    """A screens row whose file is not a name the automation writes is shown as missing, never linked,
    never read (verify names it), and a screen recording is linked by name, not drawn."""
    from piiaudit import integrity

    session = copy_recording(demo_recording, tmp_path / "session")
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n secret")
    auto = add_automation(session, "accept")
    (session / "screens" / "0099-recording.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    store = SessionStore(session, create=False)
    try:
        store.write({"screens": [
            {"ts": auto.action_ts["consent"], "file": "../outside.png", "sha256": "0" * 64, "kind": "png",
             "cause": "after_tap", "action_id": auto.actions["consent"]},
            {"ts": auto.action_ts["explore"] + 2, "file": "screens/0099-recording.mp4", "kind": "mp4",
             "sha256": _sha(session / "screens" / "0099-recording.mp4"), "cause": "recording"}]})
    finally:
        store.close()
    (check,) = [f for f in integrity.verify(session).files if f.name == "../outside.png"]
    assert check.status == "changed" and check.found_sha256 is None
    analyze(session, accept_changes=True)
    paths = write_report(session, accept_changes=True)
    page = Path(paths["html"]).read_text("utf-8")
    assert "outside.png" in page and 'href="../outside.png"' not in page and b.SCREEN_MISSING in page
    assert 'href="screens/0099-recording.mp4"' in page
    assert page.count("url(data:image/png;base64,") == len({s["sha256"] for s in auto.screens})
    assert all(s["file"] != "../outside.png" for s in _doc(session)["consent"]["screens"])
    wb = openpyxl.load_workbook(paths["xlsx"])
    ws = wb[b.SCREENS_SHEET]
    col = [c.value for c in ws[1]].index(b.SCREEN_FILE)
    links = {r[col].value: r[col].hyperlink.target if r[col].hyperlink else None for r in ws.iter_rows(min_row=2)}
    assert links["../outside.png"] is None and links["screens/0099-recording.mp4"] == "screens/0099-recording.mp4"


def test_a_screen_of_a_moment_says_how_far_it_is_from_the_evidence(accepted):
    from analysis import screens
    from analysis.load import load_session

    session, auto, _ = accepted
    prompt = next(s for s in auto.screens if s["cause"] == "permission_prompt")
    loaded = load_session(session)
    try:
        near = screens.of_moments(loaded, [prompt["ts"] - 0.001, prompt["ts"] + 10])
        assert near[0]["file"] == prompt["file"] and near[0]["offset_s"] == pytest.approx(0.001, abs=1e-6)
        assert all(abs(s["offset_s"]) <= screens.MOMENT_S for s in near) and len(near) <= screens.MAX_PER_MOMENT
        assert screens.of_moments(loaded, [prompt["ts"] + 3600]) == []
    finally:
        loaded.store.close()
    page = Path(accepted[2]["html"]).read_text("utf-8")
    assert re.search(re.escape(prompt["file"].split("/")[1]) + r" \([+-]\d+\.\d\d s\)</span>", page)


def test_beyond_the_page_budget_captures_are_linked_not_embedded_and_the_page_says_how_many(accepted, monkeypatch):
    from analysis import htmlpage
    from analysis.reportdata import gather
    from piiaudit.times import zone

    session, auto, _ = accepted
    sizes = {s["sha256"]: (session / s["file"]).stat().st_size for s in auto.screens}
    path_first = sorted(auto.screens, key=lambda s: (s["action_id"] != auto.actions["consent"] and s["cause"] != "dialog",
                                                     s["ts"]))[0]
    monkeypatch.setattr(htmlpage, "MAX_SCREENS_BYTES", sizes[path_first["sha256"]])
    page = htmlpage.render(gather(session, zone("UTC")))
    assert page.count("url(data:image/png;base64,") == 1 and f"cap-{path_first['sha256'][:16]}" in page
    shown_once = {s["sha256"] for s in auto.screens} - {path_first["sha256"]}
    left = sum(1 for s in auto.screens if s["sha256"] in shown_once)
    assert b.SCREENS_NOT_EMBEDDED.format(n=left) in page
    assert all(f'href="{s["file"]}"' in page for s in auto.screens)


def test_the_console_summary_says_how_consent_was_given_when_the_automation_ran(accepted, demo_recording):
    from analysis.summary import text_summary

    session, auto, _ = accepted
    text = text_summary(analyze(session))
    line = next(ln for ln in text.splitlines() if b.CONSENT_BY in ln)
    assert b.value_label("consent_by", "automation") in line
    assert f"{len(auto.actions)}, {b.SCREENSHOTS} {len(auto.screens)}" in line
    assert b.CONSENT_BY not in text_summary(analyze(strip_automation(copy_recording(demo_recording, session.parent / "plain"))))
