"""mitmproxy script: `mitmdump -s addon/piiaudit_addon.py --set piiaudit_session=DIR`.

mitmproxy loads a script by path with only the script's own directory on sys.path, so
when this runs from a source checkout that is not installed, the checkout root is added
to find the `addon` and `piiaudit` packages.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("addon") is None or importlib.util.find_spec("piiaudit") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addon.recorder import Recorder  # noqa: E402
from addon.responder import LocalResponder  # noqa: E402
from addon.startup import OneLineOptionErrors  # noqa: E402

# The responder does nothing until piiaudit_respond is set. A wrong option at start-up
# (a bad profile, ...) is one line and stops mitmdump, not a traceback (addon.startup).
_addons = [LocalResponder(), Recorder()]
addons = [OneLineOptionErrors(_addons), *_addons]
