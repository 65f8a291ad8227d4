"""The rule catalog is data: validation, the rendered docs, and a new rule without code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis.detections import REGISTRY
from analysis.pipeline import analyze
from analysis.rules import DEFAULT_CATALOG, RulesError, load_catalog, render_markdown
from tests.support.samples import demo_scope_path

ROOT = Path(__file__).resolve().parents[1]


def _catalog_with(tmp_path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))
    mutate(raw)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_default_catalog_is_valid_and_uses_cn_rules_ids():
    catalog = load_catalog()
    ids = [r.id for r in catalog.rules]
    assert {"IM3.1", "IM3.3", "IM5.1", "SDK-PRECONSENT", "PIPL-CLEARTEXT", "NEC-BASELINE"} <= set(ids)
    assert all(r.detection in REGISTRY for r in catalog.rules)
    for rule in catalog.rules:
        for basis in rule.legal_basis:
            assert basis.quote_zh is None or basis.verified == "V", rule.id


def test_quotes_in_the_catalog_appear_verbatim_in_the_rule_base():
    """Only wording verified in shared/regulations/cn-rules.md may be quoted."""
    rule_base = ROOT.parent / "shared" / "regulations" / "cn-rules.md"
    if not rule_base.exists():
        pytest.skip("shared/regulations/cn-rules.md is not beside this checkout")
    text = rule_base.read_text("utf-8")
    for rule in load_catalog().rules:
        for basis in rule.legal_basis:
            if basis.quote_zh:
                assert basis.quote_zh.rstrip("；;。") in text, (rule.id, basis.clause)


def test_a_new_rule_for_an_existing_detection_is_a_data_change(standin_scenario, tmp_path):
    def add(raw):
        raw["rules"].append({
            "id": "PIPL-23", "key": "provide_to_another_processor", "category": "collected_before_consent",
            "title_zh": "向其他个人信息处理者提供个人信息未取得单独同意",
            "title_en": "Personal information provided to another processor without separate consent",
            "severity": "high", "detection": "sent_to_third_party_before_consent", "params": {"who": "sdk"},
            "legal_basis": [{"document": "《中华人民共和国个人信息保护法》", "clause": "第二十三条", "verified": "V",
                             "quote_zh": "并取得个人的单独同意。"}],
        })
    standin_scenario.write(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=demo_scope_path(), rules=_catalog_with(tmp_path, add))
    new = result.findings.loc[result.findings["rule_id"].eq("PIPL-23")]
    assert set(zip(new["pii_type"], new["host"])) == {("imei", "ulogs.umeng.com"), ("android_id", "stats.jpush.cn")}
    same = result.findings.loc[result.findings["rule_id"].eq("IM5.1")]
    assert new["flow_ids"].tolist() == same["flow_ids"].tolist()


def test_disabled_rules_do_not_run(standin_scenario, tmp_path):
    def disable(raw):
        for r in raw["rules"]:
            r["enabled"] = r["id"] == "SDK-PRECONSENT"
    standin_scenario.write(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=demo_scope_path(), rules=_catalog_with(tmp_path, disable))
    assert set(result.findings["rule_id"]) == {"SDK-PRECONSENT"}


@pytest.mark.parametrize("mutate, says", [
    (lambda raw: raw["rules"][0].update(detection="read_befor_consent"), "detection 'read_befor_consent' does not exist"),
    (lambda raw: raw["rules"][0].update(severity="critical"), "severity must be one of"),
    (lambda raw: raw["rules"][0].update(params={"who": "vendor"}), "params.who: 'vendor' is not one of"),
    (lambda raw: raw["rules"][0].update(params={"when": "now"}), "params.when: not a parameter"),
    (lambda raw: raw["rules"][0]["legal_basis"][0].update(verified="U"), "quote_zh is only for wording verified"),
    (lambda raw: raw["rules"][0]["legal_basis"][0].pop("quote_zh"), "needs quote_zh (verified V) or paraphrase_zh"),
    (lambda raw: raw["rules"].append(dict(raw["rules"][0])), "appears twice"),
    (lambda raw: raw["rules"][0].pop("title_zh"), "rule SDK-PRECONSENT: missing title_zh"),
    (lambda raw: next(r for r in raw["rules"] if r["id"] == "IM3.2b")["params"].update(interval_h="two days"),
     "rule IM3.2b: params.interval_h: 'two days' is not a number of hours"),
    (lambda raw: next(r for r in raw["rules"] if r["id"] == "IM4.6")["params"].update(min_groups=1.5),
     "rule IM4.6: params.min_groups: 1.5 is not a whole number"),
])
def test_bad_catalogs_name_the_rule_and_key(tmp_path, mutate, says):
    with pytest.raises(RulesError, match=re.escape(says)):
        load_catalog(_catalog_with(tmp_path, mutate))


def test_committed_rules_doc_matches_the_catalog():
    committed = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert committed == render_markdown(), "docs/rules.md is stale: regenerate it with analysis.rules.render_markdown()"
