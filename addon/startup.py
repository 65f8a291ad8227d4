"""A wrong option at start-up under `mitmdump -s`: one line, not a traceback.

mitmproxy prints any exception a script's `configure()` raises while the script loads
with its traceback, an OptionsError included. `OneLineOptionErrors` wraps the
`configure()` of the addons it is given: until the proxy is running, an OptionsError
(a wrong device profile, a session directory that cannot be used, ...) is logged as one
error line, and the addons configured after it are left alone, so nothing is written;
mitmdump then stops before it serves anything ("Error logged during startup, exiting...",
exit status 1). Once running, an OptionsError is raised as usual, so a `--set` in
mitmweb or the console is refused with its message and the old value kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mitmproxy import exceptions

logger = logging.getLogger(__name__)


def _walk(addons: Iterable[Any]) -> Iterator[Any]:
    for addon in addons:
        yield addon
        yield from _walk(getattr(addon, "addons", ()))


class OneLineOptionErrors:
    def __init__(self, addons: Iterable[Any]) -> None:
        self.running_now = False
        self.refused: str | None = None
        for addon in _walk(addons):
            configure = getattr(addon, "configure", None)
            if callable(configure):
                addon.configure = self._guarded(configure)

    def running(self) -> None:
        self.running_now = True

    def _guarded(self, configure: Callable[[set[str]], None]) -> Callable[[set[str]], None]:
        def guarded(updated: set[str]) -> None:
            if self.running_now:
                configure(updated)
                return
            if self.refused is not None:
                return            # an earlier option was refused: mitmdump stops; write nothing
            try:
                configure(updated)
            except exceptions.OptionsError as e:
                self.refused = str(e)
                logger.error("%s", e)

        return guarded
