"""Maintain the tracker and SDK catalog (piiaudit/data/sdks.yaml).

    python scripts/catalog.py check
        Validate the catalog and rewrite it in its canonical layout (sorted lists, one
        entry per block). Needs nothing but this repository.

    python scripts/catalog.py import --v2fly DIR [--libchecker DIR] [--awavenue FILE]
        Re-run the imports from the public rule sets the catalog is built from (local
        checkouts; nothing is downloaded here):
          --v2fly       a checkout of v2fly/domain-list-community (MIT): every entry with
                        ``import: {v2fly: [list, list@attr]}`` gains that list's domain and
                        full rules as host suffixes. A host already claimed by another entry
                        or covered by another entity's domain is left out and reported.
          --libchecker  a checkout of LibChecker/LibChecker-Rules (Apache-2.0): for entries
                        with ``import: {libchecker: [label]}`` reports component classes of
                        that label no prefix of the entry covers.
          --awavenue    AWAvenue-Ads-Rule.txt of TG-Twilight/AWAvenue-Ads-Rule (MIT).
        Every entry whose hosts appear in a rule set gets that rule set among its sources.

    python scripts/catalog.py docs
        Rewrite the generated size table in docs/catalog.md.

The catalog's format is described in its header comment. The fetched rule sets stay out of
the repository; only the facts taken from them (host names, package names) are kept.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from piiaudit import hosts, sdks  # noqa: E402

CATALOG = ROOT / "piiaudit" / "data" / "sdks.yaml"
DOCS = ROOT / "docs" / "catalog.md"
SDK_KEYS = ("id", "zh", "en", "entity", "category", "prefixes", "hosts", "collects", "collects_docs", "docs",
            "sources", "import", "note")
WIDTH = 110


# ---------------------------------------------------------------- canonical layout

def _scalar(value) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _flow_list(items, indent: int) -> str:
    parts = [_scalar(x) for x in items]
    lines, line = [], "["
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else "]")
        if len(line) + len(piece) + 1 > WIDTH - indent and line != "[":
            lines.append(line.rstrip())
            line = " " * (indent + 1)
        line += piece + " "
    lines.append(line.rstrip() if parts else "[]")
    return ("\n").join(lines)


def _flow_map(mapping: dict) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v) if not isinstance(v, list) else _flow_list(v, 0)}"
                           for k, v in mapping.items()) + "}"


def dump(data: dict, header: str) -> str:
    out = [header.rstrip("\n"), "", "sources:"]
    out += [f"  {key}: {_flow_map(src)}" for key, src in data["sources"].items()]
    out += ["", "entities:"]
    out += [f"  {key}: {_flow_map(ent)}" for key, ent in sorted(data["entities"].items())]
    out += ["", "sdks:"]
    for sdk in data["sdks"]:
        first = True
        for key in SDK_KEYS:
            if key not in sdk or sdk[key] in (None, [], {}):
                continue
            value = sdk[key]
            lead = "  - " if first else "    "
            first = False
            if isinstance(value, list):
                rendered = _flow_list(value, len(lead) + len(key) + 2)
                rendered = rendered.replace("\n", "\n")
            elif isinstance(value, dict):
                rendered = _flow_map(value)
            else:
                rendered = _scalar(value)
            out.append(f"{lead}{key}: {rendered}")
        unknown = set(sdk) - set(SDK_KEYS)
        if unknown:
            raise SystemExit(f"sdk {sdk.get('id')}: unknown keys {sorted(unknown)}")
    return "\n".join(out) + "\n"


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "\n".join(lines).strip("\n") + "\n"


def _normalise(data: dict) -> None:
    for sdk in data["sdks"]:
        for key in ("prefixes", "hosts", "collects", "sources"):
            if sdk.get(key):
                seen = dict.fromkeys(hosts.normal(x) if key == "hosts" else str(x) for x in sdk[key])
                sdk[key] = sorted(seen) if key != "sources" else list(seen)


def _prune(data: dict) -> None:
    """Drop a host that a shorter host of the same entry already covers (nothing in between)."""
    owner = {hosts.normal(h): s["id"] for s in data["sdks"] for h in s.get("hosts") or ()}
    for sdk in data["sdks"]:
        keep = []
        for host in sdk.get("hosts") or ():
            above = list(hosts.parents(host))[1:]
            first_owner = next((owner[p] for p in above if p in owner), None)
            if first_owner != sdk["id"]:
                keep.append(host)
        sdk["hosts"] = keep


def load_raw() -> tuple[dict, str]:
    text = CATALOG.read_text("utf-8")
    return yaml.safe_load(text), _header(text)


def write(data: dict, header: str) -> None:
    _normalise(data)
    _prune(data)
    CATALOG.write_text(dump(data, header), "utf-8")
    sdks.reload()
    problems = sdks.problems()
    if problems:
        raise SystemExit("catalog written but invalid:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------- rule sets

def v2fly_rules(data_dir: Path, name: str, seen: frozenset[str] = frozenset()) -> list[tuple[str, str, set[str]]]:
    """(kind, domain, attributes) of list `name`, includes followed (v2fly's own syntax)."""
    if name in seen:
        return []
    out: list[tuple[str, str, set[str]]] = []
    for line in (data_dir / name).read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        head, *rest = line.split()
        attrs = {a[1:] for a in rest if a.startswith("@")}
        if head.startswith("include:"):
            wanted = {a for a in attrs if not a.startswith("-")}
            unwanted = {a[1:] for a in attrs if a.startswith("-")}
            out += [r for r in v2fly_rules(data_dir, head[8:], seen | {name})
                    if wanted <= r[2] and not unwanted & r[2]]
            continue
        kind, _, domain = head.rpartition(":")
        out.append((kind or "domain", domain.lower(), attrs))
    return out


def v2fly_hosts(data_dir: Path, spec: str) -> list[str]:
    name, _, attr = spec.partition("@")
    rules = v2fly_rules(data_dir, name)
    return [d for kind, d, attrs in rules
            if kind in ("domain", "full") and "." in d and (not attr or attr in attrs)]   # no bare TLDs


def v2fly_everything(data_dir: Path) -> set[str]:
    out: set[str] = set()
    for path in data_dir.iterdir():
        for line in path.read_text("utf-8").splitlines():
            head = line.split("#", 1)[0].strip().split(" ")[0]
            kind, _, domain = head.rpartition(":")
            if kind in ("", "domain", "full") and domain:
                out.add(domain.lower())
    return out


def awavenue_hosts(path: Path) -> set[str]:
    out = set()
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if line.startswith("||") and line.endswith("^"):
            out.add(line[2:-1].lower())
    return out


def libchecker_classes(checkout: Path) -> dict[str, set[str]]:
    db = sqlite3.connect(checkout / "cloud" / "rules" / "v3" / "rules.db")
    out: dict[str, set[str]] = defaultdict(set)
    for name, label, kind, is_regex in db.execute("select name, label, type, isRegexRule from rules_table"):
        if kind == 0 or is_regex:   # native libraries carry no package; regex rules are patterns
            continue
        out[label].add(name + "." if kind == 5 else name)
    return out


def run_import(args) -> None:
    data, header = load_raw()
    entity_of = {s["id"]: s["entity"] for s in data["sdks"]}
    claimed = {hosts.normal(h): s["id"] for s in data["sdks"] for h in s.get("hosts") or ()}
    report: list[str] = []

    def covered_by_other_entity(host: str, sdk_id: str) -> str | None:
        parts = host.split(".")
        for i in range(len(parts)):
            owner = claimed.get(".".join(parts[i:]))
            if owner and entity_of[owner] != entity_of[sdk_id]:
                return owner
        return None

    if args.v2fly:
        data_dir = Path(args.v2fly) / "data"
        for sdk in data["sdks"]:
            for spec in (sdk.get("import") or {}).get("v2fly") or ():
                added = 0
                for host in v2fly_hosts(data_dir, spec):
                    nearest = next((claimed[p] for p in hosts.parents(host) if p in claimed), None)
                    if nearest == sdk["id"]:
                        continue   # already covered by one of the entry's own domains
                    if host in claimed:
                        if claimed[host] != sdk["id"]:
                            report.append(f"{sdk['id']}: {host} (v2fly {spec}) already claimed by {claimed[host]}")
                        continue
                    other = covered_by_other_entity(host, sdk["id"])
                    if other:
                        report.append(f"{sdk['id']}: {host} (v2fly {spec}) lies under {other}'s domain; left out")
                        continue
                    sdk.setdefault("hosts", []).append(host)
                    claimed[host] = sdk["id"]
                    added += 1
                report.append(f"{sdk['id']}: +{added} hosts from v2fly {spec}")
        known = v2fly_everything(data_dir)
        _credit(data, known, "v2fly")
    if args.awavenue:
        _credit(data, awavenue_hosts(Path(args.awavenue)), "awavenue")
    if args.libchecker:
        classes = libchecker_classes(Path(args.libchecker))
        for sdk in data["sdks"]:
            labels = (sdk.get("import") or {}).get("libchecker") or ()
            for label in labels:
                if label not in classes:
                    report.append(f"{sdk['id']}: LibChecker label {label!r} not found")
                    continue
                loose = sorted(c for c in classes[label] if not c.startswith(tuple(sdk.get("prefixes") or ())))
                if loose:
                    report.append(f"{sdk['id']}: LibChecker {label!r} classes outside its prefixes: {loose}")
            if labels and "libchecker" not in sdk.setdefault("sources", []):
                sdk["sources"].append("libchecker")
    print("\n".join(report))
    write(data, header)


def _credit(data: dict, known: set[str], source: str) -> None:
    """Name `source` on every entry that has a host rule found verbatim in that rule set."""
    for sdk in data["sdks"]:
        if any(hosts.normal(h) in known for h in sdk.get("hosts") or ()):
            if source not in sdk.setdefault("sources", []):
                sdk["sources"].append(source)


# ---------------------------------------------------------------- docs

MARK_START = "<!-- catalog-summary:start (python scripts/catalog.py docs) -->"
MARK_END = "<!-- catalog-summary:end -->"


def run_docs(_args) -> None:
    text = DOCS.read_text("utf-8")
    head, _, rest = text.partition(MARK_START)
    _, _, tail = rest.partition(MARK_END)
    DOCS.write_text(f"{head}{MARK_START}\n{sdks.summary_markdown()}{MARK_END}{tail}", "utf-8")


def run_check(_args) -> None:
    data, header = load_raw()
    write(data, header)
    print(f"{len(data['sdks'])} SDKs, {sum(len(s.get('hosts') or ()) for s in data['sdks'])} host rules: ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").set_defaults(run=run_check)
    sub.add_parser("docs").set_defaults(run=run_docs)
    imp = sub.add_parser("import")
    imp.add_argument("--v2fly", help="checkout of v2fly/domain-list-community")
    imp.add_argument("--libchecker", help="checkout of LibChecker/LibChecker-Rules")
    imp.add_argument("--awavenue", help="AWAvenue-Ads-Rule.txt")
    imp.set_defaults(run=run_import)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
