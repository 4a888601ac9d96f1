"""``feedhub daemon``: APScheduler is only a clock.

One interval job (``tick``, coalesced, at most one instance) asks storage which
sources are due (``next_due`` lives in the database, not in per-source jobs),
runs them and rewrites the topics they feed.  A restart therefore resumes
where it was.  SIGTERM/SIGINT set a stop flag that the tick checks between
sources: the sources being fetched finish and are stored, then the process
exits 0.  ``--serve`` also serves the feeds over HTTP from the same process.
"""

from __future__ import annotations

import logging
from datetime import datetime

from .config import Config, SourceConfig
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


def run_daemon(
    config: Config, tick_seconds: float = TICK_SECONDS, serve: tuple[str, int] | None = None
) -> int:
    """Run until SIGTERM/SIGINT (exit 0); with ``serve=(host, port)`` also serve the feeds.

    The tick itself (thread pool, per-host limits, HTTP scheduling hints) lives in
    :mod:`feedhub.tick`, the process around it in :mod:`feedhub.service`.
    """
    from .service import run_service

    return run_service(config, tick_seconds, serve)
