"""`piiaudit compare OLD NEW`: the re-test (复测) of one app, its findings before and after a fix.

Reads both analysed sessions without writing to them (analysis.sessionfindings), matches
their findings by rule, actor, PII type and destination host (analysis.compare), and
prints the result (or one JSON object with --json); --out writes compare.xlsx.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from piiaudit.times import ZoneError, zone


class CompareError(click.ClickException):
    """One line, exit status 1."""


@click.command("compare")
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the comparison workbook here (e.g. compare.xlsx): Summary, By category, All, and one "
                   "sheet each for resolved, still present and new, with both sessions' evidence.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as one JSON object instead of the summary.")
@click.option("--force", is_flag=True, help="Compare two sessions of different packages anyway (said in every output).")
@click.option("--tz", "tz_name", help="Time zone times are shown in (an IANA name, e.g. Asia/Shanghai). "
                                      "Default: TZ, else the system's.")
def compare(old: Path, new: Path, out: Path | None, as_json: bool, force: bool, tz_name: str | None) -> None:
    """Re-test (复测): compare the findings of OLD (before the fix) with those of NEW (after it).

    Both are analysed sessions of the same app (`piiaudit analyze`); two different
    packages are refused unless --force. A finding of OLD and one of NEW are the same
    finding when they share the rule, the actor (the SDK, or the app itself), the PII
    type and the destination host, never by number: each analysis numbers anew. Each
    finding is then

    \b
      已整改 / resolved       in OLD only: the fix removed it
      仍存在 / still present  in both
      新增 / new              in NEW only

    with both sides' evidence (first time, Δt to consent, flow and event counts, the
    evidence rows), grouped by the regulators' notice categories. Nothing is written
    into either session; exit status 0 whatever the result.

    \b
    Examples:
      piiaudit compare run1 run2 --out compare.xlsx
      piiaudit compare run1 run2 --json | jq '.counts'
      piiaudit demo --out before && piiaudit demo --consent decline --out after
      piiaudit compare before after --out compare.xlsx --tz Asia/Shanghai
    """
    from analysis import compare as compare_mod   # pandas: imported by the command that needs it
    from analysis.sessionfindings import SessionUnreadable, read

    try:
        tz = zone(tz_name)
    except ZoneError as e:
        raise click.BadParameter(str(e), param_hint="--tz") from None
    try:
        sides = [read(old), read(new)]
        comparison = compare_mod.compare(*sides, force=force)
    except (SessionUnreadable, compare_mod.DifferentApps) as e:
        raise CompareError(str(e)) from None
    if out is not None:
        try:
            compare_mod.write_workbook(comparison, out, tz)
        except OSError as e:
            raise CompareError(f"{out}: cannot write it: {e.strerror or e}"
                               + (f" ({e.filename})" if e.filename and str(e.filename) != str(out) else "")) from None
    if as_json:
        doc = compare_mod.to_json(comparison)
        if out is not None:
            doc["workbook"] = str(out)
        click.echo(json.dumps(doc, ensure_ascii=False))
        return
    for line in compare_mod.console_lines(comparison, tz):
        click.echo(line)
    if out is not None:
        click.echo(f"     xlsx: {out}")
