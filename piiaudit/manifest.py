"""manifest.json: what produced a session, and the SHA-256 of every artifact in it."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from piiaudit import __version__, sessiondir
from piiaudit.store import DB_NAME, MANIFEST_NAME, SessionStore

ARTIFACTS = ("flows.mitm", "evidence.xlsx", "report.html", "findings.json", "device.yaml", "scope.yaml")
DEPENDENCIES = ("mitmproxy", "frida", "frida-tools", "pandas", "openpyxl", "XlsxWriter", "pyahocorasick")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def versions() -> dict[str, str]:
    out = {"piiaudit": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for dist in DEPENDENCIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def read(session_dir: Path | str) -> dict[str, Any]:
    path = Path(session_dir) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except ValueError:
        return {}


def write(store: SessionStore, **updates: Any) -> dict[str, Any]:
    """Merge `updates` into the manifest, refresh versions, clock offsets and hashes.

    The database hash is taken after a WAL checkpoint so it matches the file on disk.
    """
    manifest = read(store.dir)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(manifest.get(key), dict):
            manifest[key] = {**manifest[key], **value}
        elif value is not None:
            manifest[key] = value
    manifest.setdefault("created", time.time())
    manifest["updated"] = time.time()
    manifest["versions"] = versions()
    manifest["schema_version"] = store.conn.execute("PRAGMA user_version").fetchone()[0]
    manifest["clock_syncs"] = store.rows(
        "SELECT pid, process, at_host, offset_ms, rtt_ms, error_ms FROM clock_syncs ORDER BY at_host"
    )
    manifest["counts"] = {t: store.count(t) for t in ("flows", "pii_hits", "events", "findings", "errors")}
    try:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001 - another writer holds the WAL; the hash is still of the main file
        pass
    artifacts = {}
    for name in (DB_NAME, *ARTIFACTS):
        p = store.dir / name
        if p.exists():
            artifacts[name] = {"sha256": file_sha256(p), "bytes": p.stat().st_size}
    manifest["artifacts"] = artifacts
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    with sessiondir.replacing(store.manifest_path) as tmp:    # two commands at once each write it whole
        tmp.write_text(text, "utf-8")
    return manifest
