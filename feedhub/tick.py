"""One daemon tick: collect the due sources concurrently, store them one by one.

::

    due = sources whose next_due (in SQLite) has passed
    collect due sources on a thread pool      # ≤ schedule.workers at once,
                                              # ≤ schedule.per_host per host
      | on this thread, in config order:      # the only thread touching storage
          store_result (pipeline)             # one transaction per source
          plan next_due from the HTTP answer  # Retry-After, max-age/Expires, backoff
    a 429 holds back the rest of its host     # this tick and the next ones
    rewrite the topics whose sources changed

Results are stored in config order (a finished source waits for the ones
before it), so stories form exactly as in ``feedhub run --once``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from .collect import CollectResult, HTTPCache
from .collect.feeds import collect_feed
from .collect.http import make_client
from .collect.local import FileStats, collect_local
from .config import Config, SourceConfig
from .daemon import due_sources
from .errors import FetchError, SourceError
from .pipeline import RunSummary, SharedDedupe, limits_of, store_result
from .publish.atom import publish_topics
from .schedule import RATE_LIMITED, Hints, Policy, backoff, host_of, limited, plan, retry_after
from .storage import Storage
from .web import Heartbeat

log = logging.getLogger("feedhub.daemon")


def policy_of(config: Config) -> Policy:
    s = config.schedule
    return Policy(
        max_backoff=s.max_backoff,
        max_cache_delay=s.max_cache_delay,
        unhealthy_after=s.unhealthy_after,
        workers=s.workers,
        per_host=s.per_host,
    )


def collect_one(
    source: SourceConfig,
    config: Config,
    cache: HTTPCache,
    client: httpx.Client | None,
    known: FileStats | None = None,
) -> CollectResult:
    """Collect one source without touching storage (safe on a worker thread):
    ``cache`` and ``known`` (a folder's recorded file stats) are read beforehand."""
    try:
        if source.kind == "local":
            assert source.path is not None
            return collect_local(
                source.id, config.resolve(source.path), source.glob, source.format, known
            )
        assert source.url is not None
        return collect_feed(
            source.id,
            source.url,
            cache,
            limits_of(config),
            client,
            outlet=source.outlet,
            root=Path(config.root),
        )
    except SourceError as exc:
        return CollectResult(source.id, errors=(exc,))


def answer_of(source: SourceConfig, result: CollectResult) -> tuple[int | None, Hints]:
    """The HTTP status (when there was one) and hint headers of an attempt."""
    for err in result.errors:
        if isinstance(err, FetchError) and err.status is not None:
            return err.status, err.hints
    if host_of(source.url) is None:
        return None, ()
    if result.not_modified:
        return (200 if result.same_body else 304), result.hints
    if result.errors and not result.items:
        return None, ()  # network error, timeout, not a feed…
    return 200, result.hints


class Ticker:
    """Runs ticks for one config and one storage connection (the tick thread's)."""

    def __init__(
        self,
        config: Config,
        storage: Storage,
        heartbeat: Heartbeat | None = None,
        stop: Callable[[], bool] = lambda: False,
        client: httpx.Client | None = None,
    ) -> None:
        self.config = config
        self.storage = storage
        self.policy = policy_of(config)
        self.heartbeat = heartbeat
        self.stop = stop
        self._own_client = client is None
        self.client = client or make_client(limits_of(config))
        self._shared = SharedDedupe()

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def _beat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.beat()

    def tick(self) -> RunSummary:
        self._beat()
        run = RunSummary()
        if self.stop():
            return run
        now = datetime.now(UTC)
        due = due_sources(self.config, self.storage, now)
        if not due:
            return run
        states = {s.id: self.storage.source_state(s.id) for s in due}
        known = {s.id: self.storage.file_stats(s.id) for s in due if s.kind == "local"}
        blocked: dict[str, datetime] = {}  # host → not before (a 429 this tick)
        finished: dict[int, CollectResult | None] = {}
        changed: set[str] = set()
        next_store = 0
        self._shared = SharedDedupe()  # dedupe state shared by this tick's sources only

        def work(source: SourceConfig) -> CollectResult:
            return collect_one(
                source, self.config, states[source.id].cache, self.client, known.get(source.id)
            )

        for i, source, result in limited(
            due,
            work,
            lambda s: host_of(s.url),
            self.policy.workers,
            self.policy.per_host,
            skip=lambda s: host_of(s.url) in blocked,
            stop=self.stop,
        ):
            self._beat()
            host = host_of(source.url)
            if result is not None and host is not None:
                status, hints = answer_of(source, result)
                if status == RATE_LIMITED:
                    t = datetime.now(UTC)
                    cap = t + timedelta(seconds=max(self.policy.max_backoff, source.interval))
                    until = retry_after(hints, t) or t + backoff(
                        source.interval, states[source.id].error_count + 1, self.policy.max_backoff
                    )
                    until = min(until, cap)
                    blocked[host] = max(blocked.get(host, until), until)
                    log.warning(
                        f"host {host} rate-limited us: its sources wait until {until:%H:%M:%S}Z",
                        extra={
                            "event": "host_rate_limited",
                            "host": host,
                            "source": source.id,
                            "until": until.isoformat(),
                        },
                    )
            finished[i] = result
            while next_store in finished:  # store in config order, on this thread
                src, res = due[next_store], finished.pop(next_store)
                next_store += 1
                if res is not None:
                    self._store(src, res, run, changed, blocked)
                    self._beat()
        self._shared = SharedDedupe()  # freed between ticks: the daemon idles with little memory
        for host, until in blocked.items():
            for s in self.config.sources:
                if host_of(s.url) == host:
                    self.storage.defer(s.id, until, "host-rate-limited")
        topics = [
            t
            for t in self.config.topics
            if set(t.sources) & changed or not (self.config.output_path / f"{t.id}.atom").exists()
        ]
        run.written, run.unchanged_outputs = publish_topics(self.config, self.storage, topics)
        for path in run.written:
            log.info(
                f"wrote {path}",
                extra={"event": "feed_written", "topic": path.stem, "path": str(path)},
            )
        self._beat()
        return run

    def _store(
        self,
        source: SourceConfig,
        result: CollectResult,
        run: RunSummary,
        changed: set[str],
        blocked: dict[str, datetime],
    ) -> None:
        now = datetime.now(UTC)
        summary = store_result(result, source, self.config, self.storage, now, self._shared)
        state = self.storage.source_state(source.id)
        failures = state.error_count if result.failed else 0
        status, hints = answer_of(source, result)
        p = plan(source.interval, now, failures, status, hints, self.policy)
        due, reason = p.due, p.reason
        host = host_of(source.url)
        if host in blocked and blocked[host] > due:
            due, reason = blocked[host], "host-rate-limited"
        self.storage.set_schedule(source.id, due, reason, status)
        run.sources.append(summary)
        if summary.new or summary.updated:
            changed.add(source.id)
        ctx = {"source": source.id, "kind": source.kind}
        for err in summary.errors:
            log.warning(f"{source.id}: {err}", extra={"event": "source_error", **ctx, "error": err})
        log.info(
            summary.line(),
            extra={
                "event": "source_collected",
                **ctx,
                "new": summary.new,
                "merged": summary.merged,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "not_modified": summary.not_modified,
                "errors": len(summary.errors),
                "status": status,
                "failures": failures,
                "next_due": due.isoformat(),
                "due_reason": reason,
            },
        )
        if failures == self.policy.unhealthy_after:
            log.error(
                f"{source.id}: unhealthy after {failures} consecutive failures "
                f"(still retried, every {self.policy.max_backoff:g}s at most)",
                extra={"event": "source_unhealthy", **ctx, "failures": failures},
            )
