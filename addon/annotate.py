"""What mitmweb shows of detection: a mark, a comment line and `flow.metadata["piiaudit"]`.

A detection sink (addon.detection): a flow with PII is marked (unless a user marked it
already) and gets one `piiaudit: ...` comment line (other comment lines are kept); its
metadata holds the summary lines and problems. An answer that came after mitmproxy showed
the flow (detection in the child process), or hits found on look-back, refresh it in a
flow view (mitmweb, mitmproxy's console); mitmdump has none, and pays nothing for it.

The last `piiaudit_lookback_flows` flows are remembered (weakly: mitmproxy owns them) so
that hits found on look-back still reach their mark and comment.
"""

from __future__ import annotations

import collections
import weakref

from mitmproxy import ctx, hooks, http

from piiaudit.flowrow import summary

MARK = ":warning:"
COMMENT_PREFIX = "piiaudit:"
METADATA_KEY = "piiaudit"


class Annotations:
    def __init__(self) -> None:
        self._shown: collections.OrderedDict[str, weakref.ref] = collections.OrderedDict()
        self._keep: int | None = None   # _lookback_flows(), read again after each configure

    def configure(self, updated) -> None:
        self._keep = None  # mitmproxy copies an option's value on every read: once per change, not per flow

    def scanned(self, flow: http.HTTPFlow, answer, deferred: bool) -> None:
        if answer.hits and not flow.marked:
            flow.marked = MARK
        note = summary(answer.hits, answer.problems)
        kept = [line for line in flow.comment.splitlines() if not line.startswith(COMMENT_PREFIX)]
        flow.comment = "\n".join(kept + ([note] if note else []))
        if answer.hits or answer.problems:
            flow.metadata[METADATA_KEY] = {"found": note[len(COMMENT_PREFIX):].strip(), "problems": list(answer.problems)}
        else:
            flow.metadata.pop(METADATA_KEY, None)
        if deferred and (answer.hits or answer.problems):
            _refresh(flow)  # the proxy showed this flow before its answer came
        keep = self._keep
        if keep is None:
            keep = self._keep = _lookback_flows()
        if keep:
            self._shown[flow.id] = weakref.ref(flow)
            self._shown.move_to_end(flow.id)
            while len(self._shown) > keep:
                self._shown.popitem(last=False)

    def late_hits(self, flow_id: str, hits: list) -> None:
        ref = self._shown.get(flow_id)
        flow = ref() if ref is not None else None
        if flow is None:
            return
        if not flow.marked:
            flow.marked = MARK
        note = summary(hits).replace(COMMENT_PREFIX, f"{COMMENT_PREFIX} found on look-back:", 1)
        flow.comment = "\n".join(([flow.comment] if flow.comment else []) + [note])
        meta = flow.metadata.setdefault(METADATA_KEY, {"found": "", "problems": []})
        meta["found_on_look_back"] = note.split(":", 2)[-1].strip()
        _refresh(flow, always=True)

    def problem(self, message: str, flow_id: str | None) -> None:
        pass

    def done(self) -> None:
        self._shown.clear()


def _lookback_flows() -> int | None:
    """None while the options cannot be read (no master yet): asked again next time."""
    try:
        return ctx.options.piiaudit_lookback_flows if ctx.options.piiaudit_lookback_s > 0 else 0
    except (AttributeError, KeyError):
        return None


def _refresh(flow: http.HTTPFlow, *, always: bool = False) -> None:
    """Let a flow view show the change. mitmdump has no view: an update event there would go
    through every addon for nothing, once per flow with hits."""
    try:
        if always or ctx.master.addons.get("view") is not None:
            ctx.master.addons.trigger(hooks.UpdateHook([flow]))
    except Exception:  # noqa: BLE001 - no master (an addon driven directly)
        pass
