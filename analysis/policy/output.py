"""The scope file `piiaudit scope extract` writes: analysis/scope.py's format, and what the policy said.

``scope_dict`` turns a ``PolicyScope`` into the mapping analysis.scope reads: ``stated.app``
and ``stated.sdks`` (catalog ids, or the policy's own name for an SDK the catalog lacks,
declared under ``sdks`` with its company and purpose), and a ``policy`` section that the
analysis does not need but a reader does: the source file and its SHA-256, the purposes with
their types, each listed SDK as the policy names it and how it was matched, the generic terms
that were expanded (with the documented set's basis), the negated terms, and every phrase
that could not be mapped. ``render`` writes it as YAML with a comment header.
"""

from __future__ import annotations

from typing import Any

import yaml

from analysis.policy.extract import PolicyScope


def scope_dict(result: PolicyScope, *, source: str, sha256: str | None, app: dict[str, Any] | None = None,
               first_party_hosts: list[str] | None = None) -> dict[str, Any]:
    stated_sdks = {key: sorted(result.stated_sdk(key)) for key in result.sdks}
    declared = {
        entry.name: {k: v for k, v in (("company", entry.company or "(not stated in the policy)"),
                                        ("purpose", entry.purpose)) if v}
        for entry in result.sdks.values() if entry.catalog_id is None
    }
    out: dict[str, Any] = {}
    if app:
        out["app"] = app
    if first_party_hosts:
        out["first_party_hosts"] = list(first_party_hosts)
    out["stated"] = {"app": sorted(result.stated_app()), "sdks": stated_sdks}
    if declared:
        out["sdks"] = declared
    out["policy"] = {
        "source": source,
        "sha256": sha256,
        "purposes": {p: sorted(t) for p, t in result.purposes.items()},
        "sdk_list": [
            {k: v for k, v in (("id", entry.catalog_id), ("name", entry.name), ("company", entry.company),
                               ("purpose", entry.purpose), ("matched_by", entry.matched_by or "not in the catalog"),
                               ("listed_as", entry.how)) if v}
            for entry in result.sdks.values()
        ],
        "expanded": result.expanded,
        "negated": result.negated,
        "unmapped": result.unmapped,
    }
    return out


HEADER = """\
# Stated scope extracted from the privacy policy {source}
# by `piiaudit scope extract` (docs/scope.md). Review it before you rely on it:
#   stated.app / stated.sdks  what the policy says the app and each listed SDK collect
#                             (PII types of piiaudit/data/pii_types.yaml)
#   sdks                      SDKs the policy lists that the catalog lacks: add their hosts
#                             and/or package prefixes so their reads and flows are attributed
#   policy.expanded           generic terms (设备信息, device information) the policy did not
#                             enumerate, expanded to their documented set: check them
#   policy.negated            terms the policy says are NOT collected (removed)
#   policy.unmapped           phrases that name no PII type: map them by hand if they matter
"""


def render(data: dict[str, Any], source: str) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=None)
    return HEADER.format(source=source) + body
