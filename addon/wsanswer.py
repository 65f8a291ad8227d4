"""A WebSocket server on loopback that the local responder routes answered upgrades to.

mitmproxy cannot hold a WebSocket whose 101 an addon wrote itself: its WebSocket layer
forwards the client's frames (pings, the close) to a server connection that was never
opened, and the connection crashes. So an upgrade the responder answers is sent to this
server instead, on 127.0.0.1: it accepts the upgrade (101, the first subprotocol offered),
answers pings, reads and discards messages, and closes when the client closes. mitmproxy
relays and records the session as it would a real one, and nothing leaves the machine.

One server per responder, started on the first upgrade, closed at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import wsproto
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
IDLE_S = 300.0        # a silent client is closed after this long


class LoopbackWebSocket:
    def __init__(self) -> None:
        self.server: asyncio.AbstractServer | None = None
        self.port: int | None = None
        self.sessions = 0
        self._lock = asyncio.Lock()

    async def start(self) -> int:
        """The port it listens on (started once)."""
        async with self._lock:
            if self.server is None:
                self.server = await asyncio.start_server(self._serve, HOST, 0)
                self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
            self.port = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
        self.sessions += 1
        try:
            while True:
                data = await asyncio.wait_for(reader.read(65536), IDLE_S)
                ws.receive_data(data or None)
                closing = not data
                for event in ws.events():
                    if isinstance(event, Request):
                        offered = event.subprotocols[0] if event.subprotocols else None
                        writer.write(ws.send(AcceptConnection(subprotocol=offered)))
                    elif isinstance(event, Ping):
                        writer.write(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        with contextlib.suppress(wsproto.utilities.LocalProtocolError):
                            writer.write(ws.send(event.response()))
                        closing = True
                await writer.drain()
                if closing:
                    break
        except (asyncio.TimeoutError, ConnectionError, OSError, wsproto.utilities.RemoteProtocolError):
            pass
        except Exception as e:  # noqa: BLE001 - one session's trouble never reaches the proxy
            logger.warning("piiaudit: local WebSocket answer ended: %s: %s", type(e).__name__, e)
        finally:
            with contextlib.suppress(Exception):
                writer.close()
