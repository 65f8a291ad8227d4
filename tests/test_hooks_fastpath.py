"""HotSpot's fast path (hooks/agent/src/fastpath.ts): calls that can report nothing stay in C,
and what the hooks record does not change. The program is
tests/java/src/com/example/fixture/FastPathMain.java, run once with the C dispatchers and
once on frida-java-bridge's path alone (fast_path=False), each under the default hooks plus
two rows for the program's own getters."""

import hashlib
import hmac
import subprocess

import pytest

from hooks import hook_table
from hooks.standin import build as standin
from tests.support import java_fixtures as fixtures

PASSWORD = "fixture-store-password"
CALLS = 300
SERIAL_ROW = {"id": "fixture.serial", "class": "com.example.fixture.DeviceIds", "method": "serial",
              "overloads": [[], ["int"]], "min_api": 1, "kind": "pii_read", "pii_type": "serial", "permission": None,
              "visibility": "public", "describe": "identifiers.returnedValue", "rate": {"per_second": 1, "burst": 5}}
BOOT_ROW = {"id": "fixture.boot_count", "class": "com.example.fixture.DeviceIds", "method": "bootCount",
            "overloads": [[]], "min_api": 1, "kind": "pii_read", "pii_type": None, "permission": None,
            "visibility": "public", "describe": "identifiers.returnedValue"}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("fastpath-store") / "app.p12"
    subprocess.run([standin.jdk_tool("keytool"), "-genkeypair", "-alias", "app", "-keyalg", "EC", "-groupname",
                    "secp256r1", "-dname", "CN=fixture", "-validity", "2", "-keystore", str(path), "-storetype",
                    "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD], check=True, capture_output=True)
    return path


def run_program(directory, store_path, fast_path):
    fx = fixtures.build()
    return fixtures.run_hooked(directory, fx.argv("FastPathMain", str(store_path), PASSWORD, str(CALLS)),
                               hook_table=[*hook_table.load(), SERIAL_ROW, BOOT_ROW], fast_path=fast_path,
                               timeout=120)


@pytest.fixture(scope="module")
def fast(tmp_path_factory, store_path):
    return run_program(tmp_path_factory.mktemp("fast"), store_path, True)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory, store_path):
    return run_program(tmp_path_factory.mktemp("bridge"), store_path, False)


def printed(run, label):
    for line in run.runner.output.splitlines():
        if line.startswith(label + " "):
            return line[len(label) + 1:]
    raise AssertionError(f"{label!r} not in the program's output:\n{run.runner.output}")


def counters(run):
    return run.events("process_exit")[0]["data"]["hooks"]


def recorded(run):
    """What a reader of the session sees of the program's reads and crypto, in order."""
    rows = []
    for kind in ("pii_read", "crypto"):
        for e in run.events(kind):
            data = e["data"]
            rows.append((e["seq"], kind, e["api"], e["pii_type"], e["value"], data.get("threw"),
                         data.get("suppressed_before"), data.get("op"), data.get("input_b64"), data.get("output_b64"),
                         e["stack"]))
    return [row[1:] for row in sorted(rows)]


def test_the_program_behaves_as_without_the_fast_path(fast, bridge):
    for run in (fast, bridge):
        assert run.status == 0 and run.store.rows("SELECT message FROM errors") == []
        assert printed(run, "caught") == "no serial for slot -1"
        assert printed(run, "serial chars") == str(CALLS * len("SN-4711"))
        assert printed(run, "after pause") == "SN-4711"
        assert printed(run, "boot count") == "42"
        assert printed(run, "entries") == "1"
        for i in range(3):
            expected = hmac.new(b"app-secret", f"device={i}".encode(), hashlib.sha256).hexdigest()
            assert printed(run, f"hmac {i}") == expected


def test_the_same_events_are_recorded_with_and_without_it(fast, bridge):
    assert recorded(fast) == recorded(bridge)
    assert any(row[0] == "crypto" for row in recorded(fast))


def test_an_exception_of_the_original_reaches_the_app_and_is_recorded(fast):
    threw = [e for e in fast.events("pii_read") if e["data"].get("threw")]
    assert [(e["api"], e["value"]) for e in threw] == [("com.example.fixture.DeviceIds.serial(int)", None)]
    assert "IllegalStateException: no serial for slot -1" in threw[0]["data"]["threw"]


def test_a_getter_past_its_rate_limit_is_counted_not_reported(fast):
    reads = fast.events("pii_read", hook="fixture.serial")
    row = counters(fast)["fixture.serial"]
    # The throwing call and the first four of the loop use the burst of 5; the rest of the
    # loop is only counted; the call after the pause is reported with what it skipped.
    assert [e["value"] for e in reads] == [None] + ["SN-4711"] * 5
    assert reads[-1]["data"]["suppressed_before"] == CALLS - 4
    assert row["calls"] == CALLS + 2 and row["reported"] == 6 and row["suppressed"] == CALLS - 4
    # serial() delegates to serial(int): every inner call is counted, none reported.
    assert row["nested"] == CALLS + 1
    assert [e["value"] for e in fast.events("pii_read", hook="fixture.boot_count")] == ["42"]


def test_the_key_store_runs_its_steps_in_c_and_only_the_app_hmacs_are_reported(fast, bridge):
    rows = counters(fast)
    assert rows["crypto.quiet.keystore_load"]["calls"] == 1
    # PBKDF2's HMAC steps reached the hooks (counted) inside the load's quiet zone.
    assert rows["crypto.mac_update"]["nested"] > 1000 and rows["crypto.digest_update"]["nested"] > 1000
    macs = [e for e in fast.events("crypto") if e["data"]["op"] == "mac"]
    assert [e["value"] for e in macs] == [f"device={i}" for i in range(3)]
    assert rows["crypto.mac_final"]["calls"] == counters(bridge)["crypto.mac_final"]["calls"] == 3
