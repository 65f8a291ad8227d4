"""Every process, lazily loaded classes: a second JVM the app starts (its ":push" process)
gets the agent before it runs, and an SDK loaded later by its own class loader is hooked
when its classes appear. Programs: tests/java/src/com/example/fixture/{ForkMain,LazyMain}.java."""

import pytest

from tests.support import java_fixtures as fixtures

IMEI = "867530912345673"
OAID = "8f1d2c3b-4a5e-4f60-9a7b-1c2d3e4f5a6b"  # the stand-in device's (piiaudit/data/demo/device.yaml)
CHILD = "com.example.fixture:push"


@pytest.fixture(scope="module")
def forked(tmp_path_factory):
    fx = fixtures.build()
    return fixtures.run_hooked(tmp_path_factory.mktemp("fork"), fx.argv("ForkMain"))


@pytest.fixture(scope="module")
def lazy(tmp_path_factory):
    fx = fixtures.build()
    return fixtures.run_hooked(tmp_path_factory.mktemp("lazy"), fx.argv("LazyMain", str(fx.sdk)))


def test_the_child_process_is_hooked_from_its_first_instruction(forked):
    assert forked.status == 0 and "child imei" in forked.runner.output
    assert forked.store.rows("SELECT message FROM errors") == []
    reads = forked.events("pii_read")
    by_process = {}
    for r in reads:
        by_process.setdefault(r["process"], []).append(r["api"])
    assert by_process == {
        "com.example.fixture.ForkMain": ["android.telephony.TelephonyManager.getImei()"],
        CHILD: ["android.telephony.TelephonyManager.getImei()", "android.telephony.TelephonyManager.getDeviceId()"],
    }
    assert all(r["value"] == IMEI for r in reads)
    parent_pid = forked.runner.pid
    child_pid = next(r["pid"] for r in reads if r["process"] == CHILD)
    assert child_pid != parent_pid
    ready = {r["pid"]: r for r in forked.events("hooks_ready")}
    assert ready[child_pid]["data"]["phase"] == "vm-created"
    first_child_read = next(r for r in reads if r["pid"] == child_pid)
    assert ready[child_pid]["seq"] < first_child_read["seq"]


def test_each_process_has_its_clock_syncs_and_its_end(forked):
    syncs = forked.store.rows("SELECT pid, process, count(*) AS n FROM clock_syncs GROUP BY pid, process ORDER BY pid")
    assert {s["process"] for s in syncs} == {"com.example.fixture.ForkMain", CHILD}
    assert all(s["n"] >= 2 for s in syncs)  # at the start and at the end
    ends = {r["process"]: r["data"]["status"] for r in forked.events("process_exit")}
    assert ends == {"com.example.fixture.ForkMain": 0, CHILD: 0}
    assert forked.stats.processes == 2


def test_child_coverage_is_recorded_for_the_child(forked):
    child = [r for r in forked.events("coverage") if r["process"] == CHILD and r["data"]["status"] == "hooked"]
    assert any(r["data"]["hook_id"] == "telephony.imei" for r in child)
    assert all(r["data"]["live_at_ms"] is not None for r in child)


def test_an_sdk_loaded_later_is_hooked_when_its_classes_appear(lazy):
    assert lazy.status == 0 and lazy.store.rows("SELECT message FROM errors") == []
    late = {r["data"]["hook_id"]: r for r in lazy.events("coverage", status="hooked") if r["data"]["via"] != "install"}
    assert {"msa.init_sdk", "msa.supplier_oaid", "mmkv.encode"} <= set(late)
    assert late["msa.init_sdk"]["data"]["loader"] == "java.net.URLClassLoader"
    assert late["msa.supplier_oaid"]["api"] == "com.bun.miitmdid.pojo.IdSupplierImpl.getOAID()"
    assert late["msa.supplier_oaid"]["data"]["via"].startswith("implementation")
    # The same rows were missing at install: the report shows both facts.
    at_install = {r["data"]["hook_id"]: r["data"]["status"] for r in lazy.events("coverage") if r["data"]["via"] == "install"}
    assert at_install["msa.init_sdk"] == "class-missing" and at_install["mmkv.encode"] == "class-missing"


def test_the_late_hooks_see_the_first_calls(lazy):
    oaid = lazy.events("pii_read", hook="msa.supplier_oaid")
    assert [r["value"] for r in oaid] == [OAID] and oaid[0]["pii_type"] == "oaid"
    # Reported under the interface the app calls, with the class that implements it.
    assert oaid[0]["api"] == "com.bun.miitmdid.interfaces.IdSupplier.getOAID()"
    assert oaid[0]["data"]["implementation"] == "com.bun.miitmdid.pojo.IdSupplierImpl"
    assert oaid[0]["stack"].split("\n")[0].startswith("com.example.sdkuser.OaidReader.onSupport(")
    init = lazy.events("pii_read", hook="msa.init_sdk")
    assert len(init) == 1 and init[0]["data"]["receivers"] == ["android.app.Application", "com.example.sdkuser.OaidReader"]
    live = next(r for r in lazy.events("coverage", hook_id="msa.supplier_oaid") if r["data"]["status"] == "hooked")
    assert live["data"]["live_at_ms"] <= oaid[0]["ts_device_ms"]
    prefs = lazy.events("pref_write", store="mmkv")
    assert [(p["data"]["key"], p["value"]) for p in prefs] == [("user_agreed_privacy", "true")]


def test_a_launcher_script_that_executes_the_jvm_is_followed(tmp_path):
    fx = fixtures.build()
    argv = ["/bin/sh", "-c", "exec " + " ".join(f"'{a}'" for a in fx.argv("ForkMain"))]
    run = fixtures.run_hooked(tmp_path, argv)
    assert run.status == 0 and run.store.rows("SELECT message FROM errors") == []
    assert sorted({r["process"] for r in run.events("pii_read")}) == ["com.example.fixture.ForkMain", CHILD]
