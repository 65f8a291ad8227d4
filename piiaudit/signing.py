"""The tester's signing key: one Ed25519 key per tester, kept outside every session.

Where the key is: `--key PATH`, else `$PIIAUDIT_SIGNING_KEY`, else
`$XDG_CONFIG_HOME/piiaudit/signing-key.pem` (`~/.config/piiaudit/signing-key.pem`).
`create(path)` writes a new key there (PKCS#8 PEM, unencrypted, mode 0600, its folder 0700)
and refuses to replace one; `load(path)` refuses a key file that others may read (as ssh
does) or that is not an Ed25519 private key, each with one line naming the file.

A key is named by its fingerprint: the SHA-256 of the 32 raw bytes of its public key, in
lowercase hex (64 digits). `fingerprint_of(text)` reads a fingerprint as a tester types it
(upper or lower case, with `:`, spaces or a `SHA256:` prefix). The public key travels as a
PEM SubjectPublicKeyInfo file, which `openssl pkeyutl -verify -rawin` reads as well.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ENV = "PIIAUDIT_SIGNING_KEY"
KEY_NAME = "signing-key.pem"
MAX_KEY_FILE = 64 * 1024   # a PEM key is a few hundred bytes


class SigningKeyError(Exception):
    """A signing key that cannot be made, read or used: one line naming the file and what to do."""


def default_path() -> Path:
    """Where the tester's key is when no --key is given."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "piiaudit" / KEY_NAME


def create(path: Path | str) -> Ed25519PrivateKey:
    """A new key written to `path` (0600; its new folders 0700); an existing file is never replaced."""
    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"{path}: a signing key is already there; it is never replaced "
                        "(move it away first, or use it)") from None
    except OSError as e:
        raise SigningKeyError(f"{path}: cannot create the signing key ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    except OSError as e:
        path.unlink(missing_ok=True)
        raise SigningKeyError(f"{path}: cannot write the signing key ({e.strerror or e})") from None
    return key


def load(path: Path | str) -> Ed25519PrivateKey:
    """The Ed25519 private key at `path`; refused when others may read the file or it is not such a key."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SigningKeyError(f"{path}: no signing key there (create one: piiaudit key create)") from None
    except OSError as e:
        raise SigningKeyError(f"{path}: cannot read the signing key ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        raise SigningKeyError(f"{path}: not a regular file")
    if st.st_mode & 0o077:
        raise SigningKeyError(f"{path}: the signing key can be read by others (mode {stat.S_IMODE(st.st_mode):04o}); "
                        f"run: chmod 600 {path}")
    if st.st_size > MAX_KEY_FILE:
        raise SigningKeyError(f"{path}: {st.st_size} bytes is not a signing key")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as e:
        raise SigningKeyError(f"{path}: not an unencrypted PEM private key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: a {type(key).__name__.replace('PrivateKey', '').lstrip('_')} key, "
                        "not an Ed25519 key")
    return key


def load_or_create(path: Path | str) -> tuple[Ed25519PrivateKey, bool]:
    """The key at `path`, created first if there is none; (key, created)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        try:
            return create(path), True
        except SigningKeyError:
            if not path.exists():
                raise
            # another piiaudit made it at the same moment: use that one
    return load(path), False


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw bytes of the public key, lowercase hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def read_public(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text (a public key, or a private key whose public half is taken)."""
    if len(data) > MAX_KEY_FILE:
        raise ValueError("too large for a key")
    try:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            key = serialization.load_pem_private_key(data, password=None).public_key()
    except UnsupportedAlgorithm as e:
        raise ValueError(f"a key piiaudit does not read ({e})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 key")
    return key


def fingerprint_of(text: str) -> str:
    """A fingerprint as typed, as 64 lowercase hex digits; ValueError if it is not one."""
    t = text.strip()
    if t.lower().startswith("sha256:"):
        t = t[7:]
    t = re.sub(r"[\s:]", "", t).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", t):
        raise ValueError(f"{text!r} is not a key fingerprint (64 hex digits, as `piiaudit key show` prints)")
    return t


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def verify(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
