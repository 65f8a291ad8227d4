"""Canaries, the emulator route, doctor after setup, and setup-then-reset, on the stateful adb double.

Android 13 and 14 layouts: after `device setup` the modelled device holds the contact (the
contacts provider's rows), the device name, the emulator's fix and the clipboard, the profile
names them; after `device reset` the device's state is the one before setup (the JSON compared
whole, but for counters a device only moves forward: pids, row ids, tmpfs numbers). The
clipboard is set through frida-server on a device; on the double `ModelClipboard` stands in for
that one call (tests/support/adbdouble.py).
"""

from __future__ import annotations

import lzma
from pathlib import Path

import frida
import pytest

from commands.device import canaries
from piiaudit import profile as profiles
from tests.support.adbdouble import Device, comparable, model

CA = Path(__file__).parent / "data" / "device" / "mitmproxy-ca-cert.pem"


@pytest.fixture
def server_xz(tmp_path):
    path = tmp_path / f"frida-server-{frida.__version__}-android-x86_64.xz"
    path.write_bytes(lzma.compress(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n"))
    return path


@pytest.mark.parametrize("sdk", [33, 34])
def test_setup_plants_the_canaries_and_reset_returns_the_device_to_where_it_began(
        tmp_path, monkeypatch, server_xz, sdk):
    dev = Device(tmp_path, monkeypatch, model.new_device(sdk))
    dev.change(lambda s: s["settings"]["global"].update(device_name="Li Lei's Pixel"))   # the owner's own name
    start = dev.state
    profile = tmp_path / "device.yaml"
    profile.write_text("device: {model: sdk_gphone64}\nvalues:\n  android_id: '9774d56d682e549c'\n")

    result = dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA, "--profile", profile)
    assert result.exit_code == 0, result.output
    s = dev.state
    planted = canaries.derive("emulator-5554", "EMULATOR34X1X1X0")
    assert s["settings"]["global"]["device_name"] == planted.device_name
    assert s["clipboard"] == planted.clipboard and dev.clipboard_calls == [planted.clipboard]
    assert s["emu"]["geo"] == {"lng": planted.lng, "lat": planted.lat}
    rows = {r["mimetype"]: r["data1"] for r in s["contacts"]["data"]}
    assert rows == {canaries.NAME_TYPE: planted.contact_name, canaries.PHONE_TYPE: planted.contact_phone}
    assert [r["deleted"] for r in s["contacts"]["raw_contacts"]] == [0]
    # the profile now names them: the detector will know them
    known = profiles.load(profile)
    assert ("clipboard", planted.clipboard) in known.known_values()
    assert ("contacts", planted.contact_phone) in known.known_values()
    assert ("android_id", "9774d56d682e549c") in known.known_values()        # what was there stays
    assert known.locations == [profiles.Fix(planted.lat, planted.lng)]
    assert planted.clipboard.startswith("piiaudit-canary-") and planted.tag in planted.contact_name

    doctor = dev.cli("doctor", "--ca", CA, "--proxy", "10.0.2.2:8080")
    assert f"✔ canaries: tag {planted.tag}: device name, contact, location fix" in doctor.output, doctor.output
    for line in ("✔ root", "✔ frida-server running", "✔ proxy route", "✔ CA installed", "✔ QUIC blocked"):
        assert line in doctor.output, (line, doctor.output)

    again = dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA, "--profile", profile)
    assert "0 command(s) changed the device" in again.output, again.output

    result = dev.cli("device", "reset", "--ca", CA, "--profile", profile)
    assert result.exit_code == 0, result.output
    end = dev.state
    assert comparable(end) == comparable(start)
    assert end["settings"]["global"]["device_name"] == "Li Lei's Pixel"
    assert profiles.load(profile).known_values() == [("android_id", "9774d56d682e549c")]
    assert dev.clipboard_calls[-1] is None                                     # cleared
    doctor = dev.cli("doctor", "--ca", CA)
    assert "! canaries: none planted" in doctor.output


def test_a_contact_deleted_by_hand_is_replanted_and_doctor_says_it_was_missing(tmp_path, monkeypatch, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    assert dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA).exit_code == 0
    dev.change(lambda s: s["contacts"].update(raw_contacts=[], data=[]))
    doctor = dev.cli("doctor", "--ca", CA)
    assert "! canaries: tag" in doctor.output and "missing: contact" in doctor.output, doctor.output
    result = dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA)
    assert "content insert --uri content://com.android.contacts/raw_contacts" in result.output
    assert "3 command(s) changed the device" in result.output, result.output    # the record stays as it was
    assert len(dev.state["contacts"]["data"]) == 2


def test_a_phone_gets_no_location_fix_and_says_why(tmp_path, monkeypatch):
    state = model.new_device(34, serial="R58M123", build_type="user", su=True, abi="arm64-v8a")
    dev = Device(tmp_path, monkeypatch, state)
    server = tmp_path / f"frida-server-{frida.__version__}-android-arm64"
    server.write_bytes(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n")
    result = dev.cli("device", "setup", "--frida-server", server, "--ca", CA, "--profile", tmp_path / "p.yaml")
    assert result.exit_code == 0, result.output
    assert "! location canary: not on R58M123: only an emulator's console can set the fix" in result.output
    assert not any(line.startswith("-s R58M123 emu") for line in dev.log())
    assert profiles.load(tmp_path / "p.yaml").locations == []
    assert dev.state["settings"]["global"]["device_name"].startswith("piiaudit-canary-")
    assert dev.cli("device", "reset", "--ca", CA).exit_code == 0
    assert "device_name" not in dev.state["settings"]["global"]


def test_the_emulator_route_clears_the_global_proxy_and_names_the_restart_command(tmp_path, monkeypatch, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    dev.change(lambda s: s["settings"]["global"].update(http_proxy="10.0.2.2:8080"))
    result = dev.cli("device", "setup", "--route", "emulator", "--no-canaries", "--frida-server", server_xz, "--ca", CA)
    assert result.exit_code == 0, result.output
    assert "http_proxy" not in dev.state["settings"]["global"]
    assert "emulator -avd piiaudit_api34 -http-proxy http://127.0.0.1:8080" in result.output
    assert dev.state["contacts"]["data"] == [] and dev.state["clipboard"] is None      # --no-canaries
    assert "✔ proxy route: emulator-level" in dev.cli("doctor", "--ca", CA, "--route", "emulator").output
    assert "! proxy route: no global HTTP proxy" in dev.cli("doctor", "--ca", CA).output
    (tmp_path / "phone").mkdir()
    phone = Device(tmp_path / "phone", monkeypatch, model.new_device(34, serial="R58M123", su=True))
    refused = phone.cli("device", "setup", "--route", "emulator", "--frida-server", server_xz, "--ca", CA)
    assert refused.exit_code == 1 and "R58M123 is not an emulator" in refused.output


def test_a_clipboard_that_cannot_be_set_is_said_and_setup_goes_on(tmp_path, monkeypatch, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(33))

    def unreachable(serial, text):
        raise RuntimeError("cannot reach frida-server on emulator-5554")

    monkeypatch.setattr(canaries, "CLIPBOARD_WRITER", unreachable)
    result = dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA)
    assert result.exit_code == 0
    assert "! clipboard canary not planted: cannot reach frida-server" in result.output
    assert dev.state["clipboard"] is None and dev.state["settings"]["global"]["device_name"].startswith("piiaudit")
    import json
    record = json.loads(model.read(dev.state, "init", canaries.RECORD))
    assert "clipboard" not in record and record["location"] is True    # not recorded as planted: tried again next time
    monkeypatch.setattr(canaries, "CLIPBOARD_WRITER", dev.clipboard_writer)
    again = dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA)
    assert "2 command(s) changed" in again.output, again.output          # the clipboard, and the record
    assert dev.state["clipboard"].startswith("piiaudit-canary-")


def test_the_clipboard_script_for_the_device_builds_with_the_java_bridge():
    """Only built here (no Android to run it on): TypeScript and frida-java-bridge bundled, its RPC export present."""
    from hooks.clipboard import build_script

    script = build_script()
    assert "setClip" in script and "clearPrimaryClip" in script and "setPrimaryClip" in script
    assert "scheduleOnMainThread" in script and len(script) > 100_000      # the Java bridge is bundled in


def test_the_detector_finds_each_planted_value_from_the_profile_setup_wrote(tmp_path, monkeypatch, server_xz):
    """The profile is what the proxy loads: a body carrying the canaries is matched, each as its type."""
    import json as jsonlib
    from urllib.parse import quote

    from piiaudit.detect import Detector

    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    profile = tmp_path / "device.yaml"
    assert dev.cli("device", "setup", "--frida-server", server_xz, "--ca", CA, "--profile", profile).exit_code == 0
    planted = canaries.derive("emulator-5554", "EMULATOR34X1X1X0")
    det = Detector(profiles.load(profile))
    body = jsonlib.dumps({"clip": planted.clipboard, "peer": planted.contact_phone, "dev": quote(planted.device_name),
                          "lat": planted.lat, "lng": planted.lng}).encode()
    found = {h["pii_type"] for h in det.scan_bytes(body, "body", content_type="application/json")}
    assert {"clipboard", "contacts", "device_model", "location"} <= found, found
