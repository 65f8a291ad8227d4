"""Reading `<session>/flows.mitm` back: the flows the proxy saved, for whoever needs more
than the `flows` table (the raw bodies, in mitmproxy's own objects).

A file cut short or damaged part-way (a proxy killed mid-write) gives every complete flow
before the damage, and a sentence saying where reading stopped; nothing raises.
"""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path
from typing import NamedTuple

from mitmproxy import http
from mitmproxy.exceptions import FlowReadException
from mitmproxy.io import FlowReader


class FlowsRead(NamedTuple):
    flows: list[http.HTTPFlow]
    problem: str | None          # why reading stopped early; None when the whole file was read


def read_flows(path: Path, wanted: Container[str] | None = None) -> FlowsRead:
    """The HTTP flows of `path` (only those whose id is in `wanted`, when given)."""
    flows: list[http.HTTPFlow] = []
    problem = None
    try:
        with Path(path).open("rb") as fh:
            for f in FlowReader(fh).stream():
                if isinstance(f, http.HTTPFlow) and (wanted is None or f.id in wanted):
                    flows.append(f)
    except FlowReadException as e:
        problem = f"{Path(path).name}: read stopped early ({e}); {len(flows)} flows used"
    except (OSError, ValueError, TypeError, KeyError) as e:
        problem = f"{Path(path).name}: read stopped early ({type(e).__name__}: {e}); {len(flows)} flows used"
    return FlowsRead(flows, problem)
