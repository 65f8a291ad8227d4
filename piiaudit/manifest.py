"""manifest.json: what produced a session, and the SHA-256 of every artifact in it.

Every command that writes to a session writes the manifest last (a recording at its clean
end, analyze, report); `piiaudit verify` (piiaudit.integrity) checks the session against it.
`app_identity` is the app as the session knows it (piiaudit.identity.app_identity: the
recorded APK or manifest, else what was declared), refreshed at every write; `tester`,
`device` and `recording` (with the tool `versions` and the `zone` of the recording machine)
are what the recording command wrote.
`writes` is session.db's counter of piiaudit's transactions (piiaudit.store) when the
hashes were taken: a later file with a higher counter was written by piiaudit since.
`artifacts` names each file by its path in the session: the UI automation's captures are
hashed there too, as `screens/0001-dialog.png` (piiaudit.sessiondir.screen_files), so
`piiaudit verify` names a changed or missing screenshot.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from piiaudit import __version__, apk, dbfile, identity, sessiondir
from piiaudit.store import DB_NAME, MANIFEST_NAME, WRITES_KEY, SessionStore

ARTIFACTS = ("flows.mitm", "evidence.xlsx", "report.html", "findings.json", "device.yaml", "scope.yaml")
DEPENDENCIES = ("mitmproxy", "frida", "frida-tools", "pandas", "openpyxl", "XlsxWriter", "pyahocorasick")


def file_sha256(path: Path, limit: int | None = None) -> str:
    """The SHA-256 of the file (of its first `limit` bytes); a database file is read without
    releasing this process's SQLite locks on it (piiaudit.dbfile.chunks)."""
    h = hashlib.sha256()
    if Path(path).name.startswith(DB_NAME):
        for chunk in dbfile.chunks(path, limit=limit):
            h.update(chunk)
        return h.hexdigest()
    left = limit
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            if left is not None:
                left -= len(chunk)
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
    manifest["app_identity"] = identity.app_identity(manifest, apk.stored(store))
    manifest["schema_version"] = store.conn.execute("PRAGMA user_version").fetchone()[0]
    manifest["clock_syncs"] = store.rows(
        "SELECT pid, process, at_host, offset_ms, rtt_ms, error_ms FROM clock_syncs ORDER BY at_host"
    )
    manifest["counts"] = {t: store.count(t) for t in ("flows", "pii_hits", "events", "findings", "errors")}
    manifest[WRITES_KEY] = int(store.get_meta(WRITES_KEY, 0) or 0)   # before the hashes: a later write shows
    try:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001 - another writer holds the WAL; the hash is still of the main file
        pass
    artifacts = {}
    for name in (DB_NAME, *ARTIFACTS):
        p = store.dir / name
        if p.is_file():      # a device or a pipe under an artifact's name is never read
            artifacts[name] = {"sha256": file_sha256(p), "bytes": p.stat().st_size}
    for name in sessiondir.screen_files(store.dir)[0]:   # regular files only, never through a link
        p = store.dir / name
        artifacts[name] = {"sha256": file_sha256(p), "bytes": p.stat().st_size}
    manifest["artifacts"] = artifacts
    _save(store.manifest_path, manifest)
    return manifest


def append(session_dir: Path | str, key: str, item: Any) -> dict[str, Any]:
    """Append `item` to the list `key` of the manifest, nothing else changed (no hash taken again)."""
    path = Path(session_dir) / MANIFEST_NAME
    manifest = read(session_dir)
    items = manifest.get(key) if isinstance(manifest.get(key), list) else []
    manifest[key] = [*items, item]
    _save(path, manifest)
    return manifest


def _save(path: Path, manifest: dict[str, Any]) -> None:
    """Written whole or not at all (piiaudit.sessiondir.replacing): two commands at once each
    write it whole through a temporary file of their own."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    with sessiondir.replacing(path) as tmp:
        tmp.write_text(text, "utf-8")
