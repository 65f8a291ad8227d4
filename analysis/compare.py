"""Re-test (复测): the findings of two analysed sessions of one app, matched, and the change.

A finding of the old session and one of the new are the same finding when they share the
matching key: rule, actor (the SDK, or the app itself), PII type and destination host
(case-insensitive). Ids never match anything: each analysis numbers its findings anew.
Where one key holds several findings on a side, they pair in order of first time; the
ones left over are resolved (old side) or new (new side). Each matched row is

- resolved (已整改): in the old session, not in the new one;
- still present (仍存在): in both;
- new (新增): only in the new session;

with both sides' evidence beside it: first time, Δt to the consent decision, flow and
event counts, the evidence rows' key columns. Rows are grouped by notice category
(analysis.categories), then by status, rule and first time.

Two sessions of different packages are refused (`DifferentApps`) unless forced: a re-test
compares one app before and after its fix. A package that is not known on one side is
said in the notes, not refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import categories, sheetstream
from analysis.bilingual import both
from analysis.labels import SEVERITY, pii_label, sdk_label
from analysis.sessionfindings import KEY, SessionFindings
from piiaudit.times import iso_one, zone_label

STATUSES = ("resolved", "still_present", "new")
STATUS_LABEL = {"resolved": both("已整改", "resolved"), "still_present": both("仍存在", "still present"),
                "new": both("新增", "new")}
STATUS_SHEET = {"resolved": "已整改 (Resolved)", "still_present": "仍存在 (Still present)", "new": "新增 (New)"}
SIDE_FIELDS = ("id", "severity", "host_shown", "first_ts", "dt_consent_s", "flows", "events", "api", "evidence")
WHOLE = ("id", "flows", "events")


class DifferentApps(Exception):
    """The two sessions are of different packages."""


@dataclass
class Comparison:
    old: SessionFindings
    new: SessionFindings
    rows: pd.DataFrame              # one row per matched pair or left-over finding (see `match`)
    forced: bool = False
    notes: list[str] = field(default_factory=list)
    made_at: float = field(default_factory=time.time)

    def counts(self) -> dict[str, int]:
        return {s: int(self.rows["status"].eq(s).sum()) for s in STATUSES}

    def per_category(self) -> pd.DataFrame:
        """category key x status counts, in the categories' order, categories without rows left out."""
        table = pd.crosstab(self.rows["category"], self.rows["status"]).reindex(columns=list(STATUSES), fill_value=0)
        order = [k for k in categories.CATEGORIES if k in table.index]
        return table.reindex(order).astype(int)


def _ranked(f: pd.DataFrame) -> pd.DataFrame:
    """Findings with `nth`: their place among the findings of the same key, by first time then id."""
    f = f.assign(pii_key=f["pii_type"].fillna("").astype(str))
    f = f.sort_values(["first_ts", "id"], kind="stable", na_position="last")
    return f.assign(nth=f.groupby([*KEY[:2], "pii_key", KEY[3]], sort=False).cumcount())


def match(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Old and new findings (analysis.sessionfindings.FINDING_FIELDS) paired by key and order:
    key columns, category, status, and each side's fields prefixed `old_` / `new_`."""
    keys = [KEY[0], KEY[1], "pii_key", KEY[3], "nth"]
    shared = ["pii_type", "sdk", "category"]   # the same on both sides of a pair (rule and actor are keys)
    o, n = _ranked(old), _ranked(new)
    o = o[keys + shared + list(SIDE_FIELDS)].rename(columns={c: f"old_{c}" for c in SIDE_FIELDS})
    n = n[keys + shared + list(SIDE_FIELDS)].rename(columns={c: f"new_{c}" for c in SIDE_FIELDS})
    m = o.merge(n, on=keys, how="outer", suffixes=("", "_n"), indicator=True)
    for c in shared:   # the key columns of a new-only row come from the new side
        m[c] = m[c].where(m["_merge"].ne("right_only"), m[f"{c}_n"])
    m["status"] = m["_merge"].map({"left_only": "resolved", "both": "still_present", "right_only": "new"}).astype(str)
    m["host"] = m["old_host_shown"].where(m["old_host_shown"].notna(), m["new_host_shown"])
    m["first_ts"] = m["old_first_ts"].where(m["old_first_ts"].notna(), m["new_first_ts"])
    order = m["category"].map(lambda c: categories.ORDER.get(c, len(categories.ORDER)))
    status_order = m["status"].map({s: i for i, s in enumerate(STATUSES)})
    m = m.assign(_c=order, _s=status_order).sort_values(["_c", "_s", "rule_id", "first_ts"], kind="stable")
    return m.drop(columns=["_c", "_s", "_merge", "pii_key", "nth", *[f"{c}_n" for c in shared]]).reset_index(drop=True)


def compare(old: SessionFindings, new: SessionFindings, *, force: bool = False) -> Comparison:
    """The comparison of two analysed sessions; DifferentApps when their packages differ, unless `force`."""
    notes = []
    a, b = old.package, new.package
    if a and b and a != b:
        if not force:
            raise DifferentApps(
                f"{old.session_dir} is {a}, {new.session_dir} is {b}: a re-test compares two sessions of the same "
                f"app / 复测只比较同一App的两次会话; pass --force to compare them anyway")
        notes.append(both(f"不同App的比较（--force）：{a} 与 {b}", f"different apps compared (--force): {a} and {b}"))
    for sf, side in ((old, "OLD"), (new, "NEW")):
        if not sf.package:
            notes.append(both(f"{side} 会话未记录包名，无法确认为同一App", f"{side}: no package recorded, "
                              "the same app could not be checked"))
        if sf.verdict != "ok":
            notes.append(f"{side} {sf.name}: {sf.verdict_line}")
    if old.identity.get("sha256") and old.identity.get("sha256") == new.identity.get("sha256"):
        notes.append(both("两次会话的App文件相同（SHA-256一致）：复测的是同一个安装包",
                          "both sessions tested the same app file (same SHA-256): the re-test ran the same build"))
    return Comparison(old, new, match(old.findings, new.findings), forced=force and bool(a and b and a != b),
                      notes=notes)


# -- tables for people ----------------------------------------------------------------
STATUS = both("复测结论", "Re-test status")
CATEGORY = both("类别", "Category")
RULE = both("规则编号", "Rule ID")
TITLE = both("规则", "Rule")
ACTOR = both("行为主体", "Actor (SDK or app)")
PII = both("个人信息类型", "PII type")
HOST = both("目的主机", "Destination host")
SEVERITY_H = both("严重程度", "Severity")


def _side_headers(side_zh: str, side_en: str) -> dict[str, str]:
    return {
        "id": both(f"{side_zh}编号", f"{side_en} No."),
        "first": both(f"{side_zh}首次时间", f"{side_en} first time"),
        "first_ts": both(f"{side_zh}首次（纪元秒）", f"{side_en} first (epoch s)"),
        "dt_consent_s": both(f"{side_zh}距同意时刻（秒）", f"{side_en} Δt to consent (s)"),
        "flows": both(f"{side_zh}流量数", f"{side_en} flows"),
        "events": both(f"{side_zh}事件数", f"{side_en} events"),
        "api": both(f"{side_zh}接口", f"{side_en} API"),
        "evidence": both(f"{side_zh}证据行", f"{side_en} evidence rows"),
    }


OLD_H, NEW_H = _side_headers("原", "Old"), _side_headers("复测", "New")
WIDTHS = {STATUS: 16, CATEGORY: 40, TITLE: 40, ACTOR: 26, PII: 30, HOST: 24,
          **{h: 30 for h in (OLD_H["first"], NEW_H["first"])}, **{h: 17 for h in (OLD_H["first_ts"], NEW_H["first_ts"])},
          **{h: 60 for h in (OLD_H["evidence"], NEW_H["evidence"])}, **{h: 44 for h in (OLD_H["api"], NEW_H["api"])}}
WRAPPED = {CATEGORY, TITLE, OLD_H["evidence"], NEW_H["evidence"], OLD_H["api"], NEW_H["api"]}


def _title(c: Comparison, rule_id: str) -> str:
    zh, en = c.new.titles.get(rule_id) or c.old.titles.get(rule_id) or ("", "")
    return f"{zh}\n{en}".strip()


def rows_table(c: Comparison, tz: Any) -> pd.DataFrame:
    """The compared findings with bilingual headers, grouped by category then status."""
    r = c.rows
    out = {
        STATUS: r["status"].map(STATUS_LABEL), CATEGORY: r["category"].map(categories.label), RULE: r["rule_id"],
        TITLE: r["rule_id"].map(lambda x: _title(c, x)),
        SEVERITY_H: r["new_severity"].where(r["new_severity"].notna(), r["old_severity"]).map(SEVERITY),
        ACTOR: r["sdk"].map(lambda s: sdk_label(s if isinstance(s, str) else None)),
        PII: r["pii_type"].map(lambda p: pii_label(p) if isinstance(p, str) else ""),
        HOST: r["host"],
    }
    for side, h in (("old", OLD_H), ("new", NEW_H)):
        first = r[f"{side}_first_ts"].astype("float64")
        out.update({
            h["id"]: r[f"{side}_id"], h["first"]: first.map(lambda t: iso_one(t, tz) if t == t else None),
            h["first_ts"]: first, h["dt_consent_s"]: r[f"{side}_dt_consent_s"].astype("float64"),
            h["flows"]: r[f"{side}_flows"], h["events"]: r[f"{side}_events"], h["api"]: r[f"{side}_api"],
            h["evidence"]: r[f"{side}_evidence"],
        })
    frame = pd.DataFrame(out)
    for h in (OLD_H, NEW_H):   # counts and ids are whole numbers; a missing side stays empty
        for k in ("id", "flows", "events"):
            frame[h[k]] = frame[h[k]].astype("Int64").astype("object").where(frame[h[k]].notna(), None)
    return frame


def _side_items(sf: SessionFindings, tz: Any) -> list[str]:
    i, cs = sf.identity, sf.consent
    return [
        str(sf.session_dir),
        " ".join(str(x) for x in (i.get("package"), i.get("name")) if x) or "—",
        " ".join(str(x) for x in (i.get("version_name"), f"({i['version_code']})" if i.get("version_code") else None)
                 if x) or "—",
        i.get("sha256") or "—",
        f"{cs['decision']}" + (f" {iso_one(cs['at'], tz)}" if cs.get("at") is not None else ""),
        iso_one(sf.tested_at, tz) if sf.tested_at else "—",
        sf.tester or "—",
        iso_one(sf.analyzed_at, tz) if sf.analyzed_at else "—",
        sf.scope or both("未提供", "none"),
        sf.verdict,
        str(len(sf.findings)),
    ]


SIDE_ITEMS = (both("会话", "Session"), "App", both("版本", "Version"), both("App文件SHA-256", "App file SHA-256"),
              both("同意判定", "Consent decision"), both("测试时间", "Tested at"), both("测试人员", "Tester"),
              both("分析时间", "Analysed at"), both("范围文件", "Scope"),
              both("完整性校验", "Integrity (piiaudit verify)"), both("发现数", "Findings"))


def write_workbook(c: Comparison, path: Path, tz: Any) -> None:
    """compare.xlsx: 摘要 (Summary), 全部 (All), then one sheet per status, each grouped by category."""
    table = rows_table(c, tz)
    with sheetstream.book(path) as book:
        s = book.sheet("摘要 (Summary)", [both("项目", "Item"), both("原会话", "Old session"),
                                         both("复测会话", "New session")], widths={}, wrapped=())
        s.ws.set_column(0, 0, 30)
        s.ws.set_column(1, 2, 70)
        for label, a, b_ in zip(SIDE_ITEMS, _side_items(c.old, tz), _side_items(c.new, tz)):
            s.add([label, a, b_])
        s.add([both("比较时间", "Compared at"), iso_one(c.made_at, tz), ""])
        s.add([both("时区", "Time zone"), zone_label(tz), ""])
        s.add([both("匹配依据", "Matched by"), both("规则、行为主体、个人信息类型、目的主机（不按编号）",
                                                  "rule, actor, PII type, destination host (never by id)"), ""])
        counts = c.counts()
        for st in STATUSES:
            s.add([STATUS_LABEL[st], counts[st], ""])
        for note in c.notes:
            s.add([both("说明", "Note"), note, ""])
        m = book.sheet("按类别 (By category)", [CATEGORY, *[STATUS_LABEL[st] for st in STATUSES]],
                       widths={CATEGORY: 60}, wrapped={CATEGORY})
        for key, row in c.per_category().iterrows():
            m.add([categories.label(key), *[int(row[st]) for st in STATUSES]])
        for name, part in (("全部 (All)", table), *((STATUS_SHEET[st], table.loc[c.rows["status"].eq(st)])
                                                    for st in STATUSES)):
            sheet = book.sheet(name, list(table.columns), widths=WIDTHS, wrapped=WRAPPED)
            for values in part.itertuples(index=False, name=None):
                sheet.add(values)


def to_json(c: Comparison) -> dict[str, Any]:
    """The comparison as one JSON object: both sides, the counts, and every row."""
    def side(sf: SessionFindings) -> dict[str, Any]:
        return {"session": str(sf.session_dir), "app": sf.identity, "consent": sf.consent,
                "tester": sf.tester, "tested_at": sf.tested_at, "analyzed_at": sf.analyzed_at, "integrity": sf.verdict, "findings_count": len(sf.findings)}

    def nan_none(v: Any, whole: bool = False) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return None
        v = v.item() if hasattr(v, "item") else v
        return int(v) if whole else v

    rows = []
    for r in c.rows.to_dict("records"):
        rows.append({
            "status": r["status"], "category": categories.get(r["category"]).to_dict(), "rule_id": r["rule_id"],
            "actor": r["actor"], "sdk": nan_none(r["sdk"]), "pii_type": nan_none(r["pii_type"]),
            "host": nan_none(r["host"]),
            **{side_: ({k: nan_none(r[f"{side_}_{k}"], k in WHOLE) for k in SIDE_FIELDS if k != "host_shown"}
                       if nan_none(r[f"{side_}_id"]) is not None else None) for side_ in ("old", "new")},
        })
    return {"old": side(c.old), "new": side(c.new), "forced": c.forced, "counts": c.counts(),
            "per_category": {k: {st: int(v[st]) for st in STATUSES} for k, v in c.per_category().iterrows()},
            "notes": c.notes, "rows": rows}


def console_lines(c: Comparison, tz: Any) -> list[str]:
    """The console's summary: both sides, the counts, per category, and each row in one line."""
    counts = c.counts()
    lines = [f"复测 / re-test: {c.old.name} → {c.new.name} ({c.new.package or c.old.package or '?'})"]
    for side, sf in (("old / 原", c.old), ("new / 复测", c.new)):
        i = sf.identity
        lines.append(f"  {side}: {sf.session_dir} · {i.get('version_name') or '?'} · consent {sf.consent['decision']} "
                     f"· {len(sf.findings)} findings · verify {sf.verdict}")
    lines.append("  " + " · ".join(f"{STATUS_LABEL[s]} {counts[s]}" for s in STATUSES))
    for key, row in c.per_category().iterrows():
        lines.append(f" [{categories.label(key)}] " + ", ".join(f"{STATUS_LABEL[s].split(' / ')[0]} {row[s]}"
                                                                 for s in STATUSES if row[s]))
        for r in c.rows.loc[c.rows["category"].eq(key)].to_dict("records"):
            host = f" → {r['host']}" if isinstance(r["host"], str) else ""
            pii = pii_label(r["pii_type"]) if isinstance(r["pii_type"], str) else ""
            lines.append(f"   {STATUS_LABEL[r['status']].split(' / ')[1]:<13} {r['rule_id']}: "
                         f"{sdk_label(r['sdk'] if isinstance(r['sdk'], str) else None)}"
                         f"{' · ' + pii if pii else ''}{host}")
    lines += [f"  ! {n}" for n in c.notes]
    return lines
