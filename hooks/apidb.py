"""Check hook targets against the Android SDK's own API database.

The data file is a small subset of the SDK's api-versions.xml (API 36, public surface):
see hooks/data/android_api/SOURCE.md for what it holds and docs/api-database.md for how
to add a class. Everything here is stdlib so the check runs on any machine, no device.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from piiaudit.yamlfile import load_file

DATA_DIR = Path(__file__).resolve().parent / "data"
SUBSET_PATH = DATA_DIR / "android_api" / "api-versions-subset.xml"
# The highest level the database describes; "removed" at or below it means gone today.
DATABASE_LEVEL = 36

_PRIMITIVES = {
    "boolean": "Z", "byte": "B", "char": "C", "short": "S", "int": "I",
    "long": "J", "float": "F", "double": "D", "void": "V",
}
_PARTIAL = re.compile(r"^\s*partial\s+(\S+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class ApiEntry:
    """One method as the database knows it, with levels already resolved."""

    class_name: str       # where the method is declared, slash form (may be a superclass)
    descriptor: str       # name plus full JVM descriptor, e.g. getImei(I)Ljava/lang/String;
    since: int
    deprecated: int | None = None
    removed: int | None = None


@dataclass
class ApiClass:
    name: str
    since: int
    deprecated: int | None
    removed: int | None
    supertypes: list[str]                     # extends first, then implements; removed ones dropped
    methods: dict[str, list[tuple[str, ApiEntry]]]  # method name -> [(arg part, entry)]
    partial: frozenset[str] | None = None     # method names kept when only some were extracted


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _one_type(name: str) -> str:
    name = name.strip()
    if name.endswith("[]"):
        return "[" + _one_type(name[:-2])
    if name.startswith("["):                  # Frida reports arrays in JVM form: [I, [Ljava.lang.String;
        return name.replace(".", "/")
    if name in _PRIMITIVES:
        return _PRIMITIVES[name]
    return "L" + name.replace(".", "/") + ";"


def java_descriptor(arg_types: list[str], return_type: str | None = None) -> str:
    """Java type names as Frida reports them -> JVM descriptor.

    ["int", "java.lang.String"] -> "(ILjava/lang/String;)"; with a return type the
    return part is appended, e.g. "(I)Ljava/lang/String;".
    """
    args = "(" + "".join(_one_type(t) for t in arg_types) + ")"
    return args if return_type is None else args + _one_type(return_type)


def _slash(class_name: str) -> str:
    return class_name.strip().replace(".", "/")


def _method_name(method: str) -> str:
    return "<init>" if method in ("$init", "<init>", "&lt;init>") else method


class ApiDatabase:
    """The subset, indexed by class. Use load() for the shared instance."""

    def __init__(self, path: Path = SUBSET_PATH):
        self.path = Path(path)
        self.classes: dict[str, ApiClass] = {}
        partial: dict[str, frozenset[str]] = {}
        # Comments carry the "partial" marks; ElementTree drops them unless asked to keep them.
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
        root = ET.parse(self.path, parser=parser).getroot()
        for node in root:
            if node.tag is ET.Comment:
                m = _PARTIAL.match(node.text or "")
                if m:
                    partial[m.group(1)] = frozenset(m.group(2).split())
            elif node.tag == "class":
                self._add_class(node)
        for name, methods in partial.items():
            if name in self.classes:
                self.classes[name].partial = methods

    def _add_class(self, node: ET.Element) -> None:
        name = node.get("name")
        since = _int(node.get("since")) or 1
        cls = ApiClass(name=name, since=since, deprecated=_int(node.get("deprecated")),
                       removed=_int(node.get("removed")), supertypes=[], methods={})
        for tag in ("extends", "implements"):
            for sup in node.findall(tag):
                if sup.get("removed") is None:
                    cls.supertypes.append(sup.get("name"))
        for m in node.findall("method"):
            full = m.get("name")
            mname, _, rest = full.partition("(")
            args = "(" + rest.split(")", 1)[0] + ")"
            entry = ApiEntry(class_name=name, descriptor=full,
                             since=_int(m.get("since")) or since,  # no since = the class's level
                             deprecated=_int(m.get("deprecated")), removed=_int(m.get("removed")))
            cls.methods.setdefault(mname, []).append((args, entry))
        self.classes[name] = cls

    def get_class(self, class_name: str) -> ApiClass | None:
        return self.classes.get(_slash(class_name))

    def lookup(self, class_name: str, method: str, arg_types: list[str]) -> ApiEntry | None:
        """The entry for class.method(arg_types), searching supertypes present in the subset.

        Overrides are not repeated in the database (Dialog.dismiss lives on DialogInterface,
        ContextWrapper.startActivity on Context), so inherited methods are followed.
        Constructors are not inherited and are only looked up on the class itself.
        """
        want = java_descriptor(arg_types)
        name = _method_name(method)
        for cls in self.lineage(_slash(class_name), follow=name != "<init>"):
            for args, entry in cls.methods.get(name, []):
                if args == want:
                    return entry
        return None

    def lineage(self, start: str, follow: bool = True) -> Iterable[ApiClass]:
        seen, queue = set(), [start]
        while queue:
            name = queue.pop(0)
            if name in seen or name not in self.classes:
                continue
            seen.add(name)
            yield self.classes[name]
            if follow:
                queue.extend(self.classes[name].supertypes)

    def has_method_name(self, class_name: str, method: str) -> bool:
        name = _method_name(method)
        return any(name in c.methods for c in self.lineage(_slash(class_name), name != "<init>"))


@functools.cache
def load(path: Path = SUBSET_PATH) -> ApiDatabase:
    return ApiDatabase(path)


def lookup(class_name: str, method: str, arg_types: list[str]) -> ApiEntry | None:
    """Module-level convenience over the bundled subset."""
    return load().lookup(class_name, method, arg_types)


def load_table(path: Path) -> list[dict]:
    """A hook table file: YAML with a top-level 'targets' list."""
    return load_file(path)["targets"]


def _signature(row: dict, args: list[str]) -> str:
    return f"{row['class']}.{row['method']}({', '.join(args)})"


def _row_levels(row: dict, count: int) -> list[int | None]:
    level = row.get("min_api")
    if isinstance(level, list):
        return list(level) + [None] * (count - len(level))
    return [level] * count


def validate(rows: Iterable[dict], db: ApiDatabase | None = None) -> list[str]:
    """Problems with a hook table, one readable sentence each; [] means it checks out.

    Row keys: class, method, overloads (list of Java arg-type lists; omitted = any
    overload), min_api (int, or one int per overload), visibility
    (public | hidden | third-party), aosp_source (required for hidden rows).
    """
    db = db or load()
    problems: list[str] = []
    for row in rows:
        visibility = row.get("visibility", "public")
        where = f"{row.get('class')}.{row.get('method')}"
        if visibility == "third-party":
            continue                          # SDK classes: checked at run time by coverage events
        if visibility == "hidden":
            source = row.get("aosp_source")
            if not isinstance(source, str) or not source.strip():
                problems.append(f"{where}: hidden target has no aosp_source pointer "
                                "(the AOSP file that defines it, e.g. "
                                "frameworks/base/core/java/android/app/ApplicationPackageManager.java)")
            continue
        if visibility != "public":
            problems.append(f"{where}: unknown visibility {visibility!r} "
                            "(use public, hidden or third-party)")
            continue
        problems.extend(_check_public(row, db))
    return problems


def _check_public(row: dict, db: ApiDatabase) -> list[str]:
    cls = db.get_class(row["class"])
    if cls is None:
        return [f"{row['class']}: class is not in the API database subset "
                "(is it public? if so, extract it as docs/api-database.md describes)"]
    out: list[str] = []
    overloads = row.get("overloads")
    if overloads is None:                     # any overload: the name must exist at all
        if not db.has_method_name(row["class"], row["method"]):
            out.append(_missing(row, cls, None, db))
        return out
    for args, claimed in zip(overloads, _row_levels(row, len(overloads))):
        entry = db.lookup(row["class"], row["method"], args)
        sig = _signature(row, args)
        if entry is None:
            out.append(_missing(row, cls, args, db))
            continue
        if entry.removed is not None and entry.removed <= DATABASE_LEVEL:
            out.append(f"{sig}: removed from the public API in API {entry.removed}")
        # An inherited method is only reachable on this class once the class itself exists
        # (ClipboardManager.getText is declared since 1 on the text.ClipboardManager parent,
        # but android.content.ClipboardManager only arrived in 11).
        since = max(entry.since, cls.since)
        if claimed is None:
            out.append(f"{sig}: no min_api given (the API database says since {since})")
        elif claimed < since:
            out.append(f"{sig}: table says min_api {claimed} but the API database says "
                       f"since {since}")
    return out


def _missing(row: dict, cls: ApiClass, args: list[str] | None, db: ApiDatabase) -> str:
    sig = _signature(row, args) if args is not None else f"{row['class']}.{row['method']}"
    name = _method_name(row["method"])
    if cls.partial is not None and name not in cls.partial:
        return (f"{sig}: {cls.name} was extracted partially and {name} is not among its kept "
                "methods; extract the method line (docs/api-database.md)")
    lineage = db.lineage(cls.name, follow=name != "<init>")
    known = [e.descriptor for c in lineage for _, e in c.methods.get(name, [])]
    hint = f"; known overloads: {', '.join(known)}" if known else ""
    return f"{sig}: not in the public API{hint}"

