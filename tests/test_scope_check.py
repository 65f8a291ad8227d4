"""`piiaudit scope check`: stated against observed per actor, on the 14-step scenario (docs/standin-scenario.md).

The demo scope states location and phone_number for the app, android_id and oaid for umeng,
android_id and mac for jpush. The scenario's app reads and sends location; umeng reads imei
and installed_apps; jpush reads android_id, mac and the clipboard. What is seen but not
stated is exactly what IM3.3 reports for that scenario.
"""

from __future__ import annotations

from analysis.pipeline import analyze
from analysis.policy import check
from tests.support.cli_results import refused, run
from tests.support.samples import demo_scope_path, write_standin_scenario


def test_stated_and_observed_side_by_side_per_actor(tmp_path):
    write_standin_scenario(tmp_path / "s")
    rows = {r.actor: r for r in check.compare(tmp_path / "s", demo_scope_path()).rows}
    assert list(rows) == ["app", "jpush", "umeng"]
    assert (rows["app"].both, rows["app"].stated_only, rows["app"].seen_only) == (["location"], ["phone_number"], [])
    assert (rows["umeng"].both, rows["umeng"].stated_only, rows["umeng"].seen_only) == (
        [], ["android_id", "oaid"], ["imei", "installed_apps"])
    assert (rows["jpush"].both, rows["jpush"].stated_only, rows["jpush"].seen_only) == (
        ["android_id", "mac"], [], ["clipboard"])
    assert all(r.listed for r in rows.values())
    # the last column is IM3.3's findings, actor by actor
    im33 = analyze(tmp_path / "s", scope=demo_scope_path()).findings
    im33 = im33.loc[im33["rule_id"].eq("IM3.3")]
    assert {(r.actor, t) for r in rows.values() for t in r.seen_only} == set(zip(im33["sdk"], im33["pii_type"]))


def test_an_unlisted_sdk_at_work_is_marked(tmp_path):
    write_standin_scenario(tmp_path / "s")
    scope = tmp_path / "scope.yaml"
    scope.write_text("stated:\n  app: [location]\n  sdks: {umeng: [imei], getui: [android_id]}\n", encoding="utf-8")
    rows = {r.actor: r for r in check.compare(tmp_path / "s", scope).rows}
    assert not rows["jpush"].listed and rows["jpush"].undisclosed
    assert not rows["unattributed:demoshop.example"].undisclosed   # no first_party_hosts: a third party, no SDK
    assert rows["getui"].listed and not rows["getui"].seen_at_work and rows["getui"].stated_only == ["android_id"]
    result = run("scope", "check", tmp_path / "s", "--scope", scope)
    assert result.exit_code == 0, result.output
    assert "seen, not stated" in result.output and "SDK-UNDISCLOSED]" in result.output
    assert result.output.rstrip().endswith("SDKs at work not in the policy's SDK list (SDK-UNDISCLOSED): jpush")
    assert "[listed, not seen at work" in result.output


def test_without_a_scope_it_says_how_to_get_one(tmp_path):
    write_standin_scenario(tmp_path / "s")
    refused(run("scope", "check", tmp_path / "s"), "scope extract")
