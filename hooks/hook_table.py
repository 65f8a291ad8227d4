"""The hook table (hooks/agent/hook-table.json): which Java methods the agent hooks.

Each row is one method: class, method, the overloads expected (Java source type names and
the API level each appeared in), the event kind it produces, the PII type it reads, the
permission guarding it, whether it is public SDK API, hidden framework API (with the AOSP
source it lives in) or third-party, and the describer (a function in the agent's domain
modules, ``"<domain>.<name>"``) that turns a call into an event. The runner sends the rows
to the agent's ``init()``; the agent ignores the documentation fields.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from piiaudit import vocab

TABLE_PATH = Path(__file__).resolve().parent / "agent" / "hook-table.json"

KINDS = ("pii_read", "permission_request", "permission_result", "dialog_shown", "click", "pref_write", "uncaught_exception")
VISIBILITY = ("public", "hidden", "third-party")
_DESCRIBER = re.compile(r"^[a-z]+\.[A-Za-z]+$")
_REQUIRED = ("id", "class", "method", "kind", "describe")


class HookTableError(ValueError):
    """A hook table row that the agent could not use; the message names the row."""


def validate(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows):
        where = f"hook table row {n} ({row.get('id', '?')})"
        missing = [k for k in _REQUIRED if not row.get(k)]
        if missing:
            raise HookTableError(f"{where}: missing {', '.join(missing)}")
        if row["id"] in seen:
            raise HookTableError(f"{where}: duplicate id")
        seen.add(row["id"])
        if row["kind"] not in KINDS:
            raise HookTableError(f"{where}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        if not _DESCRIBER.match(row["describe"]):
            raise HookTableError(f"{where}: describe must read '<domain>.<name>', not {row['describe']!r}")
        types = [row.get("pii_type")] + list(((row.get("params") or {}).get("keys") or {}).values())
        for pii_type in types:
            if pii_type is not None and not vocab.is_known(pii_type):
                raise HookTableError(f"{where}: unknown PII type {pii_type!r} (see piiaudit/data/pii_types.yaml)")
        if row["kind"] == "pii_read" and not row.get("pii_type"):
            raise HookTableError(f"{where}: a pii_read row needs a pii_type")
        visibility = row.get("visibility", "public")
        if visibility not in VISIBILITY:
            raise HookTableError(f"{where}: visibility {visibility!r} is not one of {', '.join(VISIBILITY)}")
        if visibility == "hidden" and not row.get("aosp_source"):
            raise HookTableError(f"{where}: a hidden framework row must name its aosp_source")
        for overload in row.get("overloads") or []:
            if not isinstance(overload.get("args"), list):
                raise HookTableError(f"{where}: each overload needs an args list")
        out.append(dict(row))
    return out


@functools.cache
def _load_default() -> tuple[dict[str, Any], ...]:
    return tuple(load(TABLE_PATH))


def load(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The rows of a hook table file (the project's own by default), validated."""
    if path is None:
        return [dict(r) for r in _load_default()]
    path = Path(path)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise HookTableError(f"{path}: cannot read the hook table ({e})") from e
    return validate(doc.get("hooks") or [])
