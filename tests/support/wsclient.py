"""A WebSocket client through an HTTP proxy on loopback (CONNECT, then TLS for wss), for tests
of the local responder: the target host is only ever named to the proxy, never resolved."""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import wsproto
from wsproto.events import AcceptConnection, CloseConnection, RejectConnection, Request, TextMessage


def websocket_via_proxy(proxy_port: int, ca_pem: Path | str | None, host: str, path: str, messages: list[str],
                        *, tls: bool = True, timeout: float = 10.0) -> int:
    """Open a WebSocket to `host` through the proxy, send `messages`, close; the status the
    upgrade got (101 when accepted)."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    port = 443 if tls else 80
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("the proxy closed the CONNECT")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"CONNECT refused: {head[:100]!r}")
    if tls:
        context = ssl.create_default_context(cafile=str(ca_pem)) if ca_pem else ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=host)
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    deadline = time.monotonic() + timeout

    def events():
        data = sock.recv(65536)
        ws.receive_data(data or None)
        return list(ws.events())

    try:
        sock.sendall(ws.send(Request(host=host, target=path)))
        status = None
        while status is None and time.monotonic() < deadline:
            for event in events():
                if isinstance(event, AcceptConnection):
                    status = 101
                elif isinstance(event, RejectConnection):
                    status = event.status_code
        if status == 101:
            for m in messages:
                sock.sendall(ws.send(TextMessage(data=m)))
            sock.sendall(ws.send(CloseConnection(code=1000)))
            while time.monotonic() < deadline:
                if any(isinstance(e, CloseConnection) for e in events()):
                    break
        return status
    finally:
        sock.close()
