"""Every decompression path has a ceiling: a capture file (.zhar) and the bodies inside
flows (gzip, deflate, br, zstd) stop at the limits of piiaudit/detect/limits.py, in memory
as in output, and say so in one line naming the file.

The bombs are made here (zeros compress about a thousandfold); the memory figures are
the peak resident size of a child process that does nothing else.
"""

import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard

from addon import har
from addon.replay import replay
from piiaudit.detect import limits
from piiaudit.detect.decompress import bounded
from piiaudit.store import SessionStore
from tests.support.demo_device import IMEI, PROFILE

MB = 1 << 20


def zlib_bomb(out_mb: int, head: bytes = b"") -> bytes:
    z = zlib.compressobj(9)
    chunk = b" " * MB
    return b"".join([z.compress(head)] + [z.compress(chunk) for _ in range(out_mb)] + [z.flush()])


def brotli_bomb(out_mb: int) -> bytes:
    c = brotli.Compressor(quality=5, lgwin=24)
    chunk = b"\0" * MB
    return b"".join([c.process(chunk) for _ in range(out_mb)] + [c.finish()])


def har_text(n: int) -> bytes:
    entries = [{"startedDateTime": "2026-01-01T00:00:00Z", "time": 1,
                "request": {"method": "GET", "url": f"https://stats.jpush.cn/v3/hb?imei={IMEI}&n={i}",
                            "httpVersion": "HTTP/1.1", "headers": [], "queryString": [], "cookies": [],
                            "headersSize": -1, "bodySize": 0},
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                             "cookies": [], "content": {"size": 0, "mimeType": "text/plain", "text": ""},
                             "redirectURL": "", "headersSize": -1, "bodySize": 0},
                "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0}} for i in range(n)]
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                               "entries": entries}}).encode()


def run_measured(args, cwd) -> tuple[int, str, float, float]:
    """(exit status, output, seconds, peak RSS in MB) of a child process."""
    started = time.perf_counter()
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, time.perf_counter() - started, usage.ru_maxrss / 1024


def test_a_1_mb_zhar_bomb_stops_at_the_cap_with_one_line_naming_the_file(tmp_path):
    bomb = tmp_path / "bomb.zhar"
    bomb.write_bytes(zlib_bomb(1024, b'{"log": {"entries": ['))   # 1 GB of JSON-looking text
    assert bomb.stat().st_size < 1.1 * MB
    code, out, seconds, peak_mb = run_measured(
        [str(Path(sys.executable).with_name("piiaudit")), "replay", str(bomb), "--session", str(tmp_path / "s")],
        tmp_path)
    assert peak_mb < 900, f"peak {peak_mb:.0f} MB"      # before: 2.2 GB
    assert seconds < 60
    assert "bomb.zhar" in out and "decompress" in out and "MB" in out, out
    errors = SessionStore(tmp_path / "s", create=False).rows("SELECT message FROM errors")
    assert any("bomb.zhar" in e["message"] and "decompress" in e["message"] for e in errors)


def test_a_zhar_beyond_the_cap_keeps_the_entries_within_it(tmp_path, monkeypatch):
    text = har_text(200)
    monkeypatch.setattr(limits, "MAX_FILE_DECOMPRESSED_BYTES", len(text) // 2)
    capture = tmp_path / "big.zhar"
    capture.write_bytes(zlib.compress(text, 9))
    stats = replay(capture, tmp_path / "s", PROFILE)
    assert 80 <= stats["flows"] < 200
    assert any("big.zhar" in m and "decompress" in m for m in stats["messages"])
    assert SessionStore(tmp_path / "s", create=False).count("flows") == stats["flows"]


def test_a_whole_zhar_within_the_cap_replays_every_entry(tmp_path):
    capture = tmp_path / "ok.zhar"
    capture.write_bytes(zlib.compress(har_text(5), 9))
    stats = replay(capture, tmp_path / "s", PROFILE)
    assert stats["flows"] == 5 and stats["errors"] == 0 and stats["hits"] >= 5


def test_har_decode_is_bounded_in_output():
    text = har.decode(zlib_bomb(64), limit=4 * MB)
    assert len(text) == 4 * MB


def body_bomb(encoding: str, out_mb: int) -> bytes:
    if encoding == "br":
        return brotli_bomb(out_mb)
    if encoding == "zstd":
        c = zstandard.ZstdCompressor(level=3).compressobj()
        return b"".join([c.compress(b"\0" * MB) for _ in range(out_mb)] + [c.flush()])
    z = zlib.compressobj(6, zlib.DEFLATED, 31 if encoding == "gzip" else -15)
    return b"".join([z.compress(b"\0" * MB) for _ in range(out_mb)] + [z.flush()])


CHILD = """
import resource, sys
from piiaudit.detect.decompress import decompress
from piiaudit.detect.limits import Budget, ScanLimits
data = open(sys.argv[1], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
budget = Budget(ScanLimits())
out, problem = decompress(data, sys.argv[2], budget)
print(len(out), ",".join(budget.capped), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


@pytest.mark.parametrize("encoding", ["br", "gzip", "zstd", "deflate"])
def test_a_body_bomb_stays_within_its_cap_in_memory_too(tmp_path, encoding):
    """The detector's decoders stop at max_decompressed_bytes; brotli, whose binding has no
    output limit, is fed so that one call cannot run far past it."""
    bomb = tmp_path / "bomb"
    bomb.write_bytes(body_bomb(encoding, 512 if encoding == "br" else 128))
    out = subprocess.run([sys.executable, "-c", CHILD, str(bomb), encoding], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout.split()
    size, capped, grew_mb = int(out[0]), out[1], int(out[2])
    assert size == limits.ScanLimits().max_decompressed_bytes and capped == "decompressed_size"
    assert grew_mb < 90, f"{encoding}: {grew_mb} MB for a 16 MB cap"   # before, brotli: 176 MB


def test_bounded_says_when_it_stopped():
    out, problem, capped = bounded(zlib_bomb(8), "zlib", 1 * MB)
    assert len(out) == MB and capped and problem is None
    out, problem, capped = bounded(zlib.compress(b"hello"), "zlib", MB)
    assert out == b"hello" and not capped
