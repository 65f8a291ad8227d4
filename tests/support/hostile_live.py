"""The live part of the hostile-input suite: a real mitmdump with the piiaudit script, and clients.

Run as ``python -m tests.support.hostile_live SCENARIO WORKDIR`` by tests/support/hostile_cases.py,
inside a network namespace of its own when the machine allows it (only a loopback
interface: a name lookup or a connection beyond loopback fails, loudly, in mitmproxy's
log, and no packet can leave). It records into WORKDIR/session and writes what the
clients saw and what mitmdump printed to WORKDIR/observed.json; the case judges from there.

Scenarios:
- ``utf8``: four requests carrying the IMEI, three of them with 0xff in the path, a
  query key and the Content-Type header, sent as raw bytes;
- ``websocket``: a WebSocket conversation with a loopback echo server (the IMEI in one
  message), then an ordinary request;
- ``responder``: only ulogs.umeng.com answered locally; requests whose Host header names
  another host, over http and https; a HEAD; a WebSocket upgrade;
- ``spoof``: a request to other.example whose Host header names the answered host (only
  inside the network namespace: forwarding it means a name lookup);
- ``killproxy``: a client sends flows until 40 are committed, then mitmdump gets SIGKILL.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from pathlib import Path

from tests.support.demo_device import DEMO_HOSTS, IMEI, PROFILE
from tests.support.hostile_inputs import utf8_raw_requests
from tests.support.mitmdump import Mitmdump, addon_args, via_proxy


def committed_flows(session: Path) -> int:
    db = session / "session.db"
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM flows").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def raw_exchange(port: int, request: bytes, timeout: float = 10.0) -> dict:
    """Send raw bytes to the proxy; the status line and body of its answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split()
    return {"status": int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None,
            "status_line": status_line, "headers": head.decode("latin-1"), "body_bytes": len(body)}


# -- a WebSocket echo server and client on loopback -----------------------------------------

def ws_echo_server() -> tuple[int, threading.Thread]:
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, CloseConnection, Message, Request, TextMessage, BytesMessage

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def serve() -> None:
        srv.settimeout(30)
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        ws = WSConnection(ConnectionType.SERVER)
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, Request):
                        conn.sendall(ws.send(AcceptConnection()))
                    elif isinstance(event, Message):
                        reply = TextMessage(data=event.data) if isinstance(event, TextMessage) else BytesMessage(data=event.data)
                        conn.sendall(ws.send(reply))
                    elif isinstance(event, CloseConnection):
                        conn.sendall(ws.send(event.response()))
                        return

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return port, t


def ws_conversation(proxy_port: int, target: str, text: str) -> dict:
    """Open ws://target/ws through the proxy, send `text`, read the echo, close."""
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, CloseConnection, Message, RejectConnection, Request, TextMessage

    ws = WSConnection(ConnectionType.CLIENT)
    out: dict = {"accepted": False, "echo": None}
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=10) as s:
        # proxy-form target: wsproto writes the request line from `target`
        s.sendall(ws.send(Request(host=target, target=f"http://{target}/ws")))
        deadline = time.monotonic() + 10
        sent = closed = False
        while time.monotonic() < deadline and not closed:
            data = s.recv(65536)
            if not data:
                break
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    out["accepted"] = True
                    s.sendall(ws.send(TextMessage(data=text)))
                    sent = True
                elif isinstance(event, RejectConnection):
                    out["rejected"] = event.status_code
                    closed = True
                elif isinstance(event, Message) and sent:
                    out["echo"] = event.data
                    s.sendall(ws.send(CloseConnection(code=1000)))
                elif isinstance(event, CloseConnection):
                    closed = True
    return out


def h2_request(proxy_port: int, ca_pem: Path, connect_host: str, authority: str, path: str = "/",
               timeout: float = 15.0) -> dict:
    """CONNECT connect_host:443 through the proxy, TLS with ALPN h2, one GET whose :authority is
    `authority` (what curl sends for `-H "Host: ..."` over HTTP/2)."""
    import ssl

    import h2.config
    import h2.connection
    import h2.events

    raw = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    try:
        raw.sendall(f"CONNECT {connect_host}:443 HTTP/1.1\r\nHost: {connect_host}:443\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = raw.recv(4096)
            if not chunk:
                return {"status": None, "error": "proxy closed the CONNECT"}
            head += chunk
        ctx = ssl.create_default_context(cafile=str(ca_pem))
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(raw, server_hostname=connect_host)
        if s.selected_alpn_protocol() != "h2":
            return {"status": None, "error": f"ALPN gave {s.selected_alpn_protocol()!r}"}
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(":method", "GET"), (":authority", authority), (":scheme", "https"),
                                (":path", path)], end_stream=True)
        s.sendall(conn.data_to_send())
        out: dict = {"status": None, "body": b""}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = s.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    out["status"] = int(dict(event.headers)[b":status"])
                    out["server"] = dict(event.headers).get(b"server", b"").decode()
                elif isinstance(event, h2.events.DataReceived):
                    out["body"] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    deadline = 0
            s.sendall(conn.data_to_send())
        out["body"] = out["body"][:200].decode("latin-1")
        return out
    except (OSError, ValueError) as e:
        return {"status": None, "error": f"{type(e).__name__}: {e}"}
    finally:
        raw.close()


def upgrade_request(host: str) -> bytes:
    key = base64.b64encode(os.urandom(16))
    return (f"GET http://{host}/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ").encode() + key + b"\r\n\r\n"


# -- scenarios -------------------------------------------------------------------------------

def proxy(work: Path, *, respond=DEMO_HOSTS, extra=()) -> Mitmdump:
    return Mitmdump(work / "conf", [*addon_args(work / "session", PROFILE, respond_hosts=respond), *extra], cwd=work)


def scenario_utf8(work: Path) -> dict:
    with proxy(work) as p:
        answers = {name: raw_exchange(p.port, req) for name, req in utf8_raw_requests().items()}
    return {"sent": len(answers), "answers": answers, "output": list(p.output), "returncode": p.proc.returncode}


def scenario_websocket(work: Path) -> dict:
    port, server = ws_echo_server()
    with proxy(work) as p:
        conversation = ws_conversation(p.port, f"127.0.0.1:{port}", json.dumps({"imei": IMEI}))
        server.join(10)
        time.sleep(0.5)    # the detection process answers the WebSocket flow
        after = via_proxy(p.port, p.ca_pem, "POST", "http://ulogs.umeng.com/unify_logs?after=ws",
                          json.dumps({"imei": IMEI}).encode(), {"content-type": "application/json"})[0]
    return {"sent": 2, "conversation": conversation, "after_status": after, "output": list(p.output),
            "returncode": p.proc.returncode}


def scenario_responder(work: Path) -> dict:
    answers = {}
    with proxy(work, respond=("ulogs.umeng.com",)) as p:
        for name, (method, url, headers) in {
            "http, Host: other.example": ("GET", "http://ulogs.umeng.com/config?x=1", {"Host": "other.example"}),
            "https, Host: other.example": ("GET", "https://ulogs.umeng.com/config?x=2", {"Host": "other.example"}),
        }.items():
            try:
                status, body = via_proxy(p.port, p.ca_pem, method, url, b"", headers, timeout=15)
                answers[name] = {"status": status, "body": body[:200].decode("latin-1")}
            except OSError as e:
                answers[name] = {"status": None, "error": f"{type(e).__name__}: {e}"}
        answers["https HTTP/2, :authority other.example"] = h2_request(p.port, p.ca_pem, "ulogs.umeng.com",
                                                                      "other.example", "/config?x=3")
        answers["HEAD"] = raw_exchange(p.port, b"HEAD http://ulogs.umeng.com/unify_logs HTTP/1.1\r\n"
                                               b"Host: ulogs.umeng.com\r\nConnection: close\r\n\r\n", timeout=15)
        answers["WebSocket upgrade"] = raw_exchange(p.port, upgrade_request("ulogs.umeng.com"), timeout=5)
    return {"sent": len(answers), "answers": answers, "output": list(p.output), "returncode": p.proc.returncode}


def scenario_spoof(work: Path) -> dict:
    """A request to other.example whose Host header names the answered host. Forwarding it
    means resolving other.example: only inside the network namespace (nothing can leave)."""
    if os.environ.get("HOSTILE_NETNS") != "1":
        return {"harness_error": "the spoof scenario runs only inside a network namespace"}
    with proxy(work, respond=("ulogs.umeng.com",)) as p:
        try:
            status, body = via_proxy(p.port, p.ca_pem, "GET", "http://other.example/config?spoof=1", b"",
                                     {"Host": "ulogs.umeng.com"}, timeout=15)
            answer = {"status": status, "body": body[:200].decode("latin-1")}
        except OSError as e:
            answer = {"status": None, "error": f"{type(e).__name__}: {e}"}
    return {"sent": 1, "answers": {"http to other.example, Host: ulogs.umeng.com": answer},
            "output": list(p.output), "returncode": p.proc.returncode}


def scenario_killproxy(work: Path) -> dict:
    session = work / "session"
    stop = threading.Event()
    sent = [0]
    with proxy(work) as p:
        def client() -> None:
            while not stop.is_set():
                try:
                    via_proxy(p.port, p.ca_pem, "POST", f"http://ulogs.umeng.com/unify_logs?n={sent[0]}",
                              json.dumps({"imei": IMEI, "n": sent[0]}).encode(), {"content-type": "application/json"},
                              timeout=5)
                    sent[0] += 1
                except OSError:
                    return

        t = threading.Thread(target=client, daemon=True)
        t.start()
        deadline = time.monotonic() + 30
        committed = 0
        while committed < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
            committed = committed_flows(session)
        time.sleep(0.2)
        committed = committed_flows(session)
        p.kill()
        stop.set()
        t.join(10)
    return {"sent": sent[0], "committed_before_kill": committed, "output": list(p.output)}


SCENARIOS = {"utf8": scenario_utf8, "websocket": scenario_websocket,
             "responder": scenario_responder, "spoof": scenario_spoof, "killproxy": scenario_killproxy}


def main(argv: list[str]) -> int:
    scenario, work = argv[0], Path(argv[1])
    started = time.time()
    try:
        observed = SCENARIOS[scenario](work)
    except Exception as e:  # noqa: BLE001 - the case reports what went wrong with the harness
        observed = {"harness_error": f"{type(e).__name__}: {e}"}
    observed["seconds"] = round(time.time() - started, 3)
    (work / "observed.json").write_text(json.dumps(observed, indent=1, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
