"""The answer detection gives for one flow, wherever it ran (addon.scanner in the detection
process or in the proxy's thread). Its own small module: the proxy's process builds answers
from the detection process's frames without loading the detector."""

from __future__ import annotations

from typing import NamedTuple


class Answer(NamedTuple):
    hits: list
    capped: list
    problems: list
    hashes: tuple[str, str | None] | None     # (request_sha256, response_sha256), None if not computed
