"""The app under audit on the device: install (one APK or splits), grant, stop, uninstall.

`resolve(paths, workdir)` turns what `record --apk` was given (APK files, a directory of them as
pulled from /data/app, or bundletool's `.apks`) into an `ApkSet`: the one base APK (its manifest
names no split) and its splits. `AppOnDevice` then runs, each as one adb call whose failure is
one line: `adb install -r BASE` or `adb install-multiple -r BASE SPLIT...`, `pm grant PKG PERM`
per permission, `am force-stop PKG` and `adb uninstall PKG`; `granted(PKG)` reads the runtime
permissions granted back from `dumpsys package`.

`--grant` is `none`, `all` (the declared permissions the device's API level lets `pm grant`
grant: piiaudit.apk.runtime_permissions) or a comma list (`CAMERA,READ_CONTACTS` or full names);
a name the APK does not declare, or that is not a runtime permission, is refused before
anything is installed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from commands.device.adb import Adb, AdbError
from piiaudit import apk as apk_mod
from piiaudit import zipbounds


class InstallError(Exception):
    pass


@dataclass
class ApkSet:
    base: Path
    splits: list[Path]
    manifest: apk_mod.AppManifest          # the base APK's

    @property
    def package(self) -> str:
        return self.manifest.package

    def files(self) -> list[Path]:
        return [self.base, *self.splits]


def _unpack_apks(path: Path, workdir: Path) -> list[Path]:
    """The split APKs of bundletool's .apks (splits/*.apk; standalones/ are for Android 4.x)."""
    def allowed(name: str) -> bool:
        return name == "toc.pb" or name.endswith(".apk")

    try:
        zf, entries = zipbounds.open_bounded(path, allowed, folders=("splits/", "standalones/", "asset-slices/"))
    except zipbounds.Refused as e:
        raise InstallError(str(e)) from None
    out = workdir / path.stem
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with zf:
        for name, info in sorted(entries.items()):
            if name.startswith("splits/") and name.endswith(".apk"):
                target = out / name.split("/")[-1]
                with zf.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                files.append(target)
    if not files:
        raise InstallError(f"{path}: no splits/*.apk inside (not an .apks built by bundletool build-apks?)")
    return files


def resolve(paths: list[Path], workdir: Path) -> ApkSet:
    """The base APK and its splits among `paths` (files, directories, .apks), or InstallError."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.apk"))
            if not found:
                raise InstallError(f"{path}: a directory without .apk files")
            files.extend(found)
        elif path.suffix.lower() == ".apks":
            files.extend(_unpack_apks(path, workdir))
        elif path.is_file():
            files.append(path)
        else:
            raise InstallError(f"{path}: no such file or directory")
    splits, bases = [], []
    for f in files:
        try:
            (splits if apk_mod.split_name(f) else bases).append(f)
        except apk_mod.ApkError as e:
            raise InstallError(str(e)) from None
    if len(bases) != 1:
        names = ", ".join(b.name for b in bases)
        raise InstallError("no base APK among " + ", ".join(f.name for f in files) + " (each is a split)" if not bases
                           else f"{len(bases)} base APKs ({names}): give one app's base APK and its splits")
    try:
        manifest = apk_mod.read_apk(bases[0])
    except apk_mod.ApkError as e:
        raise InstallError(str(e)) from None
    for s in splits:
        package = apk_mod.split_package(s)
        if package != manifest.package:
            raise InstallError(f"{s.name} is a split of {package}, not of {manifest.package} ({bases[0].name})")
    return ApkSet(bases[0], splits, manifest)


def grant_list(choice: str, manifest: apk_mod.AppManifest, sdk: int) -> list[str]:
    """The permissions `--grant CHOICE` grants on API level `sdk` (checked against the manifest)."""
    if choice == "none":
        return []
    grantable = apk_mod.runtime_permissions(manifest, sdk)
    if choice == "all":
        return grantable
    table = apk_mod.runtime_permission_table()
    out = []
    for word in (w.strip() for w in choice.split(",")):
        if not word:
            continue
        full = word if "." in word else next((n for n in table if n.endswith("." + word)), "android.permission." + word)
        if full not in table:
            raise InstallError(f"--grant {word}: not a runtime permission (only those can be granted; "
                               "piiaudit/data/runtime_permissions.yaml)")
        if full not in grantable:
            declared = any(p.name == full for p in manifest.permissions)
            raise InstallError(f"--grant {word}: {manifest.package} " + (
                f"declares it only up to an API level below the device's ({sdk})" if declared else
                f"does not declare {full}" if table[full] <= sdk else
                f"cannot have it on API {sdk} (a runtime permission from API {table[full]})"))
        out.append(full)
    return sorted(set(out))


_GRANTED = re.compile(r"^\s+([\w.]+): granted=true", re.M)


class AppOnDevice:
    """The adb steps of `record --apk`, each said before it runs."""

    def __init__(self, adb: Adb, say: Callable[[str], None] = print):
        self.adb, self.say = adb, say

    def _run(self, *args: str, timeout: float | None = None) -> str:
        self.say("adb " + " ".join(args))
        try:
            return self.adb.run(*args, timeout=timeout)
        except AdbError as e:
            raise InstallError(str(e)) from None

    def install(self, apks: ApkSet) -> None:
        if apks.splits:
            self._run("install-multiple", "-r", *map(str, apks.files()), timeout=600)
        else:
            self._run("install", "-r", str(apks.base), timeout=600)

    def grant(self, package: str, permissions: list[str]) -> None:
        for perm in permissions:
            self._run("shell", f"pm grant {package} {perm}")

    def granted(self, package: str) -> list[str]:
        return sorted(set(_GRANTED.findall(self.adb.shell(f"dumpsys package {package}"))))

    def force_stop(self, package: str) -> None:
        self._run("shell", f"am force-stop {package}")

    def uninstall(self, package: str) -> None:
        self._run("uninstall", package, timeout=120)
