"""App state for the analysis's background / no-user-action / self-start judgements:
foreground and background, touches (rate-limited, no stacks), launches of components of the
app and of other apps. Program: tests/java/src/com/example/fixture/AppStateMain.java."""

import pytest

from tests.support import java_fixtures as fixtures

PACKAGE = "com.example.fixture"
HOME = "com.example.fixture.AppStateMain$HomeActivity"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    fx = fixtures.build()
    return fixtures.run_hooked(tmp_path_factory.mktemp("appstate"), fx.argv("AppStateMain"), app_package=PACKAGE)


def test_the_app_ran_unchanged(run):
    assert run.status == 0, run.runner.output
    assert "touches 102 resumed false" in run.runner.output
    assert run.store.rows("SELECT message FROM errors") == []


def test_one_event_per_resume_and_pause(run):
    states = run.events("activity_state")
    assert [(e["data"]["activity"], e["data"]["state"]) for e in states] == [(HOME, "resumed"), (HOME, "paused")]
    # performResume -> the app's onResume -> super.onResume(): one transition, the outermost call.
    assert states[0]["api"] == "android.app.Activity.performResume(boolean, java.lang.String)"
    assert all(e["stack"] is None for e in states)


def test_touches_are_recorded_with_position_and_rate_limited(run):
    touches = run.events("touch")
    first = touches[0]["data"]
    assert (first["action"], first["x"], first["y"], first["activity"]) == ("down", 120.5, 300.0, HOME)
    assert all(t["stack"] is None for t in touches)
    # 102 touches in a burst: the row allows 40 at once (then 10/s); the rest are counted.
    assert 40 <= len(touches) < 60
    counters = run.events("process_exit")[0]["data"]["hooks"]["activity.touch"]
    assert counters["calls"] == 102 and counters["reported"] == len(touches)
    assert counters["suppressed"] == 102 - len(touches)


def test_component_launches_name_their_target(run):
    launches = [(e["data"]["kind"], e["data"]["action"], e["data"]["target_package"], e["data"]["target_class"],
                 e["data"]["other_app"], e["data"]["oaid_service"]) for e in run.events("component_launch")]
    assert launches == [
        ("activity", "android.intent.action.VIEW", None, None, False, False),
        ("service", "com.example.fixture.SYNC", PACKAGE, "com.example.fixture.SyncService", False, False),
        ("bind", "com.uodis.opendevice.OPENIDS_SERVICE", "com.huawei.hwid", None, True, True),
        ("broadcast", "com.partner.WAKE_UP", "com.partner.app", "com.partner.app.WakeReceiver", True, False),
        ("activity", "android.intent.action.MAIN", "com.tencent.mm", "com.tencent.mm.ui.LauncherUI", True, False),
    ]
    view = run.events("component_launch")[0]
    assert view["data"]["data_uri"] == "https://www.example.com/privacy.html" and view["data"]["implicit"] is True
    assert "act=android.intent.action.VIEW" in view["data"]["intent"]
    assert view["stack"].split("\n")[0].startswith("com.example.fixture.AppStateMain.main(")
