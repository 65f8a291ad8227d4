"""The demo device's values (piiaudit/data/demo/device.yaml) and the demo scenario's hosts, as tests spell them."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "piiaudit" / "data" / "demo" / "device.yaml"
IMEI = "867530912345673"
ANDROID_ID = "9774d56d682e549c"
MAC = "02:1a:11:f0:6e:2b"
OAID = "8f1d2c3b-4a5e-4f60-9a7b-1c2d3e4f5a6b"
CLIPBOARD = "piiaudit-canary-clipboard-7f3a"
# The hosts the demo scenario talks to; the proxy answers them itself (nothing is resolved).
DEMO_HOSTS = ("ulogs.umeng.com", "stats.jpush.cn", "api.demoshop.example")
