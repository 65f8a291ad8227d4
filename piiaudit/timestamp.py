"""RFC 3161 timestamps: the request a tester sends to a timestamp authority, and its answer checked.

`request(digest)` is a DER TimeStampReq (version 1, messageImprint = SHA-256 of what is
stamped, a random 64-bit nonce, certReq TRUE, no policy): `openssl ts -query -in FILE -text`
prints it, and any RFC 3161 authority answers it (docs/bundle.md shows the curl command).
`read_request(der)` gives its digest and nonce back.

`check_response(tsr, digest=, nonce=, tsa_cert=)` reads a TimeStampResp (at most
`MAX_RESPONSE` bytes; any malformed input is a one-line reason, never a traceback) and checks:

- the status is granted (or granted with modifications) and the token is CMS SignedData
  holding a TSTInfo;
- the TSTInfo's message imprint is `digest` (SHA-256) and its nonce the request's;
- the CMS signature: the signer's certificate is the one the response carries (or the
  `tsa_cert` given), the signed attributes' content type is TSTInfo and their message digest
  is the hash of the TSTInfo as signed, the ESS signing-certificate attribute names that
  certificate, and the signature over the signed attributes verifies with its public key
  (RSA PKCS#1 v1.5, ECDSA, Ed25519);
- the certificate allows time stamping (extended key usage) and was valid at the time stamped;
- with `tsa_cert`, the signer is exactly that certificate (pinning).

Not checked, and said so in `not_checked`: the chain from the authority's certificate to a
trusted root and its revocation (`openssl ts -verify -CAfile` does that with the
authority's root), and RSA-PSS signatures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from asn1crypto import tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from piiaudit.times import iso_one

MAX_RESPONSE = 1 << 20      # a timestamp response is a few kilobytes
MAX_REQUEST = 1 << 16
HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
          "sha384": hashes.SHA384, "sha512": hashes.SHA512}
NOT_CHECKED_CHAIN = "the authority's certificate chain to a trusted root and its revocation (openssl ts -verify -CAfile)"


class TimestampError(ValueError):
    """A timestamp request or response that cannot be read: one line saying why."""


def request(digest: bytes, nonce: int | None = None) -> tuple[bytes, int]:
    """(DER TimeStampReq for the SHA-256 `digest`, its nonce)."""
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    nonce = secrets.randbits(64) | 1 << 63 if nonce is None else nonce
    req = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return req.dump(), nonce


def read_request(der: bytes) -> tuple[str, bytes, int | None]:
    """(hash algorithm, digest, nonce) of a DER TimeStampReq."""
    if len(der) > MAX_REQUEST:
        raise TimestampError(f"{len(der)} bytes is not a timestamp request")
    try:
        req = tsp.TimeStampReq.load(der, strict=True)
        imprint = req["message_imprint"]
        return (imprint["hash_algorithm"]["algorithm"].native, imprint["hashed_message"].native,
                req["nonce"].native)
    except (ValueError, TypeError, KeyError) as e:
        raise TimestampError(f"not a DER TimeStampReq ({_short(e)})") from None


@dataclass
class TimestampCheck:
    ok: bool
    reason: str = ""                    # why not ok, one line
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    gen_time: str | None = None         # the authority's time, ISO 8601 in the report's zone (piiaudit.times)
    gen_time_epoch: float | None = None
    tsa: str | None = None              # the signer certificate's subject
    tsa_cert_sha256: str | None = None

    def fail(self, reason: str) -> TimestampCheck:
        self.ok, self.reason = False, reason
        return self


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:160] if str(e) else type(e).__name__


def check_response(tsr: bytes, *, digest: bytes, nonce: int | None = None,
                   tsa_cert: bytes | None = None) -> TimestampCheck:
    """Check the TimeStampResp `tsr` against the SHA-256 `digest` it should stamp (see the module)."""
    result = TimestampCheck(ok=True, not_checked=[NOT_CHECKED_CHAIN])
    if len(tsr) > MAX_RESPONSE:
        return result.fail(f"{len(tsr)} bytes: too large for a timestamp response (at most {MAX_RESPONSE})")
    try:
        return _check(tsr, digest, nonce, tsa_cert, result)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as e:
        return result.fail(f"not a readable RFC 3161 response ({_short(e)})")


def _check(tsr: bytes, digest: bytes, nonce: int | None, pinned: bytes | None, r: TimestampCheck) -> TimestampCheck:
    resp = tsp.TimeStampResp.load(tsr, strict=True)
    status = resp["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        text = resp["status"]["status_string"].native
        return r.fail(f"the authority did not grant it: {status}{f' ({text})' if text else ''}")
    token = resp["time_stamp_token"]
    if token.native is None or token["content_type"].native != "signed_data":
        return r.fail("the response holds no signed timestamp token")
    sd = token["content"]
    eci = sd["encap_content_info"]
    if eci["content_type"].native != "tst_info":
        return r.fail(f"the token holds {eci['content_type'].native}, not a TSTInfo")
    signed_bytes = eci["content"].contents
    tst = tsp.TSTInfo.load(signed_bytes, strict=True)
    gen_time = tst["gen_time"].native
    r.gen_time_epoch = gen_time.timestamp()
    r.gen_time = iso_one(r.gen_time_epoch)
    imprint = tst["message_imprint"]
    algo, hashed = imprint["hash_algorithm"]["algorithm"].native, imprint["hashed_message"].native
    if algo != "sha256" or hashed != digest:
        return r.fail(f"its message imprint ({algo} {hashed.hex()[:16]}…) is not the SHA-256 of the signed "
                      f"manifest ({digest.hex()[:16]}…)")
    r.checked.append("message imprint = SHA-256 of the signed manifest")
    if nonce is not None:
        if tst["nonce"].native != nonce:
            return r.fail("its nonce is not the request's: an answer to another request")
        r.checked.append("nonce = the request's")
    return _check_signature(sd, signed_bytes, gen_time, pinned, r)


def _signer_cert(sd, si, pinned: bytes | None) -> tuple[x509.Certificate | None, bytes | None]:
    certs = [c.chosen for c in sd["certificates"] if c.name == "certificate"] if sd["certificates"].native else []
    sid = si["sid"]
    for c in certs:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if ias["issuer"].dump() == c["tbs_certificate"]["issuer"].dump() and \
                    ias["serial_number"].native == c.serial_number:
                return x509.load_der_x509_certificate(c.dump()), c.dump()
        elif c.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(c.dump()), c.dump()
    if pinned is not None:
        return x509.load_der_x509_certificate(pinned), pinned
    return None, None


def _attr(si, name: str):
    for a in si["signed_attrs"]:
        if a["type"].native == name:
            return a["values"][0]
    return None


def _check_signature(sd, signed_bytes: bytes, gen_time: dt.datetime, pinned: bytes | None,
                     r: TimestampCheck) -> TimestampCheck:
    if len(sd["signer_infos"]) != 1:
        return r.fail(f"{len(sd['signer_infos'])} signers; a timestamp token has one")
    si = sd["signer_infos"][0]
    cert, cert_der = _signer_cert(sd, si, pinned)
    if cert is None:
        r.not_checked.append("the signature: the response carries no certificate (give the authority's with --tsa-cert)")
        return r
    r.tsa = cert.subject.rfc4514_string()
    r.tsa_cert_sha256 = hashlib.sha256(cert_der).hexdigest()
    if pinned is not None and cert_der != pinned:
        return r.fail(f"signed by {r.tsa}, not by the authority certificate given (--tsa-cert)")
    digest_name = si["digest_algorithm"]["algorithm"].native
    if digest_name not in HASHES:
        return r.fail(f"signed with the digest {digest_name}, which piiaudit does not check")
    if not si["signed_attrs"].native:
        return r.fail("the signer has no signed attributes (RFC 3161 requires them)")
    content_type = _attr(si, "content_type")
    if content_type is None or content_type.native != "tst_info":
        return r.fail("the signed content type is not TSTInfo")
    message_digest = _attr(si, "message_digest")
    if message_digest is None or message_digest.native != hashlib.new(digest_name, signed_bytes).digest():
        return r.fail("the signed message digest is not the hash of the TSTInfo: the token was altered")
    r.checked.append("signed attributes: content type TSTInfo, message digest of the TSTInfo")
    ess = _attr(si, "signing_certificate_v2")
    if ess is not None:
        first = ess["certs"][0]
        algo = first["hash_algorithm"]["algorithm"].native
        if algo not in HASHES or first["cert_hash"].native != hashlib.new(algo, cert_der).digest():
            return r.fail("the signing-certificate attribute names another certificate")
        r.checked.append("ESS signing certificate v2 = the signer's certificate")
    else:
        ess = _attr(si, "signing_certificate")
        if ess is not None:
            if ess["certs"][0]["cert_hash"].native != hashlib.sha1(cert_der).digest():
                return r.fail("the signing-certificate attribute names another certificate")
            r.checked.append("ESS signing certificate = the signer's certificate")
    to_verify = b"\x31" + si["signed_attrs"].dump()[1:]   # signed as a SET OF, stored as [0] IMPLICIT
    sig_algo = si["signature_algorithm"]["algorithm"].native
    public = cert.public_key()
    signature = si["signature"].native
    try:
        if isinstance(public, rsa.RSAPublicKey):
            if sig_algo == "rsassa_pss":
                r.not_checked.append("the signature: RSA-PSS is not checked by piiaudit")
                return _cert_use(cert, gen_time, r)
            public.verify(signature, to_verify, padding.PKCS1v15(), HASHES[digest_name]())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, to_verify, ec.ECDSA(HASHES[digest_name]()))
        elif isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, to_verify)
        else:
            r.not_checked.append(f"the signature: a {type(public).__name__} key is not checked by piiaudit")
            return _cert_use(cert, gen_time, r)
    except InvalidSignature:
        return r.fail(f"the authority's signature does not verify with its certificate ({r.tsa})")
    r.checked.append(f"CMS signature ({sig_algo}, {digest_name}) by {r.tsa}")
    return _cert_use(cert, gen_time, r)


def _cert_use(cert: x509.Certificate, gen_time: dt.datetime, r: TimestampCheck) -> TimestampCheck:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = []
    if x509.oid.ExtendedKeyUsageOID.TIME_STAMPING not in eku:
        return r.fail(f"the certificate of {r.tsa} is not one for time stamping (no extended key usage timeStamping)")
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        return r.fail(f"the certificate of {r.tsa} was not valid at {r.gen_time}")
    r.checked.append("certificate for time stamping, valid at the time stamped")
    return r

