"""The hook table (hooks/data/hook_table.yaml): which Java methods the agent hooks.

Each row is one method: the declaring class (and the concrete class hooked, ``hook_on``),
the overloads expected (Java source type names) with the API level each appeared in, the
event kind it produces, the PII type it reads, the permission guarding it, whether it is
public SDK API, hidden framework API (with the AOSP source it lives in) or third-party, the
describer (a function in the agent's domain modules, ``"<domain>.<name>"``) that turns a
call into an event, and its stack / rate / guard policy. The runner sends the rows to the
agent's ``init()``; the agent ignores the documentation fields.

Public rows are also checked against the Android SDK's API database (``api_problems()``,
``hooks.apidb``): class, method, descriptor and minimum API level.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from piiaudit import vocab
from piiaudit.yamlfile import YamlError, load_file

from . import apidb

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLE_PATH = DATA_DIR / "hook_table.yaml"

KINDS = (
    "pii_read", "sms_send",
    "permission_request", "permission_result", "permission_check", "permission_rationale",
    "dialog_shown", "dialog_closed", "dialog_button", "dialog_fragment", "toast_shown", "click", "checkbox",
    "link_click", "webview_load", "pref_write", "pref_commit",
    "activity_state", "touch", "component_launch",
    "crypto",
    "uncaught_exception",
    "tls_write", "tls_read",
)
VISIBILITY = ("public", "hidden", "third-party")
_DESCRIBER = re.compile(r"^[a-z]+\.[A-Za-z]+$")
_REQUIRED = ("id", "class", "method", "kind", "describe")
_RATE_KEYS = {"per_second", "burst"}


class HookTableError(ValueError):
    """A hook table row that the agent could not use; the message names the row."""


def _pii_types(row: Mapping[str, Any]) -> list[str | None]:
    declared = row.get("pii_type")
    types = list(declared) if isinstance(declared, list) else [declared]
    params = row.get("params") or {}
    types += list((params.get("keys") or {}).values())
    types += list((params.get("authorities") or {}).values())
    return types


def _check_overloads(row: Mapping[str, Any], where: str) -> None:
    overloads = row.get("overloads")
    if overloads is None:
        return
    if not isinstance(overloads, list) or not all(isinstance(o, list) for o in overloads):
        raise HookTableError(f"{where}: overloads must be a list of argument-type lists")
    if not all(isinstance(t, str) for o in overloads for t in o):
        raise HookTableError(f"{where}: argument types must be strings")
    levels = row.get("min_api")
    if isinstance(levels, list) and len(levels) != len(overloads):
        raise HookTableError(f"{where}: min_api lists {len(levels)} levels for {len(overloads)} overloads")


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
        for pii_type in _pii_types(row):
            if pii_type is not None and not vocab.is_known(pii_type):
                raise HookTableError(f"{where}: unknown PII type {pii_type!r} (see piiaudit/data/pii_types.yaml)")
        if row["kind"] == "pii_read" and not row.get("pii_type"):
            raise HookTableError(f"{where}: a pii_read row needs a pii_type")
        visibility = row.get("visibility", "public")
        if visibility not in VISIBILITY:
            raise HookTableError(f"{where}: visibility {visibility!r} is not one of {', '.join(VISIBILITY)}")
        if visibility == "hidden" and not row.get("aosp_source"):
            raise HookTableError(f"{where}: a hidden framework row must name its aosp_source")
        _check_overloads(row, where)
        rate = row.get("rate")
        if rate is not None and (not isinstance(rate, Mapping) or set(rate) != _RATE_KEYS):
            raise HookTableError(f"{where}: rate must be {{per_second, burst}}")
        stack = row.get("stack", True)
        if not isinstance(stack, bool) and not (isinstance(stack, int) and stack >= 0):
            raise HookTableError(f"{where}: stack must be true, false or a number of reports")
        out.append(dict(row))
    return out


def _read(path: Path) -> list[Mapping[str, Any]]:
    try:
        doc = load_file(path)
    except OSError as e:
        raise HookTableError(f"{path}: cannot read the hook table ({e.strerror})") from None
    except YamlError as e:
        raise HookTableError(str(e)) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("targets"), list):
        raise HookTableError(f"{path}: a hook table is a mapping with a 'targets' list")
    return doc["targets"]


@functools.cache
def _load_default() -> tuple[dict[str, Any], ...]:
    return tuple(validate(_read(TABLE_PATH)))


def load(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The rows of a hook table file (the project's own by default), validated."""
    if path is None:
        return [dict(r) for r in _load_default()]
    return validate(_read(Path(path)))


def api_database() -> apidb.ApiDatabase:
    """The API database the public rows are checked against (the bundled subset, hooks.apidb)."""
    return apidb.load()


def api_problems(rows: Iterable[Mapping[str, Any]] | None = None) -> list[str]:
    """Problems of public rows against the SDK's API database ([] when all check out)."""
    rows = load() if rows is None else list(rows)
    return apidb.validate([dict(r) for r in rows], api_database())


def overload_count(rows: Iterable[Mapping[str, Any]] | None = None) -> int:
    """Overloads the table names (rows hooking every overload count as one)."""
    rows = load() if rows is None else list(rows)
    return sum(len(r.get("overloads") or [None]) for r in rows)
