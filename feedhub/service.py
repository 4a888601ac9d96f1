"""``feedhub daemon [--serve]``: APScheduler is only a clock.

One interval job (``tick``, coalesced, at most one instance) asks storage which
sources are due (``next_due`` lives in the database, not in per-source jobs),
collects them (:mod:`feedhub.tick`) and rewrites the topics they feed, so a
restart resumes where it was.  With ``--serve`` the same process serves the
feeds over HTTP (:mod:`feedhub.web`); ``/healthz`` then also requires the
scheduler to have ticked recently.

SIGTERM/SIGINT set a stop flag: no new source is started, the ones being
fetched finish and are stored, the topics are rewritten, then the HTTP server
stops and the process exits 0.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from .config import Config
from .server import WebServer, install_stop_handlers
from .storage import Storage
from .tick import Ticker
from .web import App, Heartbeat

log = logging.getLogger("feedhub.daemon")


def stale_after(config: Config, tick_seconds: float) -> float:
    """How long without a tick before /healthz says 503: a few tick intervals, plus room
    for one slow fetch (a busy tick beats after every source it collects)."""
    return max(3 * tick_seconds, 15.0) + 2 * config.fetch.timeout


def run_service(config: Config, tick_seconds: float, serve: tuple[str, int] | None = None) -> int:
    heartbeat = Heartbeat(stale_after(config, tick_seconds))
    web = WebServer(App(config, heartbeat), *serve) if serve is not None else None  # binds
    stop = threading.Event()
    install_stop_handlers(stop)
    storage = Storage(config.storage_path)
    ticker = Ticker(config, storage, heartbeat, stop=stop.is_set)
    lock = threading.Lock()

    def tick() -> None:
        with lock:
            ticker.tick()

    if web is not None:
        web.start()
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        "interval",
        seconds=tick_seconds,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    banner = f"feedhub daemon: {len(config.sources)} sources, tick every {tick_seconds:g}s"
    if web is not None:
        banner += f", serving {len(config.topics)} topic(s) on {web.url}"
    print(banner, flush=True)
    log.info(
        "started",
        extra={
            "event": "daemon_started",
            "sources": len(config.sources),
            "tick": tick_seconds,
            "url": web.url if web else None,
        },
    )
    code = 0
    while not stop.wait(0.5):
        if web is not None and not web.alive():
            code = 1
            stop.set()
    scheduler.shutdown(wait=True)
    with lock:  # a tick started just before shutdown finishes storing first
        ticker.close()
        storage.close()
    if web is not None:
        web.stop()
    log.info("stopped", extra={"event": "daemon_stopped"})
    return code
