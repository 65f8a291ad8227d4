"""Re-run the recorder over a saved capture (flows.mitm or HAR), with no network at all.

The flows go through a bare mitmproxy Master that holds only the Recorder: the same
`response`/`error`/`websocket_end` events, the same detector, the same rows as a live
run, without a proxy server. A flow file cut short by a killed proxy replays every
complete flow and reports where it ends; a damaged HAR keeps its valid entries.

`mitmdump -nr FILE -s addon/piiaudit_addon.py --set piiaudit_session=DIR` does the same
through mitmdump (but stops a HAR at its first bad entry, as mitmproxy's reader does).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any, Optional

from mitmproxy import ctx, exceptions, hooks, master, options

from addon import har
from addon.recorder import Recorder
from piiaudit import flowread
from piiaudit.store import SessionStore

logger = logging.getLogger(__name__)

COMPONENT = "replay"


class ReplayError(Exception):
    """The capture cannot be replayed at all (missing file, bad options)."""


def replay(file: Path, session_dir: Path, profile: Path | None = None, *, capture: str | None = None) -> dict[str, Any]:
    """Record every flow of `file` into `session_dir`; return stats.

    Stats: flows, hits, errors (file problems plus per-flow detection errors), escaped (flows
    stored with text escaped, piiaudit.rawtext), seconds,
    format ('mitm' or 'har'), truncated (the file ended inside a record or entry),
    messages (what went wrong, for the user).
    """
    file, session_dir = Path(file), Path(session_dir)
    if not file.is_file():
        raise ReplayError(f"{file}: no such capture file")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_replay(file, session_dir, profile, capture))
    # Called from inside an event loop: mitmproxy's Master needs a loop of its own.
    out: dict[str, Any] = {}

    def run() -> None:
        out["result"] = asyncio.run(_replay(file, session_dir, profile, capture))

    t = threading.Thread(target=run, name="piiaudit-replay")
    t.start()
    t.join()
    if "result" not in out:
        raise ReplayError(f"{file}: replay failed (see log)")
    return out["result"]


async def _replay(file: Path, session_dir: Path, profile: Path | None, capture: str | None) -> dict[str, Any]:
    started = time.perf_counter()
    saved_ctx = (getattr(ctx, "master", None), getattr(ctx, "options", None))  # Master() takes over mitmproxy's global ctx
    try:
        return await _run(file, session_dir, profile, capture, started)
    finally:
        if saved_ctx[0] is not None:
            ctx.master, ctx.options = saved_ctx


async def _run(file: Path, session_dir: Path, profile: Path | None, capture: str | None, started: float) -> dict[str, Any]:
    opts = options.Options()
    # The Recorder reads `rfile` the way it does under `mitmdump -r`: it labels the capture
    # and never appends the replayed flows to the file they come from.
    opts.add_option("rfile", Optional[str], None, "Read flows from file.")
    m = master.Master(opts)
    recorder = Recorder()
    m.addons.add(recorder)
    try:
        opts.update(
            rfile=str(file),
            piiaudit_session=str(session_dir),
            piiaudit_profile=str(profile) if profile else None,
            piiaudit_capture=capture or f"replay:{file.name}",
        )
    except exceptions.OptionsError as e:
        raise ReplayError(str(e)) from None
    store = SessionStore(session_dir)
    stats: dict[str, Any] = {"file": str(file), "flows": 0, "hits": 0, "errors": 0, "truncated": False, "messages": []}

    def problem(message: str, *, truncated: bool = False) -> None:
        logger.error("piiaudit replay: %s", message)
        stats["messages"].append(message)
        stats["errors"] += 1
        stats["truncated"] = stats["truncated"] or truncated
        store.record_error(COMPONENT, message, detail={"file": str(file)})

    await m.addons.trigger_event(hooks.RunningHook())
    try:
        with open(file, "rb") as fo:
            head = fo.read(64)
            fo.seek(0)
            if har.looks_like_har(head) or file.suffix.lower() in (".har", ".zhar"):
                stats["format"] = "har"
                await _load_har(m, fo.read(), file, stats, problem)
            else:
                stats["format"] = "mitm"
                await _load_mitm(m, fo, file, stats, problem)
    finally:
        await m.done()
    stats["hits"] = recorder.hits
    stats["errors"] += recorder.errors
    stats["escaped"] = recorder.escaped
    if recorder.escaped:
        stats["messages"].append(
            f"{recorder.escaped} flows held bytes that are not UTF-8 (URL, header or host): stored with "
            "\\xNN escapes and the raw bytes' SHA-256 in flows.escaped")
    stats["seconds"] = round(time.perf_counter() - started, 3)
    store.set_meta("last_replay", {k: v for k, v in stats.items() if k != "messages"} | {"at": time.time()})
    store.close()
    return stats


async def _load_mitm(m: master.Master, fo, file: Path, stats: dict, problem) -> None:
    """Every flow of a flow file, read by piiaudit.flowread (hostile records end the file
    with a sentence, never a traceback or an unbounded allocation)."""
    size = file.stat().st_size
    try:
        for f in flowread.stream(fo, size):
            await m.load_flow(f)
            stats["flows"] += 1
    except flowread.FlowFileError as e:
        problem(
            f"{file.name}: damaged or cut short after {stats['flows']} complete flows "
            f"({e}; the file has {size:,} bytes); every complete flow before it was replayed",
            truncated=True,
        )


async def _load_har(m: master.Master, data: bytes, file: Path, stats: dict, problem) -> None:
    try:
        for item in har.read(data):
            if isinstance(item, har.BadEntry):
                problem(f"{file.name}: {item.message}")
                continue
            await m.load_flow(item)
            stats["flows"] += 1
    except har.HarError as e:
        problem(f"{file.name}: HAR: {e}", truncated=stats["flows"] > 0)
