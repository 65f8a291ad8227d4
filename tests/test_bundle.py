"""`piiaudit bundle` and `piiaudit verify` of a bundle: a demo session packed, signed with the
tester's Ed25519 key, timestamp-ready; every tampering a reader of the zip could meet is found
and named in one line; a zip out of bounds (a bomb, a path out of the folder, absurd sizes) is
refused before anything is unpacked."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import struct
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from asn1crypto import tsp
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.cli import cli
from piiaudit import bundle, signing, timestamp

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(not OPENSSL, reason="openssl is not installed")


def invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def last_line(result) -> str:
    return result.output.strip().splitlines()[-1]


@pytest.fixture(autouse=True)
def no_home_key(tmp_path, monkeypatch):
    """No test reads or writes the real ~/.config: the default key is in the test's folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv(signing.ENV, str(tmp_path / "home" / "keys" / "signing-key.pem"))


@pytest.fixture(scope="module")
def demo(demo_recording, tmp_path_factory) -> Path:
    """A copy of the demo session (recorded, analysed, reported by `piiaudit demo`)."""
    return Path(shutil.copytree(demo_recording.session_dir, tmp_path_factory.mktemp("bundle-demo") / "run1"))


@pytest.fixture(scope="module")
def packed(demo, tmp_path_factory) -> tuple[Path, Path]:
    """(the demo's bundle, the key that signed it)."""
    where = tmp_path_factory.mktemp("bundle-out")
    key = where / "keys" / "signing-key.pem"
    result = invoke("bundle", demo, "--out", where / "run1.zip", "--key", key)
    assert result.exit_code == 0, result.output
    return where / "run1.zip", key


@pytest.fixture
def bundled(packed, tmp_path) -> Path:
    """A copy of the demo's bundle and its timestamp request, for a test to change."""
    zip_path, _ = packed
    shutil.copy(zip_path.with_suffix(".tsq"), tmp_path / "run1.tsq")
    return Path(shutil.copy(zip_path, tmp_path / "run1.zip"))


def fingerprint_of(key: Path) -> str:
    return signing.fingerprint(signing.load(key).public_key())


def rezip(src: Path, dst: Path, *, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = (),
          add: dict[str, bytes] | None = None) -> Path:
    """The bundle written again as an editor would: entries replaced, dropped or added."""
    tmp = dst.with_name(dst.name + ".new")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in drop:
                zout.writestr(info.filename, (replace or {}).get(info.filename) or zin.read(info))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    os.replace(tmp, dst)
    return dst


def resign(path: Path, key: Ed25519PrivateKey, **replace: bytes) -> Path:
    """A forger's bundle: files replaced, the manifest's hashes and signer made to match, signed with `key`."""
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read(bundle.MANIFEST))
    for f in doc["files"]:
        data = replace.get(f["name"].replace("session/", "").replace(".", "_"))
        if data is not None:
            f["sha256"], f["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    doc["signer"]["fingerprint"] = signing.fingerprint(key.public_key())
    text = json.dumps(doc, indent=2, sort_keys=True).encode()
    files = {f"session/{k.replace('_', '.', 1)}": v for k, v in replace.items()}
    return rezip(path, path, replace={bundle.MANIFEST: text, bundle.SIGNATURE: key.sign(text),
                                      bundle.PUBLIC_KEY: signing.public_pem(key.public_key()),
                                      bundle.REQUEST: timestamp.request(hashlib.sha256(text).digest())[0], **files})


def flip_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


# -- the untouched demo: session and bundle verify ------------------------------------------
def test_the_demo_session_and_its_bundle_verify(demo, packed):
    zip_path, key = packed
    assert invoke("verify", demo).exit_code == 0
    result = invoke("verify", zip_path)
    assert result.exit_code == 0, result.output
    assert last_line(result).startswith("verdict: ok — every file is as the signed manifest records it")
    assert "not pinned" in last_line(result)
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        doc = json.loads(zf.read(bundle.MANIFEST))
    for own in ("session.db", "flows.mitm", "manifest.json", "evidence.xlsx", "report.html", "findings.json"):
        assert f"session/{own}" in names
        assert any(ln.split()[:2] == [f"session/{own}", "ok"] for ln in result.output.splitlines()), own
    assert {bundle.MANIFEST, bundle.SIGNATURE, bundle.PUBLIC_KEY, bundle.REQUEST} <= names
    assert not any(n.endswith(("-wal", "-shm", ".tmp")) for n in names)
    assert doc["session"]["verdict"] == "ok" and doc["session"]["app"]["package"] == "com.example.demoshop"
    assert doc["signer"]["fingerprint"] == fingerprint_of(key)
    assert hashlib.sha256((demo / "manifest.json").read_bytes()).hexdigest() == doc["session"]["manifest_sha256"]
    # The key was made on first use, outside the session, readable by its owner only.
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not any(p.name.endswith(".pem") for p in demo.iterdir())
    # The packed session itself, unzipped, is a session `verify` passes.
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(zip_path.parent / "unzipped")
    assert invoke("verify", zip_path.parent / "unzipped" / "session").exit_code == 0
    # With the tester's key pinned, by fingerprint (as typed: upper case, colons) or by key file.
    fp = fingerprint_of(key)
    typed = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    for option in (("--trust", typed), ("--trust-key", key)):
        pinned = invoke("verify", zip_path, *option)
        assert pinned.exit_code == 0 and f"signed by the trusted key {fp}" in last_line(pinned), pinned.output


@needs_openssl
def test_the_signature_checks_with_openssl_alone(packed, tmp_path):
    zip_path, _ = packed
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path)
    done = subprocess.run([OPENSSL, "pkeyutl", "-verify", "-pubin", "-inkey", bundle.PUBLIC_KEY, "-rawin",
                           "-in", bundle.MANIFEST, "-sigfile", bundle.SIGNATURE],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stderr


def test_the_timestamp_request_is_rfc_3161(packed):
    zip_path, _ = packed
    tsq = zip_path.with_suffix(".tsq").read_bytes()
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.read(bundle.REQUEST) == tsq
        digest = hashlib.sha256(zf.read(bundle.MANIFEST)).digest()
    algo, imprint, nonce = timestamp.read_request(tsq)
    assert (algo, imprint) == ("sha256", digest) and nonce and nonce.bit_length() == 64
    assert tsq[0] == 0x30 and len(tsq) == 2 + tsq[1]          # one DER SEQUENCE, nothing after it
    if OPENSSL:
        text = subprocess.run([OPENSSL, "ts", "-query", "-in", str(zip_path.with_suffix(".tsq")), "-text"],
                              capture_output=True, text=True, check=True).stdout
        assert "Version: 1" in text and "Hash Algorithm: sha256" in text
        assert "Certificate required: yes" in text and f"Nonce: 0x{nonce:X}" in text
        hex_dump = "".join(ln.split(" - ")[1][:47] for ln in text.splitlines() if " - " in ln)
        assert hex_dump.replace("-", " ").replace(" ", "") == digest.hex()


def test_two_requests_differ_in_their_nonce():
    digest = hashlib.sha256(b"x").digest()
    (a, na), (b, nb) = timestamp.request(digest), timestamp.request(digest)
    assert na != nb and a != b
    with pytest.raises(timestamp.TimestampError):
        timestamp.read_request(b"\x30\x03\x02\x01")


# -- the session's own checks, before and inside a bundle ----------------------------------
def test_a_deleted_row_or_a_changed_byte_fails_and_is_not_bundled(demo, tmp_path):
    for edit, name in (("row", "session.db"), ("byte", "flows.mitm")):
        session = Path(shutil.copytree(demo, tmp_path / edit))
        if edit == "row":
            conn = sqlite3.connect(session / "session.db")
            conn.execute("DELETE FROM pii_hits WHERE id = (SELECT min(id) FROM pii_hits)")
            conn.commit()
            conn.close()
        else:
            data = (session / "flows.mitm").read_bytes()
            (session / "flows.mitm").write_bytes(flip_byte(data, len(data) // 2))
        result = invoke("verify", session)
        assert result.exit_code == 1
        assert any(ln.split()[:2] == [name, "changed"] for ln in result.output.splitlines()), result.output
        assert last_line(result).startswith("verdict: mismatch") and name in last_line(result)
        refused = CliRunner().invoke(cli, ["bundle", str(session), "--out", str(tmp_path / f"{edit}.zip")])
        assert refused.exit_code == 1 and "refusing to sign" in refused.output and name in refused.output
        assert len(refused.output.strip().splitlines()) <= 2 and not (tmp_path / f"{edit}.zip").exists()


def test_a_deleted_row_inside_the_bundle_is_named(bundled, tmp_path):
    with zipfile.ZipFile(bundled) as zf:
        (tmp_path / "session.db").write_bytes(zf.read("session/session.db"))
    conn = sqlite3.connect(tmp_path / "session.db")
    conn.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    conn.commit()
    conn.close()
    rezip(bundled, bundled, replace={"session/session.db": (tmp_path / "session.db").read_bytes()})
    result = invoke("verify", bundled)
    assert result.exit_code == 1
    assert last_line(result).startswith("verdict: mismatch — session/session.db: changed"), result.output


def test_a_changed_byte_of_flows_mitm_in_the_bundle_is_named(bundled):
    with zipfile.ZipFile(bundled) as zf:
        data = zf.read("session/flows.mitm")
    rezip(bundled, bundled, replace={"session/flows.mitm": flip_byte(data, 100)})
    result = invoke("verify", bundled)
    assert result.exit_code == 1
    assert last_line(result).startswith("verdict: mismatch — session/flows.mitm: changed"), result.output
    assert "session/session.db           ok" in result.output


def test_a_changed_manifest_or_signature_fails_the_signature(bundled, tmp_path):
    with zipfile.ZipFile(bundled) as zf:
        text, sig = zf.read(bundle.MANIFEST), zf.read(bundle.SIGNATURE)
    doc = json.loads(text)
    doc["session"]["verdict"] = "ok, checked by hand"
    edited = json.dumps(doc, indent=2, sort_keys=True).encode()
    for what, replace in (("manifest", {bundle.MANIFEST: edited}), ("signature", {bundle.SIGNATURE: flip_byte(sig, 7)})):
        path = rezip(bundled, tmp_path / f"{what}.zip", replace=replace)
        result = invoke("verify", path)
        assert result.exit_code == 1
        assert last_line(result).startswith("verdict: mismatch — bundle-manifest.json: the signature does not verify "
                                            "with the bundled public key"), result.output


def test_a_swapped_key_passes_its_own_signature_but_not_trust(bundled, packed):
    """A forger who changes a file, its hash in the session's manifest and the signed manifest, and
    signs with a key of his own, makes a bundle consistent with itself: only --trust tells."""
    _, key = packed
    other = Ed25519PrivateKey.generate()
    with zipfile.ZipFile(bundled) as zf:
        findings = zf.read("session/findings.json").replace(b"com.example.demoshop", b"com.example.other0")
        session_manifest = json.loads(zf.read("session/manifest.json"))
    session_manifest["artifacts"]["findings.json"] = {"sha256": hashlib.sha256(findings).hexdigest(),
                                                       "bytes": len(findings)}
    forged = json.dumps(session_manifest).encode()
    resign(bundled, other, findings_json=findings, manifest_json=forged)
    unpinned = invoke("verify", bundled)
    assert unpinned.exit_code == 0, unpinned.output
    assert f"signed by key {signing.fingerprint(other.public_key())} (not pinned" in last_line(unpinned)
    result = invoke("verify", bundled, "--trust", fingerprint_of(key))
    assert result.exit_code == 1
    assert last_line(result).startswith(f"verdict: mismatch — signed by key {signing.fingerprint(other.public_key())}, "
                                        "which is not a trusted key (--trust)"), result.output


def test_a_public_key_that_does_not_match_the_manifest_is_named(bundled):
    other = Ed25519PrivateKey.generate()
    with zipfile.ZipFile(bundled) as zf:
        text = zf.read(bundle.MANIFEST)
    rezip(bundled, bundled, replace={bundle.SIGNATURE: other.sign(text),
                                     bundle.PUBLIC_KEY: signing.public_pem(other.public_key())})
    result = invoke("verify", bundled)
    assert result.exit_code == 1 and "names the signer" in last_line(result), result.output


def test_an_added_or_a_missing_file_is_named(bundled, tmp_path):
    added = rezip(bundled, tmp_path / "added.zip", add={"session/screenshot-0123456789abcdef.png": b"\x89PNG"})
    result = invoke("verify", added)
    assert result.exit_code == 1
    assert "session/screenshot-0123456789abcdef.png: added to the bundle, not in the signed manifest" in last_line(result)
    dropped = rezip(bundled, tmp_path / "dropped.zip", drop=("session/report.html",))
    result = invoke("verify", dropped)
    assert result.exit_code == 1 and "session/report.html: missing from the bundle" in last_line(result)
    unsigned = rezip(bundled, tmp_path / "unsigned.zip", drop=(bundle.SIGNATURE,))
    result = CliRunner().invoke(cli, ["verify", str(unsigned)])
    assert result.exit_code == 1 and "bundle-manifest.sig missing" in last_line(result)


# -- reading a zip within bounds -------------------------------------------------------------
def refused(path: Path) -> str:
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/cron.d/evil", "session/../../evil", "session\\..\\evil",
                                  "C:/evil", "session/sub/session.db", "session/evil.sh"])
def test_a_name_out_of_the_bundle_is_refused_and_nothing_written(bundled, tmp_path, name):
    rezip(bundled, bundled, add={name: b"#!/bin/sh\n"})
    line = refused(bundled)
    assert repr(name) in line and "refused" in line
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil").exists()


def test_a_zip_bomb_is_refused_before_unpacking(bundled):
    with zipfile.ZipFile(bundled) as zin:
        items = [(i.filename, zin.read(i)) for i in zin.infolist() if i.filename != "session/flows.mitm"]
    with zipfile.ZipFile(bundled, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for name, data in items:
            zout.writestr(name, data)
        with zout.open("session/flows.mitm", "w", force_zip64=True) as fh:
            zeros = bytes(1 << 20)
            for _ in range(64):               # 64 MiB of zeros: about 64 KiB deflated
                fh.write(zeros)
    line = refused(bundled)
    assert "'session/flows.mitm' expands" in line and "zip bomb" in line


def test_overlapping_entries_are_refused(bundled, tmp_path):
    path = tmp_path / "overlap.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("session/device.yaml", b"a" * 1000)
        zf.writestr("session/scope.yaml", b"b" * 1000)
    data = bytearray(path.read_bytes())
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)     # the second central directory record
    struct.pack_into("<I", data, second + 42, 0)                       # its local header: the first one's
    path.write_bytes(bytes(data))
    assert "overlap" in refused(path)


def test_absurd_sizes_and_counts_are_refused(bundled, tmp_path):
    with pytest.raises(bundle.BundleError, match="claims .* bytes, more than 1000; refused"):
        bundle.check(bundled, limits=bundle.Limits(entry_bytes=1000))
    with pytest.raises(bundle.BundleError, match="entries, more than a bundle holds"):
        bundle.check(bundled, limits=bundle.Limits(entries=5))
    with pytest.raises(bundle.BundleError, match="their files claim|its files claim"):
        bundle.check(bundled, limits=bundle.Limits(total_bytes=10_000))
    # A central directory that claims 4 GiB for a 70-byte file.
    data = bytearray(bundled.read_bytes())
    at = data.rfind(b"PK\x01\x02")          # the last entry: bundle-manifest.tsq
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
    (tmp_path / "absurd.zip").write_bytes(bytes(data))
    assert "'bundle-manifest.tsq' claims 4294967280 bytes" in refused(tmp_path / "absurd.zip")
    (tmp_path / "text.zip").write_text("not a zip\n")
    assert "not a readable zip file" in refused(tmp_path / "text.zip")


def test_a_link_entry_is_refused(bundled):
    with zipfile.ZipFile(bundled, "a") as zf:
        info = zipfile.ZipInfo("bundle-manifest.tsr")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert "not a regular file" in refused(bundled)


# -- the signing key --------------------------------------------------------------------------
def test_the_key_is_made_once_private_and_outside_the_session(demo, tmp_path):
    key = Path(os.environ[signing.ENV])
    made = invoke("key", "create")
    assert made.exit_code == 0 and stat.S_IMODE(key.stat().st_mode) == 0o600
    fp = made.output.split("fingerprint ")[1].strip()
    again = CliRunner().invoke(cli, ["key", "create"])
    assert again.exit_code == 1 and "never replaced" in again.output
    shown = invoke("key", "show")
    assert f"fingerprint {fp}" in shown.output and "BEGIN PUBLIC KEY" in shown.output
    key.chmod(0o644)
    loose = CliRunner().invoke(cli, ["bundle", str(demo), "--out", str(tmp_path / "a.zip")])
    assert loose.exit_code == 1 and f"chmod 600 {key}" in loose.output
    key.chmod(0o600)
    inside = CliRunner().invoke(cli, ["bundle", str(demo), "--out", str(tmp_path / "a.zip"),
                                      "--key", str(demo / "signing-key.pem")])
    assert inside.exit_code == 1 and "outside the session" in inside.output
    assert not (demo / "signing-key.pem").exists()
    into = CliRunner().invoke(cli, ["bundle", str(demo), "--out", str(demo / "run1.zip")])
    assert into.exit_code == 1 and "inside the session" in into.output
    ok = invoke("bundle", demo, "--out", tmp_path / "a.zip")
    assert ok.exit_code == 0 and fp in ok.output and "created your signing key" not in ok.output
    exists = CliRunner().invoke(cli, ["bundle", str(demo), "--out", str(tmp_path / "a.zip")])
    assert exists.exit_code == 1 and "--force" in exists.output


def test_a_key_that_is_not_ed25519_is_refused(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.chmod(0o600)
    with pytest.raises(signing.SigningKeyError, match="not an Ed25519 key"):
        signing.load(path)
    for typed in ("abc", "g" * 64, ""):
        with pytest.raises(ValueError):
            signing.fingerprint_of(typed)
    assert signing.fingerprint_of("SHA256:" + "AB" * 32) == "ab" * 32


# -- a timestamp authority's answer -----------------------------------------------------------
TSA_CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
x509_extensions = ext
[ dn ]
CN = {cn}
[ ext ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = ./serial
signer_cert = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_alg = sha256
"""


def make_tsa(folder: Path, cn: str = "piiaudit test TSA", *, key_type: str = "rsa:2048") -> Path:
    """A throwaway timestamp authority: a key and a self-signed time-stamping certificate (openssl CLI)."""
    folder.mkdir(parents=True)
    (folder / "ts.cnf").write_text(TSA_CONFIG.format(cn=cn))
    (folder / "serial").write_text("01\n")
    args = ["-newkey", key_type] if key_type.startswith("rsa") else ["-newkey", "ec", "-pkeyopt",
                                                                     "ec_paramgen_curve:P-256"]
    subprocess.run([OPENSSL, "req", "-x509", *args, "-nodes", "-keyout", "tsa.key", "-out", "tsa.crt",
                    "-days", "2", "-config", "ts.cnf"], cwd=folder, check=True, capture_output=True)
    return folder


def reply(tsa: Path, tsq: Path, out: Path) -> Path:
    subprocess.run([OPENSSL, "ts", "-reply", "-queryfile", str(tsq), "-config", "ts.cnf", "-section", "tsa1",
                    "-out", str(out)], cwd=tsa, check=True, capture_output=True)
    return out


@needs_openssl
@pytest.mark.parametrize("key_type", ["rsa:2048", "ec"])
def test_a_timestamp_response_is_checked(bundled, tmp_path, key_type):
    tsa = make_tsa(tmp_path / "tsa", key_type=key_type)
    tsr = reply(tsa, bundled.with_suffix(".tsq"), bundled.with_suffix(".tsr"))
    result = invoke("verify", bundled)
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("timestamp "))
    assert "ok" in line and "by CN=piiaudit test TSA" in line and "CMS signature" in line
    assert "nonce = the request's" in line and "not checked: the authority's certificate chain" in line
    doc = json.loads(invoke("verify", bundled, "--json").output)
    assert doc["timestamp"]["ok"] and abs(doc["timestamp"]["gen_time_epoch"] - time.time()) < 600
    # openssl agrees that the response answers the request.
    done = subprocess.run([OPENSSL, "ts", "-verify", "-in", str(tsr), "-queryfile", str(bundled.with_suffix(".tsq")),
                           "-CAfile", str(tsa / "tsa.crt")], capture_output=True, text=True)
    assert "Verification: OK" in done.stdout, done.stderr
    assert invoke("verify", bundled, "--tsa-cert", tsa / "tsa.crt").exit_code == 0
    other = make_tsa(tmp_path / "other", "another TSA")
    pinned = invoke("verify", bundled, "--tsa-cert", other / "tsa.crt")
    assert pinned.exit_code == 1 and "not by the authority certificate given (--tsa-cert)" in last_line(pinned)


@needs_openssl
def test_a_wrong_or_altered_timestamp_response_fails(bundled, tmp_path):
    tsa = make_tsa(tmp_path / "tsa")
    tsr = bundled.with_suffix(".tsr")
    # The answer to another request (another bundle's, or the same manifest with another nonce).
    other_tsq = tmp_path / "other.tsq"
    other_tsq.write_bytes(timestamp.request(hashlib.sha256(b"another manifest").digest())[0])
    reply(tsa, other_tsq, tsr)
    result = invoke("verify", bundled)
    assert result.exit_code == 1 and "message imprint" in last_line(result) and "not the SHA-256" in last_line(result)
    with zipfile.ZipFile(bundled) as zf:
        digest = hashlib.sha256(zf.read(bundle.MANIFEST)).digest()
    other_tsq.write_bytes(timestamp.request(digest)[0])
    reply(tsa, other_tsq, tsr)
    assert "nonce is not the request's" in last_line(invoke("verify", bundled))
    # One byte of the authority's signature changed.
    reply(tsa, bundled.with_suffix(".tsq"), tsr)
    good = tsr.read_bytes()
    tsr.write_bytes(flip_byte(good, len(good) - 10))
    assert "signature does not verify" in last_line(invoke("verify", bundled))
    # The stamped time changed inside the token (its message digest no longer matches).
    token = tsp.TimeStampResp.load(good)["time_stamp_token"]["content"]["encap_content_info"]["content"]
    gen_time = token.parsed["gen_time"].dump()           # 18 0F "YYYYMMDDHHMMSSZ"
    at = good.find(gen_time) + 2 + 13                    # the last digit of the seconds
    assert good.count(gen_time) == 1 and 48 <= good[at] <= 57
    tsr.write_bytes(good[:at] + bytes([48 + (good[at] - 48 + 1) % 10]) + good[at + 1:])
    assert "message digest is not the hash of the TSTInfo" in last_line(invoke("verify", bundled))
    tsr.write_bytes(b"\x30\x80garbage")
    line = last_line(invoke("verify", bundled))
    assert "not a readable RFC 3161 response" in line and "Traceback" not in line
    # A response given explicitly, kept inside the bundle, is checked the same way.
    tsr.unlink()
    reply(tsa, bundled.with_suffix(".tsq"), tmp_path / "answer.tsr")
    assert invoke("verify", bundled, "--tsr", tmp_path / "answer.tsr").exit_code == 0
    rezip(bundled, bundled, add={bundle.RESPONSE: (tmp_path / "answer.tsr").read_bytes()})
    inside = invoke("verify", bundled)
    assert inside.exit_code == 0 and "bundle-manifest.tsr (in the bundle)" in invoke("verify", bundled, "--json").output


# -- screenshots, damaged zips, unpacked bundles -------------------------------------------------
def test_a_screenshot_is_packed_and_held_to_its_observation_row(demo, tmp_path):
    """The chain: the signature covers the hash of session.db, whose observation row holds the
    screenshot's hash. A forger who swaps the screenshot and re-signs is still caught."""
    session = Path(shutil.copytree(demo, tmp_path / "run1"))
    shot = tmp_path / "settings.png"
    shot.write_bytes(b"\x89PNG the settings page, no switch")
    assert invoke("mark", "observed", "personalisation_switch_not_found", "--session", session,
                  "--screenshot", shot).exit_code == 0
    assert invoke("report", session).exit_code == 0
    built = invoke("bundle", session, "--out", tmp_path / "run1.zip")
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(tmp_path / "run1.zip") as zf:
        (name,) = [n for n in zf.namelist() if n.startswith("session/screenshot-")]
        assert zf.read(name) == shot.read_bytes()
    ok = invoke("verify", tmp_path / "run1.zip")
    assert ok.exit_code == 0 and f"  {name.removeprefix('session/')} ok" in ok.output.replace("  ok", " ok"), ok.output
    forger = Ed25519PrivateKey.generate()
    swapped = b"\x89PNG the settings page, switch found"
    resign(tmp_path / "run1.zip", forger, **{name.removeprefix("session/").replace(".", "_"): swapped})
    result = invoke("verify", tmp_path / "run1.zip")
    assert result.exit_code == 1
    assert f"{name.removeprefix('session/')} changed" in last_line(result), result.output


def test_a_damaged_zip_entry_is_named_not_a_traceback(bundled):
    data = bytearray(bundled.read_bytes())
    with zipfile.ZipFile(bundled) as zf:
        info = zf.getinfo("session/flows.mitm")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 40
    data[start] ^= 0xFF                        # inside the compressed bytes: a bad CRC or a broken stream
    bundled.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["verify", str(bundled)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert last_line(result).startswith("verdict: mismatch — session/flows.mitm: "), result.output


def test_an_unpacked_bundle_points_to_its_session(packed, tmp_path):
    zip_path, _ = packed
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "run1-check")
    result = CliRunner().invoke(cli, ["verify", str(tmp_path / "run1-check")])
    assert result.exit_code == 1 and f"piiaudit verify {tmp_path / 'run1-check' / 'session'}" in result.output
    options = CliRunner().invoke(cli, ["verify", str(tmp_path / "run1-check" / "session"), "--trust", "ab" * 32])
    assert options.exit_code == 2 and "apply to a bundle zip" in options.output


def test_a_partial_session_is_packed_and_its_bundle_says_partial(demo, tmp_path):
    """A run that did not end (a killed replay on another machine) is no change outside piiaudit:
    the session is packed, and the bundle's verdict says partial, naming the run."""
    from piiaudit import manifest
    from piiaudit.store import SessionStore

    session = Path(shutil.copytree(demo, tmp_path / "run1"))
    store = SessionStore(session, create=False)
    store.write({"runs": [{"id": "killedreplay", "stage": "replay", "started": 1_700_000_000.0, "pid": 4242,
                           "host": "another-host", "detail": {"source": "big.mitm"}}]})
    manifest.write(store)
    store.close()
    assert "verdict: partial" in invoke("verify", session).output
    built = invoke("bundle", session, "--out", tmp_path / "run1.zip")
    assert built.exit_code == 0 and "session verdict partial" in built.output, built.output
    result = invoke("verify", tmp_path / "run1.zip")
    assert result.exit_code == 1
    assert last_line(result).startswith("verdict: partial — 1 run(s) did not end cleanly") and "signed by key" in \
        last_line(result)
    assert "pid 4242 on another-host" in result.output


def test_a_public_key_that_is_not_one_is_named(bundled, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for i, data in enumerate((b"not a key", ec_key)):
        path = rezip(bundled, tmp_path / f"{i}.zip", replace={bundle.PUBLIC_KEY: data})
        result = invoke("verify", path)
        assert result.exit_code == 1 and "signing-key.pub: not an Ed25519 public key" in last_line(result)
