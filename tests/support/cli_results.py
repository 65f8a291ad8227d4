"""Running piiaudit's CLI in-process, and what a refusal must look like to a user."""

from __future__ import annotations

from click.testing import CliRunner

from commands.cli import cli


def run(*args):
    """`piiaudit ARGS...` in this process (click's runner); paths may be Path objects."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def refused(result, *words):
    """One clear line (`Error: …` naming each of `words`), exit status 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]
