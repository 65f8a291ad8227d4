"""Run the proxy inside another program (`piiaudit record`, `piiaudit demo`).

`ProxyRunner` runs a mitmproxy Master with mitmproxy's default addons, the Recorder and,
when asked, the LocalResponder, on a background thread with its own event loop. Given
`observed` (piiaudit.observed), the recorder's detector learns the values a hooks runner
in this process adds there, as they come; without it, it polls session.db for them.
`start()` returns once the proxy is listening (or raises with mitmproxy's reason);
`stop()` shuts it down and waits until the last batch is committed and flows.mitm closed.

mitmproxy keeps its context (`mitmproxy.ctx`) in module globals, so one process runs one
proxy at a time, and an in-process replay should not run while a proxy is up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from mitmproxy import addons as default_addons
from mitmproxy import exceptions, master, options

from addon.recorder import Recorder
from addon.responder import LocalResponder, for_hosts
from piiaudit.observed import ObservedValues

logger = logging.getLogger(__name__)


class ProxyError(OSError):
    """The proxy could not start (bad option, port in use, ...)."""


class _ErrorLog(logging.Handler):
    """Keep the error lines mitmproxy logs while starting, to explain a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _Startup:
    """Signals the waiting thread once mitmproxy has brought its servers up (or failed to)."""

    def __init__(self, runner: ProxyRunner) -> None:
        self.runner = runner

    def running(self) -> None:
        runner = self.runner
        ps = runner._master.addons.get("proxyserver")
        runner._addrs = list(ps.listen_addrs()) if ps else []
        if not runner._addrs:
            # mitmproxy's first line says why; its hint about --mode flags does not apply here.
            reasons = [m.splitlines()[0] for m in runner._errors.messages if m.strip()]
            runner._failure = ProxyError("; ".join(reasons) or "no listening address")
        logging.getLogger().removeHandler(runner._errors)
        runner._ready.set()


class ProxyRunner:
    def __init__(
        self,
        session_dir: Path | str,
        profile: Path | str | None = None,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        respond_hosts: Iterable[str] = (),
        respond_bodies: Path | str | None = None,
        confdir: Path | str | None = None,
        mode: str = "regular",
        save_flows: bool = True,
        observed: ObservedValues | None = None,
    ) -> None:
        self.session_dir = Path(session_dir)
        self.profile = Path(profile) if profile else None
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.respond_hosts = tuple(h for h in respond_hosts if h)
        self.respond_bodies = Path(respond_bodies).expanduser() if respond_bodies else None
        self.confdir = Path(confdir).expanduser() if confdir else Path("~/.mitmproxy").expanduser()
        self.mode = mode
        self.save_flows = save_flows
        self.observed = observed
        self.recorder = Recorder(observed)
        self.responder = LocalResponder()
        self._master: master.Master | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._addrs: list[tuple] = []
        self._failure: BaseException | None = None
        self._errors = _ErrorLog()

    # -- what callers use --------------------------------------------------------------
    @property
    def port(self) -> int:
        if not self._addrs:
            raise ProxyError("proxy is not running")
        return self._addrs[0][1]

    @property
    def ca_pem(self) -> Path:
        """The CA certificate clients must trust (created by mitmproxy on first start)."""
        return self.confdir / "mitmproxy-ca-cert.pem"

    @property
    def url(self) -> str:
        return f"http://{self.listen_host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ProxyRunner:
        if self._thread is not None:
            raise ProxyError("proxy already started")
        self._thread = threading.Thread(target=self._thread_main, name="piiaudit-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise ProxyError(f"proxy did not start within {timeout:.0f} s")
        if self._failure is not None or not self._addrs:
            reason = self._failure or "no listening address"
            self.stop()
            raise ProxyError(f"proxy could not start on {self.listen_host}:{self.listen_port}: {reason}")
        logger.info("piiaudit: proxy listening on %s:%d", self.listen_host, self.port)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._master is not None and self._thread is not None and self._thread.is_alive():
            self._master.shutdown()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("piiaudit: proxy did not stop within %.0f s", timeout)
        self._thread = None
        self._master = None

    def __enter__(self) -> ProxyRunner:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the proxy thread --------------------------------------------------------------
    def _thread_main(self) -> None:
        logging.getLogger().addHandler(self._errors)
        try:
            asyncio.run(self._main())
        except BaseException as e:  # noqa: BLE001 - reported to start(); SystemExit included
            self._failure = self._failure or e
            logger.exception("piiaudit: proxy thread ended with an error")
        finally:
            logging.getLogger().removeHandler(self._errors)
            self._ready.set()

    async def _main(self) -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_cancellations)
        opts = options.Options()
        m = master.Master(opts)
        self._master = m
        m.addons.add(*default_addons.default_addons())
        m.addons.add(self.responder, self.recorder, _Startup(self))
        settings = {
            "listen_host": self.listen_host,
            "listen_port": self.listen_port,
            "confdir": str(self.confdir),
            "mode": [self.mode],
            "piiaudit_session": str(self.session_dir),
            "piiaudit_profile": str(self.profile) if self.profile else None,
            "piiaudit_save_flows": self.save_flows,
        }
        if self.respond_hosts:
            settings["connection_strategy"] = "lazy"
            settings["piiaudit_respond"] = for_hosts(self.respond_hosts)
            if self.respond_bodies:
                settings["piiaudit_respond_bodies"] = str(self.respond_bodies)
        try:
            opts.update(**settings)
        except exceptions.OptionsError as e:
            self._failure = ProxyError(str(e))
            return
        try:
            await m.run()
        finally:
            # mitmproxy leaves its listeners to process exit; this process goes on, so close them.
            ps = m.addons.get("proxyserver")
            if ps is not None:
                await ps.servers.update([])


def _quiet_cancellations(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Connections still open at shutdown end with CancelledError: expected, not worth a traceback."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)
