"""The Recorder inside a bare mitmproxy Master: flows go through mitmproxy's own event
sequence (`Master.load_flow`), the path `mitmdump -r` takes, without a proxy listening."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mitmproxy import hooks, io, master, options

from addon.recorder import Recorder
from piiaudit.store import SessionStore
from tests.support.demo_device import PROFILE

# Detection in a child process (the default) and in the proxy's thread must record alike.
MODES = pytest.mark.parametrize("process", [True, False], ids=["detect-process", "detect-inline"])


class Harness:
    """A bare Master holding the Recorder (the demo device's profile unless told otherwise)."""

    def __init__(self, session, *, extra_addons=(), observed=None, **opts):
        self.session = Path(session)
        self.extra_addons = extra_addons
        self.observed = observed
        self.opts = {"piiaudit_session": str(session), "piiaudit_profile": str(PROFILE), **opts}

    async def _start(self):
        self.master = master.Master(options.Options())
        self.recorder = Recorder(self.observed)
        self.detection = self.recorder.detection
        self.master.addons.add(*self.extra_addons, self.recorder)
        self.master.options.update(**self.opts)
        await self.master.addons.trigger_event(hooks.RunningHook())

    def run(self, flows, *, between=None):
        async def go():
            await self._start()
            for i, f in enumerate(flows):
                await self.master.load_flow(f)
                if between:
                    await asyncio.to_thread(between, i)
            await self.master.done()
        asyncio.run(go())
        return SessionStore(self.session, create=False)


def saved_flows(session) -> list:
    """The flows the recorder's session saved in flows.mitm."""
    with open(Path(session) / "flows.mitm", "rb") as fo:
        return list(io.FlowReader(fo).stream())
