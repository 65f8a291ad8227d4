"""Fixtures the whole suite shares. Importable helpers live in tests/support/.

Each costly thing is made once per test run (by whichever pytest-xdist worker needs it first,
tests/support/shared.py): the built JVM stand-in, the live capture of
the demo traffic, and a real recording of each stand-in scenario (`piiaudit demo`'s code:
about 8 s for the demo and each of its refusal paths, 17 s for the full tour). Tests read those as they are; a test that
writes works on a copy.

`standin_scenario` runs a test twice: on the hand-made sample session of the demo scenario
(tests/support/samples.py) and on a copy of its real recording; test_sample_drift.py checks
that the two still have the same shape.

Every findings.json the suite writes is validated against docs/findings.schema.json
(`pytest_configure` and the autouse `findings_json_valid`; tests/support/findings_schema.py).
"""

from __future__ import annotations

import pytest

from tests.support import findings_schema, recordings, shared
from tests.support.demo_device import PROFILE


def pytest_configure(config):
    """Every findings.json written in this process is validated against docs/findings.schema.json
    as it is written (tests/support/findings_schema.py)."""
    from analysis import findingsjson

    if not getattr(findingsjson.write, "validates_findings_schema", False):
        findingsjson.write = findings_schema.checked_writer(findingsjson.write)


@pytest.fixture(autouse=True)
def findings_json_valid(request):
    """After a test that used tmp_path: every findings.json under it matches the schema (those a
    child process wrote included)."""
    tmp = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if tmp is not None:
        findings_schema.validate_tree(tmp)


@pytest.fixture(scope="session")
def classpath():
    """The built JVM stand-in's class directory (skips without a JDK)."""
    from hooks.standin import build as standin

    recordings.require_jdk()
    return standin.build()


@pytest.fixture(scope="module")
def det():
    """The demo device's detector."""
    from piiaudit import profile
    from piiaudit.detect import Detector

    return Detector(profile.load(PROFILE))


@pytest.fixture(scope="session")
def demo_capture(tmp_path_factory):
    """The demo traffic and some hostile requests, captured live through mitmdump with the addon."""
    from tests.support.demo_traffic import capture

    return shared.once(tmp_path_factory, "demo-capture", capture)


@pytest.fixture(scope="session")
def demo_recording(tmp_path_factory) -> recordings.Recording:
    """The demo scenario (docs/standin-scenario.md), recorded and analysed by `piiaudit demo`."""
    return shared.once(tmp_path_factory, "demo-recording", lambda d: recordings.record("demo", d / "session"))


@pytest.fixture(scope="session")
def declined_recording(tmp_path_factory) -> recordings.Recording:
    """The demo scenario with the user tapping 不同意, then 退出 (`piiaudit demo --consent decline`)."""
    return shared.once(tmp_path_factory, "declined-recording",
                       lambda d: recordings.record("demo", d / "session", consent="decline"))


@pytest.fixture(scope="session")
def unanswered_recording(tmp_path_factory) -> recordings.Recording:
    """The demo scenario with the privacy prompt never answered (`piiaudit demo --consent none`)."""
    return shared.once(tmp_path_factory, "unanswered-recording",
                       lambda d: recordings.record("demo", d / "session", consent="none"))


@pytest.fixture(scope="session")
def fulltour_recording(tmp_path_factory) -> recordings.Recording:
    """The full tour (docs/standin-fulltour.md), recorded and analysed by `piiaudit demo --scenario full`."""
    return shared.once(tmp_path_factory, "fulltour-recording", lambda d: recordings.record("full", d / "session"))


@pytest.fixture(params=recordings.SCENARIO_SOURCES)
def standin_scenario(request) -> recordings.ScenarioSource:
    """The demo scenario's session, once hand-made and once as really recorded."""
    return recordings.ScenarioSource(request.param, request)


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium (piiaudit.browser), one per test module; skipped where none is installed."""
    from piiaudit import browser

    if not browser.find():
        pytest.skip("no Chromium: scripts/setup.sh installs Debian's chromium and fonts-noto-cjk")
    with browser.Browser() as b_:
        yield b_
