"""The `location` of a hit (pii_hits.location): where in a flow a value sat, as one string.

Every location string is built here, by the proxy's detector and by the analysis step that
ties crypto plaintext to its carrier alike, so the same place gets the same name:

    url:host  url:path  query:<key>  header:<name>  cookie:<name>
    body:json:$.dev.id   body:json:$["dev.id"][0]   body:form:<key>   body:multipart:<part>
    body:text  body:protobuf:1.3.2   ws:<n>:json:$.imei   ws:<n>:text
    body:json:$.payload>crypto:AES/CBC/PKCS5Padding>json:$.imei

A layer decoded out of a field adds its own shape after the field's location, joined by
`:` (`query:d:json:$.imei`); an empty prefix gives a location relative to the layer itself
(`json:$.imei`), which is how a crypto plaintext is located before its carrier is known.
JSON keys that are identifiers are written `.key`, any other key `["key"]` (JSON-quoted),
array indices `[n]`.
"""

from __future__ import annotations

import json as _json
import re

URL_PATH = "url:path"
URL_HOST = "url:host"       # the host name the flow went to (piiaudit.flowrow.destination)
HEADERS = "header"          # a header block, and a hit in it that no header name holds
BODY = "body"
QUERY = "query"
JSON_ROOT = "$"

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$\-]*$")


def _join(prefix: str, step: str) -> str:
    return f"{prefix}:{step}" if prefix else step


def query(key: str) -> str:
    return f"{QUERY}:{key}"


def header(name: str) -> str:
    return f"{HEADERS}:{name}"


def cookie(name: str) -> str:
    return f"cookie:{name}"


def websocket(index: int) -> str:
    return f"ws:{index}"


def form(prefix: str, key: str) -> str:
    return _join(prefix, f"form:{key}")


def multipart(prefix: str, part: str) -> str:
    return _join(prefix, f"multipart:{part}")


def protobuf(prefix: str, path: str | None) -> str:
    return _join(prefix, f"protobuf:{path}" if path else "protobuf")


def text(prefix: str) -> str:
    """Text or binary at the top of a message (inside a field, a text layer adds nothing)."""
    return _join(prefix, "text")


def json(prefix: str, path: str) -> str:
    return _join(prefix, f"json:{path}")


# -- JSON paths ----------------------------------------------------------------------------
def json_key(key: str) -> str:
    """One object step of a JSON path: `.key`, or `["key"]` for keys that are not identifiers."""
    return f".{key}" if _IDENT.match(key) else "[" + _json.dumps(key, ensure_ascii=False) + "]"


def json_index(i: int) -> str:
    return f"[{i}]"


def json_cut(levels: int) -> str:
    """The end of a path cut at ScanLimits.max_json_path_depth."""
    return f"…(+{levels} levels)"


# -- crypto plaintext ------------------------------------------------------------------------
def crypto(carrier: str, transformation: str, inner: str) -> str:
    """A value inside a plaintext the crypto hooks saw: the ciphertext's location, the cipher,
    then the value's location within the plaintext (relative: built with an empty prefix)."""
    return f"{carrier}>crypto:{transformation}>{inner}"
