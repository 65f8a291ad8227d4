"""Build the Frida agent (hooks/agent, TypeScript) into one JavaScript bundle.

Frida 17 no longer ships the Java bridge inside its runtime, so the agent imports
``frida-java-bridge`` from npm and ``frida.Compiler`` bundles both. The compiler runs in
Python; npm is only needed once, to fetch the pinned packages (``npm ci``).

The bundle is cached in ``hooks/agent/dist/agent.js`` and rebuilt when the sources, the
package lock or the frida version change (a hash of all of them is stored beside it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import frida

AGENT_DIR = Path(__file__).resolve().parent / "agent"
ENTRY = "src/index.ts"
DIST = AGENT_DIR / "dist" / "agent.js"
KEY_FILE = DIST.with_suffix(".js.key")
_INPUTS = ("package.json", "package-lock.json", "tsconfig.json")


class AgentBuildError(RuntimeError):
    """The agent could not be built; the message says what to do."""


def source_hash() -> str:
    """Hash of everything the bundle depends on: sources, pins, compiler version."""
    h = hashlib.sha256()
    h.update(f"frida {frida.__version__}\n".encode())
    files = sorted((AGENT_DIR / "src").rglob("*.ts")) + [AGENT_DIR / name for name in _INPUTS]
    for path in files:
        h.update(str(path.relative_to(AGENT_DIR)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def ensure_node_modules() -> None:
    """Install the pinned npm packages if they are missing (``npm ci`` honours the lock file)."""
    bridge = AGENT_DIR / "node_modules" / "frida-java-bridge" / "package.json"
    if bridge.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise AgentBuildError(
            f"{AGENT_DIR}/node_modules is missing and npm is not installed: install Node.js and npm, "
            f"then run `npm ci` in {AGENT_DIR}"
        )
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AGENT_DIR, capture_output=True, text=True)
    if proc.returncode != 0 or not bridge.exists():
        raise AgentBuildError(f"`npm ci` in {AGENT_DIR} failed ({proc.returncode}):\n{proc.stderr.strip()[-2000:]}")


def build_agent(force: bool = False) -> str:
    """The agent bundle's source, from the cache when it is up to date."""
    key = source_hash()
    if not force and DIST.exists() and KEY_FILE.exists() and KEY_FILE.read_text().strip() == key:
        return DIST.read_text("utf-8")
    ensure_node_modules()
    compiler = frida.Compiler()
    diagnostics: list[dict] = []
    compiler.on("diagnostics", lambda found: diagnostics.extend(found))
    try:
        bundle = compiler.build(ENTRY, project_root=str(AGENT_DIR), source_maps="omitted", type_check="full")
    except frida.InvalidOperationError as e:
        raise AgentBuildError(f"agent build failed: {e}\n{_format(diagnostics)}") from e
    except Exception as e:  # noqa: BLE001 - the compiler reports several error types
        raise AgentBuildError(f"agent build failed: {e}\n{_format(diagnostics)}") from e
    DIST.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a bundle.
    tmp = DIST.with_suffix(f".js.{os.getpid()}.tmp")
    tmp.write_text(bundle, "utf-8")
    tmp.replace(DIST)
    KEY_FILE.write_text(key + "\n")
    return bundle


def _format(diagnostics: list[dict]) -> str:
    lines = []
    for d in diagnostics:
        where = d.get("file") or {}
        lines.append(f"{where.get('path', '?')}:{where.get('line', '?')}:{where.get('character', '?')}: {d.get('text')}")
    return "\n".join(lines)
