"""Tracker and SDK catalog (piiaudit/data/sdks.yaml): attribute stacks and hosts to SDKs.

Each SDK belongs to an entity (the company behind it, with its country or region), has one
category, Java package prefixes (for stacks) and host suffixes (for traffic), optionally the
PII types its vendor documents it collects, and always the sources its facts come from.

Stack attribution follows the research notes: skip framework frames, take the innermost
remaining frame (the caller closest to the hooked API), match it against package prefixes
with the longest prefix winning, and keep every SDK seen anywhere in the stack. A frame in an
obfuscated helper (R8 repackaging: every label of the class name one or two characters, like
``a.b.c``; ``is_obfuscated``) does not decide when a non-obfuscated frame lies further out:
that frame does (the innermost known SDK, else the app or an unidentified library). Hosts go to
the SDK with the longest covering domain (``piiaudit.hosts.longest_under``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from piiaudit import hosts, vocab
from piiaudit.yamlfile import load_resource

FRAMEWORK_PREFIXES = (
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "android.", "androidx.", "com.android.",
    "dalvik.", "libcore.", "kotlin.", "kotlinx.", "org.apache.harmony.", "org.json.",
    "com.google.android.material.",
)

# Uncatalogued client libraries that only carry a call through (docs/catalog.md): for the
# caller, their frames are skipped like the framework's; the code that called them decides.
PASS_THROUGH_PREFIXES = (
    "com.google.android.gms.ads.identifier.", "okhttp3.", "okio.", "retrofit2.", "com.squareup.okhttp.",
    "com.google.gson.", "com.bumptech.glide.", "com.tencent.mmkv.",
)

CATEGORIES = {
    "analytics": ("统计分析", "Analytics"),
    "ads": ("广告", "Advertising"),
    "attribution": ("归因与深度链接", "Attribution and deep links"),
    "push": ("推送", "Push"),
    "crash_reporting": ("崩溃与性能监控", "Crash reporting and performance"),
    "maps_location": ("地图与定位", "Maps and location"),
    "login": ("登录（含运营商一键登录）", "Login (incl. carrier one-click login)"),
    "payment": ("支付", "Payment"),
    "social_share": ("社交与分享", "Social and share"),
    "risk_control": ("风控与反欺诈", "Risk control and anti-fraud"),
    "device_id": ("设备标识", "Device identifiers"),
    "web_engine": ("浏览器内核", "Web engine"),
    "infrastructure": ("基础设施（云、CDN、通信）", "Infrastructure (cloud, CDN, messaging)"),
}

REGIONS = {
    "CN": ("中国大陆", "Mainland China"), "HK": ("中国香港", "Hong Kong, China"), "US": ("美国", "United States"),
    "IL": ("以色列", "Israel"), "DE": ("德国", "Germany"), "FR": ("法国", "France"), "GB": ("英国", "United Kingdom"),
    "NL": ("荷兰", "Netherlands"), "SE": ("瑞典", "Sweden"), "CZ": ("捷克", "Czechia"), "RU": ("俄罗斯", "Russia"),
    "JP": ("日本", "Japan"), "KR": ("韩国", "South Korea"), "SG": ("新加坡", "Singapore"), "IN": ("印度", "India"),
    "NZ": ("新西兰", "New Zealand"), "IE": ("爱尔兰", "Ireland"), "FI": ("芬兰", "Finland"),
}

VENDOR_DOCS_LICENCE = "facts from vendor documentation"
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_$]*)*\.$")
_TOO_WIDE = {"com.", "org.", "net.", "io.", "cn.", "co.", "me.", "us.", "jp.", "sg.", "tv."}


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the entry and key."""


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    url: str
    licence: str


@dataclass(frozen=True)
class Entity:
    id: str
    zh: str
    en: str
    region: str

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.en})"


@dataclass(frozen=True)
class Sdk:
    id: str
    zh: str
    en: str
    entity: str
    category: str
    prefixes: tuple[str, ...]
    hosts: tuple[str, ...]
    sources: tuple[Source, ...]
    collects: tuple[str, ...] = ()
    collects_docs: str | None = None

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.en})"

    @property
    def domains(self) -> tuple[str, ...]:
        """Host suffixes (the name older callers use)."""
        return self.hosts

    @property
    def vendor(self) -> str:
        """The entity's name, as reports print the provider."""
        return entities()[self.entity].zh


@functools.cache
def _raw() -> dict:
    return load_resource("piiaudit", "data/sdks.yaml")


@functools.cache
def sources() -> dict[str, Source]:
    return {key: Source(key=key, name=s["name"], url=s["url"], licence=s["licence"])
            for key, s in (_raw().get("sources") or {}).items()}


@functools.cache
def entities() -> dict[str, Entity]:
    return {key: Entity(id=key, zh=e["zh"], en=e["en"], region=e["region"])
            for key, e in (_raw().get("entities") or {}).items()}


def _entry_sources(raw: dict) -> tuple[Source, ...]:
    out = []
    if raw.get("docs"):
        out.append(Source(key="docs", name=f"{raw['en']}: vendor documentation", url=raw["docs"],
                          licence=VENDOR_DOCS_LICENCE))
    for key in raw.get("sources") or ():
        if key not in sources():
            raise CatalogError(f"sdk {raw['id']}: sources: unknown source {key!r} (known: {', '.join(sources())})")
        out.append(sources()[key])
    return tuple(out)


@functools.cache
def catalog() -> dict[str, Sdk]:
    out: dict[str, Sdk] = {}
    for raw in _raw()["sdks"]:
        missing = [k for k in ("id", "zh", "en", "entity", "category") if not raw.get(k)]
        if missing:
            raise CatalogError(f"sdk {raw.get('id', '?')}: missing {', '.join(missing)}")
        if raw["entity"] not in entities():
            raise CatalogError(f"sdk {raw['id']}: unknown entity {raw['entity']!r}")
        if raw["id"] in out:
            raise CatalogError(f"sdk {raw['id']}: appears twice")
        out[raw["id"]] = Sdk(
            id=raw["id"], zh=raw["zh"], en=raw["en"], entity=raw["entity"], category=raw["category"],
            prefixes=tuple(raw.get("prefixes") or ()), hosts=tuple(hosts.normal(h) for h in raw.get("hosts") or ()),
            sources=_entry_sources(raw), collects=tuple(raw.get("collects") or ()),
            collects_docs=raw.get("collects_docs"),
        )
    return out


@functools.cache
def problems() -> list[str]:
    """Everything wrong with the catalog's content, one sentence each ([] when sound)."""
    out: list[str] = []
    for key, ent in entities().items():
        if ent.region not in REGIONS:
            out.append(f"entity {key}: unknown region {ent.region!r}")
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sdk in catalog().values():
        if sdk.category not in CATEGORIES:
            out.append(f"sdk {sdk.id}: unknown category {sdk.category!r}")
        if not any(s.licence and s.url for s in sdk.sources):
            out.append(f"sdk {sdk.id}: no source with a url and a licence")
        if not sdk.prefixes and not sdk.hosts:
            out.append(f"sdk {sdk.id}: neither package prefixes nor hosts")
        out += [f"sdk {sdk.id}: collects unknown PII type {t!r}" for t in sdk.collects if not vocab.is_known(t)]
        if sdk.collects and not sdk.collects_docs:
            out.append(f"sdk {sdk.id}: collects without collects_docs (the vendor page saying so)")
        for prefix in sdk.prefixes:
            if not _PACKAGE.match(prefix) or prefix in _TOO_WIDE:
                out.append(f"sdk {sdk.id}: prefix {prefix!r} must be a Java package ending in '.' (not a bare TLD)")
            owners[("prefix", prefix)].add(sdk.id)
        for host in sdk.hosts:
            if "." not in host or "*" in host or "/" in host:
                out.append(f"sdk {sdk.id}: host {host!r} must be a domain name")
            owners[("host", host)].add(sdk.id)
    table = _host_table()
    for sdk in catalog().values():
        for host in sdk.hosts:
            covering = next((table[p] for p in list(hosts.parents(host))[1:] if p in table), None)
            if covering == sdk.id:
                out.append(f"sdk {sdk.id}: host {host!r} is already covered by a shorter host of the same entry")
    for (kind, value), ids in sorted(owners.items()):
        if len(ids) > 1:
            claimants = sorted({catalog()[i].entity for i in ids})
            who = "entities " + ", ".join(claimants) if len(claimants) > 1 else "entries " + ", ".join(sorted(ids))
            out.append(f"{kind} {value!r} claimed by {who}")
    return out


def reload() -> None:
    """Forget the loaded catalog (after the file changed on disk)."""
    for cached in (_raw, sources, entities, catalog, problems, _prefix_table, _host_table):
        cached.cache_clear()


def entity_for(sdk_id: str | None) -> Entity | None:
    """The company behind an SDK id (None for the app itself or an unknown id)."""
    sdk = catalog().get(sdk_id or "")
    return entities()[sdk.entity] if sdk else None


@functools.cache
def _prefix_table() -> dict[str, str]:
    return {p: s.id for s in catalog().values() for p in s.prefixes}


@functools.cache
def _host_table() -> dict[str, str]:
    return {h: s.id for s in catalog().values() for h in s.hosts}


def frame_class(frame: str) -> str:
    """'com.umeng.a.b.run(B.java:12)' -> 'com.umeng.a.b' (class part of a frame string)."""
    head = frame.strip().removeprefix("at ").split("(", 1)[0]
    return head.rsplit(".", 1)[0] if "." in head else head


def sdk_for_class(class_name: str) -> str | None:
    """The SDK whose longest package prefix covers ``class_name``."""
    return longest_prefix(class_name, _prefix_table())


def is_framework(class_name: str) -> bool:
    return class_name.startswith(FRAMEWORK_PREFIXES)


def _sdk_of(cls: str, extra: dict[str, str] | None) -> str | None:
    return (longest_prefix(cls, extra) if extra else None) or sdk_for_class(cls)


# One obfuscated label: what R8/ProGuard's default dictionary hands out (a, b, ..., aa, ab).
_OBFUSCATED_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9]?$")


def is_obfuscated(class_name: str) -> bool:
    """True for a class whose every package label and simple name (up to the first ``$``) is
    one or two characters: ``a.b.c``, ``a.a.a$b``, ``o.hz``. That is what R8's repackaging
    (``-repackageclasses``) leaves of a library it renamed. A class in no package at all counts
    too when its name is that short. Decided on the name alone: a real package with labels
    this short (none is catalogued) is taken as obfuscated, and code renamed with a custom
    dictionary (longer or non-ASCII names) is not recognised."""
    labels = class_name.split("$", 1)[0].split(".")
    return all(_OBFUSCATED_LABEL.match(label) for label in labels)


def _deciding(cls: str, extra: dict[str, str] | None) -> bool:
    return bool(cls) and not is_framework(cls) and (not cls.startswith(PASS_THROUGH_PREFIXES) or bool(_sdk_of(cls, extra)))


def caller_class(frames: list[str], extra: dict[str, str] | None = None) -> str | None:
    """The class of the frame that decides the caller: the innermost one outside the framework
    and outside the pass-through client libraries (PASS_THROUGH_PREFIXES) unless catalogued.
    Uncatalogued obfuscated helpers (``is_obfuscated``) are passed over when a frame that is
    not obfuscated lies further out; with none, the innermost helper decides."""
    helper = None
    for frame in frames:
        cls = frame_class(frame)
        if not _deciding(cls, extra):
            continue
        if is_obfuscated(cls) and not _sdk_of(cls, extra):
            helper = helper or cls
            continue
        return cls
    return helper


def obfuscated_helper(frames: list[str], extra: dict[str, str] | None = None) -> str | None:
    """The innermost obfuscated helper passed over by ``caller_class``, if any."""
    decided = caller_class(frames, extra)
    for frame in frames:
        cls = frame_class(frame)
        if cls == decided:
            return None
        if _deciding(cls, extra):
            return cls
    return None


def attribute(frames: list[str], app_package: str | None = None,
              extra: dict[str, str] | None = None) -> tuple[str | None, list[str]]:
    """(caller, every sdk id seen in the stack); `frames` run innermost first, as Java prints them.

    The caller is decided by ``caller_class``: a catalogued SDK (or one of `extra`, package
    prefix -> id, e.g. from the scope file); None for the app itself. With `app_package`
    known, a class that is neither the app's nor catalogued is an unidentified third-party
    library, ``library:<first two package labels>``; without it, such a class counts as the
    app's (the recording side, which does not know the package).
    """
    seen: list[str] = []
    for frame in frames:
        cls = frame_class(frame)
        sdk = _sdk_of(cls, extra) if cls and not is_framework(cls) else None
        if sdk and sdk not in seen:
            seen.append(sdk)
    cls = caller_class(frames, extra)
    caller = _sdk_of(cls, extra) if cls else None
    if cls and caller is None and app_package and not (cls + ".").startswith(app_package.rstrip(".") + "."):
        caller = library(library_prefix(cls))
    return caller, seen


def longest_prefix(class_name: str, table: dict[str, str]) -> str | None:
    """The value of the longest package prefix in `table` ('io.branch.' -> id) covering `class_name`."""
    end = len(class_name)
    while (end := class_name.rfind(".", 0, end)) > 0:
        hit = table.get(class_name[:end + 1])
        if hit:
            return hit
    return None


def sdk_for_host(host: str | None) -> str | None:
    """The SDK whose longest host suffix covers ``host``."""
    return hosts.longest_under(host, _host_table())


# Actors that are not a catalog id: an uncatalogued destination named by its registrable
# domain, and uncatalogued code named by its package prefix. Neither is ever the app itself.
UNATTRIBUTED, LIBRARY = "unattributed:", "library:"
APP_LABEL = "App本身 (the app itself)"
SERVICE_PROVIDER = ("云服务提供方", "service provider")


def unattributed(domain: str) -> str:
    return UNATTRIBUTED + domain


def library(prefix: str) -> str:
    return LIBRARY + prefix


def library_prefix(class_name: str, labels: int = 2) -> str:
    """The package prefix that names uncatalogued code: 'io.branch.referral.Branch' -> 'io.branch'."""
    package = class_name.split(".")[:-1] or [class_name]
    return ".".join(package[:labels])


def is_infrastructure(sdk_id: str | None) -> bool:
    sdk = catalog().get(sdk_id or "")
    return bool(sdk) and sdk.category == "infrastructure"


def label(sdk_id: str | None) -> str:
    """The bilingual name of an actor: the app itself (None), a catalogued SDK, an unattributed
    third party, an unidentified library, or (another id) a name the scope file gave."""
    if sdk_id is None:
        return APP_LABEL
    if sdk_id.startswith(UNATTRIBUTED):
        name = sdk_id.removeprefix(UNATTRIBUTED)
        return f"未归属第三方 {name} (unattributed third party {name})"
    if sdk_id.startswith(LIBRARY):
        name = sdk_id.removeprefix(LIBRARY)
        return f"未识别的第三方库 {name} (unidentified third-party library {name})"
    sdk = catalog().get(sdk_id)
    if sdk is None:
        return sdk_id
    if sdk.category == "infrastructure":
        return f"{sdk.zh}（{SERVICE_PROVIDER[0]}） ({sdk.en}, {SERVICE_PROVIDER[1]})"
    return sdk.label


def summary_markdown() -> str:
    """The catalog's size by category and by region, as docs/catalog.md shows it."""
    sdk_list = list(catalog().values())
    by_cat = Counter(s.category for s in sdk_list)
    hosts_by_cat = Counter({c: 0 for c in CATEGORIES})
    for s in sdk_list:
        hosts_by_cat[s.category] += len(s.hosts)
    lines = ["| category | 类别 | SDKs | host rules | package prefixes |", "| --- | --- | ---: | ---: | ---: |"]
    for cat, (zh, en) in CATEGORIES.items():
        prefixes = sum(len(s.prefixes) for s in sdk_list if s.category == cat)
        lines.append(f"| {en} (`{cat}`) | {zh} | {by_cat[cat]} | {hosts_by_cat[cat]} | {prefixes} |")
    lines.append(f"| **total** | **合计** | **{len(sdk_list)}** | **{sum(hosts_by_cat.values())}** | "
                 f"**{sum(len(s.prefixes) for s in sdk_list)}** |")
    region_of = {s.id: entities()[s.entity].region for s in sdk_list}
    by_region = Counter(region_of.values())
    entity_count = Counter(e.region for e in entities().values())
    lines += ["", "| region | 国家/地区 | entities | SDKs |", "| --- | --- | ---: | ---: |"]
    for code, n in sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0])):
        zh, en = REGIONS[code]
        lines.append(f"| {en} (`{code}`) | {zh} | {entity_count[code]} | {n} |")
    return "\n".join(lines) + "\n"
