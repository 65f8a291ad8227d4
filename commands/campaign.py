"""`piiaudit campaign SESSION... --out campaign.xlsx`: a batch (批量) of audited apps in one workbook.

Reads the sessions one at a time (analysis.campaign streams their rows into the workbook),
so the batch's size does not change the memory it takes; a session that cannot be read is
a row with its reason and the batch goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from piiaudit import progress as progress_mod
from piiaudit.times import ZoneError, zone


class CampaignError(click.ClickException):
    """One line, exit status 1."""


@click.command("campaign")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="SESSION...")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("campaign.xlsx"),
              show_default=True, help="The workbook to write.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the batch's totals (sessions, read, not read with reasons, findings per category and "
                   "severity, consent decisions) as one JSON object.")
@click.option("--no-verify", "no_verify", is_flag=True,
              help="Do not check each session against its manifest.json (the Integrity column says 'not checked').")
@click.option("--strict", is_flag=True, help="Exit status 1 when a session could not be read (default: 0).")
@click.option("--tz", "tz_name", help="Time zone times are shown in (an IANA name, e.g. Asia/Shanghai). "
                                      "Default: TZ, else the system's.")
@click.option("--quiet", "-q", "quiet", is_flag=True,
              help="No progress display on stderr (it shows only on a terminal, after 1 s, and never with CI set).")
def campaign(paths: tuple[Path, ...], out: Path, as_json: bool, no_verify: bool, strict: bool,
             tz_name: str | None, quiet: bool) -> None:
    """Batch (批量): many audited apps in one workbook, one row per app.

    Each SESSION is a session directory (analysed with `piiaudit analyze`) or a folder
    whose subdirectories are sessions. campaign.xlsx holds

    \b
      概要 (Summary)   the batch's counts per notice category, severity and consent decision
      应用 (Apps)      one row per session: package, name, version, APK SHA-256 (from the
                       APK's manifest when the session recorded it), consent decision,
                       counts per severity and category, result, piiaudit verify's verdict
      矩阵 (Matrix)    app x notice category
      发现 (Findings)  every finding with its app

    Sessions are read one at a time and their rows streamed to the file, so a thousand
    sessions need no more memory than one. A session that is broken, not analysed or not a
    session at all is a row of Apps with its reason; the batch goes on.

    \b
    Examples:
      piiaudit campaign run-app1 run-app2 run-app3 --out campaign.xlsx
      piiaudit campaign audits/ --out campaign.xlsx --tz Asia/Shanghai   # every session in audits/
      piiaudit campaign audits/ --json | jq '.per_category'
    """
    from analysis import campaign as campaign_mod   # pandas: imported by the command that needs it

    try:
        tz = zone(tz_name)
    except ZoneError as e:
        raise click.BadParameter(str(e), param_hint="--tz") from None
    try:
        with progress_mod.display("campaign", "sessions", quiet=quiet) as shown:
            total = sum(1 for _ in campaign_mod.sessions(paths)) if shown.enabled else None
            totals = campaign_mod.run(paths, out, tz, verify=not no_verify,
                                      progress=lambda no, path: shown(no - 1, total, path.name))
    except OSError as e:
        raise CampaignError(f"{out}: cannot write it: {e.strerror or e}"
                               + (f" ({e.filename})" if e.filename and str(e.filename) != str(out) else "")) from None
    if as_json:
        click.echo(json.dumps({**totals.to_dict(), "workbook": str(out)}, ensure_ascii=False))
    else:
        for line in campaign_mod.console_lines(totals, out):
            click.echo(line)
    if strict and totals.failed:
        raise SystemExit(1)
