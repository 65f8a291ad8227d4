"""Run `mitmdump` with the piiaudit script as a child process (tests, benchmarks, tooling).

`Mitmdump.start()` waits for mitmproxy's "proxy listening at HOST:PORT" line, so port 0
(any free port) works and there is no race on choosing a port.
"""

from __future__ import annotations

import collections
import http.client
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path

from addon.responder import for_hosts

SCRIPT = Path(__file__).resolve().parents[2] / "addon" / "piiaudit_addon.py"
_LISTENING = re.compile(r"proxy listening at \[?([^\]\s]+?)\]?:(\d+)")


def mitmdump_exe() -> str:
    """The mitmdump beside this Python (the project's venv), else the one on PATH."""
    local = Path(sys.executable).with_name("mitmdump")
    if local.exists():
        return str(local)
    found = shutil.which("mitmdump")
    if not found:
        raise FileNotFoundError("mitmdump not found (install mitmproxy into this Python environment)")
    return found


def addon_args(session: Path | str, profile: Path | str | None = None, *, respond_hosts: Iterable[str] = ()) -> list[str]:
    args = ["-s", str(SCRIPT), "--set", f"piiaudit_session={session}"]
    if profile:
        args += ["--set", f"piiaudit_profile={profile}"]
    respond_hosts = list(respond_hosts)
    if respond_hosts:
        args += ["--set", f"piiaudit_respond={for_hosts(respond_hosts)}", "--set", "connection_strategy=lazy"]
    return args


class Mitmdump:
    """A mitmdump proxy listening on loopback; use as a context manager."""

    def __init__(
        self,
        confdir: Path | str,
        extra_args: Sequence[str] = (),
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        prefix: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: Path | str | None = None,
    ) -> None:
        self.confdir = Path(confdir)
        self.argv = [
            *prefix, mitmdump_exe(),
            "--listen-host", listen_host, "--listen-port", str(listen_port),
            "--set", f"confdir={self.confdir}", "--flow-detail", "0",
            *extra_args,
        ]
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=500)
        self._listening = threading.Event()

    @property
    def ca_pem(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Mitmdump:
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", env={**os.environ, **(self.env or {})}, cwd=self.cwd,
            start_new_session=True,  # signals go to the whole group (mitmdump under strace too)
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mitmdump did not start:\n" + "\n".join(self.output))
        return self

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self.output.append(line.rstrip("\n"))
            if not self._listening.is_set():
                m = _LISTENING.search(line)
                if m:
                    self.port = int(m.group(2))
                    self._listening.set()

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGINT (mitmdump's clean shutdown: `done` hooks run) and wait."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self._signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            return self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine or the user pulls the plug."""
        if self.proc is not None and self.proc.poll() is None:
            self._signal(signal.SIGKILL)
            self.proc.wait()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Mitmdump:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def via_proxy(
    proxy_port: int,
    ca_pem: Path | str | None,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One request through an HTTP(S) proxy on 127.0.0.1 (CONNECT + TLS for https URLs).

    The client only ever connects to the proxy; the target host name is never resolved here.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=str(ca_pem)) if ca_pem else ssl.create_default_context()
        conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", proxy_port, timeout=timeout, context=context)
        conn.set_tunnel(parts.hostname, parts.port or 443)
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
    else:
        conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=timeout)
        target = url
    try:
        conn.request(method, target, body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()
