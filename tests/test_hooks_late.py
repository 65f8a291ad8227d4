"""Late classes as ART shows them, on the stand-in: a PathClassLoader created while the app
runs (its borrowed `this` kept by the agent), and an app-owned ClickableSpan subclass built
with `new` in code of that loader. The HotSpot class-definition watcher is switched off
(`watch_class_definitions: false`), so the span's class can only be found the ways that
work on ART: its instantiation point (ClickableSpan.<init>) and the rescans after
Dialog.show. The SDK classes of that loader (MSA, MMKV) are found the ART way too: looked up
through the new loader once its hooked constructor has returned. Program: tests/java/src/com/example/fixture/LateMain.java and tests/java/sdk."""

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
    # Classes of the second loader are walked without failing (MSA's supplier found by the
    # rescan after InitSdk): no examination ends in an error.
    assert ("msa.supplier_oaid", "com.bun.miitmdid.pojo.IdSupplierImpl.getOAID()") in hooked
    assert late.events("coverage", status="hook-failed") == []
    # AgreeListener.onClick is no span: rejected at the first rescan after it loaded (it is
    # walked through a class of the second loader), answered from the cache at the next.
    assert counts["rejected"] >= 1 and counts["rejected_hits"] >= 1


def test_classes_of_a_loader_built_in_a_hooked_constructor_are_hooked_through_it(late):
    """The loader-created path on HotSpot: the agent keeps the borrowed `this` of
    BaseDexClassLoader.<init> (Java.retain) and looks the waiting classes up through it; the
    JVM survives (the lookup once aborted it) and the SDK's later calls are recorded."""
    assert late.status == 0 and late.store.rows("SELECT message FROM errors") == []
    created = late.events("coverage", hook_id="runtime.class_loader_created", status="hooked")
    assert created and created[0]["data"]["via"] == "install"
    late_rows = {r["data"]["hook_id"]: r["data"] for r in late.events("coverage", status="hooked")
                 if r["data"]["via"] == "new-loader"}
    assert {"msa.init_sdk", "mmkv.encode"} <= set(late_rows)
    assert late_rows["msa.init_sdk"]["loader"] == "dalvik.system.PathClassLoader"
    # Hooked once each: the lookup does not repeat when the loader's classes load again.
    encode = [r for r in late.events("coverage", hook_id="mmkv.encode", status="hooked")]
    assert len(encode) == len({r["data"]["signature"] for r in encode})
    init = late.events("pii_read", hook="msa.init_sdk")
    assert len(init) == 1 and init[0]["data"]["receivers"][-1] == "com.example.sdkuser.OaidReader"
    prefs = late.events("pref_write", store="mmkv")
    assert [(p["data"]["key"], p["value"]) for p in prefs] == [("user_agreed_privacy", "true")]
