"""Runs: every process that records into a session leaves a row when it starts and closes it
at its clean end, so a session whose run was killed says that it is partial.

`start` writes the `runs` row (stage, pid, host, start time) at once, before the run
records anything; `end` writes it again with `ended` and what the run counted. A row
without `ended` is a run that was killed (kill -9, power loss), crashed, lost its disk, or
is still running: the session is partial, and analyze, report and verify say so
(`partial(store)`, `describe`). A run on this machine whose process is still alive is
told apart as "still running".
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from piiaudit.times import iso_one

if TYPE_CHECKING:
    from piiaudit.store import SessionStore

STAGES = ("proxy", "replay", "hooks")
PARTIAL = "不完整的会话 / partial session"


def start(store: SessionStore, stage: str, **detail: Any) -> str:
    """Write the row of a run beginning now; returns its id."""
    run_id = uuid.uuid4().hex
    store.write({"runs": [{"id": run_id, "stage": stage, "started": time.time(), "pid": os.getpid(),
                           "host": socket.gethostname(), "detail": detail or None}]})
    return run_id


def end(store: SessionStore, run_id: str, **detail: Any) -> None:
    """Mark run `run_id` as ended cleanly, with what it counted merged into its detail."""
    (row,) = store.rows("SELECT * FROM runs WHERE id = ?", (run_id,))
    before = _detail(row.get("detail"))
    store.write({"runs": [{**row, "ended": time.time(), "detail": {**before, **detail}}]})


def _detail(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _alive(pid: Any, host: Any) -> bool:
    if host != socket.gethostname() or not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def partial(store: SessionStore) -> list[dict[str, Any]]:
    """The runs that did not end cleanly, oldest first, each with `running` (its process still
    lives here): those without `ended`, and those that ended with rows they could not store
    (`detail.not_stored`, e.g. on a full disk)."""
    return partial_rows(store.rows(
        "SELECT id, stage, started, ended, pid, host, detail FROM runs ORDER BY started"))


def partial_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `runs` that make a session partial, with their detail decoded and `running` added."""
    out = []
    for r in rows:
        detail = _detail(r.get("detail"))
        if r.get("ended") is None or _lost(detail):
            out.append({**r, "detail": detail, "running": r.get("ended") is None and _alive(r.get("pid"), r.get("host"))})
    return out


def _lost(detail: dict[str, Any]) -> int:
    try:
        return int(detail.get("not_stored") or 0)
    except (TypeError, ValueError):
        return 0


def describe(run: dict[str, Any], tz: Any = None) -> str:
    """One bilingual sentence about a run that did not end cleanly."""
    what = {"proxy": "the proxy's recording / 代理记录", "replay": "the replay / 回放",
            "hooks": "the hooks runner / 钩子运行器"}.get(run["stage"], run["stage"])
    source = run["detail"].get("source")
    started = iso_one(run["started"], tz) if run.get("started") is not None else "?"
    where = f"pid {run['pid']} on {run['host']}"
    if run.get("running"):
        how = "is still running: the session is being written / 仍在运行，会话尚在写入"
    elif run.get("ended") is not None:
        how = (f"ended with {_lost(run['detail']):,} rows it could not store (a full disk?) / "
               f"结束时有 {_lost(run['detail']):,} 条记录未能写入（磁盘已满？）")
    else:
        how = ("did not end cleanly (killed or crashed): rows it had not committed are missing / "
               "未正常结束（被终止或崩溃），未提交的记录已丢失")
    return f"{PARTIAL}: {what}{f' of {source}' if source else ''} started {started} ({where}) {how}"
