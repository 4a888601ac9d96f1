"""Run the web app on uvicorn in a thread; ``feedhub serve``.

uvicorn runs in its own thread with its own event loop (uvloop and httptools
when installed), on a socket bound here, so ``--port 0`` works (the chosen
port is printed) and the main thread keeps the signal handlers: SIGTERM or
SIGINT stops the server gracefully and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from types import FrameType

from .config import Config
from .errors import FeedhubError
from .web import App

log = logging.getLogger("feedhub.serve")


class ServeError(FeedhubError):
    """The HTTP server could not listen."""


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``.

    Raises:
        ServeError: the address cannot be resolved or bound (in use, no permission).
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc}") from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class WebServer:
    """uvicorn serving ``app`` on ``host:port`` from a background thread."""

    def __init__(self, app: App, host: str, port: int) -> None:
        import uvicorn

        self.sock = bind(host, port)
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        self.config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=5,
            backlog=2048,
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # SystemExit from a failed startup included
            self.error = exc
            log.error("http_server_failed", extra={"error": f"{type(exc).__name__}: {exc}"})

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP server did not start: {self.error!r}")
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()


def install_stop_handlers(stop: threading.Event) -> None:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping", extra={"event": "stopping", "signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def run_server(config: Config, host: str, port: int) -> int:
    """``feedhub serve``: serve the topic feeds until SIGTERM/SIGINT (exit 0)."""
    stop = threading.Event()
    install_stop_handlers(stop)
    web = WebServer(App(config), host, port)
    web.start()
    print(f"feedhub: serving {len(config.topics)} topic(s) on {web.url}", flush=True)
    log.info("serving", extra={"event": "serving", "url": web.url})
    while not stop.wait(0.5):
        if not web.alive():
            return 1
    web.stop()
    return 0
