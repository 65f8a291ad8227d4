"""The label table (labels.yaml) and the one way a view's label is compared with it.

Contract: `table()` is labels.yaml read once; `meaning(label)` says what a button's label means
for consent ("accept", "decline", "continue" or None), decline tested first so 不同意 is never
agreement; `says(texts, words)` is true when any text holds any of the words; `unsafe_word(node)`
names the deny-list word a view carries (text, description or resource-id), if any.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Iterable

from piiaudit.yamlfile import load_resource

TRIM = re.compile(r"^[\s\u3000\"'“”「」《》]+|[\s\u3000.!！。,，:：>›»\"'“”」]+$")
MEANINGS = ("decline", "accept", "continue")   # the order they are tested in
ENDINGS = r"(?:s|es|ed|ing|ment|ments|er|ers)?(?![a-z0-9])"   # an English deny word as a whole word


@functools.cache
def table() -> dict[str, Any]:
    return load_resource("commands.device.ui", "labels.yaml")


def normal(label: str) -> str:
    """A label as compared: trimmed of spaces, quotes and trailing punctuation, folded to lower case."""
    return " ".join(TRIM.sub("", label or "").split()).casefold()


def meaning(label: str) -> str | None:
    text = normal(label)
    if not text:
        return None
    t = table()
    for what in MEANINGS:
        entry = t[what]
        if text in {normal(x) for x in entry.get("exact") or ()}:
            return what
        if any(text.startswith(normal(p)) for p in entry.get("prefix") or ()):
            return what
    return None


def says(texts: Iterable[str], words: Iterable[str]) -> str | None:
    """The first of `words` some text holds (case-insensitive), else None."""
    folded = [t.casefold() for t in texts if t]
    for w in words:
        wf = w.casefold()
        if any(wf in t for t in folded):
            return w
    return None


def unsafe_word(*texts: str) -> str | None:
    """The deny-list word (pays, sends, calls) one of `texts` holds, else None. Chinese words
    match anywhere; English words as whole words, with their usual endings ("Payment", "Calls"
    and "Sender" are refused; "display", "recall" and "dialog" are not). A resource-id is read by its name after `:id/`, its
    underscores as word breaks (`btn_pay`)."""
    plain = []
    for t in texts:
        if t:
            plain.append(t.split(":id/", 1)[1].replace("_", " ") if ":id/" in t else t)
    folded = [t.casefold() for t in plain]
    for w in table()["unsafe"]:
        wf = w.casefold()
        if w.isascii():
            pattern = re.compile(r"(?<![a-z0-9])" + re.escape(wf) + ENDINGS)
            if any(pattern.search(t) for t in folded):
                return w
        elif any(wf in t for t in folded):
            return w
    return None
