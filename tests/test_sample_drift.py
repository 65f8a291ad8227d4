"""The hand-made sample sessions (tests/support/samples.py) still look like real recordings.

The analysis and report tests run on the samples (and on the demo's real recording where
both fit): a sample that drifted from what the addon and the hooks really write would let
those tests pass on data no recording has. Each sample and the recording of its scenario
are analysed alike and compared by shape (tests/support/shapes.py): the demo sample must
have the demo recording's shape exactly; the full-tour sample, a few cases of the tour,
may show less of the tour's shape but nothing it does not have.
"""

from __future__ import annotations

import pytest

from analysis.pipeline import analyze
from hooks.standin.scenarios import SCENARIOS
from tests.support.samples import write_fulltour, write_standin_scenario
from tests.support.shapes import drift, session_shape

CASES = {
    "demo": (write_standin_scenario, "demo_recording", True),
    "full": (write_fulltour, "fulltour_recording", False),
}


@pytest.mark.parametrize("scenario", CASES)
def test_the_sample_has_the_shape_of_the_real_recording(scenario, request, tmp_path):
    write, recording_fixture, exact = CASES[scenario]
    recording = request.getfixturevalue(recording_fixture)
    assert recording.error is None, recording.error
    write(tmp_path / "sample")
    analyze(tmp_path / "sample", scope=SCENARIOS[scenario].scope)   # as `piiaudit demo` analysed the recording
    found = drift(session_shape(tmp_path / "sample"), session_shape(recording.session_dir), exact=exact)
    assert not found, (f"the hand-made sample of the {scenario} scenario (tests/support/samples.py) drifted from "
                       f"its real recording:\n  " + "\n  ".join(found))
