"""A flows.mitm record made by piiaudit.flowrecord is the record mitmproxy writes, byte for byte.

The proxy saves every live flow through it (addon.flowfile); if a byte differed, mitmproxy
and `piiaudit replay` could misread the capture. Checked on the flows of a real live
capture (hostile requests included), on flows built with every part mitmproxy saves, and on
generated values of every type the format holds; with the C writer and without it.
"""

from __future__ import annotations

import enum
import io as pyio
import random

import pytest
from mitmproxy import io as mio
from mitmproxy.io import tnetstring
from mitmproxy.test import tflow

from piiaudit import flowrecord
from tests.support.flows import make_flow


def mitmproxy_record(f) -> bytes:
    buf = pyio.BytesIO()
    mio.FlowWriter(buf).add(f)
    return buf.getvalue()


@pytest.fixture(params=["C", "python"])
def writer(request, monkeypatch):
    """flowrecord with its C writer (where built) and with mitmproxy's own."""
    if request.param == "C":
        if flowrecord.NATIVE is None:
            pytest.skip("the C record writer is not built (no compiler?)")
    else:
        monkeypatch.setattr(flowrecord, "NATIVE", None)
    return flowrecord


def test_the_live_capture_reads_back_and_every_flow_writes_as_mitmproxy_writes_it(demo_capture, writer):
    with open(demo_capture.session / "flows.mitm", "rb") as fo:
        flows = list(mio.FlowReader(fo).stream())
    assert len(flows) >= 5
    for f in flows:
        assert writer.record(f) == mitmproxy_record(f), f.request.pretty_url


def test_flows_with_every_saved_part(writer):
    wanted = [
        tflow.tflow(resp=True),
        tflow.tflow(err=True),
        tflow.tflow(resp=True, ws=True),
        tflow.ttcpflow(),
        tflow.tdnsflow(resp=True),
        make_flow("https://api.example.com/collect?aid=x", "体积 ünïcode".encode() * 5000),
    ]
    marked = tflow.tflow(resp=True)
    marked.marked = ":warning:"
    marked.comment = "piiaudit: 设备标识 IMEI"
    marked.metadata["piiaudit"] = {"found": "imei", "problems": [], "n": 3, "ratio": 0.5}
    wanted.append(marked)
    for f in wanted:
        assert writer.record(f) == mitmproxy_record(f)
        again = mio.FlowReader(pyio.BytesIO(writer.record(f)))
        assert [g.id for g in again.stream()] == [f.id]


def _value(rng: random.Random, depth: int = 0):
    kinds = ["none", "bool", "int", "float", "bytes", "str"] + (["list", "tuple", "dict"] if depth < 5 else [])
    kind = rng.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, rng.randrange(-10**6, 10**6), rng.getrandbits(130), -rng.getrandbits(70)])
    if kind == "float":
        return rng.choice([0.0, -0.0, 1e300, -2.5e-308, float("inf"), float("-inf"), rng.uniform(-1e9, 1e9)])
    if kind == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 9, 10, 99, 100, 20000])))
    if kind == "str":
        return "".join(rng.choice("aZ9 :,;]}~^#!中文é\n\x00😀") for _ in range(rng.choice([0, 1, 10, 300])))
    items = [_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    return {rng.choice(["id", "a", "中", str(i)]) + str(i): v for i, v in enumerate(items)}


def test_generated_values_of_every_type(writer):
    rng = random.Random(20261207)
    for _ in range(3000):
        value = _value(rng)
        assert writer.dumps(value) == tnetstring.dumps(value), value


class Level(enum.IntEnum):
    HIGH = 3


class Tagged(dict):
    pass


@pytest.mark.parametrize("value", [Level.HIGH, [Level.HIGH, True], {"k": Tagged(a=b"x")}, Tagged(), ("s", 1.5)])
def test_subclasses_come_out_as_mitmproxy_writes_them(writer, value):
    assert writer.dumps(value) == tnetstring.dumps(value)


@pytest.mark.parametrize("value, error", [
    ("\ud800", UnicodeEncodeError),          # a lone surrogate: not UTF-8
    (object(), ValueError),                  # not a type the format holds
    ({"a": [1, {2, 3}]}, ValueError),
])
def test_what_mitmproxy_refuses_is_refused_alike(writer, value, error):
    with pytest.raises(error):
        tnetstring.dumps(value)
    with pytest.raises(error):
        writer.dumps(value)


def test_a_value_that_contains_itself_raises_instead_of_crashing(writer):
    loop: list = []
    loop.append(loop)
    with pytest.raises(RecursionError):
        writer.dumps(loop)
