"""Re-run the recorder over a saved capture (flows.mitm or HAR), with no network at all.

The flows go through a bare mitmproxy Master that holds only the Recorder: the same
`response`/`error`/`websocket_end` events, the same detector, the same rows as a live
run, without a proxy server. A flow file cut short by a killed proxy replays every
complete flow and reports where it ends; a damaged HAR keeps its valid entries.

`mitmdump -nr FILE -s addon/piiaudit_addon.py --set piiaudit_session=DIR` does the same
through mitmdump (but stops a HAR at its first bad entry, as mitmproxy's reader does).

Nothing is lost without a word: every flow read is stored, counted as not stored (a row
SQLite refused), or counted as skipped (the recorder never saw its end: no response and no
error, or not HTTP), with an `errors` row; the run's accounting (piiaudit.accounting) and
`summary_line` say so. The replay is one run of stage `replay` (piiaudit.runs): killed, it
leaves the session partial. A clean end writes the manifest last.
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
from piiaudit import accounting, flowread, manifest
from piiaudit.store import SessionStore, error_row, tally_row

logger = logging.getLogger(__name__)

COMPONENT = "replay"


class ReplayError(Exception):
    """The capture cannot be replayed at all (missing file, bad options)."""


def replay(file: Path, session_dir: Path, profile: Path | None = None, *, capture: str | None = None, progress=None) -> dict[str, Any]:
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
        return asyncio.run(_replay(file, session_dir, profile, capture, progress))
    # Called from inside an event loop: mitmproxy's Master needs a loop of its own.
    out: dict[str, Any] = {}

    def run() -> None:
        out["result"] = asyncio.run(_replay(file, session_dir, profile, capture, progress))

    t = threading.Thread(target=run, name="piiaudit-replay")
    t.start()
    t.join()
    if "result" not in out:
        raise ReplayError(f"{file}: replay failed (see log)")
    return out["result"]


async def _replay(file: Path, session_dir: Path, profile: Path | None, capture: str | None, progress=None) -> dict[str, Any]:
    started = time.perf_counter()
    saved_ctx = (getattr(ctx, "master", None), getattr(ctx, "options", None))  # Master() takes over mitmproxy's global ctx
    try:
        return await _run(file, session_dir, profile, capture, started, progress)
    finally:
        if saved_ctx[0] is not None:
            ctx.master, ctx.options = saved_ctx


async def _run(file: Path, session_dir: Path, profile: Path | None, capture: str | None, started: float, progress=None) -> dict[str, Any]:
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
    run_id = recorder.session.run_id
    stats: dict[str, Any] = {"file": str(file), "session": str(session_dir), "flows": 0, "hits": 0, "errors": 0,
                             "truncated": False, "messages": []}

    def problem(message: str, *, truncated: bool = False, skipped: str | None = None) -> None:
        logger.error("piiaudit replay: %s", message)
        stats["messages"].append(message)
        stats["errors"] += 1
        stats["truncated"] = stats["truncated"] or truncated
        lost = "capture" if truncated else skipped
        _record(store, run_id, error_row(COMPONENT, message, detail={"file": str(file)}),
                [tally_row(COMPONENT, "failed" if truncated else "skipped", lost, 1, run_id)] if lost else [])

    await m.addons.trigger_event(hooks.RunningHook())
    try:
        with open(file, "rb") as fo:
            head = fo.read(64)
            fo.seek(0)
            if har.looks_like_har(head) or file.suffix.lower() in (".har", ".zhar"):
                stats["format"] = "har"
                await _load_har(m, fo.read(), file, stats, problem, progress)
            else:
                stats["format"] = "mitm"
                await _load_mitm(m, fo, file, stats, problem, progress)
    finally:
        await m.done()
    stats["hits"] = recorder.hits
    stats["errors"] += recorder.errors
    stats["escaped"] = recorder.escaped
    if recorder.escaped:
        stats["messages"].append(
            f"{recorder.escaped} flows held bytes that are not UTF-8 (URL, header or host): stored with "
            "\\xNN escapes and the raw bytes' SHA-256 in flows.escaped")
    _account(store, run_id, stats, problem, recorder.session.rows_refused)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    store.set_meta("last_replay", {k: v for k, v in stats.items() if k != "messages"} | {"at": time.time()})
    if recorder.session.run_id is not None:
        manifest.write(store)
    store.close()
    return stats


def _record(store: SessionStore, run_id: str | None, error: dict, tally: list[dict]) -> None:
    """An error row of the replay and what it cost, in one transaction (best effort, like record_error)."""
    try:
        store.write({"errors": [error], "tally": tally}, stage=COMPONENT, run_id=run_id)
    except Exception as e:  # noqa: BLE001 - the database itself may be the problem
        logger.error("piiaudit replay: not recorded: %s (%s)", error["message"], e)


def _account(store: SessionStore, run_id: str | None, stats: dict[str, Any], problem, rows_refused: int = 0) -> None:
    """Stored, not stored and skipped flows of this run; the skipped ones get an error row."""
    if run_id is None:   # the run could not even be started: nothing was counted
        stats.update(stored=None, not_stored=None, skipped=None, lost=None)
        return
    acc = accounting.read_run(store, run_id)
    stats["stored"] = acc.n(outcome="stored", what="flows")
    stats["not_stored"] = acc.n(outcome="failed", what="flows")
    skipped = max(stats["flows"] - stats["stored"] - stats["not_stored"], 0)
    if skipped and rows_refused and not stats["not_stored"]:
        # the database refused rows (a full disk, a read-only file): its count could not be written either
        problem(f"{skipped} of the {stats['flows']} flows read from {Path(stats['file']).name} were not recorded: "
                f"the session database refused {rows_refused:,} rows (see the error above: disk full?)")
    elif skipped:
        problem(f"{skipped} of the {stats['flows']} flows read from {Path(stats['file']).name} were not recorded: "
                f"no response and no error (the capture holds only their request), or not HTTP")
        _record_skipped(store, run_id, skipped)
    stats["skipped"] = skipped
    stats["lost"] = stats["not_stored"] + skipped
    acc = accounting.read_run(store, run_id)
    stats["capped"] = acc.n(outcome="capped")
    stats["failed_scans"] = acc.n(outcome="failed", what="scans")
    # Every error row this run wrote, those of rows SQLite refused included.
    stats["errors"] = max(stats["errors"], acc.errors)


def _record_skipped(store: SessionStore, run_id: str, n: int) -> None:
    try:
        store.write({"tally": [tally_row(COMPONENT, "skipped", "flows", n, run_id)]})
    except Exception as e:  # noqa: BLE001
        logger.error("piiaudit replay: %d skipped flows not counted: %s", n, e)


def summary_line(stats: dict[str, Any]) -> str:
    """What `piiaudit replay` prints: flows read, stored, not stored, skipped, hits, errors, time."""
    parts = [f"{stats['stored']} stored" if stats.get("stored") is not None else "stored: not counted"]
    if stats.get("not_stored"):
        parts.append(f"{stats['not_stored']} not stored")
    if stats.get("skipped"):
        parts.append(f"{stats['skipped']} skipped")
    parts.append(f"{stats['hits']} PII hits")
    if stats.get("failed_scans"):
        parts.append(f"{accounting.say(stats['failed_scans'], 'scans')} failed")
    if stats.get("capped"):
        parts.append(f"{accounting.say(stats['capped'], 'scans')} capped")
    clean = not (stats.get("lost") or stats.get("failed_scans") or stats.get("capped") or stats.get("truncated"))
    if stats["errors"] or clean:   # "0 errors" only when nothing else went wrong either
        parts.append(f"{stats['errors']} errors")
    parts.append(f"{stats['seconds']:.2f} s")
    line = f"replayed {stats['flows']} flows from {stats['file']} into {stats['session']}: {', '.join(parts)}"
    if stats.get("lost"):
        line += (f"; {stats['lost']} flows lost / {stats['lost']} 条流量丢失 "
                 f"(see the errors table of {Path(stats['session']) / 'session.db'})")
    if stats.get("truncated"):
        line += "; the capture was cut short / 抓包文件不完整"
    return line


async def _load_mitm(m: master.Master, fo, file: Path, stats: dict, problem, progress=None) -> None:
    """Every flow of a flow file, read by piiaudit.flowread (hostile records end the file
    with a sentence, never a traceback or an unbounded allocation)."""
    size = file.stat().st_size
    try:
        for f in flowread.stream(fo, size):
            await m.load_flow(f)
            stats["flows"] += 1
            progress and progress(stats["flows"])
    except flowread.FlowFileError as e:
        problem(
            f"{file.name}: damaged or cut short after {stats['flows']} complete flows "
            f"({e}; the file has {size:,} bytes); every complete flow before it was replayed",
            truncated=True,
        )


async def _load_har(m: master.Master, data: bytes, file: Path, stats: dict, problem, progress=None) -> None:
    try:
        for item in har.read(data):
            if isinstance(item, har.BadEntry):
                problem(f"{file.name}: {item.message}", skipped="har entries")
                continue
            await m.load_flow(item)
            stats["flows"] += 1
            progress and progress(stats["flows"])
    except har.HarError as e:
        problem(f"{file.name}: HAR: {e}", truncated=stats["flows"] > 0)
