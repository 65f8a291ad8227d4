"""A loopback mitmdump that answers every host itself, for running the stand-in by hand and in tests.

The stand-in's SDK hosts carry real names, so nothing may be forwarded: with
``connection_strategy=lazy`` and the responder answering in the request hook, mitmproxy
opens no upstream connection and resolves no name.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MITMDUMP = Path(sys.executable).with_name("mitmdump")
RESPONDER_SCRIPT = """\
from addon.responder import LocalResponder

addons = [LocalResponder()]
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mitmdump exited early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"mitmdump did not listen on 127.0.0.1:{port} within {timeout} s")


class LoopbackProxy:
    """mitmdump on 127.0.0.1 that answers every host itself (lazy strategy: no upstream, no DNS)."""

    def __init__(self, workdir: Path):
        from mitmproxy.certs import CertStore

        self.workdir = workdir
        self.confdir = workdir / "mitm-conf"
        CertStore.from_store(self.confdir, "mitmproxy", 2048)  # the CA mitmdump will sign with
        self.ca_pem = self.confdir / "mitmproxy-ca-cert.pem"
        self.flows_file = workdir / "flows.mitm"
        self.port = free_port()
        script = workdir / "responder_addon.py"
        script.write_text(RESPONDER_SCRIPT)
        cmd = [str(MITMDUMP), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(self.port),
               "--set", "connection_strategy=lazy", "--set", f"confdir={self.confdir}",
               "-s", str(script), "--set", "piiaudit_respond=~all",
               "--set", f"save_stream_file={self.flows_file}"]
        env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(workdir)}
        self.proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_listening(self.port, self.proc)

    def stop(self) -> list:
        """Stop mitmdump (it completes the saved stream on shutdown) and return the flows."""
        from mitmproxy import io as mitm_io

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.flows_file.exists():
            return []
        with open(self.flows_file, "rb") as f:
            return list(mitm_io.FlowReader(f).stream())
