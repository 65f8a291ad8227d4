"""The masked report shows no form of a value the detector matched, in any column of any
output: URLs, host names, Host headers, findings.json. The forms are those the values took
on the wire (upper case, percent-encoded, base64, hex, dashes, coordinates near the device,
a subdomain), taken from what the detector stored with each hit, not guessed again.
"""

import base64
import json
import zipfile

import pytest

from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit.store import SessionStore
from tests.support.demo_device import IMEI, PROFILE
from tests.support.flows import make_flow
from tests.support.recorder_harness import Harness

HOST = "ulogs.umeng.com"
# case: (URL, the form the value takes there)
CASES = {
    "mac upper case": (f"https://{HOST}/a?mac=02:1A:11:F0:6E:2B", "02:1A:11:F0:6E:2B"),
    "android id upper case": (f"https://{HOST}/b?aid=9774D56D682E549C", "9774D56D682E549C"),
    "mac %3A": (f"https://{HOST}/c?mac=02%3A1a%3A11%3Af0%3A6e%3A2b", "02%3A1a%3A11%3Af0%3A6e%3A2b"),
    "imei base64": (f"https://{HOST}/d?d=" + base64.b64encode(IMEI.encode()).decode(),
                    base64.b64encode(IMEI.encode()).decode()),
    "imei hex": (f"https://{HOST}/e?d=" + IMEI.encode().hex(), IMEI.encode().hex()),
    "phone dashes": (f"https://{HOST}/f?tel=139-1234-0000", "139-1234-0000"),
    "latitude": (f"https://{HOST}/g?lat=39.9089&lng=116.3975", "39.9089"),
    "longitude": (f"https://{HOST}/g2?lat=39.9089&lng=116.3975", "116.3975"),
    "imei subdomain": (f"https://{IMEI}.{HOST}/h", IMEI),
}


@pytest.fixture(scope="module")
def masked(tmp_path_factory):
    session = tmp_path_factory.mktemp("masking") / "s"
    flows = [make_flow(url, method="GET", ts=1_700_000_000.0 + i) for i, (url, _) in enumerate(CASES.values())]
    Harness(session, piiaudit_detect_process=False, piiaudit_profile=str(PROFILE)).run(flows)
    analyze(session).session.store.close()
    paths = write_report(session)
    return session, paths, dict(zip(CASES, flows))


def _xlsx_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_every_case_is_a_hit_and_the_host_name_is_scanned(masked):
    session, _, flows = masked
    store = SessionStore(session, create=False)
    for case, f in flows.items():
        assert store.rows("SELECT 1 FROM pii_hits WHERE flow_id = ?", [f.id]), case
    sub = store.rows("SELECT location, value FROM pii_hits WHERE flow_id = ? AND pii_type = 'imei'",
                     [flows["imei subdomain"].id])
    assert {"location": "url:host", "value": IMEI} in sub


@pytest.mark.parametrize("output", ["xlsx", "html", "json"])
@pytest.mark.parametrize("case", list(CASES))
def test_no_form_of_a_matched_value_is_shown(masked, output, case):
    _, paths, _ = masked
    text = _xlsx_text(paths["xlsx"]) if output == "xlsx" else paths[output].read_text("utf-8")
    form = CASES[case][1]
    assert form not in text and form.lower() not in text.lower(), f"{case}: {form} in {output}"


def test_the_masked_urls_and_hosts_still_say_where_the_flow_went(masked):
    _, paths, _ = masked
    records = json.loads(paths["json"].read_text("utf-8"))["findings"]
    hosts = {r["host"] for r in records}
    assert HOST in hosts                              # an ordinary host is shown as it is
    assert any(h.endswith(f".{HOST}") and "*" in h for h in hosts), hosts   # the IMEI label masked
    page = paths["html"].read_text("utf-8")
    assert f"https://{HOST}/a?mac=" in page and f"https://{HOST}/f?tel=" in page
