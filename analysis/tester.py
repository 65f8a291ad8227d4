"""Detections from the tester's observations (piiaudit mark observed; piiaudit.testermarks).

Two kinds of finding rest on what a person saw rather than on what the hooks and the proxy
measured, and say so: their evidence rows have stream and source ``tester`` and name the
observation (``observation_id``); analysis.findings lists the observations in the detail
(``tester_observations``) with ``evidence_source`` "tester" (only observations) or
"tester+measured" (observations and flows), and every output shows that label.

- ``tester_not_found``: the tester looked for a right the app must offer (a topic of
  piiaudit/data/observations.yaml) and did not find it. A "found" mark of the same topic is
  evidence of compliance and makes no finding; when a topic was marked both ways, the
  finding stands and lists the "found" marks too (``contradicted_by``), for a reviewer.
- ``ad_ids_after_opt_out``: after the tester switched personalisation off (the first
  ``personalisation_switched_off`` mark, its time as marked or given with --at), requests to
  a host of a catalogued advertising or analytics SDK (piiaudit/data/sdks.yaml categories
  `ads`, `analytics`, `attribution`) that still carry an advertising identifier
  (`AD_ID_TYPES`: the types of piiaudit/data/pii_types.yaml that are advertising identifiers,
  advertising_id and oaid). Evidence: the mark and those requests' hits.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.detections import EVIDENCE_COLUMNS, _from_sent, detection
from analysis.prepare import Evidence
from piiaudit import sdks as sdk_catalog
from piiaudit import testermarks

TESTER = "tester"
TOPICS = ("personalisation", "account_cancellation", "correction_deletion", "withdraw_consent")
AD_CATEGORIES = ("ads", "analytics", "attribution")
AD_ID_TYPES = ("advertising_id", "oaid")


def observations(ctx: Evidence) -> pd.DataFrame:
    """The session's observations with their kind's topic and outcome."""
    obs = ctx.observations
    if obs is None or obs.empty:
        return pd.DataFrame(columns=["id", "ts", "kind", "place", "note", "screenshot", "screenshot_sha256",
                                     "source", "topic", "outcome"])
    kinds = testermarks.kinds()
    return obs.assign(topic=obs["kind"].map(lambda k: kinds.get(k, {}).get("topic")),
                      outcome=obs["kind"].map(lambda k: kinds.get(k, {}).get("outcome")))


def tester_rows(obs: pd.DataFrame, context: bool = False) -> pd.DataFrame:
    """Evidence rows naming observations: stream and source 'tester', the kind and place as location."""
    place = obs["place"].fillna("").astype("str")
    location = "tester:" + obs["kind"].astype("str") + place.map(lambda p: f" @ {p}" if p else "")
    return obs.assign(observation_id=obs["id"], stream=TESTER, source=TESTER, location=location, pii_type=pd.NA,
                      sdk=pd.NA, host=pd.NA, event_id=pd.NA, flow_id=pd.NA, hit_id=pd.NA,
                      context=context or pd.NA).reindex(columns=EVIDENCE_COLUMNS)




@detection(
    "tester_not_found",
    doc_en="The tester's observation that a right the app must offer was not found (topic: personalisation, "
           "account_cancellation, correction_deletion, withdraw_consent; piiaudit mark observed "
           "<topic>_not_found). A tester observation, not a measurement: labelled as such in every output. A "
           "'found' mark makes no finding (it is listed as contradicting a 'not found' of the same topic).",
    doc_zh="测试人员观察到App未提供应提供的功能（topic：个性化推荐开关、注销账号、更正/删除、撤回同意；"
           "piiaudit mark observed <topic>_not_found）。属测试人员观察结果而非测量结果，各输出中均如此标注。"
           "“已找到”的标记不产生发现（若同一主题同时有“未找到”，列为相反的观察）。",
    params={"topic": TOPICS}, group_by=("sdk",),
)
def tester_not_found(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    obs = observations(ctx)
    topic = params.get("topic")
    mine = obs.loc[obs["topic"].eq(topic)]
    missing = mine.loc[mine["outcome"].eq("not_found")]
    if missing.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    found = mine.loc[mine["outcome"].eq("found")]
    rows = tester_rows(missing)
    if not found.empty:   # shown beside the finding as context, not as its proof
        rows = pd.concat([rows, tester_rows(found, context=True)], ignore_index=True)
    return rows


def ad_sdk_hosts(sent: pd.DataFrame) -> pd.Series:
    """True for sends to a host of a catalogued SDK of an advertising, analytics or attribution category."""
    cats = {s.id: s.category for s in sdk_catalog.catalog().values()}
    return sent["host_sdk"].map(lambda s: cats.get(s) in AD_CATEGORIES if isinstance(s, str) else False).astype(bool)


@detection(
    "ad_ids_after_opt_out",
    doc_en="After the tester switched personalised recommendations off (the first personalisation_switched_off "
           "observation), requests to a host of a catalogued ads, analytics or attribution SDK that still carry an "
           "advertising identifier (advertising_id, oaid). Evidence: the tester's mark and the requests' hits. "
           "Without the mark there is nothing to check (no finding).",
    doc_zh="测试人员关闭个性化推荐（首个 personalisation_switched_off 观察）之后，发往SDK目录中广告、统计或归因类SDK主机、"
           "仍携带广告标识符（advertising_id、oaid）的请求。证据：测试人员的标记及这些请求的命中。无该标记时不作判断（无发现）。",
    params={}, group_by=("pii_type", "sdk", "host"),
)
def ad_ids_after_opt_out(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    obs = observations(ctx)
    off = obs.loc[obs["outcome"].eq("switched_off")]
    if off.empty:   # nothing to check against, as for every rule on tester observations: 0 findings
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    first = off.sort_values(["ts", "id"]).iloc[:1]
    types = list(AD_ID_TYPES)
    sent = ctx.sent
    after = sent.loc[(sent["ts"] >= float(first["ts"].iloc[0])) & sent["pii_type"].isin(types) & ad_sdk_hosts(sent)]
    if after.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    rows = _from_sent(after.assign(sdk=after["host_sdk"]))
    # The mark is evidence of every group: one row per group, keyed like it.
    keys = rows[["pii_type", "sdk", "host"]].drop_duplicates()
    mark = tester_rows(first).drop(columns=["pii_type", "sdk", "host"]).merge(keys, how="cross")
    return pd.concat([rows, mark.reindex(columns=EVIDENCE_COLUMNS)], ignore_index=True)
