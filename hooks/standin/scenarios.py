"""The stand-in's scripted scenarios: which main class plays each, which hosts it contacts
(every one must be answered by the proxy's local responder), its policy scope and its doc;
and the user's answers to the demo's privacy prompt (CONSENT_CHOICES).

The answer is the user's, not the app's: it reaches the stand-in as the system property
``standin.consent`` (``-Dstandin.consent=decline``), which only the scripted user and the
launcher read (ScriptedUser.java). The app and its SDKs react to the taps alone, so a
UI-automation driver that taps the labels of a choice, in order, on a device plays the same
path; the two tables (here and ScriptedUser.Answer) are checked against each other by
tests/test_demo_consent.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "piiaudit" / "data" / "demo"


CONSENT_PROPERTY = "standin.consent"


@dataclass(frozen=True)
class ConsentChoice:
    name: str
    taps: tuple[str, ...]        # the labels the user taps, in order
    steps: int                   # the demo scenario's length on this path
    description: str


CONSENT_CHOICES: dict[str, ConsentChoice] = {
    "accept": ConsentChoice("accept", ("同意",), 14, "the user taps 同意 (the default)"),
    "decline": ConsentChoice("decline", ("不同意", "退出"), 16,
                             "the user taps 不同意, then 退出 on the app's second prompt; the app closes and exits"),
    "none": ConsentChoice("none", (), 10, "the privacy dialog stays unanswered until the run ends"),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    main_class: str
    hosts: tuple[str, ...]
    scope: Path
    doc: Path
    description: str
    consent_choices: bool = False    # plays the user's answer given as CONSENT_PROPERTY
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
        consent_choices=True,
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
