"""The privacy policy a session captured, for `piiaudit scope extract --from-session`.

What the hooks hold (docs/hooks.md, consent family): the text of every consent surface
shown (`dialog_shown`: its texts in layout order, `consent_words` when it reads like a
notice), the link tapped (`link_click`) and what a WebView was asked to load
(`webview_load`: the URL, or for loadData/loadDataWithBaseURL the first 200 characters of
the page and its length). The page's own text is found where it can be:

* an http(s) page loaded through the proxy: the response body of that URL in flows.mitm;
* a page of the app's assets (``file:///android_asset/…``): under each ``--assets`` directory
  (an unpacked APK's ``assets/``), and for the stand-in app the stand-in's own assets;
* a page loaded from a string: only when the captured prefix is the whole page.

What cannot be found is said in a note (the hooks do not record a page's full content).
The dialog's text is read too, as one more section after the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from analysis import appstate
from analysis.load import load_session
from analysis.policy import document
from analysis.policy.document import Block, PolicyError
from piiaudit import flowread
from piiaudit.store import StoreError

STANDIN_PACKAGE = "com.example.demoshop"
ASSET_PREFIX = "file:///android_asset/"


def standin_assets() -> Path:
    import hooks.standin

    return Path(hooks.standin.__file__).parent / "assets"


@dataclass
class CapturedPolicy:
    blocks: list[Block]
    text: str                                   # everything read, for the source hash
    source: str
    notes: list[str] = field(default_factory=list)


def _asset(url: str, dirs: list[Path]) -> Path | None:
    name = unquote(url[len(ASSET_PREFIX):]).lstrip("/")
    if not name or ".." in Path(name).parts:
        return None
    return next((d / name for d in dirs if (d / name).is_file()), None)


def _from_flows(session_dir: Path, session, url: str) -> bytes | None:
    flows = session.flows
    if flows.empty or "url" not in flows:
        return None
    ids = set(flows.loc[flows["url"].astype("str").eq(url), "id"].astype("str"))
    if not ids:
        return None
    read = flowread.read_flows(session_dir / "flows.mitm", wanted=ids)
    bodies = [f.response.get_content(strict=False) for f in read.flows if f.response is not None]
    return next((b for b in bodies if b), None)


def captured_policy(session_dir: Path, assets: tuple[Path, ...] | list[Path] = ()) -> CapturedPolicy:
    try:
        session = load_session(session_dir)
    except StoreError as e:
        raise PolicyError(str(e)) from None
    events = session.events
    notes: list[str] = []
    dirs = [Path(a) for a in assets]
    if appstate.main_package(events, session.manifest) == STANDIN_PACKAGE:
        dirs.append(standin_assets())
    pages = events.loc[events["kind"].eq("webview_load")].sort_values("ts")
    dialogs = events.loc[events["kind"].eq("dialog_shown")].sort_values("ts")
    blocks: list[Block] = []
    texts: list[str] = []
    sources: list[str] = []
    for _, ev in pages.iterrows():
        data = ev["data"] if isinstance(ev["data"], dict) else {}
        url = data.get("url") or data.get("base_url")
        if not data.get("policy_like"):
            continue
        body: str | None = None
        kind = "html"
        if url and url.startswith(ASSET_PREFIX):
            path = _asset(url, dirs)
            if path is None:
                notes.append(f"{url}: the page is in the app's assets; give the unpacked APK's assets/ with --assets")
                continue
            body, kind = document.read(path), document.kind_of("", path.name)
            sources.append(str(path))
        elif url and urlsplit(url).scheme in ("http", "https"):
            raw = _from_flows(session_dir, session, url)
            if raw is None:
                notes.append(f"{url}: not among the session's flows (loaded before the proxy, or from a cache); "
                             "save the page and run `piiaudit scope extract PAGE`")
                continue
            body = document.decode(raw, url)
            kind = document.kind_of(body)
            sources.append(url)
        elif data.get("method") in ("loadData", "loadDataWithBaseURL"):
            shown = str(ev["value"] or "")
            if data.get("data_len") is not None and len(shown) >= int(data["data_len"]):
                body, kind = shown, document.kind_of(shown, "")
                sources.append(f"event {int(ev['id'])} (loadData)")
            else:
                notes.append(f"event {int(ev['id'])}: a page loaded from a string of {data.get('data_len')} characters; "
                             "the hooks keep its first 200 only")
                continue
        if body:
            texts.append(body)
            blocks += document.blocks(body, kind)
    for _, ev in dialogs.iterrows():
        data = ev["data"] if isinstance(ev["data"], dict) else {}
        if not data.get("consent_words"):
            continue
        lines = [str(t) for t in (data.get("texts") or [])] or str(ev["value"] or "").splitlines()
        blocks.append(Block("heading", "隐私弹窗 (consent dialog)", level=1))
        blocks += [Block("para", line) for line in lines if line.strip()]
        texts.append("\n".join(lines))
        sources.append(f"dialog event {int(ev['id'])}")
    if not blocks:
        raise PolicyError(f"{session_dir}: the session holds no consent dialog text and no policy page that could be "
                          "read" + (f" ({'; '.join(notes)})" if notes else ""))
    return CapturedPolicy(blocks=blocks, text="\n".join(texts), source=f"{session_dir} ({', '.join(sources)})",
                          notes=notes)
