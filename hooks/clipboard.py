"""The device's clipboard, set from inside a running app through Frida (the clipboard canary).

Android 13 and 14 have no shell command that sets the clipboard: `cmd clipboard` is not a
service command on AOSP builds ("No shell command implementation"), `service call clipboard`
needs a ClipData parcel and transaction numbers that change between releases, and since
Android 10 only the focused app or the input method may read it. What every release does
accept is an app calling ClipboardManager.setPrimaryClip. So `set_clip` attaches to a running
app on the device (default com.android.systemui, always running) with frida-server, which
`device setup` has just started, and makes that call on the app's main thread
(agent/tools/clipboard.ts, bundled with the Java bridge as the agent is). `text=None` clears
the clip (clearPrimaryClip, API 28+). The clip is not kept across a reboot.
"""

from __future__ import annotations

from pathlib import Path

import frida

from .agent_build import AGENT_DIR, AgentBuildError, ensure_node_modules

ENTRY = "tools/clipboard.ts"
HOST_PROCESS = "com.android.systemui"
LABEL = "piiaudit"


class ClipboardError(RuntimeError):
    pass


def build_script() -> str:
    """The bundled clipboard script (TypeScript and frida-java-bridge, compiled by frida.Compiler)."""
    ensure_node_modules()
    try:
        return frida.Compiler().build(ENTRY, project_root=str(AGENT_DIR), source_maps="omitted", type_check="none")
    except Exception as e:  # noqa: BLE001 - the compiler reports several error types
        raise AgentBuildError(f"{Path(AGENT_DIR) / ENTRY}: build failed: {e}") from e


def set_clip(device_id: str, text: str | None, *, process: str = HOST_PROCESS, timeout: float = 10.0) -> str:
    """Set the primary clip to `text` (None: clear it) from inside `process` on the device."""
    try:
        device = frida.get_device(device_id, timeout=timeout)
        session = device.attach(process)
    except frida.ProcessNotFoundError:
        raise ClipboardError(f"{process} is not running on {device_id}: cannot set the clipboard from it") from None
    except (frida.InvalidArgumentError, frida.TimedOutError, frida.ServerNotRunningError,
            frida.TransportError, frida.PermissionDeniedError) as e:
        raise ClipboardError(f"cannot reach frida-server on {device_id} to set the clipboard: {e}") from None
    try:
        script = session.create_script(build_script())
        script.load()
        return str(script.exports_sync.set_clip(text, LABEL))
    except frida.core.RPCException as e:
        raise ClipboardError(f"setting the clipboard in {process} failed: {e}") from None
    finally:
        session.detach()
