"""The `piiaudit` command line."""

from __future__ import annotations

import datetime as dt
import functools
import math
import sqlite3
import sys
import time
from pathlib import Path

import click

import piiaudit
from piiaudit import __version__, progress, sessiondir
from piiaudit.store import DB_NAME, SessionStore, StoreError
from piiaudit.store import problem as store_problem
from piiaudit.identity import tester_from
from piiaudit.times import ZoneError, iso_one, parse_time, zone

DEMO_DIR = Path(piiaudit.__file__).parent / "data" / "demo"


class AuditError(click.ClickException):
    """A failure the user can act on: printed as one clear line, exit status 1."""


def _one_line(command):
    """A command whose files fail it (a damaged, foreign or full session.db, a read-only or
    full disk) ends with one line naming the file and what to do, exit status 1."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        session = kwargs.get("session_dir") or kwargs.get("out") or Path(".")
        try:
            return command(*args, **kwargs)
        except (sqlite3.Error, OSError) as e:
            cause = e.__cause__ if isinstance(e.__cause__, sqlite3.Error) else e   # pandas wraps SQLite's errors
            if isinstance(cause, sqlite3.Error):
                where = Path(session) / DB_NAME
            else:
                where = Path(e.filename) if getattr(e, "filename", None) else Path(session)
            raise AuditError(store_problem(where, cause)) from None

    return run


def _open_session(directory: Path, *, create: bool = False) -> SessionStore:
    try:
        return SessionStore(directory, create=create)
    except StoreError as e:
        raise AuditError(str(e)) from None


def _claim(directory: Path, force: bool) -> None:
    """A new, empty or piiaudit session directory; another one only with --force (piiaudit.sessiondir)."""
    try:
        sessiondir.claim(directory, force=force)
    except sessiondir.SessionDirError as e:
        raise AuditError(str(e)) from None


class Seconds(click.ParamType):
    """A duration in seconds: a finite number above 0 and at most a week (nan, inf, -1 refused)."""

    name = "seconds"
    LIMIT = 7 * 86400.0

    def convert(self, value, param, ctx):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not (math.isfinite(seconds) and 0 < seconds <= self.LIMIT):
            self.fail(f"{value!r}: give a number of seconds above 0 and at most {self.LIMIT:.0f} (a week)", param, ctx)
        return seconds


def _flows_in(file: Path) -> int | None:
    """The flows a flow file holds, counted without parsing (piiaudit.flowcount); None for a HAR."""
    from addon import har
    from piiaudit.flowcount import count_flows

    with open(file, "rb") as fo:
        if har.looks_like_har(fo.read(64)) or file.suffix.lower() in (".har", ".zhar"):
            return None
    return count_flows(file).flows or None


def _check_profile(path: Path | None) -> None:
    """A device profile is checked before anything is written: a wrong one is one line."""
    if path is not None:
        from piiaudit import profile as profiles

        try:
            profiles.load(path)
        except profiles.ProfileError as e:
            raise AuditError(str(e)) from None


def _time_option(value: str | None, option: str, tz_name: str | None = None) -> float | None:
    """A typed time (epoch seconds, ISO 8601, 'now'): finite and within 1970..5138, else one line naming `option`."""
    if value is None:
        return None
    try:
        return parse_time(value, _zone_option(tz_name))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


def _zone_option(name: str | None) -> dt.tzinfo:
    try:
        return zone(name)
    except ZoneError as e:
        raise click.BadParameter(str(e), param_hint="--tz") from None


FORCE_HELP = ("Write into an existing directory that is not a piiaudit session: the session's files are added "
              "beside the others (nothing is deleted).")
TESTER_HELP = ("Who performs the test (name, or name and organisation), kept in the session's manifest and shown "
               "in every report. Default: the environment variable PIIAUDIT_TESTER.")
TZ_HELP = "Time zone times are shown in (an IANA name, e.g. Asia/Shanghai). Default: TZ, else the system's."
QUIET = click.option(
    "--quiet", "-q", "quiet", is_flag=True,
    help="No progress display on stderr (it shows only on a terminal, after 1 s, and never with CI set).")
ACCEPT_CHANGES = click.option(
    "--accept-changes", "accept_changes", is_flag=True,
    help="Go on although files changed outside piiaudit since manifest.json (see `piiaudit verify`); "
         "the acceptance is recorded in the manifest and shown in every output.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="piiaudit")
def cli() -> None:
    """Audit what an Android app does with personal information, by watching it run.

    \b
    A session directory holds one audit run:
      session.db     every flow, PII hit, hook event, clock sync and finding (SQLite)
      flows.mitm     the raw traffic, replayable with mitmproxy
      manifest.json  versions, device, app, clock offsets, SHA-256 of every file
      evidence.xlsx, report.html, findings.json   the evidence, re-creatable any time

    \b
    Start with the built-in demo:
      piiaudit demo --out demo-session
    """


# -- demo ------------------------------------------------------------------------
@cli.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("demo-session"), show_default=True,
              help="Session directory to create.")
@click.option("--scenario", type=click.Choice(["demo", "full"]), default="demo", show_default=True,
              help="demo: the 14-step consent story (docs/standin-scenario.md); full: a 64-step tour of "
                   "every hook family with an AES-encrypted SDK upload and a :push process "
                   "(docs/standin-fulltour.md).")
@click.option("--consent", type=click.Choice(["accept", "decline", "none"]), default="accept", show_default=True,
              help="How the scripted user answers the demo's privacy prompt: accept taps 同意; decline taps 不同意 "
                   "and then 退出 on the app's second prompt (the app closes and exits, SDKs keep collecting); "
                   "none leaves the prompt unanswered. Each path's ground truth: docs/standin-scenario.md.")
@click.option("--force", is_flag=True, help="Replace an earlier piiaudit session in --out: its own files are deleted; "
              "a directory holding anything else is refused.")
@click.option("--timeout", type=Seconds(), default=180.0, show_default=True,
              help="Seconds to wait for the stand-in app to finish its scenario.")
@click.option("--tester", help=TESTER_HELP)
@_one_line
def demo(out: Path, scenario: str, consent: str, force: bool, timeout: float, tester: str | None) -> None:
    """Run a complete audit of the built-in stand-in app.

    Starts mitmproxy with the piiaudit addon, spawns the JVM stand-in for Android under
    Frida with the piiaudit agent loaded before its first instruction, lets it play its
    scripted scenario (embedded analytics and push SDKs read and send device identifiers
    before the user taps 同意), then analyses the session and writes the evidence.
    Nothing leaves this machine: the proxy answers the SDK hosts itself.

    \b
    Examples:
      piiaudit demo --out demo-session
      open demo-session/evidence.xlsx
      piiaudit demo --consent decline --out demo-declined   # 不同意, then 退出
      piiaudit demo --consent none --out demo-unanswered     # the prompt is never answered
    """
    from commands.demo import DemoError, run_demo

    try:
        result = run_demo(out, scenario=scenario, consent=consent, force=force, timeout=timeout, echo=click.echo,
                          tester=tester_from(tester))
    except DemoError as e:
        raise AuditError(str(e)) from None
    click.echo(result.summary)


# -- record ----------------------------------------------------------------------
@cli.command()
@click.argument("package", required=False)
@click.option("--session", "session_dir", type=click.Path(path_type=Path), required=True,
              help="Session directory to create or extend.")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Device profile YAML with the device's known values (see `piiaudit device-profile`).")
@click.option("--device", "device_id", help="Frida/adb device id; default: the only USB device or emulator.")
@click.option("--listen-host", default="0.0.0.0", show_default=True, help="Proxy listen address.")
@click.option("--listen-port", default=8080, show_default=True, type=int, help="Proxy listen port.")
@click.option("--confdir", type=click.Path(path_type=Path), default=None,
              help="mitmproxy configuration directory (its CA). Default: ~/.mitmproxy.")
@click.option("--attach", is_flag=True, help="Attach to the running app instead of spawning it (misses start-up).")
@click.option("--apk", "apks", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="The app to install and record: an APK, or give --apk once per split APK, a directory of "
                   "them, or bundletool's .apks. Its identity and declared permissions are recorded in the session.")
@click.option("--grant", default="none", show_default=True, metavar="none|all|PERM,PERM",
              help="With --apk: runtime permissions granted after the install (`all`: every one it declares).")
@click.option("--keep", is_flag=True, help="With --apk: leave the app installed afterwards (default: uninstall it).")
@click.option("--no-install", is_flag=True,
              help="With --apk: the app is installed already; only record the APK's identity (as before --grant).")
@click.option("--duration", type=Seconds(), default=None, help="Stop after this many seconds (default: Ctrl-C or the app's end).")
@click.option("--consent", type=click.Choice(["accept", "decline", "none"]), default=None,
              help="With --apk: answer the privacy dialog by UI automation (uiautomator dump, input tap, screencap "
                   "through adb), photograph it and keep each tap; none = photograph it and leave it unanswered. "
                   "Default: no automation (you tap, or `piiaudit mark consent`).")
@click.option("--explore", "explore_s", type=Seconds(), default=None,
              help="With --consent: then explore the app this long (taps, back, scroll; never pay, send or call).")
@click.option("--permissions", type=click.Choice(["allow", "deny", "leave"]), default="leave", show_default=True,
              help="With --consent: how the automation answers runtime permission prompts.")
@click.option("--screenrecord", is_flag=True, help="With --consent: also record the screen (screens/NNNN-recording.mp4).")
@click.option("--adb", "adb_path", help="Path to adb; default: $PIIAUDIT_ADB, PATH, $ANDROID_HOME.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--tester", help=TESTER_HELP)
@_one_line
def record(package: str | None, session_dir: Path, profile: Path | None, device_id: str | None, listen_host: str,
           listen_port: int, confdir: Path | None, attach: bool, apks: tuple[Path, ...], grant: str, keep: bool,
           no_install: bool, duration: float | None, consent: str | None, explore_s: float | None, permissions: str,
           screenrecord: bool, adb_path: str | None, force: bool, tester: str | None) -> None:
    """Record an audit session of PACKAGE (or of the app in --apk) on a real device or emulator.

    Runs the proxy (point the device at it), spawns the app under Frida with the agent
    loaded before its first instruction (and in its :push/:remote processes), and records
    until you press Ctrl-C, --duration passes or the app exits. With --apk the app is
    installed first (split APKs with `adb install-multiple`), --grant's permissions are
    granted, and afterwards it is force-stopped and uninstalled (unless --keep). With --consent
    the privacy dialog is answered by UI automation through adb (docs/consent-automation.md);
    without it, tap it yourself and, if the dialog is not a standard one, mark the moment from
    another shell with `piiaudit mark consent`.

    \b
    Examples:
      piiaudit device setup --profile device.yaml
      piiaudit record --apk app.apk --grant all --duration 300 --session run1 --profile device.yaml
      piiaudit record --apk base.apk --apk split_config.arm64_v8a.apk --session run2
      piiaudit record --apk app.apk --consent decline --explore 60 --session run-declined
      piiaudit record com.example.app --session run3 --profile device.yaml --tester "Li Lei"
      piiaudit analyze run1 --scope scope.yaml && piiaudit report run1

    See docs/device-setup.md for the emulator, proxy, CA and frida-server set-up.
    """
    from commands.recording import RecordError, record_apk, record_device, ui_automation

    if consent is None and (explore_s or permissions != "leave" or screenrecord):
        raise AuditError("--explore, --permissions and --screenrecord go with --consent")
    if consent is not None and (not apks or no_install):
        raise AuditError("--consent drives the app record installs: give it --apk (without --no-install)")
    if not apks and package is None:
        raise AuditError("give the app: PACKAGE (installed already) or --apk APP.apk")
    if not apks and (grant != "none" or keep or no_install):
        raise AuditError("--grant, --keep and --no-install go with --apk")
    options = dict(profile=profile, listen_host=listen_host, listen_port=listen_port, confdir=confdir, attach=attach,
                   force=force, tester=tester_from(tester), duration=duration)
    try:
        if apks and not no_install:
            driver = (ui_automation(consent, explore_s=explore_s or 0.0, permissions=permissions, record_video=screenrecord,
                                    echo=click.echo) if consent else None)
            summary = record_apk(list(apks), session_dir, grant=grant, keep=keep, adb_path=adb_path,
                                 device_id=device_id, package=package, consent=driver, echo=click.echo, **options)
        else:
            if len(apks) > 1:
                raise AuditError("--no-install records one APK's identity: give the base APK only")
            if package is None:
                from piiaudit import apk as apk_mod
                try:
                    package = apk_mod.read_any(apks[0]).package
                except apk_mod.ApkError as e:
                    raise AuditError(str(e)) from None
            summary = record_device(package, session_dir, device_id=device_id, echo=click.echo,
                                    apk=apks[0] if apks else None, **options)
    except RecordError as e:
        raise AuditError(str(e)) from None
    click.echo(summary)


# -- replay ----------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--session", "session_dir", type=click.Path(path_type=Path), required=True,
              help="Session directory to write flows and PII hits into (created if missing).")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Device profile YAML; default: device.yaml in the session directory, if any.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@QUIET
@_one_line
def replay(file: Path, session_dir: Path, profile: Path | None, force: bool, quiet: bool) -> None:
    """Run the PII detection again over saved traffic (a mitmproxy flow file or a HAR file).

    No packet is sent: the flows are read from FILE and passed through the same addon
    as a live capture, so the same inputs give the same hits.

    \b
    Examples:
      piiaudit replay run1/flows.mitm --session run1-again --profile device.yaml
      piiaudit replay export.har --session from-har --profile device.yaml
    """
    from addon.replay import ReplayError, replay as run_replay, summary_line

    if profile is None and (session_dir / "device.yaml").is_file():
        profile = session_dir / "device.yaml"
    _check_profile(profile)
    _claim(session_dir, force)
    _open_session(session_dir, create=True)
    try:
        with progress.display("replay", "flows", quiet=quiet) as shown:
            if shown.enabled:
                shown(0, _flows_in(file), file.name)
            stats = run_replay(file, session_dir, profile, progress=shown)
    except ReplayError as e:
        raise AuditError(str(e)) from None
    messages = stats.get("messages") or []
    if stats["flows"] == 0 and messages:
        # nothing usable: one line naming the file and its first problem (all are in the errors table)
        raise AuditError(f"{file}: no flow could be read: {messages[0].removeprefix(f'{file.name}: ')}")
    click.echo(summary_line(stats))
    # What the file itself held (damage, a decompression cut, text that is not UTF-8, flows
    # never recorded), one line each; per-flow problems are in the session's errors table.
    for message in messages[:5]:
        click.echo(f"  ! {message}")


# -- apk-info --------------------------------------------------------------------
@cli.command("apk-info")
@click.argument("apk", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
def apk_info(apk: Path, as_json: bool) -> None:
    """Show what an APK declares: package, version, SHA-256 of the file and of its signing
    certificates, min/target SDK, every uses-permission (with maxSdkVersion) and its components.

    An AndroidManifest.xml in text form is read too (no certificates then). This is what
    `record --apk` and `analyze --apk` record in a session.

    \b
    Examples:
      piiaudit apk-info app-release.apk
      piiaudit apk-info app-release.apk --json | jq '.permissions[].name'
    """
    import json

    from piiaudit import apk as apk_mod

    try:
        manifest = apk_mod.read_any(apk)
    except apk_mod.ApkError as e:
        raise AuditError(str(e)) from None
    if as_json:
        click.echo(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(manifest.summary_lines()))


# -- analyze ---------------------------------------------------------------------
@cli.command()
@click.argument("session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--scope", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="scope.yaml: what the privacy policy states is collected. Default: scope.yaml in the session.")
@click.option("--consent-at", "consent_at", help="Consent moment, overriding what the hooks saw "
              "(epoch seconds, ISO 8601, e.g. 2026-11-23T10:00:05+08:00).")
@click.option("--rules", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A rule catalog to use instead of the built-in one.")
@click.option("--apk", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The app's APK (or its AndroidManifest.xml as text): its declared permissions are compared "
                   "with what the app type in scope.yaml needs (rule PERM-DECLARE); recorded in the session.")
@click.option("--tz", "tz_name", help=TZ_HELP)
@ACCEPT_CHANGES
@QUIET
@_one_line
def analyze(session_dir: Path, scope: Path | None, consent_at: str | None, rules: Path | None, apk: Path | None,
            tz_name: str | None, accept_changes: bool, quiet: bool) -> None:
    """Decide the consent moment, apply the rules and store the findings.

    The consent moment comes from the hooks (the 同意/Agree tap on a privacy dialog), else
    from a tester mark (`piiaudit mark consent`), unless --consent-at overrides both.

    \b
    Examples:
      piiaudit analyze run1 --scope scope.yaml
      piiaudit analyze run1 --consent-at 2026-11-23T10:00:05+08:00
      piiaudit analyze run1 --scope scope.yaml --apk app-release.apk
    """
    from analysis.pipeline import AnalysisError, analyze as run_analysis
    from analysis.summary import text_summary

    _open_session(session_dir)
    tz = _zone_option(tz_name)
    try:
        with progress.display("analyze", quiet=quiet) as shown:
            result = run_analysis(session_dir, consent_at=_time_option(consent_at, "--consent-at", tz_name),
                                  scope=scope, rules=rules, accept_changes=accept_changes, apk=apk, progress=shown)
    except AnalysisError as e:
        raise AuditError(str(e)) from None
    click.echo(text_summary(result, tz=tz))


# -- report ----------------------------------------------------------------------
@cli.command()
@click.argument("session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reveal", is_flag=True, help="Show raw PII values instead of masked values plus hashes.")
@click.option("--tz", "tz_name", help=TZ_HELP)
@click.option("--pdf", is_flag=True,
              help="Also print the page to report.pdf with headless Chromium (page numbers and manifest.json's "
                   "SHA-256 on every page; a few seconds).")
@ACCEPT_CHANGES
@QUIET
@_one_line
def report(session_dir: Path, reveal: bool, tz_name: str | None, pdf: bool, accept_changes: bool, quiet: bool) -> None:
    """Write evidence.xlsx, report.html and findings.json from what `piiaudit analyze` stored.

    A session not analysed yet is analysed first, with the defaults. With --pdf, report.pdf
    too (needs Chromium: scripts/setup.sh installs Debian's `chromium`).

    \b
    Example:
      piiaudit report run1
      piiaudit report run1 --tz Asia/Shanghai
      piiaudit report run1 --pdf
    """
    from analysis.errors import AnalysisError
    from analysis.report import write_report

    _open_session(session_dir).close()
    _zone_option(tz_name)
    try:
        with progress.display("report", "rows", quiet=quiet) as shown:
            paths = write_report(session_dir, reveal=reveal, tz=tz_name, accept_changes=accept_changes, pdf=pdf,
                                 progress=shown)
    except AnalysisError as e:
        raise AuditError(str(e)) from None
    for kind, path in paths.items():
        click.echo(f"{kind:>9}: {path}")


# -- mark ------------------------------------------------------------------------
@cli.group()
def mark() -> None:
    """Record what the tester saw, when the hooks cannot see it."""


@mark.command("consent")
@click.option("--session", "session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="The session being recorded.")
@click.option("--at", "at", default="now", show_default=True,
              help="When (epoch seconds, ISO 8601, or 'now').")
@click.option("--declined", is_flag=True, help="The user declined instead of agreeing.")
@click.option("--note", help="Free text kept with the mark, e.g. which button was tapped.")
@_one_line
def mark_consent(session_dir: Path, at: str, declined: bool, note: str | None) -> None:
    """Mark the moment the user agreed to (or declined) the privacy policy.

    Use it during `piiaudit record` when the consent screen is not a standard dialog
    (e.g. a Compose or WebView page), or afterwards with --at.

    \b
    Examples:
      piiaudit mark consent --session run1
      piiaudit mark consent --session run1 --at 2026-11-23T10:00:05+08:00 --note "tapped 同意并继续"
    """
    from commands.sessioncheck import refresh_manifest_after

    store = _open_session(session_dir)
    ts = _time_option(at, "--at")
    kind = "declined" if declined else "accepted"
    with refresh_manifest_after(store):
        store.add_consent_mark(ts, kind=kind, source="tester", note=note)
    click.echo(f"consent {kind} marked at {iso_one(ts)} ({ts:.3f}) in {session_dir}")


def _observation_kinds() -> list[str]:
    from piiaudit import testermarks
    return list(testermarks.kinds())


@mark.command("observed")
@click.argument("kind", required=False, type=click.Choice(_observation_kinds()), metavar="KIND")
@click.option("--session", "session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="The session being recorded (or recorded already).")
@click.option("--where", "--place", "place", help="Where in the app, e.g. '设置 > 隐私 > 个性化推荐'.")
@click.option("--note", help="The tester's own words, kept with the observation.")
@click.option("--screenshot", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A screenshot: copied into the session and hashed (piiaudit verify checks it).")
@click.option("--at", "at", default="now", show_default=True,
              help="When it was seen or done (epoch seconds, ISO 8601, or 'now').")
@click.option("--from", "checklist", type=click.Path(dir_okay=False, path_type=Path),
              help="A filled-in checklist (template: docs/tester-checklist.yaml) instead of one KIND.")
@_one_line
def mark_observed(kind: str | None, session_dir: Path, place: str | None, note: str | None,
                  screenshot: Path | None, at: str, checklist: Path | None) -> None:
    """Record what the tester saw that no hook can decide: a tester observation.

    KIND is one of: personalisation_switch_found / _not_found (个性化推荐开关),
    personalisation_switched_off (已关闭个性化推荐: ad SDKs that still send advertising
    identifiers after this moment are a finding), account_cancellation_found / _not_found
    (注销账号), correction_deletion_found / _not_found (更正/删除), withdraw_consent_found /
    _not_found (撤回同意). A 'not found' becomes a finding labelled as a tester observation
    when the session is analysed; a 'found' is kept as evidence that the right is offered.

    \b
    Examples:
      piiaudit mark observed personalisation_switch_found --session run1 --where "设置 > 隐私 > 个性化推荐" --screenshot shot.png
      piiaudit mark observed personalisation_switched_off --session run1
      piiaudit mark observed account_cancellation_not_found --session run1 --note "我的/设置/帮助 均无注销入口"
      piiaudit mark observed --session run1 --from checklist.yaml
    """
    from commands.sessioncheck import refresh_manifest_after
    from piiaudit import testermarks

    if (kind is None) == (checklist is None):
        raise click.UsageError("give one KIND, or --from CHECKLIST (not both)")
    store = _open_session(session_dir)
    ts = _time_option(at, "--at")
    # The screenshots are copied inside the block: the manifest is refreshed only if the session
    # matched it before, and a screenshot copied in before the check would be a file no row names.
    try:
        with refresh_manifest_after(store):
            if checklist is not None:
                rows, unanswered = testermarks.checklist_rows(checklist, session_dir,
                                                              lambda t: parse_time(t, zone()), ts)
            else:
                rows, unanswered = [testermarks.observation_row(session_dir, kind, ts, place=place, note=note,
                                                                screenshot=screenshot)], []
            store.add_observations(rows)
    except testermarks.ObservationError as e:
        raise AuditError(str(e)) from None
    for r in rows:
        where = f" at {r['place']}" if r["place"] else ""
        shot = f", screenshot {r['screenshot']}" if r["screenshot"] else ""
        click.echo(f"{testermarks.label(r['kind'])}{where} ({iso_one(r['ts'])}{shot}) recorded in {session_dir}")
    if unanswered:
        click.echo(f"not checked (left empty in the checklist): {', '.join(unanswered)}")


# -- verify ----------------------------------------------------------------------
@cli.command()
@click.argument("target", metavar="SESSION_OR_BUNDLE", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the checks as one JSON object.")
@click.option("--trust", "trust", multiple=True, metavar="FINGERPRINT",
              help="A bundle: require its signer to be this key (fingerprint from `piiaudit key show`); repeatable.")
@click.option("--trust-key", "trust_keys", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A bundle: require its signer to be the key in this PEM file (public or private); repeatable.")
@click.option("--tsr", "tsr", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A bundle: the timestamp authority's response (default: run1.tsr beside run1.zip).")
@click.option("--tsa-cert", "tsa_cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A bundle: require the timestamp to be signed by this certificate (PEM or DER).")
@_one_line
def verify(target: Path, as_json: bool, trust: tuple[str, ...], trust_keys: tuple[Path, ...], tsr: Path | None,
           tsa_cert: Path | None) -> None:
    """Check a session directory against its manifest.json, or a bundle zip against its signed manifest.

    A session: one line per file (ok, changed, missing, new; session.db 'written' by piiaudit
    after the manifest; flows.mitm 'appended' by a recording that did not end), the manifest's
    counts against the rows of session.db, the flows in flows.mitm against the flow rows, the
    runs that did not end, then a verdict: ok, partial, stale or mismatch.

    A bundle (`piiaudit bundle`): the Ed25519 signature of bundle-manifest.json against the
    bundled public key (and --trust / --trust-key), every file against the signed manifest, the
    timestamp request and response, then the packed session as above (docs/bundle.md).
    Exit status 0 only for ok.

    \b
    Example:
      piiaudit verify run1
      piiaudit verify run1 --json
      piiaudit verify run1.zip --trust 3f1c…(64 hex digits)
    """
    from piiaudit import integrity

    bundle_options = trust or trust_keys or tsr or tsa_cert
    if target.is_dir():
        if bundle_options:
            raise click.UsageError("--trust, --trust-key, --tsr and --tsa-cert apply to a bundle zip, not a session")
        if (target / "bundle-manifest.json").is_file() and not (target / DB_NAME).exists():
            raise AuditError(f"{target}: an unpacked bundle; verify the zip itself, or the session in it: "
                             f"piiaudit verify {target / 'session'}")
        result = integrity.verify(target)
        click.echo(integrity.to_json(result) if as_json else integrity.summary(result))
        sys.exit(0 if result.verdict == "ok" else 1)
    checked = _verify_bundle(target, trust, trust_keys, tsr, tsa_cert)
    from piiaudit import bundle as bundle_mod

    click.echo(bundle_mod.to_json(checked) if as_json else bundle_mod.summary(checked))
    sys.exit(0 if checked.verdict == "ok" else 1)


def _verify_bundle(target: Path, trust, trust_keys, tsr, tsa_cert):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from piiaudit import bundle as bundle_mod
    from piiaudit import signing

    fingerprints = []
    try:
        fingerprints += [signing.fingerprint_of(t) for t in trust]
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--trust") from None
    for path in trust_keys:
        try:
            fingerprints.append(signing.fingerprint(signing.read_public(path.read_bytes())))
        except (ValueError, TypeError) as e:
            raise click.BadParameter(f"{path}: not an Ed25519 key ({e})", param_hint="--trust-key") from None
    cert = None
    if tsa_cert is not None:
        data = tsa_cert.read_bytes()
        try:
            cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                    else x509.load_der_x509_certificate(data)).public_bytes(Encoding.DER)
        except ValueError as e:
            raise click.BadParameter(f"{tsa_cert}: not a certificate ({e})", param_hint="--tsa-cert") from None
    try:
        return bundle_mod.check(target, trust=fingerprints, tsr=tsr, tsa_cert=cert)
    except bundle_mod.BundleError as e:
        raise AuditError(str(e)) from None


# -- device tooling --------------------------------------------------------------
@cli.command()
@click.option("--device", "serial", help="adb serial of the device to check; default: the only one.")
@click.option("--adb", "adb_path", help="Path to adb; default: $PIIAUDIT_ADB, PATH, $ANDROID_HOME.")
@click.option("--ca", "ca_pem", type=click.Path(path_type=Path), default=Path.home() / ".mitmproxy" / "mitmproxy-ca-cert.pem",
              show_default=True, help="The mitmproxy CA certificate that should be installed on the device.")
@click.option("--proxy", help="The proxy the device should use, e.g. 10.0.2.2:8080.")
@click.option("--route", type=click.Choice(["global", "emulator"]), default="global", show_default=True,
              help="How traffic reaches the proxy (as `device setup --route`).")
@click.option("--agent", "agent", is_flag=False, flag_value="com.android.settings", default=None, metavar="[PACKAGE]",
              help="Also run the agent once in PACKAGE (default com.android.settings), a few seconds, and report "
                   "which hook rows installed, per domain.")
def doctor(serial: str | None, adb_path: str | None, ca_pem: Path, proxy: str | None, route: str,
           agent: str | None) -> None:
    """Check that a device is ready for `piiaudit record`, with a fix for each failure.

    Checks adb, the device, root, frida-server (present, running, same version as this
    host's frida), the proxy route, the mitmproxy CA in the system trust store (on Android
    14+ in every app's mount namespace), the QUIC block and the planted canaries. With
    --agent, spawns one app with the agent, waits for its coverage report and prints which
    hook rows installed in each domain (the app is ended afterwards).

    \b
    Examples:
      piiaudit doctor --proxy 10.0.2.2:8080
      piiaudit doctor --agent                      # probes com.android.settings
      piiaudit doctor --agent com.example.shop     # probes the app under audit
    """
    from commands.device.doctor import run_checks

    checks = run_checks(adb_path=adb_path, serial=serial, ca_pem=ca_pem, proxy=proxy, agent=agent, route=route)
    for check in checks:
        click.echo(check.line())
    failed = [c for c in checks if c.status == "fail"]
    click.echo(f"{len(checks) - len(failed)}/{len(checks)} checks passed")
    if failed:
        sys.exit(1)


@cli.group()
def device() -> None:
    """Prepare a device or emulator for `piiaudit record`, and undo it (docs/device-setup.md)."""


@device.command("setup")
@click.option("--serial", help="adb serial of the device; default: the only one.")
@click.option("--adb", "adb_path", help="Path to adb; default: $PIIAUDIT_ADB, PATH, $ANDROID_HOME.")
@click.option("--frida-server", "frida_server_file", type=click.Path(dir_okay=False, path_type=Path),
              help="frida-server for the device (plain or .xz) of this host's Frida version; default: the cache "
                   "folder ($PIIAUDIT_CACHE or ~/.cache/piiaudit, under frida-server/).")
@click.option("--proxy", help="HOST:PORT the device sends HTTP(S) to; default 10.0.2.2:8080 for an emulator, "
                              "127.0.0.1:8080 with `adb reverse` for a USB phone.")
@click.option("--route", type=click.Choice(["global", "emulator"]), default="global", show_default=True,
              help="global: Android's global HTTP proxy setting. emulator: the emulator's own proxy (every TCP "
                   "connection; a start option: setup prints the command that restarts the emulator with it).")
@click.option("--ca", "ca_pem", type=click.Path(path_type=Path), default=Path.home() / ".mitmproxy" / "mitmproxy-ca-cert.pem",
              show_default=True, help="The mitmproxy CA certificate to install as a system CA.")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path),
              help="Device profile YAML to add the planted canary values to (created if missing).")
@click.option("--no-canaries", is_flag=True, help="Do not plant the canary values (clipboard, contact, location, device name).")
@click.option("--dry-run", is_flag=True, help="Print every command that would change the device; change nothing.")
def device_setup(serial: str | None, adb_path: str | None, frida_server_file: Path | None, proxy: str | None,
                 route: str, ca_pem: Path, profile: Path | None, no_canaries: bool, dry_run: bool) -> None:
    """Root, frida-server, proxy route, system CA, QUIC block and canary values, each only if not already in place.

    \b
    Examples:
      piiaudit device setup --dry-run
      piiaudit device setup --frida-server frida-server-17.26.0-android-x86_64.xz --profile device.yaml
      piiaudit device setup --route emulator
    """
    from commands.device.setup import SetupError, setup

    try:
        changes = setup(adb_path=adb_path, serial=serial, frida_server_file=frida_server_file, proxy=proxy,
                        ca_pem=ca_pem, dry_run=dry_run, say=click.echo, route=route, canaries=not no_canaries,
                        profile=profile)
    except SetupError as e:
        raise AuditError(str(e)) from None
    click.echo(f"{changes} command(s) {'would change' if dry_run else 'changed'} the device"
               + ("" if dry_run or not changes else "; check with `piiaudit doctor`"))


@device.command("reset")
@click.option("--serial", help="adb serial of the device; default: the only one.")
@click.option("--adb", "adb_path", help="Path to adb.")
@click.option("--ca", "ca_pem", type=click.Path(path_type=Path), default=Path.home() / ".mitmproxy" / "mitmproxy-ca-cert.pem",
              show_default=True, help="The CA `device setup` installed (names the file on Android ≤ 13).")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path),
              help="Device profile YAML to take the canary values out of again.")
@click.option("--dry-run", is_flag=True, help="Print every command that would change the device; change nothing.")
def device_reset(serial: str | None, adb_path: str | None, ca_pem: Path, profile: Path | None, dry_run: bool) -> None:
    """Undo `device setup`: canary values, proxy setting, frida-server, the CA, the QUIC rule."""
    from commands.device.setup import SetupError, reset

    try:
        changes = reset(adb_path=adb_path, serial=serial, ca_pem=ca_pem, dry_run=dry_run, say=click.echo,
                        profile=profile)
    except SetupError as e:
        raise AuditError(str(e)) from None
    click.echo(f"{changes} command(s) {'would change' if dry_run else 'changed'} the device")


@cli.command("device-profile")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("device.yaml"), show_default=True,
              help="Where to write the profile.")
@click.option("--device", "serial", help="adb serial; default: the only device.")
@click.option("--adb", "adb_path", help="Path to adb.")
def device_profile(out: Path, serial: str | None, adb_path: str | None) -> None:
    """Read the device's known values (IMEI, Android ID, serial, MAC, last fix) into a profile.

    The proxy searches traffic for these values in every encoding; add planted canaries
    (a clipboard string, a contact) under `values:` by hand.

    \b
    Example:
      piiaudit device-profile --out device.yaml
    """
    import yaml

    from commands.device.adb import Adb, AdbError
    from commands.device.profile_reader import read_profile

    try:
        adb = Adb(adb_path, serial)
        if adb.serial is None:
            ready = [d.serial for d in adb.devices() if d.state == "device"]
            if len(ready) != 1:
                raise AdbError(f"{len(ready)} usable devices; choose one with --device" if ready
                               else "no usable device (run `piiaudit doctor`)")
            adb.serial = ready[0]
        data, notes = read_profile(adb)
    except AdbError as e:
        raise AuditError(str(e)) from None
    header = "# Device profile read by `piiaudit device-profile`.\n" + "".join(f"# not read: {n}\n" for n in notes)
    out.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    click.echo(f"wrote {out}: {', '.join(data['values']) or 'no values'}")
    for note in notes:
        click.echo(f"  not read: {note}")


# -- corpus ----------------------------------------------------------------------
@cli.command()
@click.option("--corpus", "which", type=click.Choice(["generated", "real", "all"]), default="all", show_default=True,
              help="Which corpus: 'generated' (SDK-shaped flows built from a seed, with realistic noise), "
                   "'real' (captures of real SDK traffic, labelled by hand, piiaudit/data/corpus/real) or both.")
@click.option("--flows", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Number of flows of the generated corpus.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed of the generated corpus: the same seed gives the same corpus.")
@click.option("--clean-share", type=click.FloatRange(0, 1, max_open=True), default=0.5, show_default=True,
              help="Share of generated flows without device values.")
@click.option("--no-findings", is_flag=True,
              help="Skip the findings count (it builds a session per capture and runs the analysis on it).")
@click.option("--keep-sessions", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the sessions built for the findings count in this directory, to open them with "
                   "`piiaudit report`.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the figures as JSON (for CI): one object per corpus, {generated: ..., real: ...} with --corpus all.")
def corpus(which: str, flows: int, seed: int, clean_share: float, no_findings: bool, keep_sessions: Path | None,
           as_json: bool) -> None:
    """Measure the detector and the party decision on labelled corpora, and count the findings they make.

    For each corpus: known-value recall and precision per PII type, per encoding and per SDK
    (a hit must match a label's type, raw value and encoding chain, and in the real corpus
    its location); party attribution per flow and per labelled host, the wrong ones listed;
    pattern hits, counted apart; and the findings of a session built from the corpus's flows
    with the consent moment after the last flow, with how many rest on pattern hits alone
    and their severities (none may be high).

    \b
    Examples:
      piiaudit corpus                               # both corpora
      piiaudit corpus --corpus real
      piiaudit corpus --corpus generated --flows 2000 --seed 1 --json
    """
    from commands import corpus_findings, corpus_party
    from piiaudit.detect import corpus as corpus_module

    measures = [corpus_party.measure]
    if not no_findings:
        measures.append(corpus_findings.measure_with(keep_sessions))
    args = ["--corpus", which, "--flows", str(flows), "--seed", str(seed), "--clean-share", str(clean_share)]
    try:
        code = corpus_module.main(args + (["--json"] if as_json else []), measures=measures)
    except (ValueError, FileExistsError) as e:
        raise AuditError(str(e)) from None
    sys.exit(code or 0)


def _add_scope_commands() -> None:
    from commands.scopecmd import scope
    cli.add_command(scope)


_add_scope_commands()


def _add_bundle_commands() -> None:
    from commands.bundlecmd import bundle, key
    cli.add_command(bundle)
    cli.add_command(key)


_add_bundle_commands()


def _add_retest_and_batch_commands() -> None:
    from commands.campaign import campaign
    from commands.compare import compare
    cli.add_command(compare)
    cli.add_command(campaign)


_add_retest_and_batch_commands()


def main() -> None:
    started = time.time()
    try:
        cli(prog_name="piiaudit")
    except KeyboardInterrupt:
        click.echo(f"interrupted after {time.time() - started:.1f} s", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
