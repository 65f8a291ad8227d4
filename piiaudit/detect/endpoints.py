"""Endpoint field maps: what known SDK endpoints carry, read from the request without a
device profile.

One YAML file per catalogued SDK, `piiaudit/data/endpoints/<sdk id>.yaml` (format:
docs/endpoints.md), says for each endpoint (destination hosts, a path regex, a method) which
request fields carry which kind of data: `body:json:$.google_advertising_id` is an
advertising ID, `header:user-agent` holds the OS version in `Android (?P<value>[0-9.]+);`.

    maps()                     every file, loaded and checked once; invalid endpoints dropped
    problems()                 what is wrong with the files, one sentence each ([] when sound)
    endpoints_for(host, path, method)
    extract(flow, budget)      the flow's endpoint hits (source 'endpoint'), for the detector

The destination is `piiaudit.flowrow.destination(flow)`: where the connection went, never
the Host header alone. Values are strings as they travelled (a JSON number as its JSON
text, true/false as written); empty values are skipped, and for identifiers the
placeholders the detector skips too (all zeros, "unknown", ...). Extraction runs on data
hostile software wrote: bodies beyond ScanLimits.max_body_bytes are not parsed (cap
'body_bytes'), decompression stays within the flow's room, `[*]` expands to at most
MAX_ITEMS elements per field ('endpoint_items'), longer values than MAX_VALUE_CHARS are
left out ('endpoint_value'), and a body that is not the JSON or form the map expects costs
that endpoint's body fields and names the problem in ScanResult.errors, nothing more.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from piiaudit import hosts, sdks, vocab
from piiaudit.detect import location
from piiaudit.detect.decompress import decompress
from piiaudit.detect.limits import Budget, ScanLimits
from piiaudit.yamlfile import YamlError, load_bytes

PACKAGE, FOLDER = "piiaudit", "data/endpoints"
SOURCE = "endpoint"               # pii_hits.source of a hit found through a map
CONFIDENCE = 0.9
MAX_FILE_BYTES = 1 << 20          # far above any map; a larger file is refused unread
MAX_ITEMS = 256                   # elements one `[*]` field may yield
MAX_VALUE_CHARS = 4096
MAX_LAYER_BYTES = 1 << 20         # a JSON, form or base64 text inside a field
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
LAYERS = ("json", "form", "base64")
TOPS = ("query", "header", "cookie", "url", "body")
_PLACEHOLDERS = {"unknown", "null", "none", "nil", "undefined", "02:00:00:00:00:00", "0", "-1",
                 "<unknown ssid>", "unknown ssid", "n/a"}
_EMPTY = {"", "null", "none", "nil", "undefined", "unknown", "n/a"}


class EndpointError(ValueError):
    """A map file or an `at` that cannot be read; the message names the file and the place."""


# -- `at`: where a value sits ---------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    layer: str                       # json | form | base64
    arg: Any = None                  # json: path tokens; form: the key


@dataclass(frozen=True)
class At:
    text: str
    top: str                         # query | header | cookie | url | body:json | body:form | body:text
    key: str | None                  # query/header/cookie/form key; None for url:path, body:text
    path: tuple = ()                 # body:json path tokens
    steps: tuple[Step, ...] = ()     # layers inside the field

    @property
    def in_body(self) -> bool:
        return self.top.startswith("body")


_LAYER_AT = re.compile(r":(?=(?:json|form|protobuf):|base64(?::|$))")


def _split_key(rest: str) -> tuple[str, str]:
    """A key up to the first layer that follows it: 'extinfo:json:$[5]' -> ('extinfo', ':json:$[5]')."""
    m = _LAYER_AT.search(rest)
    return (rest, "") if m is None else (rest[:m.start()], rest[m.start():])


def _json_path(text: str, at: str) -> tuple[tuple, str]:
    """Tokens of a JSON path ('$.a["b.c"][0][*]') and what follows it (':json:...' or '')."""
    if not text.startswith("$"):
        raise EndpointError(f"{at!r}: a JSON path starts with '$'")
    i, out = 1, []
    while i < len(text):
        c = text[i]
        if c == ":":
            break
        if c == ".":
            m = re.match(r"[^.\[\]:\"]+", text[i + 1:])
            if not m:
                raise EndpointError(f"{at!r}: empty key after '.' at {i}")
            out.append(m.group())
            i += 1 + m.end()
        elif text.startswith("[*]", i):
            out.append(any)
            i += 3
        elif c == "[":
            m = re.match(r"\[(\d+)\]", text[i:])
            if m:
                out.append(int(m.group(1)))
                i += m.end()
                continue
            try:
                key, end = json.JSONDecoder().raw_decode(text, i + 1)
            except ValueError:
                raise EndpointError(f"{at!r}: '[' must hold a number, * or a JSON string (at {i})") from None
            if not isinstance(key, str) or text[end:end + 1] != "]":
                raise EndpointError(f"{at!r}: '[' must hold a number, * or a JSON string (at {i})")
            out.append(key)
            i = end + 1
        else:
            raise EndpointError(f"{at!r}: unexpected {c!r} in the JSON path at {i}")
    return tuple(out), text[i:]


def _steps(rest: str, at: str) -> tuple[Step, ...]:
    steps = []
    while rest:
        if rest == ":base64" or rest.startswith(":base64:"):
            steps.append(Step("base64"))
            rest = rest[len(":base64"):]
        elif rest.startswith(":json:"):
            path, rest = _json_path(rest[len(":json:"):], at)
            steps.append(Step("json", path))
        elif rest.startswith(":form:"):
            key, rest = _split_key(rest[len(":form:"):])
            if not key:
                raise EndpointError(f"{at!r}: empty form key")
            steps.append(Step("form", key))
        elif rest.startswith(":protobuf"):
            raise EndpointError(f"{at!r}: protobuf fields are not supported by the engine")
        else:
            raise EndpointError(f"{at!r}: unknown layer {rest!r} (known: {', '.join(LAYERS)})")
    if steps and steps[-1].layer == "base64":
        pass   # the decoded text itself is the value
    return tuple(steps)


@functools.lru_cache(maxsize=4096)
def parse_at(at: str) -> At:
    """Parse an `at` (the syntax of pii_hits.location, docs/endpoints.md)."""
    if not isinstance(at, str) or not at:
        raise EndpointError(f"{at!r}: an `at` is a non-empty string")
    if at == "url:path" or at.startswith("url:path:"):
        return At(at, "url", None, (), _steps(at[len("url:path"):], at))
    for top in ("query", "header", "cookie"):
        if at.startswith(top + ":"):
            key, rest = _split_key(at[len(top) + 1:])
            if not key:
                raise EndpointError(f"{at!r}: empty {top} name")
            if top == "header" and key != key.lower():
                raise EndpointError(f"{at!r}: header names are written in lower case")
            return At(at, top, key, (), _steps(rest, at))
    if at.startswith("body:json:"):
        path, rest = _json_path(at[len("body:json:"):], at)
        return At(at, "body:json", None, path, _steps(rest, at))
    if at.startswith("body:form:"):
        key, rest = _split_key(at[len("body:form:"):])
        if not key:
            raise EndpointError(f"{at!r}: empty form key")
        return At(at, "body:form", key, (), _steps(rest, at))
    if at == "body:text" or at.startswith("body:text:"):
        return At(at, "body:text", None, (), _steps(at[len("body:text"):], at))
    if at.startswith("body:protobuf"):
        raise EndpointError(f"{at!r}: protobuf fields are not supported by the engine")
    raise EndpointError(f"{at!r}: must start with query:, header:, cookie:, url:path, body:json:, "
                        "body:form: or body:text")


# -- the maps ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str
    licence: str


@dataclass(frozen=True)
class Field:
    at: At
    kind: str
    value: re.Pattern | None = None
    source: Source | None = None     # when the field's fact comes from another source than the endpoint's


@dataclass(frozen=True)
class Endpoint:
    sdk: str
    name: str
    source: Source
    hosts: tuple[str, ...]
    path: re.Pattern
    method: str | None
    fields: tuple[Field, ...]

    @property
    def id(self) -> str:
        return f"{self.sdk}/{self.name}"


@dataclass(frozen=True)
class Example:
    sdk: str
    endpoint: str
    source: str
    request: dict
    expect: tuple[tuple[str, str], ...]
    index: int

    @property
    def id(self) -> str:
        return f"{self.sdk}/{self.endpoint}#{self.index}"


@dataclass(frozen=True)
class EndpointMap:
    sdk: str
    file: str
    sources: dict
    endpoints: tuple[Endpoint, ...]
    examples: tuple[Example, ...]


_FILE_KEYS = {"sdk", "sources", "endpoints", "examples"}
_SOURCE_KEYS = {"title", "url", "licence"}
_ENDPOINT_KEYS = {"name", "source", "hosts", "path", "method", "fields"}
_FIELD_KEYS = {"at", "kind", "value", "source"}
_EXAMPLE_KEYS = {"endpoint", "source", "request", "expect"}
_REQUEST_KEYS = {"method", "url", "headers", "body", "body_base64"}


def _files() -> list[tuple[str, bytes]]:
    folder = resources.files(PACKAGE).joinpath(FOLDER)
    if not folder.is_dir():
        return []
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml") and entry.is_file():
            data = entry.read_bytes()
            out.append((entry.name, data))
    return out


def _keys(raw: dict, allowed: set, where: str, out: list[str]) -> None:
    extra = sorted(str(k) for k in raw if k not in allowed)
    if extra:
        out.append(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def load_map(name: str, data: bytes) -> tuple[EndpointMap | None, list[str]]:
    """One file: the map (its valid endpoints and examples) and its problems."""
    where = f"{FOLDER}/{name}"
    out: list[str] = []
    if len(data) > MAX_FILE_BYTES:
        return None, [f"{where}: {len(data):,} bytes, more than {MAX_FILE_BYTES:,}; refused"]
    try:
        raw = load_bytes(data, where)
    except YamlError as e:
        return None, [str(e)]
    if not isinstance(raw, dict):
        return None, [f"{where}: must be a mapping with sdk, sources, endpoints, examples"]
    _keys(raw, _FILE_KEYS, where, out)
    sdk = raw.get("sdk")
    if not isinstance(sdk, str) or sdk not in sdks.catalog():
        return None, out + [f"{where}: sdk {sdk!r} is not an id of piiaudit/data/sdks.yaml"]
    if name != f"{sdk}.yaml":
        out.append(f"{where}: the file of sdk {sdk!r} is named {sdk}.yaml")
    sources: dict[str, Source] = {}
    raw_sources = raw.get("sources")
    if not isinstance(raw_sources, dict) or not raw_sources:
        out.append(f"{where}: sources: a mapping of at least one source")
        raw_sources = {}
    for key, s in raw_sources.items():
        if not isinstance(s, dict):
            out.append(f"{where}: source {key}: must be a mapping of title, url, licence")
            continue
        _keys(s, _SOURCE_KEYS, f"{where}: source {key}", out)
        missing = [k for k in ("title", "url", "licence") if not _text(s.get(k))]
        if missing:
            out.append(f"{where}: source {key}: missing {', '.join(missing)}")
            continue
        if not re.match(r"^https?://", s["url"]):
            out.append(f"{where}: source {key}: url must start with http:// or https://")
        sources[str(key)] = Source(str(key), s["title"].strip(), s["url"].strip(), s["licence"].strip())
    endpoints: list[Endpoint] = []
    raw_endpoints = raw.get("endpoints")
    if not isinstance(raw_endpoints, list) or not raw_endpoints:
        out.append(f"{where}: endpoints: a list of at least one endpoint")
        raw_endpoints = []
    names: set[str] = set()
    for i, e in enumerate(raw_endpoints):
        ep = _endpoint(sdk, e, sources, f"{where}: endpoint {i + 1}", out)
        if ep is None:
            continue
        if ep.name in names:
            out.append(f"{where}: endpoint name {ep.name!r} appears twice")
            continue
        names.add(ep.name)
        endpoints.append(ep)
    examples: list[Example] = []
    raw_examples = raw.get("examples")
    if not isinstance(raw_examples, list):
        out.append(f"{where}: examples: a list (at least one per endpoint)")
        raw_examples = []
    by_name = {ep.name: ep for ep in endpoints}
    for i, x in enumerate(raw_examples):
        ex = _example(sdk, i, x, by_name, f"{where}: example {i + 1}", out)
        if ex is not None:
            examples.append(ex)
    covered = {x.endpoint for x in examples}
    out += [f"{where}: endpoint {ep.name!r} has no example" for ep in endpoints if ep.name not in covered]
    return EndpointMap(sdk, where, sources, tuple(endpoints), tuple(examples)), out


def _endpoint(sdk: str, e: Any, sources: dict, where: str, out: list[str]) -> Endpoint | None:
    if not isinstance(e, dict):
        out.append(f"{where}: must be a mapping")
        return None
    if _text(e.get("name")):
        where = f"{where} ({e['name']})"
    _keys(e, _ENDPOINT_KEYS, where, out)
    bad = len(out)
    name = e.get("name")
    if not _text(name):
        out.append(f"{where}: missing name")
    source = sources.get(str(e.get("source")))
    if source is None:
        out.append(f"{where}: source {e.get('source')!r} is not a key of sources")
    raw_hosts = e.get("hosts")
    if not isinstance(raw_hosts, list) or not raw_hosts or not all(_text(h) for h in raw_hosts):
        out.append(f"{where}: hosts: a list of host names")
        raw_hosts = []
    for h in raw_hosts:
        owner = sdks.sdk_for_host(h)
        if owner != sdk or "*" in h or "/" in h or h != hosts.normal(h):
            out.append(f"{where}: host {h!r} does not fall under the catalog host rules of {sdk!r}"
                       + (f" (the catalog gives it to {owner!r})" if owner and owner != sdk else "")
                       if owner != sdk else f"{where}: host {h!r} must be an exact lower-case host name")
    path = None
    try:
        path = re.compile(str(e.get("path")))
        if not _text(e.get("path")):
            raise re.error("missing")
    except re.error as err:
        out.append(f"{where}: path {e.get('path')!r} is not a regex: {err}")
    method = e.get("method")
    if method is not None and (not isinstance(method, str) or method.upper() not in METHODS or method != method.upper()):
        out.append(f"{where}: method {method!r} must be one of {', '.join(sorted(METHODS))}")
    fields: list[Field] = []
    raw_fields = e.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        out.append(f"{where}: fields: a list of at least one field")
        raw_fields = []
    seen: set[tuple] = set()
    for j, f in enumerate(raw_fields):
        fw = f"{where}: field {j + 1}"
        if not isinstance(f, dict):
            out.append(f"{fw}: must be a mapping of at, kind, value")
            continue
        _keys(f, _FIELD_KEYS, fw, out)
        try:
            at = parse_at(f.get("at"))
        except EndpointError as err:
            out.append(f"{fw}: at {err}")
            continue
        kind = f.get("kind")
        if not isinstance(kind, str) or not vocab.is_known(kind):
            out.append(f"{fw} ({at.text}): kind {kind!r} is not a name of piiaudit/data/pii_types.yaml")
            continue
        rx = None
        if f.get("value") is not None:
            try:
                rx = re.compile(str(f["value"]))
            except re.error as err:
                out.append(f"{fw} ({at.text}): value {f['value']!r} is not a regex: {err}")
                continue
            if "value" not in rx.groupindex:
                out.append(f"{fw} ({at.text}): value regex needs a group named 'value': (?P<value>...)")
                continue
        field_source = None
        if f.get("source") is not None:
            field_source = sources.get(str(f["source"]))
            if field_source is None:
                out.append(f"{fw} ({at.text}): source {f['source']!r} is not a key of sources")
                continue
        key = (at.text, kind, rx.pattern if rx else None)
        if key in seen:
            out.append(f"{fw} ({at.text}): listed twice")
            continue
        seen.add(key)
        fields.append(Field(at, kind, rx, field_source))
    if len(out) > bad or path is None or source is None or not fields:
        return None
    return Endpoint(sdk, name.strip(), source, tuple(hosts.normal(h) for h in raw_hosts), path,
                    method, tuple(fields))


def _example(sdk: str, i: int, x: Any, endpoints: dict, where: str, out: list[str]) -> Example | None:
    if not isinstance(x, dict):
        out.append(f"{where}: must be a mapping")
        return None
    _keys(x, _EXAMPLE_KEYS, where, out)
    bad = len(out)
    ep = endpoints.get(x.get("endpoint"))
    if ep is None:
        out.append(f"{where}: endpoint {x.get('endpoint')!r} is not a (valid) endpoint of this file")
    if not _text(x.get("source")):
        out.append(f"{where}: source: where the request comes from, or 'written from the field list'")
    req = x.get("request")
    if not isinstance(req, dict):
        out.append(f"{where}: request: a mapping of method, url, headers, body")
        return None
    _keys(req, _REQUEST_KEYS, f"{where}: request", out)
    if not _text(req.get("method")) or not _text(req.get("url")):
        out.append(f"{where}: request needs method and url")
    elif ep is not None:
        u = urlsplit(req["url"])
        if not endpoints_match(ep, hosts.normal(u.hostname), u.path or "/", req["method"]):
            out.append(f"{where}: request {req['method']} {req['url']} does not match endpoint {ep.name!r}")
    if req.get("headers") is not None and not (isinstance(req["headers"], dict)
                                               and all(isinstance(v, str) for v in req["headers"].values())):
        out.append(f"{where}: request headers: a mapping of name to text")
    if req.get("body") is not None and req.get("body_base64") is not None:
        out.append(f"{where}: request: body or body_base64, not both")
    if req.get("body_base64") is not None:
        try:
            base64.b64decode(str(req["body_base64"]), validate=True)
        except (binascii.Error, ValueError):
            out.append(f"{where}: request body_base64 is not base64")
    expect = x.get("expect")
    pairs: list[tuple[str, str]] = []
    if not isinstance(expect, list) or not expect:
        out.append(f"{where}: expect: the (kind, value) pairs the engine must report, at least one")
        expect = []
    for e in expect:
        if not isinstance(e, dict) or set(e) != {"kind", "value"} or not isinstance(e.get("value"), str):
            out.append(f"{where}: expect entry {e!r} must be {{kind: <name>, value: <text>}}")
            continue
        if not vocab.is_known(e["kind"]):
            out.append(f"{where}: expect kind {e['kind']!r} is not a name of piiaudit/data/pii_types.yaml")
            continue
        if ep is not None and e["kind"] not in {f.kind for f in ep.fields}:
            out.append(f"{where}: expect kind {e['kind']!r} is not a kind of endpoint {ep.name!r}")
        pairs.append((e["kind"], e["value"]))
    if len(out) > bad or ep is None:
        return None
    return Example(sdk, ep.name, x["source"].strip(), req, tuple(pairs), i + 1)


@functools.cache
def _loaded() -> tuple[dict[str, EndpointMap], tuple[str, ...]]:
    maps: dict[str, EndpointMap] = {}
    out: list[str] = []
    for name, data in _files():
        m, problems_ = load_map(name, data)
        out += problems_
        if m is None:
            continue
        if m.sdk in maps:
            out.append(f"{m.file}: sdk {m.sdk!r} has a map already ({maps[m.sdk].file})")
            continue
        maps[m.sdk] = m
    return maps, tuple(out)


def maps() -> dict[str, EndpointMap]:
    """Every map by SDK id (only the endpoints and examples that passed the checks)."""
    return _loaded()[0]


def problems() -> list[str]:
    """Everything wrong with the map files, one sentence each ([] when sound)."""
    return list(_loaded()[1])


def endpoints() -> list[Endpoint]:
    return [ep for m in maps().values() for ep in m.endpoints]


def examples() -> list[Example]:
    return [x for m in maps().values() for x in m.examples]


def source_of(sdk: str, key: str) -> Source | None:
    m = maps().get(sdk)
    return m.sources.get(key) if m else None


@functools.cache
def _by_host() -> dict[str, tuple[Endpoint, ...]]:
    table: dict[str, list[Endpoint]] = {}
    for ep in endpoints():
        for h in ep.hosts:
            table.setdefault(h, []).append(ep)
    return {h: tuple(eps) for h, eps in table.items()}


def reload() -> None:
    """Forget the loaded maps (after the files changed)."""
    for cached in (_loaded, _by_host):
        cached.cache_clear()


def endpoints_match(ep: Endpoint, host: str, path: str, method: str | None) -> bool:
    return (host in ep.hosts and (ep.method is None or (method or "").upper() == ep.method)
            and ep.path.search(path) is not None)


def endpoints_for(host: str | None, path: str, method: str | None) -> list[Endpoint]:
    """The endpoints a request to `host` (the destination) at `path` (no query) matches."""
    return [ep for ep in _by_host().get(hosts.normal(host), ()) if endpoints_match(ep, hosts.normal(host), path, method)]


# -- extraction -------------------------------------------------------------------------------------
class _Num(str):
    """A JSON number or constant, kept as the text that travelled."""


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_Num, parse_float=_Num, parse_constant=_Num)


class _Request:
    """What the maps read of one request, each part parsed at most once, within the limits."""

    def __init__(self, flow, budget: Budget):
        req = flow.request
        self.budget = budget
        self.limits: ScanLimits = budget.limits
        raw_path = req.path or ""
        self.path, _, query = raw_path.partition("?")
        self.query_text = query.partition("#")[0]
        self.headers = req.headers
        self._req = req
        self._body: bytes | None = None
        self._parsed: dict[str, Any] = {}
        self.body_detail: dict | None = None
        self._query: list[tuple[str, str]] | None = None
        self._cookies: list[tuple[str, str]] | None = None

    def query(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_text, keep_blank_values=True)
        return self._query

    def cookies(self) -> list[tuple[str, str]]:
        if self._cookies is None:
            self._cookies = []
            for line in self.headers.get_all("cookie"):
                for part in line.split(";"):
                    name, eq, value = part.partition("=")
                    if eq and name.strip():
                        self._cookies.append((name.strip(), value.strip()))
        return self._cookies

    def body(self) -> bytes | None:
        """The body with its Content-Encoding undone; None when there is none or it is too large."""
        if self._body is not None:
            return self._body
        raw = self._req.raw_content
        if not raw:
            self._body = b""
            return self._body
        if len(raw) > self.limits.max_body_bytes:
            self.budget.cap("body_bytes")
            self._body = b""
            return self._body
        data = raw
        enc = self.headers.get("content-encoding", "").strip().lower()
        codings = [c.strip() for c in enc.split(",") if c.strip() and c.strip() != "identity"]
        for coding in reversed(codings):
            local = Budget(ScanLimits(max_decompressed_bytes=self.limits.max_body_bytes))
            out, problem = decompress(data, coding, local)
            if "decompressed_size" in local.capped or len(out) >= self.limits.max_body_bytes:
                self.budget.cap("body_bytes")
                self._body = b""
                return self._body
            if not out:
                self.budget.error(f"endpoint map: request body ({coding}): {problem or 'empty after decoding'}")
                self._body = b""
                return self._body
            data = out
            self.body_detail = {"content_encoding": enc}
        self._body = bytes(data)
        return self._body

    def parsed(self, how: str, label: str) -> Any:
        """The body as JSON or form (parsed once); None (and an error) when it is not."""
        if how in self._parsed:
            return self._parsed[how]
        data = self.body()
        value = None
        if data:
            text = data.decode("utf-8", "replace")
            if how == "json":
                value = _json_or_error(text, f"endpoint {label}: request body", self.budget)
            elif how == "form":
                value = parse_qsl(text, keep_blank_values=True)
            else:
                value = text
        self._parsed[how] = value
        return value


def _json_or_error(text: str, what: str, budget: Budget) -> Any:
    try:
        return _loads(text)
    except RecursionError:
        budget.error(f"{what} is not readable JSON: nested too deeply")
    except ValueError as e:
        msg = getattr(e, "msg", None) or str(e)
        pos = getattr(e, "pos", None)
        budget.error(f"{what} is not valid JSON: {msg}" + (f" at character {pos}" if pos is not None else ""))
    return None


def _walk(node: Any, path: tuple, loc: str, budget: Budget) -> Iterator[tuple[str, Any]]:
    """(JSON path text, value) for every element the path reaches in `node`."""
    todo = [(node, 0, loc)]
    produced = 0
    while todo:
        cur, i, where = todo.pop()
        if i == len(path):
            if produced >= MAX_ITEMS:
                budget.cap("endpoint_items")
                return
            produced += 1
            yield where, cur
            continue
        step = path[i]
        if step is any:
            if isinstance(cur, list):
                items = list(enumerate(cur))
                if len(items) > MAX_ITEMS:
                    budget.cap("endpoint_items")
                    items = items[:MAX_ITEMS]
                todo.extend((v, i + 1, where + location.json_index(k)) for k, v in reversed(items))
        elif isinstance(step, int):
            if isinstance(cur, list) and step < len(cur):
                todo.append((cur[step], i + 1, where + location.json_index(step)))
        elif isinstance(cur, dict) and step in cur:
            todo.append((cur[step], i + 1, where + location.json_key(step)))


def _render(value: Any, room: int = MAX_VALUE_CHARS) -> str | None:
    """A value as it travelled: text as is, numbers and true/false as written, an array or
    object as compact JSON; None for null or when longer than `room`."""
    if value is None:
        return None
    if isinstance(value, _Num):
        return str(value)
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    parts: list[str] = []
    size = 0
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, tuple):           # a literal piece of punctuation
            s = v[0]
        elif isinstance(v, _Num):
            s = str(v)
        elif isinstance(v, str):
            s = json.dumps(v, ensure_ascii=False)
        elif v is None:
            s = "null"
        elif v is True or v is False:
            s = "true" if v else "false"
        elif isinstance(v, list):
            items: list[Any] = [("[",)]
            for k, x in enumerate(v):
                if k:
                    items.append((",",))
                items.append(x)
            items.append(("]",))
            stack.extend(reversed(items))
            continue
        elif isinstance(v, dict):
            items = [("{",)]
            for k, (key, x) in enumerate(v.items()):
                items.append(((("," if k else "") + json.dumps(key, ensure_ascii=False) + ":"),))
                items.append(x)
            items.append(("}",))
            stack.extend(reversed(items))
            continue
        else:
            s = str(v)
        size += len(s)
        if size > room:
            return None
        parts.append(s)
    return "".join(parts)


def _b64(text: str) -> str | None:
    t = "".join(text.split())
    if not t or len(t) > MAX_LAYER_BYTES:
        return None
    pad = "=" * (-len(t) % 4)
    try:
        raw = (base64.urlsafe_b64decode(t + pad) if ("-" in t or "_" in t) else base64.b64decode(t + pad, validate=True))
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _layers(value: Any, steps: tuple[Step, ...], loc: str, chain: tuple[str, ...], label: str,
            budget: Budget) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """Follow the layers inside a field: (location, encoding steps, value) for each result."""
    if not steps:
        yield loc, chain, value
        return
    step, rest = steps[0], steps[1:]
    if step.layer == "base64":
        text = value if isinstance(value, str) else None
        decoded = _b64(text) if text is not None else None
        if decoded is None:
            return
        yield from _layers(decoded, rest, loc, chain + ("base64",), label, budget)
    elif step.layer == "json":
        if isinstance(value, (dict, list)) and not isinstance(value, _Num):
            node = value
        elif isinstance(value, str) and not isinstance(value, _Num) and len(value) <= MAX_LAYER_BYTES:
            if not value.strip():
                return
            node = _json_or_error(value, f"endpoint {label}: {loc}", budget)
            if node is None:
                return
        else:
            return
        inner = location.json(loc, location.JSON_ROOT)
        for where, v in _walk(node, step.arg, inner, budget):
            yield from _layers(v, rest, where, chain, label, budget)
    elif step.layer == "form":
        if not isinstance(value, str) or len(value) > MAX_LAYER_BYTES:
            return
        for k, v in parse_qsl(value, keep_blank_values=True):
            if k == step.arg:
                yield from _layers(v, rest, location.form(loc, k), chain, label, budget)


def _top(req: _Request, at: At, label: str) -> Iterator[tuple[str, Any]]:
    """(location, raw value) for every occurrence of the field's top part."""
    if at.top == "query":
        for k, v in req.query():
            if k == at.key:
                yield location.query(k), v
    elif at.top == "header":
        for v in req.headers.get_all(at.key):
            yield location.header(at.key), v
    elif at.top == "cookie":
        for k, v in req.cookies():
            if k == at.key:
                yield location.cookie(k), v
    elif at.top == "url":
        yield location.URL_PATH, req.path
    elif at.top == "body:json":
        node = req.parsed("json", label)
        if node is not None:
            yield from _walk(node, at.path, location.json(location.BODY, location.JSON_ROOT), req.budget)
    elif at.top == "body:form":
        for k, v in req.parsed("form", label) or ():
            if k == at.key:
                yield location.form(location.BODY, k), v
    elif at.top == "body:text":
        text = req.parsed("text", label)
        if text:
            yield location.text(location.BODY), text


def is_placeholder(kind: str, value: str) -> bool:
    """A value that says nothing: empty, null-like, one character repeated (000000, ffff-ffff);
    for identifiers also the placeholders SDKs send when they may not read the real one ('0',
    '-1', '02:00:00:00:00:00'). A two-letter name ("EE", a British carrier) is a value."""
    v = value.strip().lower()
    if v in _EMPTY:
        return True
    digits = v.replace(":", "").replace("-", "")
    if len(digits) >= 3 and len(set(digits)) <= 1:
        return True
    return not vocab.get(kind).attribute and v in _PLACEHOLDERS


def _hits_of(ep: Endpoint, req: _Request) -> list[dict]:
    out: list[dict] = []
    for f in ep.fields:
        for loc, raw in _top(req, f.at, ep.id):
            for where, chain, v in _layers(raw, f.at.steps, loc, (), ep.id, req.budget):
                value = _render(v)
                if value is None:
                    if v is not None:
                        req.budget.cap("endpoint_value")
                    continue
                if f.value is not None:
                    m = f.value.search(value)
                    if m is None or m.group("value") is None:
                        continue
                    value = m.group("value")
                if len(value) > MAX_VALUE_CHARS:
                    req.budget.cap("endpoint_value")
                    continue
                if is_placeholder(f.kind, value):
                    continue
                detail = {"sdk": ep.sdk, "endpoint": ep.name, "field": f.at.text,
                          "source": (f.source or ep.source).key}
                if f.at.in_body and req.body_detail:
                    detail.update(req.body_detail)
                out.append({
                    "pii_type": f.kind, "location": where, "encoding": ">".join(chain) or "plain",
                    "source": SOURCE, "value": value, "confidence": CONFIDENCE, "direction": "request",
                    "detail": detail, "_root": None, "_span": None,
                })
    return out


def extract(flow, budget: Budget | None = None, destination: str | None = None) -> list[dict]:
    """The endpoint hits of a flow's request (before the detector's merge). `destination`
    defaults to piiaudit.flowrow.destination(flow). Problems go to `budget.errors`."""
    budget = budget or Budget(ScanLimits())
    req = getattr(flow, "request", None)
    if req is None:
        return []
    if destination is None:
        from piiaudit.flowrow import destination as flow_destination   # mitmproxy only when scanning
        destination = flow_destination(flow)
    path = (req.path or "").partition("?")[0]
    eps = endpoints_for(destination, path, req.method)
    if not eps:
        return []
    parsed = _Request(flow, budget)
    out: list[dict] = []
    for ep in eps:
        try:
            out += _hits_of(ep, parsed)
        except RecursionError:
            budget.error(f"endpoint {ep.id}: a field nested too deeply")
        except Exception as e:  # noqa: BLE001 - hostile input costs this endpoint's hits, nothing more
            budget.error(f"endpoint {ep.id}: {type(e).__name__}: {e}")
    return out


# -- documentation -----------------------------------------------------------------------------------
def summary_markdown() -> str:
    """The table of covered SDKs and endpoints that docs/endpoints.md shows (regenerate with
    `python scripts/endpoints.py docs`)."""
    lines = ["| SDK | endpoint | hosts | request | kinds (fields) | examples | sources (licence) |",
             "| --- | --- | --- | --- | --- | ---: | --- |"]
    n_fields = n_examples = 0
    for sdk, m in sorted(maps().items()):
        label = sdks.catalog()[sdk].en
        for ep in m.endpoints:
            kinds: dict[str, int] = {}
            for f in ep.fields:
                kinds[f.kind] = kinds.get(f.kind, 0) + 1
            kinds_text = ", ".join(f"{k} ({n})" for k, n in kinds.items())
            used = [ep.source] + [f.source for f in ep.fields if f.source and f.source != ep.source]
            seen: dict[str, Source] = {s.key: s for s in used}
            sources_text = "; ".join(f"[{s.key}]({s.url}) ({s.licence})" for s in seen.values())
            examples_ = [x for x in m.examples if x.endpoint == ep.name]
            n_fields += len(ep.fields)
            n_examples += len(examples_)
            path = ep.path.pattern.replace("|", "\\|")      # a pipe inside a table cell
            lines.append(f"| {label} (`{sdk}`) | {ep.name} | {', '.join(ep.hosts)} | "
                         f"{ep.method or 'any'} `{path}` | {kinds_text} | {len(examples_)} | {sources_text} |")
    n_endpoints = sum(len(m.endpoints) for m in maps().values())
    lines.append(f"| **{len(maps())} SDKs** | **{n_endpoints} endpoints** | | | **{n_fields} fields** | "
                 f"**{n_examples}** | |")
    return "\n".join(lines) + "\n"
