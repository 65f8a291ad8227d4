"""`piiaudit scope extract` and `piiaudit scope check`: the stated scope from a privacy policy, and against a run."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click


class ScopeCommandError(click.ClickException):
    """One line, exit status 1."""


@click.group()
def scope() -> None:
    """The stated scope (scope.yaml): read it from a privacy policy, compare it with a run.

    \b
    Examples:
      piiaudit scope extract privacy.html --out scope.yaml
      piiaudit scope extract --from-session demo-session --out scope.yaml
      piiaudit scope check demo-session --scope scope.yaml
    """


@scope.command("extract")
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@click.option("--from-session", "session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Take the policy the hooks captured in this session (the consent dialog's text and the policy "
                   "page it loaded) instead of a file.")
@click.option("--assets", "assets", type=click.Path(exists=True, file_okay=False, path_type=Path), multiple=True,
              help="With --from-session: a directory holding the app's assets (an unpacked APK's assets/), where a "
                   "page loaded from file:///android_asset/… is read. Repeatable.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the scope file here (default: print it).")
@click.option("--format", "kind", type=click.Choice(["auto", "text", "html", "markdown"]), default="auto",
              show_default=True, help="How to read POLICY (auto: by its suffix, else its content).")
@click.option("--package", help="app.package to write (the policy does not say it).")
@click.option("--category", help="app.category: one of the 39 app types (e.g. 网上购物类).")
@click.option("--first-party-host", "first_party_hosts", multiple=True,
              help="The operator's own server (suffix match), repeatable.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def extract_cmd(policy: Path | None, session_dir: Path | None, assets: tuple[Path, ...], out: Path | None, kind: str,
                package: str | None, category: str | None, first_party_hosts: tuple[str, ...], force: bool) -> None:
    """Read a privacy policy (text, HTML or Markdown; Chinese or English) and write the scope file.

    The app's stated personal information per purpose, each SDK of the policy's SDK list
    (a table, a list or prose) matched to the catalog by name or company, generic terms
    (设备信息) expanded to their documented set, negations removed. Every phrase that could
    not be mapped is printed on stderr and kept under policy.unmapped. docs/scope.md.

    \b
    Examples:
      piiaudit scope extract privacy.html --out scope.yaml --category 网上购物类
      piiaudit scope extract policy.md                       # print to stdout
      piiaudit scope extract --from-session demo-session --out scope.yaml
    """
    from analysis import scope as scope_mod
    from analysis.errors import AnalysisError
    from analysis.policy import document, extract, output

    if (policy is None) == (session_dir is None):
        raise ScopeCommandError("give a POLICY file or --from-session SESSION (one of the two)")
    if out is not None and out.exists() and not force:
        raise ScopeCommandError(f"{out}: exists; add --force to overwrite it")
    try:
        if policy is not None:
            text = document.read(policy)
            source = str(policy)
            kind = document.kind_of(text, policy.name) if kind == "auto" else kind
            notes: list[str] = []
            result = extract.extract(text, kind)
        else:
            from commands.policysource import captured_policy
            captured = captured_policy(session_dir, assets)
            text, source, notes = captured.text, captured.source, captured.notes
            result = extract.extract_blocks(captured.blocks)
    except AnalysisError as e:
        raise ScopeCommandError(str(e)) from None
    app = {k: v for k, v in (("package", package), ("category", category)) if v}
    data = output.scope_dict(result, source=source, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), app=app,
                             first_party_hosts=list(first_party_hosts))
    try:
        scope_mod.from_dict(data, source=str(out or "<scope extract>"))
    except AnalysisError as e:
        raise ScopeCommandError(f"the extracted scope does not load: {e}") from None
    rendered = output.render(data, source)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for row in result.unmapped:
        reason = " (personal information with no PII type)" if row.get("reason") else ""
        click.echo(f"unmapped ({row['actor']}): {row['phrase']}{reason}", err=True)
    for row in result.expanded:
        click.echo(f"expanded ({row['actor']}): {row['term']} -> {', '.join(row['types'])} (generic term)", err=True)
    if out is None:
        sys.stdout.write(rendered)
        return
    out.write_text(rendered, encoding="utf-8")
    stated = data["stated"]
    click.echo(f"wrote {out}: app {len(stated['app'])} PII types, {len(stated['sdks'])} SDKs "
               f"({sum(1 for e in result.sdks.values() if e.catalog_id)} in the catalog), "
               f"{len(result.expanded)} generic terms expanded, {len(result.negated)} negated, "
               f"{len(result.unmapped)} unmapped")


@scope.command("check")
@click.argument("session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--scope", "scope_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="scope.yaml (default: scope.yaml in the session).")
def check_cmd(session_dir: Path, scope_path: Path | None) -> None:
    """Stated against observed, per actor (the app, each SDK), side by side.

    For every actor: the PII types stated and seen, stated but not seen, and seen but not
    stated (what IM3.3 reports), plus the SDKs seen at work that the policy's SDK list does
    not name (SDK-UNDISCLOSED). Observed = the hooks' reads and the PII sent in traffic.

    \b
    Example:
      piiaudit scope check demo-session --scope piiaudit/data/demo/scope.yaml
    """
    from analysis.errors import AnalysisError
    from analysis.policy import check

    try:
        table = check.compare(session_dir, scope_path)
    except AnalysisError as e:
        raise ScopeCommandError(str(e)) from None
    click.echo(check.render(table))
