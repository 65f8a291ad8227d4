"""Personal data inside encrypted uploads: plaintext from the Cipher hooks, tied to the flow
that carried the ciphertext.

For each ``crypto`` hook event (Cipher, MessageDigest, Mac, Base64) whose plaintext holds a
known value (the session's device.yaml, plus every value a ``pii_read`` event saw), the
event's output bytes are searched in the recorded requests (``flows.mitm``, read with
piiaudit.flowread) as raw bytes, hex and base64 (standard and URL-safe, any 3-byte
alignment, so an IV or header before the ciphertext does not hide it): in the URL, the
headers, the body and every layer the detector decodes out of them, so the ciphertext's
place is named exactly as a hit there would be (piiaudit.detect.location). Encoding events
whose input holds those bytes (``Base64.encodeToString(cipher.doFinal(...))``) are followed,
and their output is searched too.

Each value found becomes a ``pii_hits`` row on the carrying flow, with a location that
reads from the outside in (``body:json:$.payload>crypto:AES/CBC/PKCS5Padding>json:$.imei``),
an encoding chain (``base64>aes>plain``) and ``detail.derived_by = "analysis.crypto"`` with
the crypto event's id (``via_event_id``). A re-run deletes exactly the rows it marked before
and writes the new ones, in one transaction, so the standard rules see them like any hit.
Plaintext hits whose ciphertext no recorded flow carries are returned as notes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.load import Session
from piiaudit.detect import location
from piiaudit.flowread import read_flows

DERIVED_BY = "analysis.crypto"
CRYPTO_KINDS = ("crypto",)
MIN_NEEDLE_BYTES = 16         # shorter outputs (a 4-byte MAC, a tiny digest) would match by chance
NEEDLE_BYTES = 48             # a prefix this long is distinctive and cheap to encode
MAX_CHAIN_DEPTH = 4           # cipher -> base64 -> base64 ... (bounded)
MAX_SCAN_BYTES = 1 << 20      # per plaintext
PROFILE_FILE = "device.yaml"
FORWARD = ("encrypt", "digest", "mac", "encode", "wrap")   # input is the plaintext, output what is sent
# Not roots: a digest or MAC of a larger message does not carry its values (the proxy finds
# digests of a bare value itself), an encoding is a layer the proxy decodes, and a decrypt's
# input came in a response.
ONE_WAY = ("digest", "mac", "encode", "decrypt")

DELETE_SQL = ("DELETE FROM pii_hits WHERE detail LIKE '%" + DERIVED_BY + "%' AND json_valid(detail) "
              "AND json_extract(detail, '$.derived_by') = '" + DERIVED_BY + "'")


@dataclass
class CryptoOp:
    """One crypto event, decoded."""

    event_id: int
    ts: float
    op: str
    algorithm: str
    transformation: str
    plaintext: bytes
    output: bytes
    sdk: str | None
    truncated: bool


@dataclass
class CryptoOutcome:
    rows: list[dict[str, Any]] = field(default_factory=list)     # pii_hits rows written
    notes: list[str] = field(default_factory=list)
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.rows or self.removed)


# -- events --------------------------------------------------------------------------------

def _b64(text: Any) -> bytes:
    if not isinstance(text, str) or not text:
        return b""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return b""


def crypto_ops(events: pd.DataFrame) -> list[CryptoOp]:
    """The session's crypto events (a handful per session), tolerant of missing fields."""
    rows = events.loc[events["kind"].isin(CRYPTO_KINDS), ["id", "ts", "value", "sdk", "data"]]
    ops = []
    for rec in rows.to_dict("records"):
        d = rec["data"] if isinstance(rec["data"], dict) else {}
        op = str(d.get("op") or "encrypt").lower()
        inp, out = _b64(d.get("input_b64")), _b64(d.get("output_b64"))
        plain, wire = (out, inp) if op == "decrypt" else (inp, out)   # a decrypt's plaintext is what came out
        if not plain and isinstance(rec["value"], str):
            plain = rec["value"].encode("utf-8", "replace")
        transformation = str(d.get("transformation") or d.get("algorithm") or op)
        ops.append(CryptoOp(
            event_id=int(rec["id"]), ts=float(rec["ts"]), op=op,
            algorithm=str(d.get("algorithm") or transformation.split("/")[0]), transformation=transformation,
            plaintext=plain[:MAX_SCAN_BYTES], output=wire, sdk=rec["sdk"] if isinstance(rec["sdk"], str) else None,
            truncated=bool(d.get("truncated")),
        ))
    return ops


def _layer_name(op: CryptoOp) -> str:
    if op.op == "encode":
        return "base64"
    return re.sub(r"[^a-z0-9]+", "", op.algorithm.lower()) or op.op


def _chains(root: CryptoOp, ops: list[CryptoOp]) -> list[tuple[bytes, list[CryptoOp]]]:
    """(bytes that went on, ops from root outwards): the root's output and every encoding of it."""
    found = [(root.output, [root])]
    frontier = [(root.output, [root])]
    for _ in range(MAX_CHAIN_DEPTH):
        nxt = []
        for data, chain in frontier:
            probe = data[:NEEDLE_BYTES]
            if len(probe) < MIN_NEEDLE_BYTES:
                continue
            for op in ops:
                if op.op in FORWARD and op not in chain and op.output and op.ts >= root.ts - 1.0 \
                        and probe in op.plaintext:
                    nxt.append((op.output, [*chain, op]))
        found += nxt
        frontier = nxt
    return found


# -- needles -------------------------------------------------------------------------------

def needles(data: bytes) -> list[tuple[bytes, str]]:
    """Search strings for bytes as they may appear on the wire, with the form that revealed them."""
    p = data[:NEEDLE_BYTES]
    if len(p) < MIN_NEEDLE_BYTES:
        return []
    out = [(p, "raw"), (p.hex().encode(), "hex"), (p.hex().upper().encode(), "hex")]
    for k in range(3):               # the ciphertext may start at any offset mod 3 of what was encoded
        q = p[k:]
        q = q[: len(q) - len(q) % 3]
        if len(q) >= 12:
            std = base64.b64encode(q)
            out.append((std, "base64"))
            url = base64.urlsafe_b64encode(q)
            if url != std:
                out.append((url, "base64url"))
    # Text output (a Base64 encoder's string) is searched as it is, too.
    if re.fullmatch(rb"[A-Za-z0-9+/_=\-]+", p) and len(p) >= MIN_NEEDLE_BYTES:
        out.append((p.rstrip(b"="), "text"))
    return out


# -- carriers ------------------------------------------------------------------------------

def carriers(det: Any, flows: list[Any], wire_forms: list[list[tuple[bytes, str]]]) -> list[list[tuple[Any, str, str]]]:
    """For each list of wire forms (needles() of one output), (flow, location, form) of every
    request that holds one of them, in flow order. The location is the one a hit at that
    place of the request gets from the detector (URL, headers, body and its decoded layers)."""
    out: list[list[tuple[Any, str, str]]] = [[] for _ in wire_forms]
    searched = [g for g, forms in enumerate(wire_forms) if forms]
    if not searched:
        return out
    groups = [[n for n, _ in wire_forms[g]] for g in searched]
    for flow in flows:
        for k, (loc, i) in det.locate_in_request(flow, groups).items():
            g = searched[k]
            out[g].append((flow, loc, wire_forms[g][i][1]))
    return out


# -- the whole step ------------------------------------------------------------------------

def _detector(session: Session):
    from piiaudit.detect import Detector
    from piiaudit import profile as profile_mod

    prof = None
    path = session.dir / PROFILE_FILE
    if path.exists():
        try:
            prof = profile_mod.load(path)
        except profile_mod.ProfileError:
            prof = None
    det = Detector(prof)
    reads = session.events.loc[session.events["kind"].eq("pii_read") & session.events["value"].notna()
                               & session.events["pii_type"].notna(), ["pii_type", "value"]].drop_duplicates()
    for pii_type, value in reads.itertuples(index=False, name=None):
        try:
            det.observe(pii_type, value)
        except ValueError:  # e.g. a location read that returned a provider name, not "lat,lng"
            continue
    return det


def derive(session: Session) -> CryptoOutcome:
    """The rows this step would write, and notes; writes nothing."""
    outcome = CryptoOutcome()
    ops = crypto_ops(session.events)
    roots = [op for op in ops if op.op not in ONE_WAY and op.plaintext and op.output]
    if not roots:
        return outcome
    det = _detector(session)
    found = [(op, hits) for op in roots if (hits := det.scan_plaintext(op.plaintext))]
    if not found:
        return outcome
    path = session.store.flows_path
    flows: list[Any] = []
    if path.exists():
        flows, problem = read_flows(path, set(session.flows["id"].dropna()))
        if problem:
            outcome.notes.append(f"crypto: {problem} / 加密明文关联：{problem}")
    # every output that went on (each root's and its encodings'), searched in one pass per flow
    wires = [(op, data, chain) for op, _ in found for data, chain in _chains(op, ops)]
    tied_by_op: dict[int, list] = {op.event_id: [] for op, _ in found}
    for (op, _, chain), ties in zip(wires, carriers(det, flows, [needles(data) for _, data, _ in wires])):
        tied_by_op[op.event_id] += [(flow, loc, form, chain) for flow, loc, form in ties]
    for op, hits in found:
        types = ", ".join(sorted({h["pii_type"] for h in hits}))
        tied = tied_by_op[op.event_id]
        seen: set[tuple[str, str]] = set()
        # The longest chain first: it names the encoding events as evidence too.
        for flow, loc, form, chain in sorted(tied, key=lambda t: -len(t[3])):
            if (flow.id, loc) in seen:
                continue
            seen.add((flow.id, loc))
            layers = [_layer_name(c) for c in reversed(chain)]
            wire = [] if form in ("raw", "text") else [form]
            for h in hits:
                inner = h["location"] or "plain"
                outcome.rows.append({
                    "flow_id": flow.id, "pii_type": h["pii_type"],
                    "location": location.crypto(loc, op.transformation, inner),
                    "encoding": ">".join([*wire, *layers, h["encoding"] or "plain"]),
                    "source": h["source"], "value_sha256": h["value_sha256"], "value": h["value"],
                    "direction": "request",
                    "confidence": h.get("confidence", 1.0),
                    "detail": {"derived_by": DERIVED_BY, "via_event_id": op.event_id,
                               "crypto_event_id": op.event_id, "chain_event_ids": [c.event_id for c in chain],
                               "op": op.op, "transformation": op.transformation, "carrier_location": loc,
                               "carrier_form": form, "plaintext_location": inner,
                               "plaintext_truncated": op.truncated},
                })
        if not tied:
            outcome.notes.append(
                f"crypto event {op.event_id} ({op.transformation} {op.op}): the plaintext holds {types}, but no "
                f"recorded request carries its output / 加密事件 {op.event_id} 的明文含 {types}，但未在记录的请求中找到其密文")
    return outcome


def apply(session: Session) -> CryptoOutcome:
    """Replace this step's earlier rows in `session`'s pii_hits with the current ones (one transaction)."""
    outcome = derive(session)
    # derived hits replace those an earlier analysis derived, in one transaction
    outcome.removed = session.store.write({"pii_hits": outcome.rows}, delete=[DELETE_SQL])
    return outcome
