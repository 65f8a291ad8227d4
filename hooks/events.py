"""From agent messages to rows of the session's ``events`` table.

The agent sends each distinct stack once with a small id and afterwards only the id; the
converter keeps the frames per process and puts the full stack on every row. It maps the
device timestamp to host time with the process's clock model and attributes the call to
the innermost SDK on the stack (``piiaudit.sdks.attribute``). The origin of each frame (the
dex file or class loader its class came from, sent with the frames) is kept per stack too
and put in the row's ``data["frame_origins"]``, one entry per frame ("" when unknown), so an
SDK loaded from its own dex file shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from piiaudit import sdks, vocab

from .clock import ClockModel

# Fields of an agent event that have their own column; everything else goes to `data`.
_COLUMNS = ("kind", "api", "pii_type", "value", "seq", "t_dev_ms", "tid", "thread", "stack_id", "stack", "stack_origins", "data")


@dataclass
class EventConverter:
    pid: int
    process: str
    clock: ClockModel
    stacks: dict[int, list[str]] = field(default_factory=dict)
    origins: dict[int, list[str]] = field(default_factory=dict)
    # Per stack id: (sdk, sdks seen, the stack as stored), worked out once per distinct stack.
    attributed: dict[int, tuple[str | None, list[str], str]] = field(default_factory=dict)

    def row(self, payload: dict[str, Any], received_at: float | None = None) -> dict[str, Any]:
        """The events row for one agent event (payload["type"] == "event")."""
        data: dict[str, Any] = dict(payload.get("data") or {})
        for key, value in payload.items():
            if key not in _COLUMNS and key != "type":
                data[key] = value
        if payload.get("tid") is not None:
            data["tid"] = payload["tid"]

        frames = self._frames(payload, data)
        sdk = None
        stack = None
        if frames:
            stack_id = payload.get("stack_id")
            known = self.attributed.get(int(stack_id)) if stack_id is not None else None
            if known is None:
                sdk, seen = sdks.attribute(frames)
                stack = "\n".join(frames)
                if stack_id is not None:
                    self.attributed[int(stack_id)] = (sdk, seen, stack)
            else:
                sdk, seen, stack = known
            data["sdks"] = list(seen)

        pii_type = payload.get("pii_type")
        if pii_type is not None and not vocab.is_known(pii_type):
            data["unknown_pii_type"] = pii_type
            pii_type = None

        t_dev_ms = payload.get("t_dev_ms")
        row: dict[str, Any] = {
            "ts_device_ms": int(t_dev_ms) if t_dev_ms is not None else None,
            "seq": payload.get("seq"),
            "kind": payload.get("kind") or "unknown",
            "api": payload.get("api"),
            "pii_type": pii_type,
            "value": _text(payload.get("value")),
            "sdk": sdk,
            "stack": stack,
            "pid": self.pid,
            "process": self.process,
            "thread": payload.get("thread"),
            "data": data,
        }
        if t_dev_ms is not None and len(self.clock):
            mapped = self.clock.to_host(float(t_dev_ms))
            row.update(ts=mapped.ts, clock_offset_ms=mapped.offset_ms, clock_error_ms=mapped.error_ms)
        else:
            # No device time (or no sync yet): the host's receipt time is all there is.
            row.update(ts=received_at if received_at is not None else time.time(), clock_offset_ms=None, clock_error_ms=None)
            data["ts_source"] = "host_receipt"
        return row

    def _frames(self, payload: dict[str, Any], data: dict[str, Any]) -> list[str] | None:
        stack_id = payload.get("stack_id")
        frames = payload.get("stack")
        if stack_id is not None:
            data["stack_id"] = stack_id
            if frames is not None:
                self.stacks[int(stack_id)] = list(frames)
                self.attributed.pop(int(stack_id), None)
                if any(payload.get("stack_origins") or ()):
                    self.origins[int(stack_id)] = [str(o or "") for o in payload["stack_origins"]]
            else:
                frames = self.stacks.get(int(stack_id))
                if frames is None:
                    data["stack_missing"] = True
            if int(stack_id) in self.origins:
                data["frame_origins"] = self.origins[int(stack_id)]
        return list(frames) if frames else None


def host_event(kind: str, *, pid: int | None, process: str | None, api: str | None = None,
               value: str | None = None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """An events row that the runner itself records (target ended, agent lost, ...)."""
    return {
        "ts": time.time(),
        "kind": kind,
        "api": api,
        "value": value,
        "pid": pid,
        "process": process,
        "data": {"source": "runner", **(data or {})},
    }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)
