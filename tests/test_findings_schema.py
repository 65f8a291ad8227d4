"""findings.json has a JSON Schema (docs/findings.schema.json, draft 2020-12), documented in
docs/findings-json.md, and every findings.json the suite writes is validated against it.

The validation is not decoration: a document that breaks the layout fails it, and the
check is installed for the whole run (tests/conftest.py, tests/support/findings_schema.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from analysis import findingsjson
from analysis.report import write_report
from tests.support import findings_schema
from tests.support.findings_schema import FindingsSchemaError, validate, validate_tree
from tests.support.samples import demo_scope_path, write_standin_scenario

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "findings.schema.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    session = tmp_path_factory.mktemp("schema") / "s"
    write_standin_scenario(session)
    from analysis.pipeline import analyze

    result = analyze(session, scope=demo_scope_path())
    paths = write_report(session, result=result)
    result.session.store.close()
    return json.loads(paths["json"].read_text("utf-8"))


def test_the_schema_is_a_valid_draft_2020_12_schema_of_this_layout():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["properties"]["schema"] == {"const": findingsjson.FINDINGS_SCHEMA}


def test_a_written_findings_json_validates_and_has_every_header_key(written):
    validate(written)
    assert list(written) == SCHEMA["required"]


BREAKS = {
    "no app": lambda d: d.pop("app"),
    "an older layout": lambda d: d.update(schema=2),
    "a decision the schema does not know": lambda d: d["consent"].update(decision="maybe"),
    "no decision but a time": lambda d: d["consent"].update(decision="none", at=1.0, time=None),
    "a sha256 that is not one": lambda d: d["app"].update(sha256="ABC"),
    "a time without its offset": lambda d: d["consent"].update(time="2026-01-01T08:00:02"),
    "a category missing from the counts": lambda d: d["counts"]["by_category"].pop("other"),
    "a finding without a rule": lambda d: d["findings"][0].pop("rule_id"),
    "an unknown key": lambda d: d.update(extra=1),
    "a tester without a name": lambda d: d.update(tester={"source": "--tester"}),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_findings_json_fails_validation_naming_the_place(written, name, tmp_path):
    doc = copy.deepcopy(written)
    BREAKS[name](doc)
    path = tmp_path / "broken" / "findings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(FindingsSchemaError, match=r"broken/findings.json does not match .*\n  at /"):
        validate_tree(tmp_path)
    path.unlink()       # the autouse check after this test looks at tmp_path too


def test_every_findings_json_written_in_the_suite_is_validated_as_it_is_written(written, monkeypatch, tmp_path):
    """The writer is wrapped for the whole run: a report whose findings.json breaks the layout fails."""
    assert getattr(findingsjson.write, "validates_findings_schema", False)
    before = len(findings_schema.CHECKED)
    write_standin_scenario(tmp_path / "s")
    write_report(tmp_path / "s")
    assert findings_schema.CHECKED[before:] == [tmp_path / "s" / "findings.json"]

    real = findingsjson.findings_document
    monkeypatch.setattr(findingsjson, "findings_document", lambda data, **kw: {**real(data, **kw), "schema": 99})
    with pytest.raises(FindingsSchemaError, match="/schema"):
        write_report(tmp_path / "s")
    (tmp_path / "s" / "findings.json").unlink()


def test_the_autouse_check_runs_after_every_test_that_uses_tmp_path(request):
    assert "findings_json_valid" in request.fixturenames


def test_the_documentation_names_every_key_of_the_header():
    doc = (REPO / "docs" / "findings-json.md").read_text("utf-8")
    assert "findings.schema.json" in doc and f"`schema`: {findingsjson.FINDINGS_SCHEMA}" in doc
    for key in SCHEMA["required"]:
        assert f"`{key}`" in doc, key
    for key in SCHEMA["properties"]["app"]["required"]:
        assert f"`{key}`" in doc, key
