"""Where piiaudit keeps files that belong to the machine, not to a session."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$PIIAUDIT_CACHE, else $XDG_CACHE_HOME/piiaudit, else ~/.cache/piiaudit (created)."""
    root = os.environ.get("PIIAUDIT_CACHE")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "piiaudit"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_confdir() -> Path:
    """mitmproxy configuration (its CA) used by the demo, kept apart from ~/.mitmproxy."""
    path = cache_dir() / "mitmproxy-demo"
    path.mkdir(parents=True, exist_ok=True)
    return path
