"""The tidy tables the detections work on, built once per analysis.

- reads: one row per ``pii_read`` hook event, and one per bind or start of an identifier
  service (analysis.idservices: the caller reads the advertising ID or OAID; no value);
- sent: one row per PII hit in a request (device and context attributes left out: they
  never make a finding on their own), with its flow, the documented field when an endpoint
  map found or confirmed it (analysis.sentbysdk), the actor it is attributed to and
  the party of the destination with its reason (analysis.party): the app itself for a
  first-party host, the host's SDK, else the SDK of the linked read, else the unattributed
  third party named by its registrable domain; party first_party | third_party |
  service_provider | unattributed;
- permissions: one row per permission in a request or result event, PI permissions only,
  with the event's api and stack (an SDK's request is named by its frames);
- screen: the text surfaces the app showed (dialogs, popups, windows, toasts) and its
  shouldShowRequestPermissionRationale checks (analysis.permissions.screen_texts);
- links: read -> flow links (analysis.linking);
- declared: one row per ``<uses-permission>`` of the app's manifest as the session stored it
  (piiaudit.apk: `record --apk`, `analyze --apk`, the demo), PI permissions only, with the
  manifest itself in ``app_manifest``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from analysis import appstate, permissions as permission_rules, refusal
from analysis.consent import ConsentDecision
from analysis.linking import hash_values, link_reads_to_flows
from analysis.load import Session
from analysis.party import attribute_events
from analysis.party import FIRST_PARTY, SERVICE_PROVIDER, THIRD_PARTY, UNATTRIBUTED, hosts_party
from analysis.scope import Scope
from analysis.sentbysdk import documented_field, is_attribute
from piiaudit import apk as apk_mod
from piiaudit import sdks as sdk_catalog
from piiaudit.yamlfile import load_resource

__all__ = ["FIRST_PARTY", "SERVICE_PROVIDER", "THIRD_PARTY", "UNATTRIBUTED", "Evidence", "prepare"]


@functools.cache
def permission_types() -> dict[str, str]:
    raw = load_resource("analysis", "data/permission_types.yaml")
    return {f"android.permission.{k}": v for k, v in raw["permissions"].items()}


def normalise_permission(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    return name if "." in name else f"android.permission.{name}"


@dataclass
class Evidence:
    reads: pd.DataFrame
    sent: pd.DataFrame
    permissions: pd.DataFrame
    links: pd.DataFrame
    consent: ConsentDecision
    scope: Scope | None
    ui: pd.DataFrame | None = None          # app-state events (analysis.appstate.ui_events)
    app_package: str | None = None
    flows: pd.DataFrame | None = None       # every flow: flow_id, ts, host (destination), host_header, server_ip, party
    declared: pd.DataFrame | None = None    # the manifest's PI permissions: permission, pii_type, max_sdk_version
    app_manifest: dict | None = None        # the manifest as stored (piiaudit.apk), None if none was recorded
    screen: pd.DataFrame | None = None      # text surfaces shown and rationale checks (analysis.permissions)
    refusal: pd.DataFrame | None = None     # decline taps, consent prompts, exits (analysis.refusal.moments)
    observations: pd.DataFrame | None = None  # the tester's observations (analysis.load OBSERVATION_COLUMNS)

    @cached_property
    def read_id_bitmap(self) -> np.ndarray | None:
        """Whether an event id is a read's (indexed by id), made once per analysis for the rules
        that ask it of every evidence row; None when the ids are not small non-negative integers."""
        ids = self.reads["event_id"] if "event_id" in self.reads else None
        if ids is None or not (isinstance(ids.dtype, pd.Int64Dtype) or ids.dtype.kind in "iu") or ids.isna().any():
            return None
        values = ids.to_numpy(dtype="int64")
        if len(values) and (values.min() < 0 or values.max() >= 1 << 28):
            return None
        seen = np.zeros(int(values.max(initial=-1)) + 1, dtype=bool)
        seen[values] = True
        return seen

    def __post_init__(self) -> None:
        if self.ui is None:
            self.ui = appstate.ui_events(pd.DataFrame(columns=["id", "ts", "kind", "api", "sdk", "process", "value",
                                                               "data"]))
        if self.screen is None:
            self.screen = permission_rules.screen_texts(pd.DataFrame(columns=["id", "ts", "kind", "value", "data"]))
        if self.refusal is None:
            self.refusal = refusal.moments(pd.DataFrame(columns=["id", "ts", "kind", "api", "sdk", "value", "data"]))


def host_sdks(hosts: pd.Series) -> pd.Series:
    """SDK id per host from the SDK catalog's domains, looked up once per distinct host."""
    distinct = hosts.dropna().unique()
    return hosts.map({h: sdk_catalog.sdk_for_host(h) for h in distinct}).astype("str")


def _reads(session: Session, ui: pd.DataFrame) -> pd.DataFrame:
    ev = session.events
    columns = ["id", "ts", "pii_type", "sdk", "api", "value", "clock_error_ms", "thread", "process", "party",
               "party_reason"]
    reads = ev.loc[ev["kind"].eq("pii_read") & ev["pii_type"].notna(), columns]
    binds = ui.loc[ui["reads_identifier"].notna(), ["event_id", "reads_identifier", "sdk"]]
    if not binds.empty:
        bound = ev.loc[ev["id"].isin(binds["event_id"]), [c for c in columns if c not in ("pii_type", "sdk", "value")]]
        bound = bound.merge(binds.rename(columns={"event_id": "id", "reads_identifier": "pii_type"}), on="id")
        reads = pd.concat([reads, bound.assign(value=None)], ignore_index=True).sort_values(["ts", "id"],
                                                                                            ignore_index=True)
    return reads.rename(columns={"id": "event_id"}).assign(value_sha256=lambda r: hash_values(r["value"]))


def _sent(session: Session, scope: Scope | None) -> pd.DataFrame:
    # Device and context attributes (model, OS version, ...) never make a finding on their
    # own: the rules do not see them (the report lists them per SDK, analysis.sentbysdk).
    hits = session.hits.loc[session.hits["direction"].fillna("request").eq("request")
                            & ~is_attribute(session.hits["pii_type"])]
    hits = hits.assign(documented_field=documented_field(hits))
    flows = session.flows[["id", "ts_start", "host", "url", "scheme", "method"]].rename(
        columns={"id": "flow_id", "ts_start": "ts"})
    sent = hits.rename(columns={"id": "hit_id"}).drop(columns=["direction"]).merge(flows, on="flow_id", how="inner")
    scheme = _lowered(sent["scheme"])
    unknown = scheme.isna()
    if unknown.any():   # the URL's scheme, parsed only where the row has none
        scheme = scheme.fillna(sent["url"].loc[unknown].str.extract(r"^([A-Za-z][A-Za-z0-9+.-]*)://")[0].str.lower())
    return sent.assign(host=_lowered(sent["host"]), scheme=scheme, host_sdk=lambda s: host_sdks(s["host"]))


def _lowered(col: pd.Series) -> pd.Series:
    """``col.str.lower()``, each distinct text lowered once (hosts and schemes repeat)."""
    if col.dtype != "str":
        return col.str.lower()
    codes, distinct = pd.factorize(col, use_na_sentinel=True)
    lowered = pd.Series(distinct, dtype=col.dtype).str.lower().array
    return pd.Series(lowered.take(codes, allow_fill=True), index=col.index, name=col.name)


def _attribute(sent: pd.DataFrame, links: pd.DataFrame, scope: Scope | None) -> pd.DataFrame:
    reader = links.set_index("hit_id")["reader_sdk"] if not links.empty else pd.Series(dtype="str")
    linked_sdk = sent["hit_id"].map(reader)
    dest = hosts_party(sent["host"], scope)
    codes, reasons = pd.factorize(dest["party_reason"].astype("object"), use_na_sentinel=True)   # a few per session
    uncatalogued = pd.Series(np.array([str(r).startswith("registrable domain") for r in reasons] + [False],
                                      dtype=bool)[codes], index=dest.index)
    use_reader = uncatalogued & linked_sdk.notna()
    sdk = dest["actor"].where(~use_reader, linked_sdk)
    basis = np.select([dest["party"].eq(FIRST_PARTY), use_reader, uncatalogued], ["first_party_host", "linked_read",
                                                                                  "registrable_domain"], "host")
    return sent.assign(sdk=sdk.astype("object").where(sdk.notna(), None), sdk_basis=basis,
                       party=dest["party"].fillna(UNATTRIBUTED), party_reason=dest["party_reason"])


_ANSWERS = {"0": True, "true": True, "granted": True, "-1": False, "false": False, "denied": False}


def _granted(value: object) -> bool | None:
    """PackageManager.PERMISSION_GRANTED (0) / PERMISSION_DENIED (-1), or their names; None if unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return {0: True, -1: False}.get(int(value))
    return None if value is None else _ANSWERS.get(str(value).strip().lower())


def _permissions(session: Session) -> pd.DataFrame:
    ev = session.events
    keep = [c for c in ("id", "ts", "kind", "sdk", "api", "stack") if c in ev]
    rows = ev.loc[ev["kind"].isin(("permission_request", "permission_result")), keep]
    columns = ["event_id", "ts", "kind", "sdk", "permission", "pii_type", "request_code", "granted", "api", "stack"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    data = ev.loc[rows.index, "data"].map(lambda d: d if isinstance(d, dict) else {})
    perms = data.map(lambda d: d.get("permissions") if isinstance(d.get("permissions"), list) else [])
    results = data.map(lambda d: d.get("results") if isinstance(d.get("results"), list) else [])
    code = data.map(lambda d: d.get("request_code")).map(lambda v: str(v) if v is not None else None)
    wide = rows.assign(
        pairs=[list(zip(p, r + [None] * (len(p) - len(r)))) for p, r in zip(perms, results)],
        request_code=code,
    ).explode("pairs").dropna(subset=["pairs"])
    # Each answer read from its own tuple: a Series of the raw results would turn ints mixed
    # with None into floats ("-1.0"), which no longer read as an answer.
    out = wide.assign(
        permission=wide["pairs"].map(lambda pr: normalise_permission(pr[0])),
        granted=wide["pairs"].map(lambda pr: _granted(pr[1])).astype("object"),
    )
    out = out.assign(pii_type=out["permission"].map(permission_types()), kind=out["kind"].str.removeprefix("permission_"))
    return (out.loc[out["pii_type"].notna()].rename(columns={"id": "event_id"})
            .reindex(columns=columns).sort_values(["ts", "event_id"], ignore_index=True))


def prepare(session: Session, consent: ConsentDecision, scope: Scope | None) -> Evidence:
    if "party" not in session.events:
        session = attribute_events(session, scope)
    ui = appstate.ui_events(session.events)
    reads = _reads(session, ui)
    sent = _sent(session, scope)
    links = link_reads_to_flows(reads, sent)
    app_manifest = apk_mod.stored(session.store)
    declared = declared_permissions(app_manifest)
    return Evidence(reads=reads, sent=_attribute(sent, links, scope), permissions=_permissions(session),
                    links=links, consent=consent, scope=scope, ui=ui,
                    app_package=appstate.main_package(session.events, session.manifest),
                    flows=_flows(session, scope), declared=declared, app_manifest=app_manifest,
                    screen=permission_rules.screen_texts(session.events), refusal=refusal.moments(session.events),
                    observations=session.observations)


DECLARED_COLUMNS = ["permission", "pii_type", "max_sdk_version"]


def declared_permissions(app_manifest: dict | None) -> pd.DataFrame:
    """The manifest's uses-permission entries that can collect personal information (permission_types.yaml)."""
    if not app_manifest:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DECLARED_COLUMNS})
    rows = pd.DataFrame([{"permission": normalise_permission(p.get("name")), "max_sdk_version": p.get("max_sdk_version")}
                         for p in app_manifest.get("permissions") or () if isinstance(p, dict)],
                        columns=["permission", "max_sdk_version"])
    rows = rows.assign(pii_type=rows["permission"].map(permission_types()))
    return rows.loc[rows["pii_type"].notna()].reindex(columns=DECLARED_COLUMNS).reset_index(drop=True)


def _flows(session: Session, scope: Scope | None) -> pd.DataFrame:
    flows = session.flows
    header = flows["host_header"] if "host_header" in flows else pd.Series(None, index=flows.index, dtype="object")
    server_ip = flows["server_ip"] if "server_ip" in flows else pd.Series(None, index=flows.index, dtype="object")
    out = pd.DataFrame({"flow_id": flows["id"], "ts": flows["ts_start"], "host": _lowered(flows["host"]),
                        "host_header": header, "server_ip": server_ip})
    return pd.concat([out, hosts_party(out["host"], scope)], axis=1)
