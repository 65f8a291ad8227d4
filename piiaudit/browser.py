"""Headless Chromium, driven over the DevTools protocol through a pipe: the page's PDF,
its screenshots and measurements of its layout.

Chromium is started with ``--remote-debugging-pipe``: protocol messages are JSON objects
separated by NUL bytes, written to its file descriptor 3 and read from its descriptor 4. No
port is opened and no WebSocket library is needed. Chromium is found as ``PIIAUDIT_CHROMIUM``,
else ``chromium``, ``chromium-browser``, ``google-chrome`` on PATH (`find`); Debian's package
is ``chromium`` (scripts/setup.sh installs it with ``fonts-noto-cjk`` for the Chinese text).

Chromium is kept off the network: every host name resolves to nothing and every request
goes to a proxy on a closed loopback port, with its background services (updates, safe
browsing, metrics) switched off. Pages are opened as ``file://`` URLs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from piiaudit import fdwait

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND",      # no DNS query leaves the browser
    "--proxy-server=http://127.0.0.1:9",          # and no connection: port 9 (discard) on loopback
    "--proxy-bypass-list=<-loopback>",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-pings",
    "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-breakpad", "--metrics-recording-only", "--no-first-run", "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication",
)
TIMEOUT_S = 60.0


# What `Page.layout()` measures, in the page itself (run by the protocol, not by the page).
LAYOUT_SCRIPT = r"""(() => {
  const doc = document.documentElement;
  const out = {width: doc.clientWidth, scroll_width: doc.scrollWidth, height: doc.scrollHeight,
               headers: 0, cells: 0, narrow: [], overflow: [], beyond: []};
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;left:0;top:0';
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  for (const th of document.querySelectorAll('th')) {
    if (th.getClientRects().length === 0) continue;          // inside a closed fold: not laid out
    out.headers++;
    const cs = getComputedStyle(th);
    const inner = th.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const words = th.textContent.split(/\s+/).filter(Boolean);
    th.appendChild(probe);
    for (const word of words) {
      probe.textContent = word;
      const w = probe.getBoundingClientRect().width;
      if (w > inner + 0.5) out.narrow.push({header: words.join(' '), word: word,
                                            word_px: Math.round(w), column_px: Math.round(inner)});
    }
    probe.remove();
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const rects = el.getClientRects();
    if (rects.length === 0) continue;
    if (el.tagName === 'TD') out.cells++;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      out.overflow.push({element: name(el), scroll_px: el.scrollWidth, box_px: el.clientWidth,
                         text: (el.textContent || '').trim().slice(0, 80)});
    const r = el.getBoundingClientRect();
    if (r.right > doc.clientWidth + 1)
      out.beyond.push({element: name(el), right_px: Math.round(r.right), text: (el.textContent || '').trim().slice(0, 80)});
  }
  return out;
})()"""
OPEN_FOLDS = "(sel => { const all = document.querySelectorAll(sel); all.forEach(d => d.open = true); return all.length; })"



class BrowserError(RuntimeError):
    """Chromium is missing, did not start, or answered a command with an error."""


def _as_fds_3_and_4(read_end: int, write_end: int) -> None:
    """In the child before exec: the pipe ends as descriptors 3 and 4 (moved above 10 first, so
    neither overwrites the other)."""
    import fcntl

    high = fcntl.fcntl(read_end, fcntl.F_DUPFD, 10), fcntl.fcntl(write_end, fcntl.F_DUPFD, 10)
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


def find() -> str | None:
    """The Chromium executable: PIIAUDIT_CHROMIUM, else the first of CANDIDATES on PATH; None if none."""
    named = os.environ.get("PIIAUDIT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else shutil.which(named)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Browser:
    """One headless Chromium; use as a context manager. `open(path, width)` gives a `Page`."""

    def __init__(self, executable: str | None = None, *, timeout: float = TIMEOUT_S) -> None:
        exe = executable or find()
        if not exe:
            raise BrowserError("no Chromium found: install Debian's `chromium` (scripts/setup.sh does) "
                               "or set PIIAUDIT_CHROMIUM to its path")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="piiaudit-chromium-")
        to_child, self._write = os.pipe()      # Chromium reads commands on its fd 3
        self._read, from_child = os.pipe()     # and writes answers and events on its fd 4
        args = [exe, "--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-sandbox",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--force-color-profile=srgb",
                f"--user-data-dir={self._profile.name}", *OFFLINE_FLAGS, "about:blank"]
        try:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(3, 4), preexec_fn=lambda: _as_fds_3_and_4(to_child, from_child))
        except OSError as e:
            self._profile.cleanup()
            raise BrowserError(f"{exe}: cannot start ({e})") from None
        finally:
            os.close(to_child)
            os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # -- the protocol ---------------------------------------------------------------------
    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer (events that arrive meanwhile are kept)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._write, json.dumps(msg).encode() + b"\0")
        except OSError as e:
            raise BrowserError(f"Chromium closed its pipe ({e})") from None
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result") or {}
            self._events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev.get("method") == method and (session is None or ev.get("sessionId") == session):
                    return self._events.pop(i).get("params") or {}
            self._events.append(self._receive(deadline))

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer within {self.timeout:.0f} s")
            ready, _ = fdwait.ready(self._read, None, left)
            if not ready:
                continue
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium exited")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    # -- pages ----------------------------------------------------------------------------
    def open(self, path: Path | str, width: int = 1400, height: int = 1000) -> Page:
        """A new tab `width` × `height` CSS pixels showing the file at `path`, loaded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, width, height)
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        self.send("Page.navigate", {"url": Path(path).resolve().as_uri()}, session)
        self.wait_event("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except BrowserError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One loaded tab."""

    def __init__(self, browser: Browser, session: str, width: int, height: int) -> None:
        self.browser, self.session, self.width, self.height = browser, session, width, height

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (run by the protocol: the page's own
        Content-Security-Policy, which forbids scripts, does not apply to it)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: Path | str, *, height: int | None = None, top: float = 0) -> Path:
        """A PNG of `height` CSS pixels of the page (default: the window's) from `top`, at the page's width."""
        clip = {"x": 0, "y": top, "width": self.width, "height": height or self.height, "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        out = Path(path)
        out.write_bytes(base64.b64decode(data["data"]))
        return out

    def pdf(self, *, footer_html: str, landscape: bool = False) -> bytes:
        """The page printed (CSS @page decides the paper when it names one), the footer on every page."""
        data = self.send("Page.printToPDF", {
            "printBackground": True, "displayHeaderFooter": True, "headerTemplate": "<span></span>",
            "footerTemplate": footer_html, "preferCSSPageSize": True, "landscape": landscape,
            "marginTop": 0.4, "marginBottom": 0.6, "marginLeft": 0.4, "marginRight": 0.4,
        })
        return base64.b64decode(data["data"])

    def layout(self) -> dict[str, Any]:
        """How the page is laid out: its width and scroll width, every header word wider than its
        column (`narrow`), every box whose content is wider than the box (`overflow`) and every
        box reaching past the window's right edge (`beyond`); how many `headers` and `cells` it saw."""
        return self.evaluate(LAYOUT_SCRIPT)

    def open_folds(self, selector: str = "details") -> int:
        """Open every <details> the CSS `selector` names; how many it named."""
        return int(self.evaluate(f"{OPEN_FOLDS}({json.dumps(selector)})"))
