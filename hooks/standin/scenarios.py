"""The stand-in's scripted scenarios: which main class plays each, which hosts it contacts
(every one must be answered by the proxy's local responder), its policy scope and its doc."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "piiaudit" / "data" / "demo"


@dataclass(frozen=True)
class Scenario:
    name: str
    main_class: str
    hosts: tuple[str, ...]
    scope: Path
    doc: Path
    description: str
    tester_marks: Path | None = None   # what the tester marked during the run (piiaudit mark observed)


SCENARIOS: dict[str, Scenario] = {
    "demo": Scenario(
        name="demo",
        main_class="com.example.demoshop.DemoShopLauncher",
        hosts=("ulogs.umeng.com", "stats.jpush.cn", "api.demoshop.example"),
        scope=DEMO_DATA / "scope.yaml",
        doc=REPO / "docs" / "standin-scenario.md",
        description="14 steps: Umeng and JPush read identifiers before consent, the privacy dialog, "
                    "the app's location, JPush's clipboard read and a plain-HTTP heartbeat",
    ),
    "full": Scenario(
        name="full",
        main_class="com.example.demoshop.FullTour",
        hosts=("sdk-open-phone.getui.com", "ulogs.umeng.com", "apilocate.amap.com",
               "api.demoshop.example", "stats.jpush.cn", "api-access.pangolin-sdk-toutiao.com"),
        scope=DEMO_DATA / "scope-full.yaml",
        doc=REPO / "docs" / "standin-fulltour.md",
        description="68 steps over every hook family: identifiers, location, content queries, app lists, "
                    "clipboard, camera, microphone, sensors, accounts, permissions, consent UI, an "
                    "AES-encrypted Getui upload, background collection, a second process (:push), and "
                    "the 个性化推荐 switch turned off while Pangle still sends the advertising ID",
        tester_marks=DEMO_DATA / "tester-marks-full.yaml",
    ),
}
