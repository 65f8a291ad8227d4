"""`piiaudit bundle` (a session as one signed zip) and `piiaudit key` (the tester's signing key).

The key is one per tester and lives outside every session (piiaudit.signing); the bundle's
layout and checks are piiaudit.bundle's; `piiaudit verify` checks a bundle as well as a
session directory (commands.cli). docs/bundle.md shows every step.
"""

from __future__ import annotations

from pathlib import Path

import click

from piiaudit import bundle as bundle_mod
from piiaudit import signing

KEY_HELP = (f"The tester's Ed25519 signing key (PEM). Default: ${signing.ENV}, else "
            "$XDG_CONFIG_HOME/piiaudit/signing-key.pem (~/.config/piiaudit/signing-key.pem).")


class BundleCommandError(click.ClickException):
    """One line for the user, exit status 1."""


def _key_path(key: Path | None) -> Path:
    return Path(key).expanduser() if key is not None else signing.default_path()


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


@click.command("bundle")
@click.argument("session_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The zip to write (e.g. run1.zip); the timestamp request is written beside it (run1.tsq).")
@click.option("--key", "key", type=click.Path(dir_okay=False, path_type=Path), help=KEY_HELP)
@click.option("--force", is_flag=True, help="Replace an existing bundle at --out.")
def bundle(session_dir: Path, out: Path, key: Path | None, force: bool) -> None:
    """Pack a session into one zip with a signed manifest and an RFC 3161 timestamp request.

    The zip holds the session's own files under session/, bundle-manifest.json (every file's
    SHA-256), its Ed25519 signature, the public key and bundle-manifest.tsq. The signing key is
    created on first use (0600, outside the session). A session that does not pass
    `piiaudit verify` is refused. Send run1.tsq to a timestamp authority and keep its answer
    as run1.tsr beside the zip: `piiaudit verify run1.zip` checks it too (docs/bundle.md).

    \b
    Example:
      piiaudit bundle run1 --out run1.zip
      curl -sS -H 'Content-Type: application/timestamp-query' --data-binary @run1.tsq \\
           https://freetsa.org/tsr -o run1.tsr
      piiaudit verify run1.zip --trust FINGERPRINT
    """
    if out.exists() and not force:
        raise BundleCommandError(f"{out}: already exists; pass --force to replace it")
    key_path = _key_path(key)
    if _inside(key_path, session_dir):
        raise BundleCommandError(f"{key_path}: the signing key must be kept outside the session it signs")
    try:
        private, created = signing.load_or_create(key_path)
        if created:
            click.echo(f"created your signing key {key_path} (fingerprint "
                       f"{signing.fingerprint(private.public_key())}); keep it private and back it up")
        built = bundle_mod.build(session_dir, out, private)
    except (signing.SigningKeyError, bundle_mod.BundleError) as e:
        raise BundleCommandError(str(e)) from None
    total = sum(f["bytes"] for f in built.files)
    click.echo(f"bundle {built.path}: {len(built.files)} files, {total} bytes, session verdict {built.verdict}")
    click.echo(f"  signed manifest SHA-256 {built.manifest_sha256}")
    click.echo(f"  signed by key {built.fingerprint}")
    click.echo(f"  timestamp request {built.request_path} (send it to a timestamp authority; "
               f"keep the answer as {built.path.with_suffix('.tsr').name})")
    if built.left_out:
        click.echo(f"  not packed (not piiaudit's files): {', '.join(built.left_out)}")


@click.group("key")
def key() -> None:
    """The tester's signing key (Ed25519), kept outside every session."""


@key.command("create")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), help=KEY_HELP)
def key_create(key_file: Path | None) -> None:
    """Create the signing key (once per tester; an existing key is never replaced)."""
    path = _key_path(key_file)
    try:
        private = signing.create(path)
    except signing.SigningKeyError as e:
        raise BundleCommandError(str(e)) from None
    click.echo(f"created {path} (mode 0600)")
    click.echo(f"fingerprint {signing.fingerprint(private.public_key())}")


@key.command("show")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), help=KEY_HELP)
def key_show(key_file: Path | None) -> None:
    """Print the key's path, fingerprint and public key (to give to whoever checks your bundles)."""
    path = _key_path(key_file)
    try:
        private = signing.load(path)
    except signing.SigningKeyError as e:
        raise BundleCommandError(str(e)) from None
    click.echo(f"key {path}")
    click.echo(f"fingerprint {signing.fingerprint(private.public_key())}")
    click.echo(signing.public_pem(private.public_key()).decode("ascii").rstrip())
