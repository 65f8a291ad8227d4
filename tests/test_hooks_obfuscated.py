"""Attribution through an obfuscated helper, on the JVM stand-in under the real agent.

`com.example.demoshop.RepackagedReads` has Umeng's code call `a.a.a` (an R8-repackaged
helper) that reads ANDROID_ID and opens the microphone (a constructor hook), then the app call
the same helper. The read is the SDK's when the SDK called the helper and the app's when the
app did; never the helper's. Each frame keeps its origin (on HotSpot the class loader or
module the JVM prints; on ART the dex file, verified only on a device).
"""

from __future__ import annotations

import json

import pytest

from analysis.party import stack_party
from hooks.runner import run_local_process
from hooks.standin.build import build as build_standin, java_command
from piiaudit.store import SessionStore

APP = "com.example.demoshop"


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    argv = java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None, truststore_password=None,
                        device_properties=None, extra_jvm_args=["-Dstandin.offline=true"],
                        main="com.example.demoshop.RepackagedReads")
    session = tmp_path_factory.mktemp("obfuscated") / "session"
    store = SessionStore(session, create=True)
    run_local_process(store, argv, timeout=120, app_package=APP)
    store.close()
    rows = SessionStore(session, create=False).rows(
        "SELECT api, pii_type, stack, data FROM events WHERE kind = 'pii_read' ORDER BY ts, seq")
    return [dict(r) for r in rows]


def test_a_read_inside_an_obfuscated_helper_is_the_sdk_that_called_it(reads):
    ids = [r for r in reads if r["pii_type"] == "android_id"]
    assert len(ids) == 3, reads
    by_sdk, by_app, _ = ids
    assert by_sdk["stack"].split("\n")[0].startswith("a.a.a.a(")
    actor, reason = stack_party(by_sdk["stack"], APP, None)
    assert actor == "umeng"
    assert reason == ("catalog package prefix of com.umeng.commonsdk.statistics.idtracking.IdTracker "
                      "(called through the obfuscated helper a.a.a)")
    # the same helper called by the app: the app itself, not an unidentified library "a.a"
    assert stack_party(by_app["stack"], APP, None) == (
        None, f"frame {APP}.RepackagedReads in the app package {APP} (called through the obfuscated helper a.a.a)")


def test_a_constructor_hook_drops_its_init_frame_and_the_helper_still_yields_to_the_sdk(reads):
    mic = [r for r in reads if r["pii_type"] == "microphone"]
    assert len(mic) == 1, reads
    frames = mic[0]["stack"].split("\n")
    assert frames[0].startswith("a.a.a.b("), frames[:3]
    assert not any("AudioRecord.<init>" in f or "AudioRecord.$init" in f for f in frames)
    assert stack_party(mic[0]["stack"], APP, None)[0] == "umeng"


def test_each_frame_keeps_the_loader_its_class_came_from(reads):
    first, _, dex = [r for r in reads if r["pii_type"] == "android_id"]
    data = json.loads(dex["data"])
    frames = dex["stack"].split("\n")
    origins = dict(zip(frames, data["frame_origins"]))
    assert len(data["frame_origins"]) == len(frames)
    task = next(f for f in frames if ".DexIdTask." in f)
    # HotSpot prints a named loader before the frame ("umeng-dex//..."): that is the origin;
    # classes of the built-in application loader have none ("").
    assert origins[task] == "umeng-dex"
    assert origins[frames[0]] == "" and frames[0].startswith("a.a.a.a(")
    assert stack_party(dex["stack"], APP, None)[0] == "umeng"
    # a stack whose frames all come from built-in loaders carries no origins at all
    assert "frame_origins" not in json.loads(first["data"])
