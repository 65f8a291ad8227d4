"""Third-party SDK catalog (piiaudit/data/sdks.yaml): attribute stacks and hosts to SDKs.

Stack attribution follows the research notes: skip framework frames, take the innermost
remaining frame (the caller closest to the hooked API), match it against package prefixes
with the longest prefix winning, and keep every SDK seen anywhere in the stack.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from piiaudit import hosts
from piiaudit.yamlfile import load_resource

FRAMEWORK_PREFIXES = (
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "android.", "androidx.", "com.android.",
    "dalvik.", "libcore.", "kotlin.", "kotlinx.", "org.apache.harmony.", "org.json.",
    "com.google.android.material.",
)


@dataclass(frozen=True)
class Sdk:
    id: str
    zh: str
    en: str
    vendor: str
    category: str
    prefixes: tuple[str, ...]
    domains: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.en})"


@functools.cache
def catalog() -> dict[str, Sdk]:
    out = {}
    for raw in load_resource("piiaudit", "data/sdks.yaml")["sdks"]:
        raw = dict(raw)
        raw["prefixes"] = tuple(raw.get("prefixes") or ())
        raw["domains"] = tuple(raw.get("domains") or ())
        out[raw["id"]] = Sdk(**raw)
    return out


@functools.cache
def _prefixes() -> list[tuple[str, str]]:
    pairs = [(p, s.id) for s in catalog().values() for p in s.prefixes]
    return sorted(pairs, key=lambda p: -len(p[0]))


@functools.cache
def _domains() -> list[tuple[str, str]]:
    pairs = [(d.lower(), s.id) for s in catalog().values() for d in s.domains]
    return sorted(pairs, key=lambda p: -len(p[0]))


def frame_class(frame: str) -> str:
    """'com.umeng.a.b.run(B.java:12)' -> 'com.umeng.a.b' (class part of a frame string)."""
    head = frame.strip().removeprefix("at ").split("(", 1)[0]
    return head.rsplit(".", 1)[0] if "." in head else head


def sdk_for_class(class_name: str) -> str | None:
    for prefix, sdk_id in _prefixes():
        if class_name.startswith(prefix):
            return sdk_id
    return None


def is_framework(class_name: str) -> bool:
    return class_name.startswith(FRAMEWORK_PREFIXES)


def attribute(frames: list[str], app_package: str | None = None) -> tuple[str | None, list[str]]:
    """(caller sdk id or None for the app itself, every sdk id seen in the stack).

    `frames` run innermost first, as Java prints them.
    """
    caller: str | None = None
    found_caller = False
    seen: list[str] = []
    for frame in frames:
        cls = frame_class(frame)
        if not cls or is_framework(cls):
            continue
        sdk = sdk_for_class(cls)
        if not found_caller:
            found_caller = True
            caller = sdk
        if sdk and sdk not in seen:
            seen.append(sdk)
    return caller, seen


def sdk_for_host(host: str | None) -> str | None:
    for domain, sdk_id in _domains():
        if hosts.under(host, domain):
            return sdk_id
    return None


def label(sdk_id: str | None) -> str:
    if sdk_id is None:
        return "App本身 (the app itself)"
    sdk = catalog().get(sdk_id)
    return sdk.label if sdk else sdk_id
