"""Every rule and every finding carries a category of the regulators' notices (analysis/categories.py),
shown with its Chinese and English names in findings.json, the workbook, the console and the page."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from analysis import bilingual as b
from analysis import categories
from analysis.rules import RulesError, load_catalog

REGULATIONS = Path(__file__).parents[1].parent / "shared" / "regulations" / "cn-rules.md"

# The rule base's own grouping (cn-rules.md PART B): IM3.1/3.2 are 认定方法 三.1/三.2 (collection
# or opening a permission before consent / after refusal), IM3.3 is 三.3 (beyond the authorised
# scope), NEC-BASELINE the necessary-PI rules, IM3.4 非明示方式征求同意 (consent not given).
RULE_BASE = {
    "IM3.1": "collected_before_consent", "IM3.1-SEND": "collected_before_consent",
    "IM3.1-PERM": "collected_before_consent", "IM3.2a": "collected_before_consent",
    "SDK-PRECONSENT": "collected_before_consent", "IM3.4": "collected_before_consent",
    "IM3.3": "beyond_authorised_scope", "NEC-BASELINE": "permission_beyond_necessity",
    "PIPL-CLEARTEXT": "other",
}

# The demo's pinned findings (tests/test_findings_pinned.py DEMO), by category.
DEMO = {"permission_purpose_not_stated": 2, "collected_before_consent": 6, "beyond_authorised_scope": 3,
        "permission_beyond_necessity": 1, "other": 1}


def test_the_issue_table_of_categories_with_both_names():
    assert list(categories.CATEGORIES) == [
        "purpose_scope_not_stated", "permission_purpose_not_stated", "collected_before_consent",
        "beyond_authorised_scope", "permission_beyond_necessity", "no_correction_deletion_cancellation",
        "no_personalisation_opt_out", "other"]
    for c in categories.CATEGORIES.values():
        assert re.search(r"[\u4e00-\u9fff]", c.zh) and c.en.isascii() and c.en
    assert categories.get("collected_before_consent").zh.startswith("未经用户同意收集使用个人信息")
    assert categories.get(None).key == categories.get("no-such-key").key == "other"


def test_every_rule_has_a_known_category_agreeing_with_the_rule_base():
    catalog = load_catalog()
    for rule in catalog.rules:
        assert rule.category in categories.CATEGORIES, rule.id
    got = {r.id: r.category for r in catalog.rules if r.id in RULE_BASE}
    assert got == RULE_BASE
    if REGULATIONS.exists():  # the rule base says IM3.1 covers opening a permission before consent
        text = REGULATIONS.read_text("utf-8")
        assert "征得用户同意前就开始收集个人信息或打开可收集个人信息的权限" in text
        assert "实际收集的个人信息或打开的权限超出用户授权范围" in text


def test_a_rule_without_or_with_an_unknown_category_is_refused(tmp_path):
    text = (Path(load_catalog().source)).read_text("utf-8")
    bad = tmp_path / "rules.yaml"
    bad.write_text(text.replace("category: beyond_authorised_scope", "category: too_much", 1), "utf-8")
    with pytest.raises(RulesError, match="IM3.3: category must be one of"):
        load_catalog(bad)
    bad.write_text(text.replace("    category: beyond_authorised_scope\n", "", 1), "utf-8")
    with pytest.raises(RulesError, match="IM3.3: missing category"):
        load_catalog(bad)


@pytest.fixture(scope="module")
def demo(demo_recording):
    assert demo_recording.error is None, demo_recording.error
    return demo_recording.result


def test_the_demo_findings_carry_their_categories_in_findings_json(demo):
    doc = json.loads((demo.session_dir / "findings.json").read_text("utf-8"))
    assert Counter(f["category"]["key"] for f in doc["findings"]) == DEMO
    for f in doc["findings"]:
        want = {"SDK-PRECONSENT": "collected_before_consent", "IM5.1": "collected_before_consent",
                "IM3.3": "beyond_authorised_scope", "PIPL-CLEARTEXT": "other",
                "IM2.3": "permission_purpose_not_stated", "PERM-EARLY": "permission_purpose_not_stated",
                "PERM-DECLARE": "permission_beyond_necessity"}[f["rule_id"]]
        assert f["category"] == categories.get(want).to_dict()


def test_the_workbook_findings_are_grouped_by_category(demo):
    sheet = openpyxl.load_workbook(demo.session_dir / "evidence.xlsx")["Findings"]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index(b.CATEGORY)
    got = [r[col] for r in rows[1:] if r[col]]
    order = [categories.label(k) for k in categories.CATEGORIES]
    assert got == sorted(got, key=order.index)
    assert Counter(got) == {categories.label(k): n for k, n in DEMO.items()}


def test_the_console_summary_groups_rules_under_category_headings(demo):
    lines = demo.summary.splitlines()
    at = {k: lines.index(f" [{categories.label(k)}] {n}") for k, n in DEMO.items()}
    assert at["collected_before_consent"] < at["beyond_authorised_scope"] < at["other"]
    sdk = next(i for i, line in enumerate(lines) if line.strip().startswith("SDK-PRECONSENT "))
    im33 = next(i for i, line in enumerate(lines) if line.strip().startswith("IM3.3 "))
    assert at["collected_before_consent"] < sdk < at["beyond_authorised_scope"] < im33 < at["other"]


def test_the_page_groups_findings_by_category(demo):
    page = (demo.session_dir / "report.html").read_text("utf-8")
    starts = [page.index(f'id="category-{k}"') for k in DEMO]
    assert starts == sorted(starts)
    im33 = page.index("IM3.3 —")
    at = dict(zip(DEMO, starts))
    assert at["beyond_authorised_scope"] < im33 < at["other"]
