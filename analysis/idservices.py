"""Components bound or started to obtain a device identifier (analysis/data/identifier_services.yaml).

``identifier_read(action, package, cls)`` gives, per component launch, the PII type the
caller reads by it (``advertising_id``, ``oaid``) or None. Such a launch is a read of that
identifier by the caller, not another app started: the app-state rules leave it out and the
evidence tables count it as a pii_read.
"""

from __future__ import annotations

import functools

import pandas as pd

from piiaudit.yamlfile import load_resource


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(action -> type, class -> type, package -> type)."""
    actions: dict[str, str] = {}
    classes: dict[str, str] = {}
    packages: dict[str, str] = {}
    for entry in load_resource("analysis", "data/identifier_services.yaml")["services"]:
        for table, key in ((actions, "actions"), (classes, "classes"), (packages, "packages")):
            table.update({name: entry["pii_type"] for name in entry.get(key) or ()})
    return actions, classes, packages


def identifier_read(action: pd.Series, package: pd.Series, cls: pd.Series) -> pd.Series:
    """PII type read by each launch (action, target package, target class), else None."""
    by_action, by_class, by_package = _tables()
    found = (action.map(by_action).fillna(cls.map(by_class)).fillna(package.map(by_package)))
    return found.astype("object").where(found.notna(), None)
