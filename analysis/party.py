"""Who each flow went to and who made each read: the actor, its party and the reason, per row.

Flows, by destination host (the connection target, piiaudit.flowrow.destination), first rule
that applies:

1. a host under the scope's `first_party_hosts`: the app itself, party ``first_party``;
2. a host of an SDK the scope file declares (`sdks:` with hosts): that SDK, ``third_party``;
3. a catalogued host: that SDK, ``third_party``; for an infrastructure entry (cloud, CDN)
   ``service_provider``: the app's own servers often run there, so such a flow is never
   counted as sent to a third party on that fact alone;
4. otherwise ``unattributed:<registrable domain>``: party ``third_party`` when the scope
   lists the operator's hosts (the host is not among them), else ``unattributed``.
   Never the app itself.

Reads (every event with a stack), by the innermost frame outside the framework: a package
prefix the scope declares, a catalogued prefix, the app's package (the app itself), else an
unidentified third-party library ``library:<first two package labels>``. An obfuscated helper
frame (``piiaudit.sdks.is_obfuscated``: R8-repackaged names like ``a.b.c``) is passed over
when a non-obfuscated frame lies further out, which then decides; the reason names both. Without a stack,
or without a known app package, the caller recorded by the hooks stands.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis import appstate
from analysis.load import Session
from analysis.scope import Scope
from piiaudit import hosts
from piiaudit import sdks as catalog

FIRST_PARTY, THIRD_PARTY, SERVICE_PROVIDER, UNATTRIBUTED = (
    "first_party", "third_party", "service_provider", "unattributed")
PARTY_COLUMNS = ["actor", "party", "party_reason"]


def host_party(host: str | None, scope: Scope | None) -> tuple[str | None, str, str]:
    """(actor, party, reason) for one destination host."""
    if scope is not None:
        first = hosts.first_under(host, scope.first_party_hosts)
        if first:
            return None, FIRST_PARTY, f"scope first_party_hosts {first}"
        declared = hosts.longest_under(host, scope.sdk_hosts)
        if declared:
            rule = next(h for h in hosts.parents(host) if scope.sdk_hosts.get(h) == declared)
            return declared, THIRD_PARTY, f"scope sdks {declared} host {rule}"
    sdk = catalog.sdk_for_host(host)
    if sdk:
        rule = next(h for h in hosts.parents(host) if h in catalog.catalog()[sdk].hosts)
        if catalog.is_infrastructure(sdk):
            return sdk, SERVICE_PROVIDER, f"catalog host rule {rule} (infrastructure: service provider)"
        return sdk, THIRD_PARTY, f"catalog host rule {rule}"
    domain = hosts.registrable_domain(host) or "?"
    listed = scope is not None and bool(scope.first_party_hosts)
    return (catalog.unattributed(domain), THIRD_PARTY if listed else UNATTRIBUTED,
            f"registrable domain {domain}, uncatalogued" + (", not in first_party_hosts" if listed else ""))


def hosts_party(host_column: pd.Series, scope: Scope | None) -> pd.DataFrame:
    """PARTY_COLUMNS per row of a host column, decided once per distinct host."""
    codes, distinct = pd.factorize(host_column, use_na_sentinel=True)   # each host hashed once, not per column
    decided = [host_party(h, scope) for h in distinct]

    def column(i: int) -> np.ndarray:
        values = [None if v is None or (isinstance(v, float) and v != v) else v for v in (d[i] for d in decided)]
        return np.array([*values, None], dtype=object)[codes]   # code -1 (no host): None, the last

    return pd.DataFrame({col: column(i) for i, col in enumerate(PARTY_COLUMNS)}, index=host_column.index, dtype=object)


def app_package(session: Session, scope: Scope | None) -> str | None:
    return (scope.app.get("package") if scope else None) or appstate.main_package(session.events, session.manifest)


def stack_party(stack: str, package: str | None, scope: Scope | None) -> tuple[str | None, str]:
    """(actor, reason) for one stack (newline separated frames, innermost first)."""
    frames = [f for f in stack.split("\n") if f.strip()]
    extra = scope.sdk_prefixes if scope else {}
    actor, _ = catalog.attribute(frames, package, extra)
    frame = catalog.caller_class(frames, extra)
    if frame is None:
        return None, "no frame outside the framework: the app itself"
    helper = catalog.obfuscated_helper(frames, extra)
    via = f" (called through the obfuscated helper {helper})" if helper else ""
    if actor is None:
        return None, f"frame {frame} in the app package {package}{via}"
    if actor.startswith(catalog.LIBRARY):
        return actor, f"frame {frame} neither in the app package {package} nor catalogued{via}"
    if extra and catalog.longest_prefix(frame, extra) == actor:
        return actor, f"scope sdks {actor} package prefix of {frame}{via}"
    return actor, f"catalog package prefix of {frame}{via}"


def attribute_events(session: Session, scope: Scope | None) -> Session:
    """The session with each event's `sdk` decided again from its stack, and its party and reason."""
    ev = session.events
    if ev.empty:
        return dataclasses.replace(session, events=ev.assign(party=pd.Series(dtype="object"),
                                                               party_reason=pd.Series(dtype="object")))
    package = app_package(session, scope)
    # Decided once per distinct stack and per distinct SDK, then spread over the rows by code:
    # 10^6 reads carry a few thousand distinct stacks at most.
    stacks = ev["stack"] if "stack" in ev else pd.Series(None, index=ev.index, dtype="object")
    codes, distinct = pd.factorize(stacks.astype("object"), use_na_sentinel=True)
    usable = np.array([bool(package) and isinstance(s, str) and s.strip() != "" for s in distinct] + [False])
    decided = [stack_party(s, package, scope) if ok else (None, None) for s, ok in zip(distinct, usable)]
    has_stack = usable[codes]
    actor = np.array([d[0] for d in decided] + [None], dtype="object")[codes]
    reason = np.array([d[1] for d in decided] + [None], dtype="object")[codes]
    recorded = ev["sdk"].astype("object").where(ev["sdk"].notna(), None).to_numpy()
    sdk_values = np.where(has_stack, actor, recorded)
    sdk = pd.Series(sdk_values, index=ev.index, dtype="object")
    sdk = sdk.where(sdk.notna(), None)
    # (texts the same for many rows are taken from a table of objects: one string shared by its
    # rows, not a numpy text array of every row turned into a string per row)
    fallback = np.array(["no stack or no app package: the app process itself",
                         "recorded by the hooks (no stack or no app package)"], dtype=object)[pd.notna(recorded).astype("intp")]
    reason = pd.Series(np.where(has_stack, reason, fallback), index=ev.index, dtype="object")
    sdk_codes, sdk_distinct = pd.factorize(sdk, use_na_sentinel=True)
    infra = np.array([catalog.is_infrastructure(s) for s in sdk_distinct] + [False], dtype=bool)[sdk_codes]
    parties = np.array([FIRST_PARTY, SERVICE_PROVIDER, THIRD_PARTY], dtype=object)
    party = pd.array(parties[np.where(sdk.isna().to_numpy(), 0, np.where(infra, 1, 2))], dtype="str")
    return dataclasses.replace(session, events=ev.assign(sdk=sdk, party=party, party_reason=reason))
