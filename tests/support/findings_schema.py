"""findings.json against its JSON Schema (docs/findings.schema.json, draft 2020-12).

`validate(document_or_path)` raises `FindingsSchemaError` naming the file, the place in the
document and what is wrong. The suite checks every findings.json it writes two ways
(tests/conftest.py): the writer (analysis.findingsjson.write) is wrapped for the whole run,
so every write in the test process is validated as it is written; and after each test that
used `tmp_path`, every findings.json under it is validated (a file written by a child
process, or by hand, is checked too).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "findings.schema.json"
CHECKED: list[Path] = []        # every file validated in this run, in order (tests read it)


class FindingsSchemaError(AssertionError):
    pass


@functools.lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(document: dict[str, Any] | Path | str, where: str | None = None) -> None:
    """The document (or the file's) against the schema; FindingsSchemaError listing every violation."""
    if isinstance(document, (Path, str)):
        path = Path(document)
        where = where or str(path)
        try:
            document = json.loads(path.read_text("utf-8"))
        except ValueError as e:
            raise FindingsSchemaError(f"{where}: not JSON ({e})") from None
        CHECKED.append(path)
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in errors[:20]]
        raise FindingsSchemaError(f"{where or 'findings.json'} does not match docs/findings.schema.json "
                                  f"({len(errors)} violation{'s' if len(errors) != 1 else ''}):\n" + "\n".join(lines))


def validate_tree(root: Path) -> list[Path]:
    """Every findings.json under `root` validated; the files checked."""
    found = sorted(Path(root).rglob("findings.json"))
    for path in found:
        if path.is_file():
            validate(path)
    return found


def checked_writer(write):
    """`write` (analysis.findingsjson.write) followed by the validation of the file it wrote."""
    @functools.wraps(write)
    def wrapper(data, path, *args, **kwargs):
        result = write(data, path, *args, **kwargs)
        validate(Path(path))
        return result

    wrapper.validates_findings_schema = True
    return wrapper
