"""Detections: vectorised checks over the prepared evidence (analysis.prepare).

Each detection returns evidence rows — one per event or flow hit that proves the rule —
with the columns of ``EVIDENCE_COLUMNS`` it knows (``context`` marks a row that names a
supporting event, a pause or a dialog, rather than proof itself); ``analysis.findings`` groups them into
findings. Which clause a detection serves is said in the rule catalog (rules.yaml), so a
detection here is written once and cited by as many rules as it proves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import appstate, permissions as permission_rules, refusal
from piiaudit import hosts
from piiaudit import sdks as sdk_catalog
from analysis.prepare import THIRD_PARTY, Evidence

EVIDENCE_COLUMNS = [
    "pii_type", "sdk", "host", "ts", "event_id", "flow_id", "hit_id", "api", "location", "encoding", "source",
    "permission", "granted", "clock_error_ms", "stream", "context", "documented_field",
    "observation_id",   # a tester's observation (analysis.tester): stream and source 'tester'
]
GROUP_KEYS = ("pii_type", "sdk", "host")

WHO = ("any", "app", "sdk")
SECONDS = ("<seconds>",)   # a parameter that takes a number of seconds
HOURS = ("<hours>",)       # a number of hours
COUNT = ("<count>",)       # a whole number
TO = ("any", "first_party", "third_party")


class NotApplicable(Exception):
    """The detection cannot run on this session (e.g. no scope.yaml); the message says why."""


@dataclass(frozen=True)
class Detection:
    name: str
    fn: Callable[[Evidence, dict[str, Any]], pd.DataFrame]
    doc_en: str
    doc_zh: str
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)   # param -> allowed values
    group_by: tuple[str, ...] = GROUP_KEYS
    relative_to_consent: bool = False                                   # compares times with the consent moment
    detail: Callable[..., dict[str, Any]] | None = None
    detail_params: bool = False                                         # detail(keys, ctx, params)
    after_refusal: bool = False          # judges the time after a refusal (its own flows are not "after consent")

    def after_cutoff(self, consent) -> float:
        """Linked flows sent from this time on are not this rule's evidence of "before consent"."""
        return consent.cutoff if self.after_refusal else consent.before_cutoff


REGISTRY: dict[str, Detection] = {}
COMMON_PARAMS = {"group_by": GROUP_KEYS}   # every detection accepts group_by: a non-empty subset of these


def detection(name: str, *, doc_en: str, doc_zh: str, params: dict[str, tuple[str, ...]] | None = None,
              group_by: tuple[str, ...] = GROUP_KEYS, relative_to_consent: bool = False,
              detail: Callable[..., dict[str, Any]] | None = None, detail_params: bool = False,
              after_refusal: bool = False):
    def register(fn):
        REGISTRY[name] = Detection(name, fn, doc_en, doc_zh, dict(params or {}), group_by, relative_to_consent, detail,
                                   detail_params, after_refusal)
        return fn
    return register


# -- evidence shapes -----------------------------------------------------------------------

def _from_reads(reads: pd.DataFrame) -> pd.DataFrame:
    return reads.assign(stream="event", host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)


def _from_sent(sent: pd.DataFrame) -> pd.DataFrame:
    # A hit found inside a hook's plaintext (crypto, TLS) names that hook event as evidence too.
    via = sent["via_event_id"] if "via_event_id" in sent else pd.NA
    return sent.assign(stream="flow", event_id=via).reindex(columns=EVIDENCE_COLUMNS)


def _stacked(parts: list[pd.DataFrame], keep: list[np.ndarray] | None = None) -> pd.DataFrame:
    """``pd.concat`` of the parts (of each, the rows `keep` marks), ``ignore_index``: the same
    values and dtypes, made a column at a time (the kept rows of a part are never copied whole
    beside the result). A column one part lacks (all missing, float) where another holds text
    is made of one shared NaN object, which the concatenation would box once per row (10^6
    reads beside flows' text)."""
    keep = keep if keep is not None else [None] * len(parts)
    names = list(parts[0].columns) if parts else []
    if len(parts) < 2 or any(list(p.columns) != names for p in parts):
        return pd.concat([p if k is None else p.loc[k] for p, k in zip(parts, keep)], ignore_index=True)
    columns = {}
    for c in names:
        pieces = [p[c] if k is None else p[c].loc[k] for p, k in zip(parts, keep)]
        if any(x.dtype == object or x.dtype == "str" for x in pieces):
            pieces = [pd.Series(np.full(len(x), np.nan, dtype=object), dtype=object)   # (no inference pass)
                      if x.dtype == "float64" and len(x) and x.isna().all() else x for x in pieces]
        columns[c] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns, columns=names, copy=False)   # the columns as made, not copied into blocks


def _who(frame: pd.DataFrame, who: str) -> pd.DataFrame:
    if who == "app":
        return frame.loc[frame["sdk"].isna()]
    if who == "sdk":
        return frame.loc[frame["sdk"].notna()]
    return frame


def _to(sent: pd.DataFrame, to: str) -> pd.DataFrame:
    if to == "third_party":
        return sent.loc[sent["party"].eq(THIRD_PARTY)]
    if to == "first_party":
        return sent.loc[sent["party"].ne(THIRD_PARTY)]
    return sent


def _before(frame: pd.DataFrame, ctx: Evidence) -> pd.DataFrame:
    """Rows before consent (and before a refusal: what follows a refusal is collected_after_refusal's)."""
    return frame.loc[frame["ts"] < ctx.consent.before_cutoff]


def _join_reads_to_sends(rows: pd.DataFrame, ctx: Evidence) -> pd.DataFrame:
    """Give each read row the destination of the sends it is linked to among the same rows.

    One finding per (rule, actor, PII type, destination) then holds a read and its send
    together; a read linked to sends to two hosts is evidence of both, and a read whose value
    was not sent among these rows keeps no host. Only sends attributed to the read's own SDK
    are joined (a value read by one party and sent to another's host stays two findings).
    """
    is_read = rows["stream"].eq("event") & rows["hit_id"].isna() & rows["host"].isna() & rows["event_id"].notna()
    sends = rows.loc[rows["hit_id"].notna(), ["hit_id", "sdk", "host"]]
    if not is_read.any() or sends.empty or ctx.links.empty:
        return rows
    linked = (ctx.links[["event_id", "hit_id"]].astype({"event_id": "Int64", "hit_id": "Int64"})
              .merge(sends.astype({"hit_id": "Int64"}), on="hit_id")[["event_id", "sdk", "host"]].drop_duplicates())
    reads = rows.loc[is_read].drop(columns=["host"]).astype({"event_id": "Int64"})
    joined = reads.merge(linked, on=["event_id", "sdk"], how="left")
    return pd.concat([rows.loc[~is_read], joined], ignore_index=True).reindex(columns=rows.columns)


# -- detections ----------------------------------------------------------------------------

@detection(
    "read_before_consent",
    doc_en="Hooked sensitive-API reads (pii_read events) before the consent moment; `who` keeps reads by an SDK, "
           "by the app itself, or any.",
    doc_zh="同意时刻之前的敏感API读取事件（pii_read）；参数 who 选择SDK、App自身或全部。",
    params={"who": WHO}, group_by=("pii_type", "sdk", "host"), relative_to_consent=True,
)
def read_before_consent(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return _from_reads(_who(_before(ctx.reads, ctx), params.get("who", "any")))


@detection(
    "sent_before_consent",
    doc_en="PII hits in requests sent before the consent moment; `to` keeps third-party hosts (SDK domains, or "
           "hosts not listed as first party), first-party/unattributed hosts, or any; `who` filters on the "
           "attributed SDK.",
    doc_zh="同意时刻之前发出、携带个人信息的请求；参数 to 选择第三方主机、App自有（或未归属）主机或全部，who 按归属SDK筛选。",
    params={"to": TO, "who": WHO}, relative_to_consent=True,
)
def sent_before_consent(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    sent = _to(_before(ctx.sent, ctx), params.get("to", "any"))
    return _from_sent(_who(sent, params.get("who", "any")))


@detection(
    "sent_to_third_party_before_consent",
    doc_en="sent_before_consent restricted to third-party hosts: a host of a catalogued SDK (not a cloud or CDN "
           "provider's), or (with first_party_hosts in scope.yaml) any host that is not the operator's.",
    doc_zh="仅限第三方主机的 sent_before_consent：SDK目录中的主机（云服务与CDN提供方除外），或（scope.yaml 填写了 "
           "first_party_hosts 时）非App自有的主机。",
    params={"who": WHO}, relative_to_consent=True,
)
def sent_to_third_party_before_consent(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return sent_before_consent(ctx, {**params, "to": "third_party"})


@detection(
    "permission_before_consent",
    doc_en="Runtime permission requests, for permissions that can collect personal information, before the "
           "consent moment, with their result events; grouped by the PII type the permission guards.",
    doc_zh="同意时刻之前对可收集个人信息权限的运行时申请及其结果；按权限所保护的个人信息类型分组。",
    params={}, group_by=("pii_type", "sdk"), relative_to_consent=True,
)
def permission_before_consent(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    perms = ctx.permissions
    early = perms.loc[perms["kind"].eq("request") & (perms["ts"] < ctx.consent.cutoff)]
    if early.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    results = perms.loc[perms["kind"].eq("result") & perms["request_code"].isin(early["request_code"].dropna())]
    # A result answers the latest request with its request code before it.
    requests = early.dropna(subset=["request_code"])[["ts", "request_code", "event_id"]].rename(
        columns={"event_id": "request_id"})
    answered = pd.merge_asof(
        results.sort_values("ts"), requests.sort_values("ts"), on="ts", by="request_code", direction="backward",
    ).dropna(subset=["request_id"]) if not results.empty else results
    rows = pd.concat([early, answered.drop(columns=["request_id"], errors="ignore")], ignore_index=True)
    return rows.assign(stream="event", host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)


@detection(
    "collected_after_refusal",
    doc_en="Reads and PII-bearing requests after the user declined the privacy policy and before any later "
           "agreement (needs a recorded decline).",
    doc_zh="用户拒绝隐私政策之后、再次同意之前的读取事件与携带个人信息的请求（需记录到拒绝）。",
    params={"who": WHO}, relative_to_consent=True, after_refusal=True,
)
def collected_after_refusal(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    window = ctx.consent.refusal_window
    if window is None:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    start, end = window
    inside = lambda f: f.loc[(f["ts"] >= start) & (f["ts"] < end)]  # noqa: E731
    rows = _stacked([_from_reads(inside(ctx.reads)), _from_sent(inside(ctx.sent))])
    return _who(_join_reads_to_sends(rows, ctx), params.get("who", "any"))


@detection(
    "host_header_mismatch",
    doc_en="Requests whose Host header names another registrable domain than the host the connection went to "
           "(the server address, else the TLS SNI): the app hides where it sends data. A connection to an IP "
           "address (HTTPDNS) and a Host header under the same registrable domain are not counted.",
    doc_zh="Host请求头所写的可注册域名与连接实际目标（服务器地址，否则TLS SNI）不同的请求：App隐藏数据的真实去向。"
           "直接连接IP地址（HTTPDNS）以及同一可注册域名下的Host头不计入。",
    params={"who": WHO}, group_by=("sdk", "host"),
)
def host_header_mismatch(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    flows = ctx.flows if ctx.flows is not None else pd.DataFrame(columns=["flow_id", "ts", "host", "host_header"])
    named = flows.loc[flows["host_header"].notna() & flows["host"].notna()]
    named = named.loc[~named["host"].map(hosts.is_ip_literal).astype(bool)]
    differ = (named["host"].map(hosts.registrable_domain) != named["host_header"].map(hosts.registrable_domain))
    bad = named.loc[differ]
    rows = bad.assign(sdk=bad["actor"] if "actor" in bad else None, stream="flow", pii_type=pd.NA,
                      location="header:host=" + bad["host_header"].astype("str"))
    return _who(rows.reindex(columns=EVIDENCE_COLUMNS), params.get("who", "any"))


def _scope_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    scope = ctx.scope
    sdk = keys.get("sdk")
    return {
        "stated": sorted(scope.stated_for(sdk)) if scope else [],
        "sdk_listed_in_scope": bool(scope and (sdk is None or sdk in scope.stated_sdks)),
        "scope_file": scope.source if scope else None,
    }


@detection(
    "beyond_stated_scope",
    doc_en="PII types read or sent by the app or an SDK that scope.yaml does not state for it (an SDK missing "
           "from scope.yaml states nothing). The SDK of a flow is the destination host's SDK, else the SDK of "
           "the linked read. Needs scope.yaml with `stated`.",
    doc_zh="App或SDK读取或发送、但scope.yaml未为其声明的个人信息类型（scope.yaml未列出的SDK视为未声明任何类型）。"
           "流量的SDK取自目标主机，否则取关联读取事件的调用方。需要scope.yaml的 stated。",
    params={"include": ("reads", "sent", "both")}, group_by=("pii_type", "sdk", "host"), detail=_scope_detail,
)
def beyond_stated_scope(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    scope = ctx.scope
    if scope is None or not scope.has_statements:
        raise NotApplicable("no stated scope (scope.yaml with `stated`) / 未提供声明范围（scope.yaml 的 stated）")
    include = params.get("include", "both")
    stated = {("", t) for t in scope.stated_for(None)} | {(s, t) for s, ts in scope.stated_sdks.items() for t in ts}
    parts = []
    # Each part cut to its unstated rows before anything else is made of it: at 10^6 rows the
    # stated-scope test is asked once per distinct (SDK, type) pair, not by a merge of every row.
    if include in ("reads", "both"):
        parts.append(_from_reads(ctx.reads))
    if include in ("sent", "both"):
        parts.append(_from_sent(ctx.sent))
    rows = _stacked(parts, keep=[_unstated(p, stated) for p in parts])
    return rows.assign(pii_type=rows["pii_type"].astype("str"))


def _unstated(rows: pd.DataFrame, stated: set[tuple[str, str]]) -> np.ndarray:
    """Which rows have an (SDK, PII type) scope.yaml does not state; the app's own statements apply to
    a cloud or CDN provider (it processes on the operator's behalf) and to the app itself."""
    # each SDK coded once; a missing SDK (code -1, the last name) and a cloud or CDN provider are ""
    sdk_codes, sdks = pd.factorize(rows["sdk"].astype("object"), use_na_sentinel=True)
    named = ["" if sdk_catalog.is_infrastructure(v) else str(v) for v in sdks] + [""]
    type_codes, types = pd.factorize(rows["pii_type"].astype("object"), use_na_sentinel=True)
    width = len(types) + 1   # type code + 1: 0 is a missing type, never stated
    which, pairs = pd.factorize(sdk_codes.astype("int64") * width + (type_codes + 1))   # (SDK, type) pairs
    typed = [str(v) for v in types]
    told = np.array([int(p) % width > 0 and (named[int(p) // width], typed[int(p) % width - 1]) in stated
                     for p in pairs], dtype=bool)
    return ~told[which.reshape(-1)] if len(rows) else np.zeros(0, dtype=bool)


def _necessary_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    category = ctx.scope.necessary() if ctx.scope else None
    if category is None:
        return {}
    return {
        "category": category.name, "category_no": category.no, "necessary_zh": category.necessary_zh,
        "necessary_pii_types": sorted(category.pii_types), "baseline_row_verified": category.verified,
    }


@detection(
    "outside_necessary_scope",
    doc_en="PII read or sent before consent whose type is not necessary PI for the app's type "
           "(scope.yaml app.category, one of the 39 types; analysis/data/necessary_pi.yaml). Needs the category.",
    doc_zh="同意前读取或发送、且不属于该类型App必要个人信息的类型（scope.yaml 的 app.category，39类之一；"
           "analysis/data/necessary_pi.yaml）。需要App类型。",
    params={"who": WHO}, group_by=("pii_type", "sdk", "host"), relative_to_consent=True, detail=_necessary_detail,
)
def outside_necessary_scope(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    category = ctx.scope.necessary() if ctx.scope else None
    if category is None:
        raise NotApplicable("no app category (scope.yaml app.category) / 未提供App类型（scope.yaml 的 app.category）")
    rows = _stacked([_from_reads(_before(ctx.reads, ctx)), _from_sent(_before(ctx.sent, ctx))])
    rows = _who(rows, params.get("who", "any"))
    return rows.loc[~rows["pii_type"].isin(category.pii_types)]


@detection(
    "sent_over_cleartext",
    doc_en="PII hits in requests over plain http:// (at any time).",
    doc_zh="通过明文 http:// 发送、携带个人信息的请求（任何时间）。",
    params={"who": WHO},
)
def sent_over_cleartext(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    plain = ctx.sent.loc[ctx.sent["scheme"].eq("http")]
    return _from_sent(_who(plain, params.get("who", "any")))


# -- app state: background, user input, other apps -----------------------------------------

def _needs_input(ctx: Evidence) -> None:
    if not appstate.has_input(ctx.ui):
        raise NotApplicable("no touch or click events: user input was not recorded / 未记录触摸或点击事件，无法判断用户操作")


def _with_companions(rows: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Evidence rows plus, per row, a row of the same group naming a supporting event (a pause, a dialog)."""
    extra = rows.assign(event_id=ids.to_numpy(), flow_id=pd.NA, hit_id=pd.NA, stream="event",
                        context=True).loc[ids.notna().to_numpy()]
    return pd.concat([rows, extra], ignore_index=True) if not extra.empty else rows


@detection(
    "collected_in_background",
    doc_en="Hooked reads (and, with include: both, PII-bearing requests) while no activity of the app was resumed: "
           "after a pause until the next resume, if that spell lasts at least min_background_s; reads by another "
           "process of the app (e.g. :push) before the first resume count too. Each finding also names the pause "
           "event. Needs activity_state events.",
    doc_zh="App没有处于前台（无已恢复的Activity）时的敏感API读取（include: both 时含携带个人信息的请求）：从暂停到下一次恢复，"
           "且持续不少于 min_background_s 秒；App其他进程（如 :push）在首次恢复前的读取也计入。发现同时列出暂停事件。需要 activity_state 事件。",
    params={"who": WHO, "include": ("reads", "both"), "min_background_s": SECONDS},
)
def collected_in_background(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    if not ctx.ui["kind"].eq(appstate.STATE).any():
        raise NotApplicable("no activity_state events: foreground and background cannot be told apart / "
                            "未记录 activity_state 事件，无法区分前台与后台")
    min_s = float(params.get("min_background_s", 1.0))
    reads = ctx.reads
    child = reads["process"].fillna("").str.contains(":", regex=False)
    bg = appstate.background(reads["ts"], ctx.ui, min_s=min_s, child=child)
    rows = _from_reads(reads.loc[bg["background"]])
    ids = bg.loc[bg["background"], "pause_event_id"]
    if params.get("include", "both") == "both":
        sent = ctx.sent
        sbg = appstate.background(sent["ts"], ctx.ui, min_s=min_s)
        rows = pd.concat([rows, _from_sent(sent.loc[sbg["background"]])], ignore_index=True)
        ids = pd.concat([ids, sbg.loc[sbg["background"], "pause_event_id"]], ignore_index=True)
    rows = _join_reads_to_sends(rows.reset_index(drop=True).assign(pause=ids.reset_index(drop=True)), ctx)
    rows = _with_companions(rows.drop(columns=["pause"]), rows["pause"].astype("Int64"))
    return _who(rows, params.get("who", "any"))


# The system's own screens an app opens for itself (runtime permission dialog): not "another app".
SYSTEM_PACKAGES = ("android", "com.android.permissioncontroller", "com.google.android.permissioncontroller")


@detection(
    "launch_without_user_action",
    doc_en="component_launch events (startActivity, startService, bindService, sendBroadcast) aimed at another "
           "app's package with no touch or click in the window_s seconds before; the target is in the location "
           "column. The system's permission dialog (com.android.permissioncontroller) is not another app, nor is "
           "a bind to an identifier service (GMS advertising ID, vendor OAID services: a read of that identifier, "
           "analysis/data/identifier_services.yaml). Needs touch or click events.",
    doc_zh="在此前 window_s 秒内没有触摸或点击、且目标为其他App包名的组件启动事件（startActivity、startService、bindService、"
           "sendBroadcast）；目标写在位置列。系统的权限申请弹窗（com.android.permissioncontroller）不算其他App；"
           "绑定设备标识服务（GMS广告ID、厂商OAID服务）是对该标识的读取，也不算。"
           "需要触摸或点击事件。",
    params={"who": WHO, "window_s": SECONDS}, group_by=("pii_type", "sdk"),
)
def launch_without_user_action(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    _needs_input(ctx)
    ui = ctx.ui
    own = ctx.app_package
    # A bind to an identifier service is the caller's read of that identifier (prepare.reads), not a launch.
    launches = ui.loc[ui["kind"].eq(appstate.LAUNCH) & ui["target_package"].notna() & ui["reads_identifier"].isna()]
    own_pkg = launches["process"].fillna(own or "").str.split(":").str[0].replace("", own)
    launches = launches.loc[launches["target_package"].ne(own_pkg)
                            & ~launches["target_package"].isin(params.get("system_packages", SYSTEM_PACKAGES))]
    touched = appstate.input_before(launches["ts"], ui, window_s=float(params.get("window_s", 2.0)))
    bad = launches.loc[~touched["touched"]]
    target = (bad["launch_kind"].fillna("launch") + ":" + bad["target_package"]
              + ("/" + bad["target_class"]).fillna(""))
    rows = bad.assign(location=target, stream="event", pii_type=pd.NA, host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)
    return _who(rows, params.get("who", "any"))


@detection(
    "sensor_without_user_action",
    doc_en="Camera and microphone reads (pii_read of type camera or microphone: Camera.open, "
           "CameraManager.openCamera, AudioRecord.startRecording, MediaRecorder.start) with no touch or click in "
           "the window_s seconds before. Needs touch or click events.",
    doc_zh="此前 window_s 秒内没有触摸或点击的相机、麦克风调用（类型为 camera 或 microphone 的读取事件）。需要触摸或点击事件。",
    params={"who": WHO, "window_s": SECONDS}, group_by=("pii_type", "sdk"),
)
def sensor_without_user_action(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    _needs_input(ctx)
    reads = ctx.reads.loc[ctx.reads["pii_type"].isin(("camera", "microphone"))]
    touched = appstate.input_before(reads["ts"], ctx.ui, window_s=float(params.get("window_s", 3.0)))
    return _who(_from_reads(reads.loc[~touched["touched"]]), params.get("who", "any"))


@detection(
    "consent_checkbox_prechecked",
    doc_en="A checkbox set checked by code (CompoundButton.setChecked(true) with no touch or click in the window_s "
           "seconds before) before the consent moment; the privacy dialog shown is named too. Needs touch or click "
           "events.",
    doc_zh="同意时刻之前由代码勾选的复选框（CompoundButton.setChecked(true)，此前 window_s 秒内无触摸或点击）；"
           "同时列出显示的隐私弹窗。需要触摸或点击事件。",
    params={"window_s": SECONDS}, group_by=("pii_type", "sdk"), relative_to_consent=True,
)
def consent_checkbox_prechecked(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    _needs_input(ctx)
    ui = ctx.ui
    boxes = ui.loc[ui["kind"].eq(appstate.CHECKBOX) & ui["checked"].eq(True) & (ui["ts"] < ctx.consent.cutoff)]
    touched = appstate.input_before(boxes["ts"], ui, window_s=float(params.get("window_s", 1.0)))
    bad = boxes.loc[~touched["touched"]]
    rows = bad.assign(stream="event", pii_type=pd.NA, host=pd.NA,
                      location=bad["label"].fillna("").map(lambda t: f"checkbox:{t}" if t else "checkbox"))
    rows = rows.reindex(columns=EVIDENCE_COLUMNS).reset_index(drop=True)
    dialog = ctx.consent.event_ids[:1] if ctx.consent.dialog_shown_ts is not None else ()
    return _with_companions(rows, pd.Series([dialog[0] if dialog else pd.NA] * len(rows), dtype="Int64"))


@detection(
    "permission_before_user_input",
    doc_en="Runtime permission requests (permissions that can collect personal information) made before the user's "
           "first touch or click of the session that used the app: asked at launch, before any feature was used. "
           "Answering the privacy dialog is not using a feature: the 同意 (or decline) tap and any touch while the "
           "privacy notice was up do not count. One finding per requester (the app, each SDK). Needs touch or "
           "click events.",
    doc_zh="在本次会话用户首次使用App的触摸或点击之前发出的运行时权限申请（仅限可收集个人信息的权限）：启动即申请，未见使用对应功能。"
           "回应隐私弹窗不是使用功能：点击“同意”（或“不同意”）以及隐私弹窗显示期间的触摸不计入。每个申请方（App、各SDK）一条发现。"
           "需要触摸或点击事件。",
    params={}, group_by=("sdk",),
)
def permission_before_user_input(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    _needs_input(ctx)
    first = permission_rules.feature_inputs(ctx.ui, ctx.consent)["ts"].min()
    perms = ctx.permissions
    early = perms.loc[perms["kind"].eq("request") & ~(perms["ts"] >= first)]   # no feature input at all: all early
    return early.assign(stream="event", host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)


# -- necessity: permissions beyond what the app's category needs (analysis/necessity.py) ----------

from analysis import necessity  # noqa: E402 - the necessity baseline, kept in a module of its own


def _category_needed(ctx: Evidence):
    category = ctx.scope.necessary() if ctx.scope else None
    if category is None:
        raise NotApplicable("no app category (scope.yaml app.category) / 未提供App类型（scope.yaml 的 app.category）")
    return category


def _declared_beyond(ctx: Evidence, category, params: dict[str, Any]) -> pd.DataFrame:
    """The manifest's entries beyond necessity and the policy's stated uses; with when_requested: skip, less
    the kinds the session saw requested beyond necessity (those are IM4.1's findings)."""
    beyond = necessity.beyond_stated(necessity.declared_beyond(ctx.declared, category), ctx.scope)
    if params.get("when_requested", "skip") == "skip":
        requested = necessity.beyond_stated(necessity.requested_beyond(ctx.permissions, category), ctx.scope)
        beyond = beyond.loc[~beyond["pii_type"].isin(requested["pii_type"])]
    return beyond


def _declared_detail(keys: dict[str, Any], ctx: Evidence, params: dict[str, Any]) -> dict[str, Any]:
    category = ctx.scope.necessary() if ctx.scope else None
    if category is None or ctx.declared is None:
        return {}
    return necessity.detail(category, declared=_declared_beyond(ctx, category, params), app_manifest=ctx.app_manifest)


def _session_start(ctx: Evidence) -> float | None:
    """The earliest time the session holds (the app was installed before its first run)."""
    times = [f["ts"].min() for f in (ctx.ui, ctx.permissions, ctx.reads, ctx.sent, ctx.flows)
             if f is not None and not f.empty]
    times = [t for t in times if pd.notna(t)]
    return float(min(times)) if times else None


@detection(
    "declared_beyond_necessity",
    doc_en="Permissions that can collect personal information declared in the app's manifest (<uses-permission>; "
           "from the APK given to record/analyze --apk, or the stand-in's manifest in the demo) that the app's type "
           "does not need for its basic function (scope.yaml app.category; analysis/data/necessary_permissions.yaml). "
           "Permissions whose personal information the privacy policy states for the app (scope.yaml stated.app: a "
           "stated extended function) are left out. One finding for the manifest: its entries, the type's "
           "necessary-PI row and the mapping row are in the detail. With when_requested: skip (the default), a "
           "kind the session also saw requested beyond necessity is left to requested_beyond_necessity, whose "
           "finding lists the same manifest entries. Needs the category and a recorded manifest.",
    doc_zh="App清单文件声明（<uses-permission>；来自 record/analyze --apk 给出的APK，演示中为替身App的清单）、"
           "可收集个人信息、但该类型App基本功能并不需要的权限（scope.yaml 的 app.category；"
           "analysis/data/necessary_permissions.yaml）。隐私政策为App声明了用途的个人信息类型（scope.yaml 的 stated.app：已告知的扩展功能）"
           "不计入。整个清单一条发现：清单条目、该类型的必要个人信息行与映射行列在详情中。when_requested: skip（默认）时，"
           "本次会话中也被超范围申请的类型交由 requested_beyond_necessity 报告（其发现列出同样的清单条目）。需要App类型和已记录的清单。",
    params={"when_requested": ("skip", "report")}, group_by=("sdk",), detail=_declared_detail,
    detail_params=True,
)
def declared_beyond_necessity(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    category = _category_needed(ctx)
    if not ctx.app_manifest or ctx.declared is None:
        raise NotApplicable("no app manifest recorded (record/analyze --apk APK) / 未记录App清单（record/analyze --apk）")
    beyond = _declared_beyond(ctx, category, params)
    ts = _session_start(ctx)
    if ts is None:
        ts = float(ctx.app_manifest.get("recorded_at") or 0.0)
    entries = [necessity.manifest_entry(p, m) for p, m in zip(beyond["permission"], beyond["max_sdk_version"])]
    rows = beyond.assign(ts=ts, stream="manifest", sdk=None, host=pd.NA, location=entries,
                         source=ctx.app_manifest.get("source"), api="AndroidManifest.xml")
    return rows.reindex(columns=EVIDENCE_COLUMNS)


def _requested_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    category = ctx.scope.necessary() if ctx.scope else None
    if category is None:
        return {}
    out = necessity.detail(category)
    if ctx.declared is not None and ctx.app_manifest:
        mine = ctx.declared.loc[ctx.declared["pii_type"].eq(keys.get("pii_type"))]
        out["manifest_entries"] = [necessity.manifest_entry(p, m)
                                   for p, m in zip(mine["permission"], mine["max_sdk_version"])]
    return out


@detection(
    "requested_beyond_necessity",
    doc_en="Runtime permission requests (permission_request events: Activity/Fragment/ActivityCompat.requestPermissions, "
           "with the caller's stack and SDK) for permissions that can collect personal information and that the "
           "app's type does not need for its basic function (scope.yaml app.category; "
           "analysis/data/necessary_permissions.yaml). Permissions whose personal information the privacy policy "
           "states for the requester (scope.yaml stated: a stated extended function) are left out. One finding per "
           "kind of personal information and requester. Needs the category.",
    doc_zh="运行时权限申请事件（permission_request：Activity/Fragment/ActivityCompat.requestPermissions，含调用栈与SDK），"
           "所申请的可收集个人信息权限不是该类型App基本功能所需（scope.yaml 的 app.category；"
           "analysis/data/necessary_permissions.yaml）。隐私政策为申请方声明了用途的个人信息类型（scope.yaml 的 stated：已告知的扩展功能）"
           "不计入。按个人信息类型和申请方各成一条发现。需要App类型。",
    params={"who": WHO}, group_by=("pii_type", "sdk"), detail=_requested_detail,
)
def requested_beyond_necessity(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    category = _category_needed(ctx)
    rows = necessity.beyond_stated(necessity.requested_beyond(ctx.permissions, category), ctx.scope)
    rows = rows.assign(stream="event", host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)
    return _who(rows, params.get("who", "any"))
# -- permission requests against the screen text (analysis.permissions) --------------------------

PURPOSE_WINDOW_S = 3.0
REASK_INTERVAL_H = 48


@detection(
    "permission_purpose_not_shown",
    doc_en="Runtime permission requests (permissions that can collect personal information) with no text of the app "
           "naming the permission's use on screen within window_s seconds before the request: no dialog, popup, "
           "window or toast shown (or still up) in the window whose text names the permission's group "
           "(analysis/data/permission_groups.yaml keywords: 位置/定位/location, 相机/扫一扫/camera, ...). The privacy "
           "dialog answered for consent is not a purpose statement. The app's shouldShowRequestPermissionRationale "
           "checks of the permission in the window are listed as context.",
    doc_zh="申请可收集个人信息的运行时权限时，此前 window_s 秒内屏幕上没有App说明该权限用途的文字：窗口内显示（或仍在显示）的弹窗、"
           "浮层、窗口、Toast中，没有文字提到该权限组（analysis/data/permission_groups.yaml 的关键词：位置/定位、相机/扫一扫……）。"
           "用于征得同意的隐私弹窗不算用途说明。窗口内App对该权限的 shouldShowRequestPermissionRationale 检查作为上下文列出。",
    params={"window_s": SECONDS}, group_by=("sdk",), detail_params=True,
    detail=lambda keys, ctx, params: permission_rules.purpose_detail(
        keys, ctx.permissions, ctx.screen, ctx.consent, float(params.get("window_s", PURPOSE_WINDOW_S))),
)
def permission_purpose_not_shown(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return permission_rules.purpose_not_stated(
        ctx.permissions, ctx.screen, ctx.consent, window_s=float(params.get("window_s", PURPOSE_WINDOW_S)),
        columns=EVIDENCE_COLUMNS)


@detection(
    "bundled_permission_request",
    doc_en="One request call asking for permissions of at least min_groups unrelated permission groups "
           "(analysis/data/permission_groups.yaml: a group per permission, and the related groups one feature needs "
           "together: storage/photos/audio, phone/call log, camera/microphone). Evidence: every permission of the call.",
    doc_zh="一次申请调用同时申请至少 min_groups 个互不相关的权限组（analysis/data/permission_groups.yaml：每个权限所属的组，"
           "以及同一功能通常一起需要的相关组：存储/照片/音频、电话/通话记录、相机/麦克风）。证据为该次调用的全部权限。",
    params={"min_groups": COUNT}, group_by=("sdk",), detail_params=True,
    detail=lambda keys, ctx, params: permission_rules.bundle_detail(keys, ctx.permissions, int(params.get("min_groups", 2))),
)
def bundled_permission_request(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return permission_rules.bundled_requests(ctx.permissions, min_groups=int(params.get("min_groups", 2)),
                                             columns=EVIDENCE_COLUMNS)


@detection(
    "permission_requested_by_sdk",
    doc_en="Runtime permission requests (permissions that can collect personal information) whose stack names a "
           "catalogued SDK (the caller the hook attributed, as for reads); the detail lists the frames that name it.",
    doc_zh="调用栈指向SDK目录中某个SDK的运行时权限申请（仅限可收集个人信息的权限；与读取事件相同的归属方法）；详情列出指向该SDK的栈帧。",
    params={}, group_by=("sdk",),
    detail=lambda keys, ctx: permission_rules.sdk_detail(keys, ctx.permissions),
)
def permission_requested_by_sdk(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return permission_rules.requested_by_sdk(ctx.permissions, columns=EVIDENCE_COLUMNS)


@detection(
    "permission_asked_again_after_denial",
    doc_en="A request for a permission whose latest answer was a denial less than interval_h hours before; "
           "re-asks up to max_repeats per denial are allowed (0: any re-ask counts). The denial is named as context; "
           "the detail gives the seconds since the denial and the n-th re-ask.",
    doc_zh="某权限最近一次被用户拒绝后 interval_h 小时内再次申请该权限；每次拒绝后允许的再次申请次数为 max_repeats（0：任何再次申请均计入）。"
           "拒绝事件作为上下文列出；详情给出距拒绝的秒数与第几次再次申请。",
    params={"interval_h": HOURS, "max_repeats": COUNT}, group_by=("pii_type", "sdk"), detail_params=True,
    detail=lambda keys, ctx, params: permission_rules.reask_detail(
        keys, ctx.permissions, float(params.get("interval_h", REASK_INTERVAL_H)) * 3600.0,
        int(params.get("max_repeats", 0))),
)
def permission_asked_again_after_denial(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    return permission_rules.asked_again_after_denial(
        ctx.permissions, interval_s=float(params.get("interval_h", REASK_INTERVAL_H)) * 3600.0,
        max_repeats=int(params.get("max_repeats", 0)), columns=EVIDENCE_COLUMNS)


# -- the policy's SDK list -------------------------------------------------------------------

def _undisclosed_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    sdk = keys.get("sdk")
    entity = sdk_catalog.entity_for(sdk)
    return {
        "sdk_label": sdk_catalog.label(sdk),
        "company": entity.label if entity else (ctx.scope.sdk_named.get(sdk) if ctx.scope else None),
        "policy_sdk_list": sorted(ctx.scope.listed_sdks) if ctx.scope else [],
        "scope_file": ctx.scope.source if ctx.scope else None,
    }


def _at_work(ctx: Evidence, listed: frozenset[str] | None = None) -> pd.DataFrame:
    """Evidence that an SDK was at work: reads and permission requests it made (the stack names it as the
    caller) and flows to its hosts (catalog or scope `sdks`), whether or not they carried PII; with
    `listed`, only the SDKs not among these (the cut made per part, before anything is copied)."""
    def working(part: pd.DataFrame) -> pd.DataFrame:
        # rows whose actor is a named SDK that is not infrastructure; each part is cut before the
        # concatenation, which then copies only the rows kept (10^6 reads and flows otherwise),
        # and only of the columns an evidence row has
        actor = part["sdk"]
        named = _by_value(actor, lambda a: not str(a).startswith((sdk_catalog.UNATTRIBUTED, sdk_catalog.LIBRARY))
                          and not sdk_catalog.is_infrastructure(a) and (listed is None or a not in listed))
        return part.loc[named, [c for c in part.columns if c in EVIDENCE_COLUMNS]]

    reads = _from_reads(working(ctx.reads))
    perms = ctx.permissions.loc[ctx.permissions["kind"].eq("request")]
    perms = perms.assign(stream="event", host=pd.NA).reindex(columns=EVIDENCE_COLUMNS)
    parts = [(ctx.reads, reads), (perms, working(perms))]
    flows = ctx.flows
    if flows is not None and not flows.empty:
        declared = ctx.scope.sdk_hosts if ctx.scope else {}
        distinct = flows["host"].dropna().unique()
        table = {h: (hosts.longest_under(h, declared) if declared else None) or sdk_catalog.sdk_for_host(h)
                 for h in distinct}
        sdk = flows["host"].map(table)
        # only the columns an evidence row has are taken (not the flows' URLs and hashes)
        shown = [c for c in flows.columns if c in EVIDENCE_COLUMNS and c not in ("sdk", "stream", "pii_type")]
        seen = flows.loc[sdk.notna(), shown].assign(sdk=sdk, stream="flow", pii_type=pd.NA)
        parts.append((seen, working(seen).reindex(columns=EVIDENCE_COLUMNS)))
    # the parts that had rows before the cut are concatenated, as before it (same dtypes)
    kept = [p for whole, p in parts if not whole.empty]
    return _stacked(kept) if kept else reads.iloc[0:0]


def _by_value(col: pd.Series, test: Callable[[Any], Any]) -> np.ndarray:
    """`test` of each row's value as booleans, asked once per distinct value (missing: False)."""
    codes, distinct = pd.factorize(col.astype("object"), use_na_sentinel=True)
    return np.array([bool(test(v)) for v in distinct] + [False], dtype=bool)[codes]


@detection(
    "sdk_not_in_policy",
    doc_en="SDKs seen at work — a read or permission request whose stack names the SDK as the caller, or traffic "
           "to its hosts — that the privacy policy's SDK list (scope.yaml `stated.sdks`) does not name. One finding "
           "per SDK; cloud and CDN providers (the operator's processors) are not SDKs the list must name. Needs "
           "scope.yaml with `stated`.",
    doc_zh="运行中可见其工作的SDK（调用栈以其为调用方的读取或权限申请，或发往其主机的流量），但隐私政策的SDK清单"
           "（scope.yaml 的 stated.sdks）未列出。每个SDK一条发现；云服务、CDN提供方不计。需要scope.yaml的 stated。",
    params={}, group_by=("sdk",), detail=_undisclosed_detail,
)
def sdk_not_in_policy(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    scope = ctx.scope
    if scope is None or not scope.has_statements:
        raise NotApplicable("no stated scope (scope.yaml with `stated`) / 未提供声明范围（scope.yaml 的 stated）")
    return _at_work(ctx, listed=frozenset(scope.listed_sdks)).reset_index(drop=True)


# -- refuse: after the user declined the privacy policy (analysis.refusal) --------------------

def _refusal_rows(rows: pd.DataFrame, proof: str) -> pd.DataFrame:
    """Evidence rows from refusal moments: those of kind `proof` prove the rule, the others
    (the decline tap, the prompts in between) are context."""
    return rows.assign(stream="event", pii_type=pd.NA, host=pd.NA, context=rows["moment"].ne(proof),
                       location=rows["moment"] + ":" + rows["how"].fillna(rows["label"]).fillna("").astype("str")
                       ).reindex(columns=EVIDENCE_COLUMNS)


def _refusal_detail(ctx: Evidence) -> dict[str, Any]:
    c = ctx.consent
    first = refusal.refusal_rows(ctx.refusal, c)
    return {"declined_ts": c.declined_ts, "declined_event_ids": list(c.declined_event_ids),
            "declined_label": None if first.empty else first["label"].iloc[0]}


def _left_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    out = _refusal_detail(ctx)
    exits = refusal.left_after(ctx.refusal, ctx.consent, float("inf"))
    exits = exits.loc[exits["moment"].eq(refusal.EXIT)]
    if not exits.empty and ctx.consent.declined_ts is not None:
        out.update(left_ts=float(exits["ts"].iloc[0]), left_how=exits["how"].iloc[0],
                   seconds_to_leave=round(float(exits["ts"].iloc[0]) - ctx.consent.declined_ts, 3),
                   exits=[str(h) for h in exits["how"]])
    return out


@detection(
    "left_after_refusal",
    doc_en="The app leaving within window_s seconds after the user declined the privacy policy, before any later "
           "agreement: an activity finishing itself (app_exit: Activity.finish, finishAffinity, finishAndRemoveTask) "
           "or the process ending itself (process_exit through System.exit). The decline tap and the prompts shown "
           "in between are named as context; the detail gives the seconds from the refusal to the first exit. "
           "Needs a recorded decline.",
    doc_zh="用户拒绝隐私政策后 window_s 秒内、再次同意之前App退出：Activity自行结束（app_exit：Activity.finish、"
           "finishAffinity、finishAndRemoveTask）或进程自行结束（经 System.exit 的 process_exit）。拒绝点击及其间显示的"
           "弹窗作为上下文列出；明细给出从拒绝到首次退出的秒数。需记录到拒绝。",
    params={"window_s": SECONDS}, group_by=("pii_type",), relative_to_consent=True, detail=_left_detail,
)
def left_after_refusal(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    rows = refusal.left_after(ctx.refusal, ctx.consent, float(params.get("window_s", 5.0)))
    return _refusal_rows(rows, refusal.EXIT) if not rows.empty else pd.DataFrame(columns=EVIDENCE_COLUMNS)


def _asked_detail(keys: dict[str, Any], ctx: Evidence) -> dict[str, Any]:
    out = _refusal_detail(ctx)
    prompts = refusal.asked_again(ctx.refusal, ctx.consent, float("inf"))
    if ctx.consent.declined_ts is not None:
        out["prompt_seconds_after_refusal"] = [round(float(t) - ctx.consent.declined_ts, 3) for t in prompts["ts"]]
    return out


@detection(
    "asked_again_after_refusal",
    doc_en="Consent prompts (dialogs whose text is a privacy notice) shown again after the user declined the privacy "
           "policy, within interval_h hours and before any later agreement, when there are more than max_repeats of "
           "them; the decline tap is named as context. Needs a recorded decline.",
    doc_zh="用户拒绝隐私政策后 interval_h 小时内、再次同意之前，再次显示的征求同意弹窗（文字为隐私政策提示的弹窗）多于 "
           "max_repeats 次；拒绝点击作为上下文列出。需记录到拒绝。",
    params={"interval_h": HOURS, "max_repeats": COUNT}, group_by=("pii_type",),
    relative_to_consent=True, detail=_asked_detail,
)
def asked_again_after_refusal(ctx: Evidence, params: dict[str, Any]) -> pd.DataFrame:
    prompts = refusal.asked_again(ctx.refusal, ctx.consent, float(params.get("interval_h", 48)) * 3600.0)
    if len(prompts) <= int(params.get("max_repeats", 1)):
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    rows = pd.concat([refusal.refusal_rows(ctx.refusal, ctx.consent), prompts], ignore_index=True)
    return _refusal_rows(rows, refusal.PROMPT)
