"""mitmproxy script: `mitmdump -s addon/piiaudit_addon.py --set piiaudit_session=DIR`.

mitmproxy loads a script by path with only the script's own directory on sys.path, so
when this runs from a source checkout that is not installed, the checkout root is added
to find the `addon` and `piiaudit` packages.

The script holds one addon, `Piiaudit`: the local responder, then the recorder, behind the
start-up guard that turns a wrong option into one line (addon.startup). mitmproxy offers
every event of every flow to every addon a script holds, about a microsecond per addon and
event whether it has a handler or not; one object passing on the events its parts use, in
the order they would get them as separate addons, spares two of those per event.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("addon") is None or importlib.util.find_spec("piiaudit") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addon.recorder import Recorder  # noqa: E402
from addon.responder import LocalResponder  # noqa: E402
from addon.startup import OneLineOptionErrors  # noqa: E402


class Piiaudit:
    def __init__(self) -> None:
        # The responder does nothing until piiaudit_respond is set. A wrong option at start-up
        # (a bad profile, ...) is one line and stops mitmdump, not a traceback (addon.startup).
        self.responder = LocalResponder()
        self.recorder = Recorder()
        self.startup = OneLineOptionErrors([self.responder, self.recorder])

    def load(self, loader) -> None:
        self.responder.load(loader)
        self.recorder.load(loader)

    def configure(self, updated) -> None:
        self.responder.configure(updated)   # guarded by self.startup
        self.recorder.configure(updated)

    def running(self) -> None:
        self.startup.running()
        self.recorder.running()

    def request(self, flow):
        return self.responder.request(flow)

    def response(self, flow):
        self.responder.response(flow)
        return self.recorder.response(flow)

    def error(self, flow):
        self.responder.error(flow)
        return self.recorder.error(flow)

    def websocket_end(self, flow):
        return self.recorder.websocket_end(flow)

    def done(self) -> None:
        try:
            self.responder.done()
        finally:
            self.recorder.done()


addons = [Piiaudit()]
