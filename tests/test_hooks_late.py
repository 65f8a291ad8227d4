"""Late classes as ART shows them, on the stand-in: a PathClassLoader created while the app
runs (its borrowed `this` kept by the agent), and an app-owned ClickableSpan subclass built
with `new` in code of that loader. The HotSpot class-definition watcher is switched off
(`watch_class_definitions: false`), so the span's class can only be found the ways that
work on ART: its instantiation point (ClickableSpan.<init>) and the rescans after
Dialog.show. Program: tests/java/src/com/example/fixture/LateMain.java and tests/java/sdk."""

import pytest

from tests.support import java_fixtures as fixtures

@pytest.fixture(scope="module")
def late(tmp_path_factory):
    from hooks.runner import HooksRunner
    from hooks.targets import LocalProcess
    from piiaudit.store import SessionStore

    fx = fixtures.build()
    store = SessionStore(tmp_path_factory.mktemp("late"))
    runner = HooksRunner(store, LocalProcess(fx.argv("LateMain", str(fx.sdk))))
    runner.agent_config["watch_class_definitions"] = False
    runner.start()
    status = runner.wait(60)
    stats = runner.stop(kill=runner.running)
    return fixtures.Run(store=store, runner=runner, status=status, stats=stats)


def test_the_run_ends_cleanly_with_the_span_in_a_second_loader(late):
    assert late.status == 0 and late.store.rows("SELECT message FROM errors") == []
    span = [r["data"] for r in late.events("coverage", hook_id="consent.clickable_span", status="hooked")]
    assert span and span[0]["loader"] == "dalvik.system.PathClassLoader"


def test_the_apps_span_is_hooked_at_its_instantiation_and_its_click_recorded(late):
    span = [r["data"] for r in late.events("coverage", hook_id="consent.clickable_span", status="hooked")]
    assert [s["via"] for s in span] == ["implementation:instantiation"]
    assert span[0]["signature"].startswith("com.example.sdkuser.PolicyLink.onClick(")
    clicks = late.events("link_click")
    assert len(clicks) == 1
    assert clicks[0]["data"]["implementation"] == "com.example.sdkuser.PolicyLink"
    assert clicks[0]["api"] == "android.text.style.ClickableSpan.onClick(android.view.View)"
    live = span[0]["live_at_ms"]
    assert live is not None and live <= clicks[0]["ts_device_ms"]


def test_rescans_examine_each_class_once(late):
    (end,) = late.events("process_exit")
    counts = end["data"]["late_classes"]
    assert counts["rescans"] >= 5  # every Dialog.show
    hooked = {(r["data"]["hook_id"], r["data"]["signature"]) for r in late.events("coverage", status="hooked")
              if r["data"]["via"].startswith("implementation")}
    # Each class examined once: every examination ended in a hook or in the rejected cache.
    assert counts["examined"] == counts["rejected"] + len(hooked)
    # AgreeListener.onClick is no span: rejected at the first rescan after it loaded (it is
    # walked through a class of the second loader), answered from the cache at the next.
    assert counts["rejected"] >= 1 and counts["rejected_hits"] >= 1
