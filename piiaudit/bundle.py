"""A session packed as one signed zip, and the zip checked back.

`build(session_dir, out, key)` packs the session's own files (piiaudit.sessiondir: the
database, flows.mitm, manifest.json, the evidence outputs, the profile and scope copies,
the app's output, the tester's screenshots, the UI automation's captures under
`session/screens/`; never the WAL or temporary files, never a file that is not piiaudit's)
under `session/`, and beside them:

- `bundle-manifest.json`: format, time, piiaudit's version, the session's name, app and
  `verify` verdict, the SHA-256 of its manifest.json, and every packed file's SHA-256 and size;
- `bundle-manifest.sig`: the 64-byte Ed25519 signature of bundle-manifest.json's bytes;
- `signing-key.pub`: the signer's public key (PEM), whose fingerprint the manifest names;
- `bundle-manifest.tsq`: an RFC 3161 TimeStampReq for the SHA-256 of bundle-manifest.json
  (piiaudit.timestamp), also written beside the zip (`run1.tsq`) to send to an authority.

A session that does not verify (changed outside piiaudit, or written since its manifest) is
refused: a signature would vouch for it.

`check(zip_path, ...)` reads a bundle within bounds (piiaudit.zipbounds: entries, names,
sizes, compression ratio, overlapping entries; and the free space unpacking needs) and
refuses anything else with one line (`BundleError`); then checks the signature against the
bundled key (and the trusted fingerprints, if any), every entry against the signed manifest (no entry added, none
missing, none changed), the timestamp request, a timestamp response when there is one
(`run1.tsr` beside the zip, `bundle-manifest.tsr` inside it, or the one given), and
finally the unpacked session itself with piiaudit.integrity, the check `piiaudit verify`
runs on a session directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from piiaudit import __version__, dbfile, integrity, sessiondir, signing, timestamp, zipbounds
from piiaudit import manifest as manifest_mod
from piiaudit.store import DB_NAME, MANIFEST_NAME
from piiaudit.times import iso_one

FORMAT = "piiaudit-bundle"
VERSION = 1
MANIFEST = "bundle-manifest.json"
SIGNATURE = "bundle-manifest.sig"
PUBLIC_KEY = "signing-key.pub"
REQUEST = "bundle-manifest.tsq"
RESPONSE = "bundle-manifest.tsr"
META = (MANIFEST, SIGNATURE, PUBLIC_KEY, REQUEST)
PREFIX = "session/"
NOT_PACKED = (f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")
CHUNK = 1 << 20


Limits = zipbounds.Limits
LIMITS = zipbounds.LIMITS


class BundleError(Exception):
    """A bundle that cannot be written or read: one line naming the file and why."""


# -- build ----------------------------------------------------------------------------------
def session_files(session_dir: Path) -> tuple[list[str], list[str]]:
    """(names packed, names left out as not piiaudit's) of the session directory."""
    packed, foreign = [], []
    for p in sorted(session_dir.iterdir()):
        regular = p.is_file() and not p.is_symlink()
        if not regular or not sessiondir.is_own_file(p.name):
            foreign.append(p.name + ("/" if p.is_dir() else ""))
        elif p.name not in NOT_PACKED and not p.name.endswith(".tmp"):
            packed.append(p.name)
    screens, odd = sessiondir.screen_files(session_dir)
    packed += screens
    foreign = [f for f in foreign if f != sessiondir.SCREENS_DIR + "/"] + [f for f in odd if f not in foreign]
    return packed, foreign


@dataclass
class Built:
    path: Path
    request_path: Path
    files: list[dict[str, Any]]
    left_out: list[str]
    fingerprint: str
    verdict: str
    manifest_sha256: str


def _chunks(path: Path) -> Iterator[bytes]:
    if path.name == DB_NAME:    # read without dropping this process's SQLite locks (piiaudit.dbfile)
        yield from dbfile.chunks(path)
        return
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _info(name: str, when: float) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, time.gmtime(max(when, 315532800))[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def build(session_dir: Path | str, out: Path | str, key: Ed25519PrivateKey, *, now: float | None = None) -> Built:
    session_dir, out = Path(session_dir), Path(out)
    now = time.time() if now is None else now
    if not sessiondir.is_session(session_dir):
        raise BundleError(f"{session_dir}: not a piiaudit session directory (no piiaudit {DB_NAME})")
    if out.resolve().is_relative_to(session_dir.resolve()):
        raise BundleError(f"{out}: the bundle cannot be written inside the session it packs; choose --out elsewhere")
    if out.suffix.lower() in (".tsq", ".tsr"):
        raise BundleError(f"{out}: name the bundle run1.zip; .tsq and .tsr are the timestamp files beside it")
    v = integrity.verify(session_dir)
    if v.verdict in ("mismatch", "stale"):
        raise BundleError(f"{session_dir}: refusing to sign a session that does not verify ({v.verdict_line()}); "
                          "see `piiaudit verify`")
    names, left_out = session_files(session_dir)
    files: list[dict[str, Any]] = []
    request_path = out.with_suffix(".tsq")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with sessiondir.replacing(out) as tmp:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                for name in names:
                    h, size = hashlib.sha256(), 0
                    with zf.open(_info(PREFIX + name, now), "w", force_zip64=True) as dst:
                        for chunk in _chunks(session_dir / name):
                            h.update(chunk)
                            size += len(chunk)
                            dst.write(chunk)
                    files.append({"name": PREFIX + name, "sha256": h.hexdigest(), "bytes": size})
                public = key.public_key()
                fp = signing.fingerprint(public)
                m = manifest_mod.read(session_dir)
                doc = {
                    "format": FORMAT, "version": VERSION, "created": now, "created_utc": iso_one(now, dt.timezone.utc),
                    "piiaudit": __version__,
                    "session": {"name": session_dir.resolve().name, "verdict": v.verdict,
                                "app": m.get("app") if isinstance(m.get("app"), dict) else None,
                                "manifest_sha256": next((f["sha256"] for f in files
                                                         if f["name"] == PREFIX + MANIFEST_NAME), None)},
                    "signer": {"algorithm": "Ed25519", "public_key": PUBLIC_KEY, "fingerprint": fp},
                    "timestamp_request": REQUEST,
                    "files": files,
                }
                text = (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
                digest = hashlib.sha256(text).digest()
                tsq, _nonce = timestamp.request(digest)
                for name, data in ((MANIFEST, text), (SIGNATURE, signing.sign(key, text)),
                                   (PUBLIC_KEY, signing.public_pem(public)), (REQUEST, tsq)):
                    zf.writestr(_info(name, now), data)
        with sessiondir.replacing(request_path) as tmp:
            tmp.write_bytes(tsq)
    except OSError as e:
        raise BundleError(f"{e.filename or out}: cannot write the bundle ({sessiondir.os_problem(e)})") from None
    return Built(out, request_path, files, left_out, fp, v.verdict, digest.hex())


def _allowed(name: str) -> bool:
    """A name a bundle may hold: its own files, or a session's own file under session/."""
    if name in (*META, RESPONSE):
        return True
    rest = name[len(PREFIX):] if name.startswith(PREFIX) else None
    if rest and "/" in rest:
        return sessiondir.is_screen_name(rest)
    return bool(rest) and sessiondir.is_own_file(rest) and not rest.endswith(".tmp") \
        and rest not in NOT_PACKED


# -- check ----------------------------------------------------------------------------------
@dataclass
class Item:
    name: str
    status: str          # ok | changed | missing | new | mismatch | none | not pinned | skipped
    detail: str = ""

    def line(self) -> str:
        return f"{self.name:<28} {self.status}{f'  ({self.detail})' if self.detail else ''}"


@dataclass
class BundleCheck:
    path: Path
    items: list[Item] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)     # why it fails, first one first
    fingerprint: str | None = None
    trusted: bool | None = None                          # None: no --trust given
    timestamp: dict[str, Any] | None = None
    session: integrity.Verification | None = None
    session_lines: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    @property
    def verdict(self) -> str:
        if self.reasons:
            return "mismatch"
        return self.session.verdict if self.session is not None else "mismatch"

    def verdict_line(self) -> str:
        if self.reasons:
            return f"verdict: mismatch — {self.reasons[0]} / 证据包校验失败"
        if self.session is None:
            return "verdict: mismatch — the session could not be checked"
        signer = (f"signed by the trusted key {self.fingerprint}" if self.trusted else
                  f"signed by key {self.fingerprint} (not pinned: pass --trust FINGERPRINT to require the tester's key)")
        if self.session.verdict != "ok":
            return f"{self.session.verdict_line()}; {signer}"
        return f"verdict: ok — every file is as the signed manifest records it, {signer} / 证据包完整，签名有效"

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": str(self.path), "verdict": self.verdict, "reasons": self.reasons,
                "fingerprint": self.fingerprint, "trusted": self.trusted,
                "items": [vars(i) for i in self.items], "timestamp": self.timestamp,
                "session": self.session.to_dict() if self.session is not None else None}


def check(path: Path | str, *, trust: list[str] = (), tsr: Path | None = None, tsa_cert: bytes | None = None,
          limits: Limits = LIMITS) -> BundleCheck:
    """Check the bundle at `path` (see the module). BundleError: the zip is refused as a whole."""
    path = Path(path)
    try:
        zf, entries = zipbounds.open_bounded(path, _allowed, folders=(PREFIX, f"{PREFIX}{sessiondir.SCREENS_DIR}/"),
                                             limits=limits)
    except zipbounds.Refused as e:
        raise BundleError(str(e)) from None
    result = BundleCheck(path)
    with zf:
        try:
            meta = {n: zipbounds.read_small(zf, entries[n], limits.small_bytes) for n in (*META, RESPONSE)
                    if n in entries}
        except (zipbounds.Refused, zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
            raise BundleError(f"{path}: {e}") from None
        missing = [n for n in (MANIFEST, SIGNATURE, PUBLIC_KEY) if n not in meta]
        if missing:
            result.fail(f"{', '.join(missing)} missing: not a signed piiaudit bundle")
            return result
        doc = _signature(result, meta, trust)
        if doc is None:
            return result
        listed = _files(result, doc)
        if listed is None:
            return result
        _timestamp(result, meta, tsr if tsr is not None else path.with_suffix(".tsr"), tsa_cert)
        _unpack_and_check(result, zf, entries, listed, path)
    return result


def _signature(result: BundleCheck, meta: dict[str, bytes], trust: list[str]) -> dict[str, Any] | None:
    text = meta[MANIFEST]
    try:
        public = signing.read_public(meta[PUBLIC_KEY])
    except (ValueError, TypeError):
        result.fail(f"{PUBLIC_KEY}: not an Ed25519 public key")
        return None
    fp = result.fingerprint = signing.fingerprint(public)
    if not signing.verify(public, meta[SIGNATURE], text):
        result.items.append(Item("signature", "mismatch", f"Ed25519, key {fp}"))
        result.fail(f"{MANIFEST}: the signature does not verify with the bundled public key "
                    "(the manifest or its signature was changed)")
        return None
    result.items.append(Item("signature", "ok", f"Ed25519, key {fp}"))
    if trust:
        result.trusted = fp in trust
        if not result.trusted:
            result.items.append(Item("signer", "mismatch", "not among the trusted keys"))
            result.fail(f"signed by key {fp}, which is not a trusted key (--trust): "
                        "the public key in the bundle was replaced, or another tester signed it")
            return None
        result.items.append(Item("signer", "ok", "a trusted key"))
    try:
        doc = json.loads(text.decode("utf-8"))
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("files"), list):
        result.fail(f"{MANIFEST}: not a piiaudit bundle manifest")
        return None
    if doc.get("version") != VERSION:
        result.fail(f"{MANIFEST}: bundle format version {doc.get('version')!r}; this piiaudit reads {VERSION}")
        return None
    named = (doc.get("signer") or {}).get("fingerprint") if isinstance(doc.get("signer"), dict) else None
    if named != fp:
        result.fail(f"{MANIFEST}: names the signer {named}, but {PUBLIC_KEY} is {fp}")
        return None
    return doc


def _files(result: BundleCheck, doc: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    listed: dict[str, dict[str, Any]] = {}
    for f in doc["files"]:
        ok = (isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("sha256"), str)
              and isinstance(f.get("bytes"), int) and not zipbounds.unsafe_name(f["name"]) and f["name"].startswith(PREFIX)
              and _allowed(f["name"]) and f["name"] not in listed)
        if not ok:
            result.fail(f"{MANIFEST}: a file entry that is not one a bundle lists ({str(f)[:80]})")
            return None
        listed[f["name"]] = f
    return listed


def _timestamp(result: BundleCheck, meta: dict[str, bytes], beside: Path, tsa_cert: bytes | None) -> None:
    digest = hashlib.sha256(meta[MANIFEST]).digest()
    nonce = None
    if REQUEST in meta:
        try:
            algo, imprint, nonce = timestamp.read_request(meta[REQUEST])
        except timestamp.TimestampError as e:
            result.items.append(Item(REQUEST, "mismatch", str(e)))
            result.fail(f"{REQUEST}: {e}")
            return
        if (algo, imprint) != ("sha256", digest):
            result.items.append(Item(REQUEST, "mismatch", "stamps another manifest"))
            result.fail(f"{REQUEST}: its message imprint is not the SHA-256 of {MANIFEST}")
            return
        result.items.append(Item(REQUEST, "ok", "message imprint = SHA-256 of the signed manifest"))
    if RESPONSE in meta:
        source, tsr = f"{RESPONSE} (in the bundle)", meta[RESPONSE]
    elif beside.is_file():
        if beside.stat().st_size > timestamp.MAX_RESPONSE:
            result.fail(f"{beside}: too large for a timestamp response")
            return
        source, tsr = str(beside), beside.read_bytes()
    else:
        result.items.append(Item("timestamp", "none", f"no response yet: send {beside.with_suffix('.tsq').name} "
                                 "to a timestamp authority (docs/bundle.md)"))
        return
    checked = timestamp.check_response(tsr, digest=digest, nonce=nonce, tsa_cert=tsa_cert)
    result.timestamp = {"source": source, **vars(checked)}
    if not checked.ok:
        result.items.append(Item("timestamp", "mismatch", f"{source}: {checked.reason}"))
        result.fail(f"timestamp {source}: {checked.reason}")
        return
    result.items.append(Item("timestamp", "ok", f"{checked.gen_time} by {checked.tsa or 'an unnamed authority'}; "
                             f"checked: {'; '.join(checked.checked)}; not checked: {'; '.join(checked.not_checked)}"))


def _unpack_and_check(result: BundleCheck, zf: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo],
                      listed: dict[str, dict[str, Any]], path: Path) -> None:
    for name in sorted(set(entries) - set(listed) - {*META, RESPONSE}):
        result.items.append(Item(name, "new", "not in the signed manifest"))
        result.fail(f"{name}: added to the bundle, not in the signed manifest")
    need = sum(entries[n].file_size for n in listed if n in entries)
    tmp_root = Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    if need > free:
        raise BundleError(f"{path}: unpacking needs {need} bytes in {tmp_root}, {free} are free; "
                          "set TMPDIR to a larger disk")
    with tempfile.TemporaryDirectory(prefix="piiaudit-bundle-") as tmp:
        session = Path(tmp) / "session"
        session.mkdir()
        if any(sessiondir.is_screen_name(n[len(PREFIX):]) for n in listed):
            (session / sessiondir.SCREENS_DIR).mkdir()
        for name, rec in listed.items():
            if name not in entries:
                result.items.append(Item(name, "missing", f"the signed manifest lists {rec['bytes']} bytes"))
                result.fail(f"{name}: missing from the bundle")
                continue
            info = entries[name]
            h, size = hashlib.sha256(), 0
            try:
                with zf.open(info) as src, open(session / name[len(PREFIX):], "wb") as dst:
                    while chunk := src.read(CHUNK):
                        size += len(chunk)
                        if size > info.file_size:
                            raise BundleError(f"{path}: {name!r} holds more than the {info.file_size} bytes it claims")
                        h.update(chunk)
                        dst.write(chunk)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:   # CRC, deflate, cut
                result.items.append(Item(name, "changed", f"cannot be read back ({e})"))
                result.fail(f"{name}: cannot be read back ({e})")
                continue
            if h.hexdigest() != rec["sha256"] or size != rec["bytes"]:
                result.items.append(Item(name, "changed", f"{size} bytes, the signed manifest records {rec['bytes']}"
                                         if size != rec["bytes"] else "SHA-256 is not the signed manifest's"))
                result.fail(f"{name}: changed (its SHA-256 is not the one the signed manifest records)")
            else:
                result.items.append(Item(name, "ok"))
        if (session / DB_NAME).is_file():
            result.session = integrity.verify(session)
            # its lines (runs that did not end, accepted changes too), without its verdict
            result.session_lines = integrity.summary(result.session).splitlines()[:-1]
            shown = f"{path.name}:session"      # not the temporary folder it was unpacked into
            result.session.session_dir = Path(shown)
            if result.session.problem:
                result.session.problem = result.session.problem.replace(str(session), shown)
            if result.session.verdict == "mismatch" and not result.reasons:
                result.fail(f"the packed session does not match its own manifest: "
                            f"{result.session.verdict_line().removeprefix('verdict: mismatch — ').split(' / ')[0]}")


def summary(result: BundleCheck) -> str:
    """`piiaudit verify BUNDLE`'s text: one line per entry and check, the session's own checks, the verdict."""
    lines = [i.line() for i in result.items]
    if result.session_lines:
        lines += ["", "the packed session against its manifest.json:"] + [f"  {ln}" for ln in result.session_lines]
    return "\n".join([*lines, result.verdict_line()])


def to_json(result: BundleCheck) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str)
