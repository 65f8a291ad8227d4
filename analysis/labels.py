"""Bilingual labels of values, and sentences, shared by the workbook, the HTML page, findings.json and the console.

Headers and fixed phrases are in ``analysis.bilingual``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from analysis.bilingual import DOCUMENTED_FIELD, EMPTY_SESSION, NO_FINDINGS, PARAPHRASE, both
from piiaudit import sdks as sdk_catalog
from piiaudit import vocab
from piiaudit.times import iso_one
from piiaudit.values import mask

SEVERITY = {"high": "高 / high", "medium": "中 / medium", "low": "低 / low"}
YES_NO = {True: "是 / yes", False: "否 / no"}
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"   # not allowed in XML 1.0 / not printable
_CONTROL = re.compile(CONTROL_CHARS)


def result_line(findings: int, *, empty: bool, failed_rules: int = 0) -> str:
    """The analysis's result in one bilingual sentence, the same in every output: an empty
    session, no findings (a clean app is a result worth saying), or how many findings."""
    if empty:
        return EMPTY_SESSION
    if findings:
        text = f"{findings} 条发现 / {findings} findings"
    else:
        text = NO_FINDINGS
    if failed_rules:
        text += "; " + both(f"{failed_rules} 条规则执行失败，结论不完整", f"{failed_rules} rules failed: the result is incomplete")
    return text


def clean_text(value: Any) -> str:
    """Text that any writer can encode: control characters and lone surrogates replaced."""
    text = str(value)
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("\ufffd", text)


def pii_label(name: Any) -> str:
    """A PII type's bilingual label; several types joined by ", " (one request for many permissions)
    are labelled one by one."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    if vocab.is_known(name):
        return vocab.get(name).label
    parts = str(name).split(", ")
    if len(parts) > 1 and all(vocab.is_known(p) for p in parts):
        return "; ".join(vocab.get(p).label for p in parts)
    return str(name)


def pii_names(name: Any) -> tuple[str, str]:
    """(Chinese name, English name) of a PII type, for a sentence in each language; ("", "") when missing."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return "", ""
    if not vocab.is_known(name):
        return str(name), str(name)
    t = vocab.get(name)
    return t.zh, t.en


def sdk_names(sdk_id: Any) -> tuple[str, str]:
    """(Chinese name, English name) of an actor (the app, a catalogued SDK, an unattributed party),
    for a sentence in each language; an id the catalog does not know is the same in both."""
    if sdk_id is None or (not isinstance(sdk_id, str) and pd.isna(sdk_id)):
        return "App本身", "the app itself"
    sdk_id = str(sdk_id)
    for prefix, zh, en in ((sdk_catalog.UNATTRIBUTED, "未归属第三方", "unattributed third party"),
                           (sdk_catalog.LIBRARY, "未识别的第三方库", "unidentified third-party library")):
        if sdk_id.startswith(prefix):
            name = sdk_id.removeprefix(prefix)
            return f"{zh} {name}", f"{en} {name}"
    sdk = sdk_catalog.catalog().get(sdk_id)
    if sdk is None:
        return sdk_id, sdk_id
    if sdk.category == "infrastructure":
        return f"{sdk.zh}（{sdk_catalog.SERVICE_PROVIDER[0]}）", f"{sdk.en} ({sdk_catalog.SERVICE_PROVIDER[1]})"
    return sdk.zh, sdk.en


def sdk_label(sdk_id: Any) -> str:
    """An actor's label in the reports: '中文 / English' (穿山甲 / Pangle (ByteDance Ads)), like every
    other label, so an English name with brackets of its own is never nested inside brackets."""
    zh, en = sdk_names(sdk_id)
    return zh if zh == en else both(zh, en)


def masked_values(values: pd.Series, reveal: bool) -> pd.Series:
    """Values as reports show them: masked (once per distinct value), or raw when revealing."""
    if reveal:
        return values
    distinct = values.dropna().unique()
    return values.map({v: mask(v) for v in distinct})


def link_sentences(link: dict[str, Any], tz: dt.tzinfo | None = None) -> tuple[str, str]:
    """("由…读取，…发送至…", "read at … by …, sent at … to …") for one read -> flow link, times in `tz`."""
    who_zh, who_en = sdk_names(link.get("reader_sdk"))
    pii_zh, pii_en = pii_names(link.get("pii_type"))
    api = link.get("api") or "?"
    where = ", ".join(str(x) for x in (link.get("location"), link.get("encoding")) if x)
    how = "（按类型关联 / linked by type）" if link.get("match") == "type" else ""
    read, sent = iso_one(link.get("read_ts"), tz), iso_one(link.get("sent_ts"), tz)
    value = f" {link['value_sent']}" if link.get("value_sent") else ""
    dt_zh = dt_en = ""
    if link.get("sent_dt_s") is not None:
        rd, sd = link.get("read_dt_s"), link["sent_dt_s"]
        dt_zh = f"（相对同意时刻：读取 {rd:+.3f} s，发送 {sd:+.3f} s）"
        dt_en = f" (against the consent moment: read {rd:+.3f} s, sent {sd:+.3f} s)"
    after_zh = "【同意之后发送】" if link.get("after_consent") else ""
    after_en = " [sent AFTER consent]" if link.get("after_consent") else ""
    zh = (f"{read} 由 {who_zh} 通过 {api} 读取{pii_zh}，"
          f"{sent} 发送至 {link.get('host')}（{where}）{value}{how}{dt_zh}{after_zh}")
    en = (f"read {pii_en + ' ' if pii_en else ''}at {read} by {who_en} ({api}), sent at {sent} "
          f"to {link.get('host')} ({where}){value}" + (" [linked by type]" if how else "") + dt_en + after_en)
    return zh, en


_QUOTES = {"“": "”", "「": "」"}
_INNER = str.maketrans({"“": "‘", "”": "’", "「": "『", "」": "』"})


def quoted(text: str) -> str:
    """`text` in “…” once: a text already wholly in “…” or 「…」 is kept as it is; quotation marks
    inside it become the inner kind (‘…’, 『…』), so no quotation mark is ever doubled."""
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1] and not any(q in text[1:-1] for q in "“”「」"):
        return text
    return f"“{text.translate(_INNER)}”"


def cite(basis: dict[str, Any]) -> str:
    """One legal-basis entry on one line: document clause：“quote” [V], or the paraphrase, marked."""
    body = (quoted(basis["quote_zh"]) if basis.get("quote_zh")
            else f"{PARAPHRASE}{basis.get('paraphrase_zh', '')}")
    return f"{basis['document']} {basis['clause']}：{body} [{basis['verified']}]"


TESTER_SOURCE = {
    "tester": "测试人员观察，非测量结果 / tester observation, not a measurement",
    "tester+measured": "测试人员观察与测量结果 / tester observation and measured traffic",
}


def finding_notes(detail: dict[str, Any]) -> str:
    """The parts of a finding's detail a reader needs next to it, one per line."""
    lines = []
    if detail.get("evidence_source") in TESTER_SOURCE:
        lines.append(f"证据来源 / evidence: {TESTER_SOURCE[detail['evidence_source']]}")
        for o in detail.get("tester_observations") or []:
            parts = [o.get("label") or o.get("kind")]
            parts += [f"@ {o['place']}"] if o.get("place") else []
            parts += [f"“{o['note']}”"] if o.get("note") else []
            parts += [f"截图 / screenshot {o['screenshot']} (sha256 {str(o.get('screenshot_sha256'))[:16]}…)"] \
                if o.get("screenshot") else []
            lines.append("  " + " ".join(parts))
        for o in detail.get("contradicted_by") or []:
            lines.append(f"  相反的观察 / contradicting mark: {o.get('label')}"
                         + (f" @ {o['place']}" if o.get("place") else ""))
    if detail.get("countries"):
        entity = detail.get("entity") or {}
        lines.append(f"境外目的地 / destination outside mainland China: {', '.join(detail['countries'])}; "
                     f"IP: {', '.join(detail.get('server_ips') or [])}"
                     + (f"; 主体 / entity: {entity.get('zh')} ({entity.get('en')}, {entity.get('region')})"
                        if entity else ""))
        lines.append(f"国家数据 / country data: {detail.get('geo_source')}")
    if "stated" in detail:
        if detail.get("sdk_listed_in_scope", True):
            lines.append(f"声明范围 / stated: {', '.join(detail['stated']) or '—'}")
        else:
            lines.append("该SDK未在scope.yaml中声明 / SDK not listed in scope.yaml")
    if "policy_sdk_list" in detail:
        lines.append(f"隐私政策SDK清单 / the policy's SDK list: {', '.join(detail['policy_sdk_list']) or '—'}"
                     + (f"; 提供方 / company: {detail['company']}" if detail.get("company") else ""))
    if "category" in detail:
        lines.append(f"App类型 / app type: {detail['category']} (#{detail.get('category_no')}, "
                     f"[{detail.get('baseline_row_verified')}]); 必要个人信息 / necessary PI: "
                     f"{', '.join(detail.get('necessary_pii_types') or []) or '无 / none'}")
    if "needed_permissions" in detail:
        lines.append(f"该类型所需权限 / permissions the type needs: "
                     f"{', '.join(detail['needed_permissions']) or '无 / none'}"
                     + (f" ({detail['mapping']['because_en']})" if detail.get("mapping") else ""))
    if detail.get("manifest_entries"):
        lines.append("清单声明 / declared in the manifest: " + " ".join(detail["manifest_entries"]))
    if detail.get("permission"):
        lines.append(f"权限 / permissions: {', '.join(detail['permission'])}")
    if detail.get("granted"):
        lines.append(f"授权结果 / granted: {', '.join(str(g) for g in detail['granted'])}")
    if detail.get("location") and detail.get("location") != detail.get("manifest_entries"):
        lines.append(f"位置 / location: {', '.join(detail['location'])}")
    if detail.get("encoding"):
        lines.append(f"编码 / encoding: {', '.join(detail['encoding'])}")
    if detail.get("api"):
        lines.append(f"API: {', '.join(detail['api'])}")
    if detail.get("documented_field"):
        lines.append(f"{DOCUMENTED_FIELD}: " + "; ".join(detail["documented_field"]))
    if detail.get("within_clock_error"):
        lines.append("与同意时刻的先后在时钟误差之内 / order against the consent moment within the clock error: "
                     + ", ".join(detail["within_clock_error"]))
    context = [str(r["event_id"]) for r in detail.get("evidence") or [] if r.get("role") == "context"]
    if context:
        lines.append("上下文（非个人信息）/ context, not PII: events " + ", ".join(context))
    if detail.get("flows_after_consent"):
        lines.append("以下请求在同意之后发送，不属同意前证据 / requests sent after consent, not pre-consent evidence: "
                     + ", ".join(detail["flows_after_consent"]))
    if detail.get("consent_status") and detail.get("consent_status") != "accepted":
        lines.append("未观察到同意：全部视为同意前 / no consent observed: all counts as before consent")
    return "\n".join(lines)
