"""Permissions beyond what the app's category needs (违反必要原则：申请与业务功能无关的权限).

The baseline is data: analysis/data/necessary_permissions.yaml gives, for each of the 39 app
types of analysis/data/necessary_pi.yaml, the Android permissions its basic function needs,
with the reasoning per row. Two comparisons, both against the type in scope.yaml
(`app.category`):

- `declared_beyond`: the manifest's ``<uses-permission>`` entries (piiaudit.apk, stored in
  the session) that can collect personal information and that the type does not need;
- `requested_beyond`: runtime permission requests (``permission_request`` events, one row per
  permission asked) for such permissions.

Only permissions that can collect personal information count (analysis/data/permission_types.yaml);
a finding groups the permissions by the personal information they guard (ACCESS_FINE_LOCATION,
ACCESS_COARSE_LOCATION and ACCESS_BACKGROUND_LOCATION are one ``location`` finding).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.prepare import normalise_permission
from analysis.scope import Category
from piiaudit.yamlfile import load_resource

DATA = "data/necessary_permissions.yaml"


@dataclass(frozen=True)
class Need:
    number: int
    name: str
    permissions: frozenset[str]          # full names: android.permission.CAMERA
    basis: str                           # necessary_pi | basic_function | none
    because_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "permissions": sorted(self.permissions),
                "basis": self.basis, "because_en": self.because_en, "source": DATA}


@functools.cache
def needs() -> dict[str, Need]:
    """App type (Chinese name, as in necessary_pi.yaml) -> the permissions its basic function needs."""
    raw = load_resource("analysis", DATA)
    return {
        row["name"]: Need(number=int(row["number"]), name=row["name"],
                          permissions=frozenset(normalise_permission(p) for p in row.get("permissions") or ()),
                          basis=str(row["basis"]), because_en=str(row["because_en"]))
        for row in raw["categories"]
    }


def source() -> dict[str, str]:
    raw = load_resource("analysis", DATA)
    return {"zh": raw["source"], "en": raw["source_en"]}


def _beyond(frame: pd.DataFrame, need: Need) -> pd.DataFrame:
    return frame.loc[frame["permission"].notna() & ~frame["permission"].isin(need.permissions)]


def declared_beyond(declared: pd.DataFrame, category: Category) -> pd.DataFrame:
    """The declared PI permissions (analysis.prepare.declared_permissions) the category does not need."""
    return _beyond(declared, needs()[category.name])


def requested_beyond(permissions: pd.DataFrame, category: Category) -> pd.DataFrame:
    """The runtime requests (analysis.prepare permissions, kind request) for permissions the category does not need."""
    return _beyond(permissions.loc[permissions["kind"].eq("request")], needs()[category.name])


def manifest_entry(permission: str, max_sdk_version: Any) -> str:
    """A uses-permission entry as the manifest has it."""
    max_sdk = "" if max_sdk_version is None or pd.isna(max_sdk_version) else \
        f' android:maxSdkVersion="{int(max_sdk_version)}"'
    return f'<uses-permission android:name="{permission}"{max_sdk} />'


def detail(category: Category, *, pii_type: str | None = None, declared: pd.DataFrame | None = None,
           app_manifest: dict | None = None) -> dict[str, Any]:
    """What a finding of either rule names: the category's necessary-PI row and its mapping row, and,
    for the declared rule, the manifest (its identity and the entries of this finding's group)."""
    need = needs()[category.name]
    out: dict[str, Any] = {
        "category": category.name, "category_no": category.no, "necessary_zh": category.necessary_zh,
        "necessary_pii_types": sorted(category.pii_types), "baseline_row_verified": category.verified,
        "needed_permissions": sorted(need.permissions), "mapping": need.to_dict(),
    }
    if app_manifest is not None:
        out["app_manifest"] = {k: app_manifest.get(k) for k in ("source", "file", "sha256", "package", "version_name",
                                                                 "version_code", "min_sdk", "target_sdk", "certificates")}
    if declared is not None and pii_type is not None:
        mine = declared.loc[declared["pii_type"].eq(pii_type)]
        out["manifest_entries"] = [manifest_entry(p, m) for p, m in zip(mine["permission"], mine["max_sdk_version"])]
    return out
