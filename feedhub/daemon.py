"""``feedhub daemon``: APScheduler is only a clock.

One interval job (``tick``, coalesced, at most one instance) asks storage which
sources are due (``next_due`` lives in the database, not in per-source jobs),
runs them and rewrites the topics they feed.  A restart therefore resumes
where it was.  SIGTERM/SIGINT set a stop flag that the tick checks between
sources: the current source's transaction finishes, then the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from .config import Config, SourceConfig
from .pipeline import run_once
from .storage import Storage

log = logging.getLogger("feedhub.daemon")
TICK_SECONDS = 5.0


def due_sources(config: Config, storage: Storage, now: datetime) -> list[SourceConfig]:
    due = []
    for source in config.sources:
        state = storage.source_state(source.id)
        if state.next_due is None or state.next_due <= now:
            due.append(source)
    return due


def run_daemon(config: Config, tick_seconds: float = TICK_SECONDS) -> int:
    stop = threading.Event()
    storage = Storage(config.storage_path)
    lock = threading.Lock()

    def tick() -> None:
        with lock:
            now = datetime.now(UTC)
            sources = due_sources(config, storage, now)
            if not sources or stop.is_set():
                return
            summary = run_once(config, storage, now, sources=sources, stop=stop.is_set)
            for s in summary.sources:
                print(s.line(), flush=True)
            for path in summary.written:
                print(f"wrote {path}", flush=True)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping on signal %s", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

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
    print(
        f"feedhub daemon: {len(config.sources)} sources, tick every {tick_seconds:g}s", flush=True
    )
    stop.wait()
    scheduler.shutdown(wait=True)
    storage.close()
    return 0
