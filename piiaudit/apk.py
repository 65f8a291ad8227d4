"""An app's identity and declared permissions, from its APK or from a plain AndroidManifest.xml.

`read_apk(path)` opens a real APK with androguard: package, version name and code, the SHA-256
of the file, the SHA-256 of each signing certificate (v1, v2 and v3 signers, deduplicated),
min and target SDK, every ``<uses-permission>`` with its ``maxSdkVersion``, and the
components (activities, services, receivers, providers). `read_manifest_xml(path)` reads the
same facts from a manifest in text form (the stand-in app's, hooks/standin/AndroidManifest.xml);
it has no certificates. Both give an `AppManifest`; a file that is neither raises `ApkError`
with one line that names the file and what is wrong with it.

The session keeps the manifest in its ``meta`` table under `META_KEY` (`store_in`, `stored`),
written by `piiaudit record --apk`, `piiaudit analyze --apk` and the demo; the analysis compares
the declared permissions with what the app's category needs (analysis/necessity.py).

`runtime_permissions(manifest, sdk)` names the declared permissions a device of API level `sdk`
lets `pm grant` grant: runtime (dangerous) permissions there (data/runtime_permissions.yaml),
not capped below `sdk` by their ``maxSdkVersion``; `piiaudit record --apk --grant all` grants them.
"""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from piiaudit.store import SessionStore

META_KEY = "app_manifest"
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"
COMPONENT_KINDS = ("activity", "service", "receiver", "provider")
_PLURAL = {"activity": "activities", "service": "services", "receiver": "receivers", "provider": "providers"}
MAX_APK_BYTES = 2 * 1024 ** 3      # androguard reads the whole file into memory


class ApkError(Exception):
    """An APK or manifest that cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Permission:
    name: str                          # android.permission.CAMERA
    max_sdk_version: int | None = None


@dataclass(frozen=True)
class AppManifest:
    source: str                        # "apk" | "manifest_xml"
    file: str                          # the file's name (no directory: sessions move between machines)
    sha256: str                        # of the file as read
    package: str
    version_name: str | None
    version_code: str | None
    min_sdk: int | None
    target_sdk: int | None
    permissions: tuple[Permission, ...]
    certificates: tuple[str, ...] = ()           # SHA-256 (hex) of each signing certificate (DER)
    components: dict[str, tuple[str, ...]] = field(default_factory=dict)   # kind -> class names

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["permissions"] = [asdict(p) for p in self.permissions]
        out["certificates"] = list(self.certificates)
        out["components"] = {k: list(v) for k, v in self.components.items()}
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AppManifest:
        return cls(
            source=str(raw.get("source") or ""), file=str(raw.get("file") or ""), sha256=str(raw.get("sha256") or ""),
            package=str(raw.get("package") or ""), version_name=raw.get("version_name"),
            version_code=raw.get("version_code"), min_sdk=_int(raw.get("min_sdk")), target_sdk=_int(raw.get("target_sdk")),
            permissions=tuple(Permission(str(p["name"]), _int(p.get("max_sdk_version")))
                              for p in raw.get("permissions") or () if isinstance(p, dict) and p.get("name")),
            certificates=tuple(raw.get("certificates") or ()),
            components={k: tuple(v) for k, v in (raw.get("components") or {}).items()},
        )

    def summary_lines(self) -> list[str]:
        """What `piiaudit apk-info` prints (English field names; values as the manifest has them)."""
        lines = [
            f"file:         {self.file} ({self.source})",
            f"sha256:       {self.sha256}",
            f"package:      {self.package}",
            f"version:      {self.version_name or '-'} (code {self.version_code or '-'})",
            f"sdk:          min {self.min_sdk or '-'}, target {self.target_sdk or '-'}",
        ]
        if self.source == "apk":
            lines += [f"certificate:  {c}" for c in self.certificates] or ["certificate:  none (unsigned)"]
        lines.append(f"permissions:  {len(self.permissions)} uses-permission")
        lines += [f"  {p.name}" + (f"  (maxSdkVersion {p.max_sdk_version})" if p.max_sdk_version else "")
                  for p in self.permissions]
        for kind in COMPONENT_KINDS:
            names = self.components.get(kind, ())
            lines.append(f"{_PLURAL[kind] + ':':<14}{len(names)}")
            lines += [f"  {n}" for n in names]
        return lines


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None and str(value).strip() else None
    except ValueError:
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _readable(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise ApkError(f"{path}: no such file")
    return path


def read_apk(path: Path | str) -> AppManifest:
    """The manifest facts of a real APK (androguard), or ApkError in one line."""
    path = _readable(Path(path))
    if path.stat().st_size > MAX_APK_BYTES:
        raise ApkError(f"{path}: larger than {MAX_APK_BYTES // 1024 ** 3} GiB, not read")
    if not zipfile.is_zipfile(path):
        raise ApkError(f"{path}: not an APK (not a ZIP archive)")
    try:
        with zipfile.ZipFile(path) as z:
            if "AndroidManifest.xml" not in z.namelist():
                raise ApkError(f"{path}: not an APK (no AndroidManifest.xml in the archive)")
    except (zipfile.BadZipFile, OSError) as e:
        raise ApkError(f"{path}: not an APK ({e})") from None
    from androguard.core.apk import APK
    from loguru import logger
    logger.disable("androguard")      # it logs every step at DEBUG to stderr otherwise
    try:
        apk = APK(str(path))
        package = apk.get_package()
        if not apk.is_valid_APK() or not package:
            raise ApkError(f"{path}: not an APK (its AndroidManifest.xml names no package)")
        certificates = tuple(_hex(c.sha256) for c in apk.get_certificates())
        uses = [(str(name), _int(max_sdk)) for name, max_sdk in apk.uses_permissions if name]
        components = {"activity": apk.get_activities(), "service": apk.get_services(),
                      "receiver": apk.get_receivers(), "provider": apk.get_providers()}
        version_name, version_code = apk.get_androidversion_name(), apk.get_androidversion_code()
        min_sdk, target_sdk = apk.get_min_sdk_version(), apk.get_target_sdk_version()
    except ApkError:
        raise
    except Exception as e:  # noqa: BLE001 - androguard raises many kinds on a damaged file
        raise ApkError(f"{path}: cannot read the APK ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
                       ) from None
    return AppManifest(
        source="apk", file=path.name, sha256=_sha256(path), package=package,
        version_name=str(version_name) if version_name else None,
        version_code=str(version_code) if version_code else None,
        min_sdk=_int(min_sdk), target_sdk=_int(target_sdk), permissions=_permissions(uses),
        certificates=certificates, components={k: tuple(sorted(set(v or ()))) for k, v in components.items()},
    )


def _hex(value: Any) -> str:
    return value.hex() if isinstance(value, (bytes, bytearray)) else str(value).replace(":", "").lower()


def _permissions(uses: list[tuple[str, int | None]]) -> tuple[Permission, ...]:
    """One entry per permission name (a repeated entry keeps its lowest maxSdkVersion, none if any has none), sorted."""
    merged: dict[str, int | None] = {}
    for name, max_sdk in uses:
        if name in merged:
            old = merged[name]
            merged[name] = None if old is None or max_sdk is None else min(old, max_sdk)
        else:
            merged[name] = max_sdk
    return tuple(Permission(n, merged[n]) for n in sorted(merged))


def read_manifest_xml(path: Path | str) -> AppManifest:
    """The same facts from an AndroidManifest.xml in text form (no certificates), or ApkError."""
    path = _readable(Path(path))
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ApkError(f"{path}: not an AndroidManifest.xml ({e})") from None
    if root.tag != "manifest" or not root.get("package"):
        raise ApkError(f"{path}: not an AndroidManifest.xml (no <manifest package=...> at the top)")
    a = lambda el, name: el.get(ANDROID_NS + name)  # noqa: E731
    sdk = root.find("uses-sdk")
    uses = [(a(el, "name"), _int(a(el, "maxSdkVersion"))) for el in root.iter("uses-permission") if a(el, "name")]
    app = root.find("application")
    components = {kind: tuple(sorted({a(el, "name") for el in (app.iter(kind) if app is not None else ()) if a(el, "name")}))
                  for kind in COMPONENT_KINDS}
    return AppManifest(
        source="manifest_xml", file=path.name, sha256=_sha256(path), package=root.get("package"),
        version_name=a(root, "versionName"), version_code=a(root, "versionCode"),
        min_sdk=_int(a(sdk, "minSdkVersion")) if sdk is not None else None,
        target_sdk=_int(a(sdk, "targetSdkVersion")) if sdk is not None else None,
        permissions=_permissions(uses), components=components,
    )


def _manifest_attributes(path: Path | str) -> dict[str, str]:
    """The <manifest> element's attributes of an APK or split APK (its compiled AndroidManifest.xml)."""
    path = _readable(Path(path))
    try:
        with zipfile.ZipFile(path) as z:
            data = z.read("AndroidManifest.xml")
    except KeyError:
        raise ApkError(f"{path}: not an APK (no AndroidManifest.xml in the archive)") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise ApkError(f"{path}: not an APK ({e})") from None
    from androguard.core.axml import AXMLPrinter
    from loguru import logger
    logger.disable("androguard")
    try:
        root = AXMLPrinter(data).get_xml_obj()
    except Exception as e:  # noqa: BLE001 - androguard raises many kinds on a damaged file
        raise ApkError(f"{path}: cannot read its AndroidManifest.xml ({type(e).__name__})") from None
    if root is None or root.tag != "manifest" or not root.get("package"):
        raise ApkError(f"{path}: not an APK (its AndroidManifest.xml names no package)")
    return {str(k): str(v) for k, v in root.attrib.items()}


def split_name(path: Path | str) -> str | None:
    """The split's name (`config.arm64_v8a`) of a split APK; None for a base APK."""
    return _manifest_attributes(path).get("split") or None


def split_package(path: Path | str) -> str:
    """The package a base or split APK belongs to."""
    return _manifest_attributes(path)["package"]


def runtime_permission_table() -> dict[str, int]:
    """Full permission name -> the first API level it is a runtime permission on."""
    from piiaudit.yamlfile import load_resource

    raw = load_resource("piiaudit", "data/runtime_permissions.yaml")["permissions"]
    prefix = {"ADD_VOICEMAIL": "com.android.voicemail.permission."}
    return {prefix.get(name, "android.permission.") + name: int(since) for name, since in raw.items()}


def runtime_permissions(manifest: AppManifest, sdk: int) -> list[str]:
    """The declared permissions `pm grant` can grant on API level `sdk`, sorted."""
    table = runtime_permission_table()
    return sorted(p.name for p in manifest.permissions
                  if p.name in table and table[p.name] <= sdk and (p.max_sdk_version is None or p.max_sdk_version >= sdk))


def read_any(path: Path | str) -> AppManifest:
    """An APK, or a manifest in text form when the file is XML (by its first bytes)."""
    path = _readable(Path(path))
    with path.open("rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    return read_manifest_xml(path) if head.startswith(b"<") else read_apk(path)


def store_in(store: SessionStore, manifest: AppManifest) -> None:
    """Keep the manifest in the session (meta `app_manifest`), with the time it was recorded."""
    store.set_meta(META_KEY, {**manifest.to_dict(), "recorded_at": time.time()})


def stored(store: SessionStore) -> dict[str, Any] | None:
    """The session's manifest as stored (with `recorded_at`), None if none was recorded."""
    raw = store.get_meta(META_KEY)
    return raw if isinstance(raw, dict) and raw.get("package") else None
