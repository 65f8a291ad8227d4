"""The tester's observations: what no hook can decide, marked by the person running the app.

Kinds are data (`data/observations.yaml`): for each right the app must offer (a switch for
personalised recommendations, account cancellation, correcting or deleting personal
information, withdrawing consent) the tester records that it was found (with where:
"设置 > 隐私 > 个性化推荐") or not found, and the moment personalisation was switched off.

`observation_row` checks one observation and returns its `observations` row; a screenshot
is copied into the session directory as `screenshot-<first 16 hex of its SHA-256><suffix>`
(named by its content: the same picture twice is one file) and its hash kept in the row,
which `piiaudit verify` checks (piiaudit.integrity). `checklist_rows` reads a filled-in
checklist (template: docs/tester-checklist.yaml) into rows; every entry is checked before
anything is copied, so a wrong checklist writes nothing. The store writes the rows
(`SessionStore.add_observations`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from piiaudit import times
from piiaudit.sessiondir import SCREENSHOT as SCREENSHOT_NAME
from piiaudit.yamlfile import load_file, load_resource

SCREENSHOT_PREFIX = "screenshot-"
MAX_SCREENSHOT_BYTES = 50 * 1024 * 1024
OUTCOMES = ("found", "not_found", "switched_off")
FOUND_WORDS = {"yes": True, "no": False, "是": True, "否": False, "found": True, "not found": False,
               "找到": True, "未找到": False}


class ObservationError(ValueError):
    """An observation or checklist that cannot be recorded; one line naming what and why."""


@functools.lru_cache(maxsize=1)
def catalog() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(topics, kinds) of data/observations.yaml, checked: every kind names a topic and an outcome."""
    data = load_resource("piiaudit", "data/observations.yaml")
    topics, kinds = data["topics"], data["kinds"]
    for name, kind in kinds.items():
        if kind.get("topic") not in topics or kind.get("outcome") not in OUTCOMES or not kind.get("zh") \
                or not kind.get("en"):
            raise ValueError(f"data/observations.yaml: kind {name} needs a known topic, an outcome and zh/en labels")
    return topics, kinds


def kinds() -> dict[str, dict[str, Any]]:
    return catalog()[1]


def kind_of(topic: str, outcome: str) -> str:
    return next(k for k, v in kinds().items() if v["topic"] == topic and v["outcome"] == outcome)


def label(kind: str) -> str:
    """'已关闭个性化推荐 / personalisation switched off' (the kind itself when unknown)."""
    k = kinds().get(kind)
    return f"{k['zh']} / {k['en']}" if k else str(kind)


def is_screenshot_name(name: str) -> bool:
    return bool(SCREENSHOT_NAME.match(name))


def _copy_screenshot(path: Path, session_dir: Path) -> tuple[str, str]:
    """Copy `path` into the session under a name from its content; (file name, SHA-256)."""
    if not path.is_file():
        raise ObservationError(f"{path}: no such screenshot file")
    if path.stat().st_size > MAX_SCREENSHOT_BYTES:
        raise ObservationError(f"{path}: larger than {MAX_SCREENSHOT_BYTES // 2**20} MB, not a screenshot")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    suffix = path.suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", path.suffix) else ""
    name = f"{SCREENSHOT_PREFIX}{digest[:16]}{suffix}"
    target = session_dir / name
    if not target.exists():
        tmp = session_dir / f".{name}.{time.time_ns()}.tmp"
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return name, digest


def check(kind: str, ts: float, screenshot: Path | None = None) -> None:
    """ObservationError for a kind that is not one, a time that is not one, a screenshot that is not a file."""
    if kind not in kinds():
        raise ObservationError(f"unknown observation kind {kind!r}; one of: {', '.join(kinds())}")
    try:
        times.checked(ts, f"the observation's time {ts!r}")
    except ValueError as e:
        raise ObservationError(str(e)) from None
    if screenshot is not None and not Path(screenshot).is_file():
        raise ObservationError(f"{screenshot}: no such screenshot file")


def observation_row(session_dir: Path | str, kind: str, ts: float, *, place: str | None = None,
                    note: str | None = None, screenshot: Path | str | None = None,
                    source: str = "mark") -> dict[str, Any]:
    """The `observations` row of one observation (its screenshot copied into the session)."""
    shot = Path(screenshot) if screenshot else None
    check(kind, ts, shot)
    name = digest = None
    if shot is not None:
        name, digest = _copy_screenshot(shot, Path(session_dir))
    return {"ts": float(ts), "kind": kind, "place": place or None, "note": note or None, "screenshot": name,
            "screenshot_sha256": digest, "source": source, "recorded_at": time.time()}


def _text(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int, float)):
        raise ObservationError(f"{where}.{key}: give text, not {type(value).__name__}")
    return str(value).strip() or None


def checklist_rows(path: Path | str, session_dir: Path | str,
                   parse_time: Callable[[str], float], default_ts: float) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of a filled-in checklist, and the topics left unanswered.

    Each topic of data/observations.yaml is a section with `found` (yes/no, 是/否; empty: not
    checked), `place`, `at` (when it was looked at; default `default_ts`), `note` and
    `screenshot` (a path, relative to the checklist's folder); `personalisation` also has
    `switched_off_at` (when the tester turned it off; empty if not). Every entry is checked
    first; screenshots are copied only when the whole checklist is right.
    """
    path = Path(path)
    try:
        doc = load_file(path)
    except OSError as e:
        raise ObservationError(f"{path}: cannot read the checklist ({e.strerror or e})") from None
    except ValueError as e:
        raise ObservationError(str(e)) from None
    if not isinstance(doc, dict):
        raise ObservationError(f"{path}: a checklist is a mapping of topics (see docs/tester-checklist.yaml)")
    topics, _ = catalog()
    unknown = sorted(set(doc) - set(topics) - {"app", "tester", "session"})
    if unknown:
        raise ObservationError(f"{path}: unknown section(s) {', '.join(map(str, unknown))}; "
                               f"topics: {', '.join(topics)}")
    planned: list[tuple[str, float, dict[str, Any]]] = []
    unanswered = []
    for topic in topics:
        entry = doc.get(topic) or {}
        where = f"{path.name}: {topic}"
        if not isinstance(entry, dict):
            raise ObservationError(f"{where}: a section of found / place / at / note / screenshot")
        found = entry.get("found")
        shot = _text(entry, "screenshot", where)
        common = {"place": _text(entry, "place", where), "note": _text(entry, "note", where),
                  "screenshot": (path.parent / shot) if shot else None}

        def when(key: str, default: float | None) -> float | None:
            text = _text(entry, key, where)
            if text is None:
                return default
            try:
                return parse_time(text)
            except ValueError as e:
                raise ObservationError(f"{where}.{key}: {e}") from None

        if found is None or found == "":
            unanswered.append(topic)
        else:
            word = found if isinstance(found, bool) else FOUND_WORDS.get(str(found).strip().lower())
            if word is None:
                raise ObservationError(f"{where}.found: {found!r}; write yes or no (是 / 否)")
            planned.append((kind_of(topic, "found" if word else "not_found"), when("at", default_ts), common))
        off = when("switched_off_at", None) if topic == "personalisation" else None
        if off is not None:
            planned.append((kind_of(topic, "switched_off"), off, {**common, "screenshot": None}))
    for kind, ts, common in planned:
        check(kind, ts, common["screenshot"])
    rows = [observation_row(session_dir, kind, ts, source=f"checklist:{path.name}", **common)
            for kind, ts, common in planned]
    return rows, unanswered


def scripted_rows(path: Path | str, session_dir: Path | str, taps: Mapping[str, float],
                  end_ts: float) -> list[dict[str, Any]]:
    """The rows of a scripted tester's marks (the demo's: piiaudit/data/demo/tester-marks-*.yaml).

    Each mark has `kind`, `place`, `note` and optionally `at_tap`: the label of the tap the
    mark was made at, whose time `taps` gives (the first tap on that label); without it the
    mark takes `end_ts`. A label never tapped is an ObservationError: the script and the
    recording disagree."""
    path = Path(path)
    doc = load_file(path) or {}
    rows = []
    for i, m in enumerate(doc.get("marks") or []):
        where = f"{path.name}: marks[{i}]"
        label = _text(m, "at_tap", where)
        if label is not None and label not in taps:
            raise ObservationError(f"{where}: no tap on {label!r} was recorded")
        ts = taps[label] if label is not None else end_ts
        rows.append(observation_row(session_dir, str(m.get("kind")), ts, place=_text(m, "place", where),
                                    note=_text(m, "note", where), source=f"checklist:{path.name}"))
    return rows
