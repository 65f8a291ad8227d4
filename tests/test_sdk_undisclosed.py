"""SDK-UNDISCLOSED: an SDK at work that the privacy policy's SDK list (scope.yaml stated.sdks) does not name.

On the 14-step scenario (docs/standin-scenario.md): umeng reads (steps 1, 2) and sends
(step 3); jpush reads (4, 5, 13) and sends (6, 14). A policy whose SDK list leaves one out
gives one finding for it, with exactly its reads and the flows to its hosts as evidence.
"""

from __future__ import annotations

import json

import pytest

from analysis.pipeline import analyze
from tests.support.samples import write_standin_scenario


def _scope(tmp_path, sdks: dict, extra: str = "") -> str:
    body = "stated:\n  app: [location]\n  sdks:\n" + "".join(f"    {k}: {v}\n" for k, v in sdks.items())
    path = tmp_path / "scope.yaml"
    path.write_text("first_party_hosts: [demoshop.example]\n" + body + extra, encoding="utf-8")
    return str(path)


def _undisclosed(result):
    return result.findings.loc[result.findings["rule_id"].eq("SDK-UNDISCLOSED")]


def test_an_sdk_left_out_of_the_list_is_a_finding_with_its_reads_and_flows(tmp_path):
    ids = write_standin_scenario(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=_scope(tmp_path, {"umeng": "[imei, installed_apps]"}))
    found = _undisclosed(result)
    assert list(found["sdk"]) == ["jpush"]
    row = found.iloc[0]
    assert row["category"] == "purpose_scope_not_stated" and row["pii_type"] is None
    assert set(row["event_ids"]) == {ids.events[4], ids.events[5], ids.events[13]}
    assert set(row["flow_ids"]) == {ids.flows[6], ids.flows[14]}
    detail = row["detail"] if isinstance(row["detail"], dict) else json.loads(row["detail"])
    assert detail["policy_sdk_list"] == ["umeng"] and detail["company"].startswith("深圳市和讯华谷")


def test_every_listed_sdk_is_silent_even_with_nothing_stated_for_it(tmp_path):
    write_standin_scenario(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=_scope(tmp_path, {"umeng": "[]", "jpush": "[]"}))
    assert _undisclosed(result).empty
    assert {"IM3.3"} <= set(result.findings["rule_id"])     # listed with nothing stated: scope findings instead


@pytest.mark.parametrize("listed, expected", [({}, {"umeng", "jpush"}), ({"jpush": "[android_id]"}, {"umeng"})])
def test_one_finding_per_unlisted_sdk(tmp_path, listed, expected):
    write_standin_scenario(tmp_path / "s")
    result = analyze(tmp_path / "s", scope=_scope(tmp_path, listed) if listed else _empty(tmp_path))
    assert set(_undisclosed(result)["sdk"]) == expected
    assert len(_undisclosed(result)) == len(expected)


def _empty(tmp_path) -> str:
    path = tmp_path / "scope.yaml"
    path.write_text("first_party_hosts: [demoshop.example]\nstated:\n  app: [location]\n", encoding="utf-8")
    return str(path)


def test_the_finding_names_the_policys_sdk_list_and_the_company():
    from analysis.labels import finding_notes

    notes = finding_notes({"policy_sdk_list": ["amap", "umeng"], "company": "北京巨量引擎网络技术有限公司 (Ocean Engine)"})
    assert notes == ("隐私政策SDK清单 / the policy's SDK list: amap, umeng; "
                     "提供方 / company: 北京巨量引擎网络技术有限公司 (Ocean Engine)")
