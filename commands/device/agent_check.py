"""`piiaudit doctor --agent`: run the agent once against one short-lived app and say which
hook rows installed, per domain, so the first real recording starts from known coverage.

The probe starts the app under the hooks runner (spawned, agent loaded before it runs),
waits for the agent's ``hooks_ready``, lets it run a few seconds, then ends it and reads the
agent's ``coverage`` reports (one per overload: hooked, class-missing, method-missing,
hook-failed; the last report of an overload counts) from a throw-away session. A hook row
counts as installed when at least one of its overloads was hooked.

Domains are the agent modules the rows' describers live in (``describe: <domain>.<name>``
in hooks/data/hook_table.yaml); the agent's own hooks (quiet zones, the class-loader watch,
native TLS) are the domain ``internal``. Framework rows (public or hidden API) that did not install
are what the tester must know about; third-party rows (SDK classes) that found no class are
only absent from this app, which is normal for a probe app.

The Android side (``android_target``: spawning a package through frida-server) has not
been run here; tests run the probe against the JVM stand-in with the adb double.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.device.doctor import Check
from hooks.hook_table import load as load_hook_table
from hooks.runner import HooksError, HooksRunner
from hooks.targets import AndroidApp
from piiaudit.store import SessionStore

RUN_SECONDS = 5.0
READY_TIMEOUT_S = 30.0
SHOWN_MISSING = 4
# Rows the agent adds itself (quiet zones, the loader watch, native TLS): not in the table.
INTERNAL = "internal"


def android_target(package: str, serial: str | None) -> Any:
    """The probe app on the device, spawned through frida-server (USB or the adb serial)."""
    return AndroidApp(package, device_id=serial, gate_children=False)


@dataclass(frozen=True)
class DomainCoverage:
    domain: str
    rows: int                       # hook rows the agent reported on
    installed: int                  # rows with at least one overload hooked
    missing: tuple[str, ...]        # framework rows not installed: "id (status)"
    absent: int                     # third-party rows whose class is not in this app

    def line(self) -> str:
        text = f"    {self.domain:<12} {self.installed}/{self.rows} rows installed"
        if self.absent:
            text += f", {self.absent} SDK rows absent from this app"
        if self.missing:
            shown = ", ".join(self.missing[:SHOWN_MISSING])
            more = len(self.missing) - SHOWN_MISSING
            text += f"; not installed: {shown}" + (f" and {more} more" if more > 0 else "")
        return text


def coverage_by_row(store: SessionStore) -> dict[str, set[str]]:
    """hook id -> the statuses of its overloads (last report per overload and process)."""
    last: dict[tuple[str, str, str], str] = {}
    for r in store.rows("SELECT api, process, data FROM events WHERE kind = 'coverage' ORDER BY id"):
        data = json.loads(r["data"]) if isinstance(r["data"], str) else (r["data"] or {})
        hook, status = data.get("hook_id"), data.get("status")
        if hook and status:
            last[(str(hook), str(r["api"] or data.get("signature") or ""), str(r["process"] or ""))] = str(status)
    statuses: dict[str, set[str]] = defaultdict(set)
    for (hook, _, _), status in last.items():
        statuses[hook].add(status)
    return dict(statuses)


def summarise(statuses: Mapping[str, set[str]], table: Sequence[Mapping[str, Any]]) -> list[DomainCoverage]:
    """Per domain: rows reported, rows installed, framework rows missing, SDK rows absent."""
    rows = {str(r["id"]): r for r in table}
    by_domain: dict[str, list[str]] = defaultdict(list)
    for hook in statuses:
        row = rows.get(hook)
        by_domain[str(row["describe"]).split(".", 1)[0] if row else INTERNAL].append(hook)
    out = []
    for domain in sorted(by_domain):
        hooks = sorted(by_domain[domain])
        installed = [h for h in hooks if "hooked" in statuses[h]]
        third = [h for h in hooks if h not in installed and rows.get(h, {}).get("visibility") == "third-party"
                 and statuses[h] <= {"class-missing"}]
        missing = tuple(f"{h} ({'/'.join(sorted(statuses[h]))})" for h in hooks if h not in installed and h not in third)
        out.append(DomainCoverage(domain, len(hooks), len(installed), missing, len(third)))
    return out


def agent_check(target: Any, *, workdir: Path | None = None, run_seconds: float = RUN_SECONDS,
                ready_timeout: float = READY_TIMEOUT_S,
                hook_table: Sequence[Mapping[str, Any]] | None = None) -> Check:
    """Run the agent against `target` once; the check, with one line per domain under it."""
    table = list(hook_table) if hook_table is not None else load_hook_table()
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="piiaudit-doctor-")
        workdir = Path(tmp.name)
    try:
        store = SessionStore(workdir / "agent-probe", create=True)
        name = getattr(target, "package", None) or getattr(target, "process_name", "the probe app")
        runner = HooksRunner(store, target, hook_table=table, stacks=False, ready_timeout=ready_timeout)
        try:
            runner.start()
        except HooksError as e:
            store.close()
            return Check("agent", "fail", f"the agent did not start in {name}: {e}",
                         "check frida-server (above), then `piiaudit record` logs; on an unsupported ART "
                         "version see docs/device-setup.md")
        runner.wait(run_seconds)
        stats = runner.stop(kill=True)
        statuses = coverage_by_row(store)
        store.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    if not statuses:
        return Check("agent", "fail", f"the agent started in {name} but sent no coverage report",
                     "rerun; if it persists, report it with the session's errors")
    domains = summarise(statuses, table)
    rows = sum(d.rows for d in domains)
    installed = sum(d.installed for d in domains)
    missing = sum(len(d.missing) for d in domains)
    ready = f", hooks ready in {stats.hooks_ready_s:.1f} s" if stats.hooks_ready_s is not None else ""
    detail = (f"{installed} of {rows} hook rows installed in {name}{ready}; "
              f"{missing} framework rows not installed")
    status = "fail" if installed == 0 else ("warn" if missing else "ok")
    fix = ("the rows listed below will record nothing on this device: a class or method missing is the "
           "device's Android version (see docs/hooks.md, 'verified only on a device')")
    return Check("agent", status, detail, fix, tuple(d.line() for d in domains))
