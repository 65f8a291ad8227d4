"""The `device setup --dry-run` output docs/device-setup.md shows, made on the adb double.

A fresh emulator of the given API level (hooks/standin/adb/device_model.new_device), run from
a folder holding the frida-server file and the CA (tests/data/device/mitmproxy-ca-cert.pem) so
that the command line and the output name them as a user types them.
"""

from __future__ import annotations

import lzma
import os
import shutil
from pathlib import Path

import frida

from tests.support.adbdouble import Device, model

CA = Path(__file__).resolve().parents[1] / "data" / "device" / "mitmproxy-ca-cert.pem"


def command(abi: str = "x86_64") -> list[str]:
    return ["device", "setup", "--dry-run", "--frida-server", f"frida-server-{frida.__version__}-android-{abi}.xz",
            "--ca", "mitmproxy-ca-cert.pem", "--profile", "device.yaml"]


def dry_run(sdk: int, tmp_path: Path, monkeypatch) -> str:
    """`$ piiaudit …` and what it printed, as the doc shows them."""
    dev = Device(tmp_path, monkeypatch, model.new_device(sdk))
    work = tmp_path / "work"
    work.mkdir()
    (work / f"frida-server-{frida.__version__}-android-x86_64.xz").write_bytes(
        lzma.compress(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n"))
    shutil.copyfile(CA, work / "mitmproxy-ca-cert.pem")
    before = dev.state
    old = os.getcwd()
    os.chdir(work)
    try:
        result = dev.cli(*command())
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert dev.state == before, "a dry run changed the device"
    return "$ piiaudit " + " ".join(command()) + "\n" + result.output
