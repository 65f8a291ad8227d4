"""Personal information sent outside mainland China (PIPL chapter 3, rule PIPL-XBORDER).

The destination is the address the proxy really connected to: the flow's `server_ip`
(mitmproxy's peer address, or a HAR's serverIPAddress; piiaudit.flowrow.server_ip), never a
name resolved afterwards. Its country comes from the offline database piiaudit ships
(piiaudit.geoip: DB-IP IP to Country Lite, CC BY 4.0). Outside mainland China is any
country code other than CN: Hong Kong, Macao and Taiwan (HK, MO, TW) count as outside, as
the rule base's detection logic says "outside mainland China" (docs/crossborder.md).

A flow without a server address, or with one that is not routed on the Internet (loopback,
private: the local responder of the demo), has no country and makes no finding; the
analysis says how many PII-bearing flows could not be placed. The finding names the
country, the addresses, the host's SDK and the company behind it (piiaudit/data/sdks.yaml).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.detections import EVIDENCE_COLUMNS, WHO, _from_sent, _who, detection
from analysis.prepare import Evidence
from piiaudit import geoip
from piiaudit import sdks as sdk_catalog


def placed_sends(ctx: Evidence) -> pd.DataFrame:
    """PII-bearing sends with their flow's server address and its country (None: not placed)."""
    sent = ctx.sent
    flows = ctx.flows if ctx.flows is not None else pd.DataFrame(columns=["flow_id", "server_ip"])
    ip = flows.set_index("flow_id")["server_ip"] if "server_ip" in flows else pd.Series(dtype="object")
    address = sent["flow_id"].map(ip) if not sent.empty else pd.Series(dtype="object")
    return sent.assign(server_ip=address, country=geoip.countries(address) if not sent.empty else address)


def _abroad(country: pd.Series) -> pd.Series:
    """geoip.outside_mainland per row, asked once per distinct country code."""
    distinct = {c: geoip.outside_mainland(c) for c in country.dropna().unique()}
    return country.map(distinct).eq(True)   # a country not asked (missing) is not abroad


def _detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    placed = placed_sends(ctx)
    host = keys.get("host")
    mine = placed.loc[placed["host"].eq(host) & _abroad(placed["country"])]
    sdk = keys.get("sdk") or (mine["host_sdk"].dropna().iloc[0] if "host_sdk" in mine and mine["host_sdk"].notna().any()
                              else None)
    entity = sdk_catalog.entity_for(sdk)
    db = geoip.database()
    return {
        "countries": sorted(mine["country"].dropna().unique().tolist()),
        "server_ips": sorted(mine["server_ip"].dropna().unique().tolist()),
        "entity": {"zh": entity.zh, "en": entity.en, "region": entity.region} if entity else None,
        "geo_source": db.source,
        "geo_database": db.meta.get("package"),
    }


@detection(
    "sent_outside_mainland",
    doc_en="PII-bearing requests whose server address (the IP address the proxy connected to, as recorded; never "
           "resolved afterwards) lies outside mainland China by the shipped DB-IP country database (HK, MO and TW "
           "count as outside). Flows without a routable server address (loopback, private) are not placed.",
    doc_zh="服务器地址（代理实际连接的IP地址，按记录，绝不事后解析）依随附的DB-IP国家数据库位于中国大陆以外（香港、澳门、台湾视为境外）"
           "的携带个人信息的请求。没有可路由服务器地址（环回、私有地址）的流量不作判断。",
    params={"who": WHO}, group_by=("sdk", "host"), detail=_detail,
)
def sent_outside_mainland(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    placed = placed_sends(ctx)
    abroad = placed.loc[_abroad(placed["country"])]
    if abroad.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    rows = _from_sent(abroad)
    rows = rows.assign(location=abroad["country"].to_numpy() + " " + abroad["server_ip"].to_numpy() + " "
                       + rows["location"].fillna("").astype("str").to_numpy())
    return _who(rows, params.get("who", "any"))
