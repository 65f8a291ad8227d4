"""`piiaudit scope extract --from-session`: the policy the hooks captured (dialog text, the page it loaded).

The full tour's consent dialog links to the policy page bundled with the app
(file:///android_asset/privacy.html, the stand-in's asset): extracting from the recorded
session gives scope-full.yaml's stated sets. A page loaded over https is read back from the
session's flows.mitm; a page that cannot be found is said in a note and the dialog's text is
used alone.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import yaml

from analysis import scope as scope_mod
from piiaudit.store import SessionStore
from tests.support import samples
from tests.support.cli_results import run

ROOT = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).parent / "data" / "policies"


def test_the_full_tour_session_gives_scope_full(fulltour_recording, tmp_path):
    out = tmp_path / "scope.yaml"
    result = run("scope", "extract", "--from-session", fulltour_recording.session_dir, "--out", out)
    assert result.exit_code == 0, result.output
    got = scope_mod.load(out)
    full = scope_mod.load(ROOT / "piiaudit" / "data" / "demo" / "scope-full.yaml")
    assert got.stated_app == full.stated_app and got.stated_sdks == full.stated_sdks
    source = yaml.safe_load(out.read_text(encoding="utf-8"))["policy"]["source"]
    assert "privacy.html" in source and "dialog event" in source


def test_the_extracted_scope_gives_the_full_tours_pinned_findings(fulltour_recording, tmp_path):
    """From the policy the app shows to the findings: those scope-full.yaml gives (pinned in
    tests/test_findings_pinned.py: the 28 of docs/standin-fulltour.md), SDK-UNDISCLOSED too."""
    from analysis.pipeline import analyze

    session = tmp_path / "session"
    shutil.copytree(fulltour_recording.session_dir, session)
    out = tmp_path / "scope.yaml"
    result = run("scope", "extract", "--from-session", session, "--out", out, "--category", "网上购物类",
                 "--first-party-host", "demoshop.example", "--package", "com.example.demoshop")
    assert result.exit_code == 0, result.output
    def keys(findings):
        return Counter(zip(findings["rule_id"], findings["pii_type"], findings["sdk"], findings["host"]))

    got = keys(analyze(session, scope=out).findings)
    assert got == keys(analyze(session, scope=ROOT / "piiaudit" / "data" / "demo" / "scope-full.yaml").findings)
    assert sum(got.values()) == 45 and got[("SDK-UNDISCLOSED", None, "pangle", "api-access.pangolin-sdk-toutiao.com")] == 1


def _add_page(session_dir: Path, url: str, body: bytes | None, content_type: str = "text/html; charset=utf-8") -> None:
    store = SessionStore(session_dir)
    ts = samples.T0 + 3.6
    if body is not None:
        flow = samples._http_flow(90, ts, "GET", url, {"host": url.split("/")[2]})
        flow.response.headers["content-type"] = content_type
        flow.response.content = body
        samples._save_flows(store, [flow], [])
    event = samples._event(ts - 0.01, "webview_load", hook="consent.webview_load_url",
                           api="android.webkit.WebView.loadUrl(java.lang.String)", value=url,
                           data={"url": url, "base_url": None, "method": "loadUrl", "mime_type": None,
                                 "data_len": None, "policy_like": True, "webview_class": "android.webkit.WebView"})
    store.write_events(samples._number([event], store))
    store.close()


def test_a_policy_page_loaded_over_https_is_read_from_the_flows(tmp_path):
    samples.write_standin_scenario(tmp_path / "s")
    _add_page(tmp_path / "s", "https://www.xianguo.example/privacy", (POLICIES / "zh_sdk_table.html").read_bytes())
    out = tmp_path / "scope.yaml"
    result = run("scope", "extract", "--from-session", tmp_path / "s", "--out", out)
    assert result.exit_code == 0, result.output
    got = scope_mod.load(out)
    assert set(got.stated_sdks) == {"jpush", "getui", "amap", "alipay", "鲜果客服SDK", "pangle"}
    assert got.stated_sdks["getui"] == {"imei", "android_id", "advertising_id", "imsi"}
    assert "https://www.xianguo.example/privacy" in yaml.safe_load(out.read_text("utf-8"))["policy"]["source"]


def test_a_page_that_cannot_be_found_is_said_and_the_dialog_is_read(tmp_path):
    samples.write_standin_scenario(tmp_path / "s", dialog_text="我们会在您同意后收集您的位置信息和手机号码，用于推荐附近门店。")
    _add_page(tmp_path / "s", "file:///android_asset/policy_v2.html", None)
    result = run("scope", "extract", "--from-session", tmp_path / "s")
    assert result.exit_code == 0, result.output
    assert "note: file:///android_asset/policy_v2.html: the page is in the app's assets; give the unpacked APK's " \
           "assets/ with --assets" in result.output
    assert "app: [location, phone_number]" in result.output


def test_assets_given_are_searched(tmp_path):
    samples.write_standin_scenario(tmp_path / "s")
    _add_page(tmp_path / "s", "file:///android_asset/policy_v2.html", None)
    assets = tmp_path / "apk" / "assets"
    assets.mkdir(parents=True)
    (assets / "policy_v2.html").write_bytes((POLICIES / "zh_sdk_table.html").read_bytes())
    result = run("scope", "extract", "--from-session", tmp_path / "s", "--assets", assets)
    assert result.exit_code == 0, result.output
    assert "鲜果客服SDK: [serial]" in result.output
