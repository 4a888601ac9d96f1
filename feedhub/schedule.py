"""When to poll a source next, and how many polls may run at once.

Pure functions over what the last attempt returned, so they are testable without
a clock or a network:

* a ``429``/``503`` with ``Retry-After`` (seconds or an HTTP date) sets the next
  attempt to exactly that time (capped at ``max_backoff``);
* a success whose ``Cache-Control: max-age`` or ``Expires`` says the feed stays
  fresh longer than the source's interval pushes the next attempt later, but
  never more than ``max_cache_delay`` from now;
* a failure backs off exponentially: interval × 2^failures, capped at
  ``max_backoff`` (so an unhealthy source is still retried, at the cap);
* a ``429`` also defers every other source on the same host (``host_of``):
  one host's rate limit slows only that host.

:func:`limited` runs work items on a small thread pool with a global and a
per-host concurrency limit; results come back on the calling thread, which is
the only one that writes to storage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
R = TypeVar("R")

Hints = tuple[tuple[str, str], ...]

RATE_LIMITED = 429
UNAVAILABLE = 503


@dataclass(frozen=True, slots=True)
class Policy:
    """Scheduling limits (``schedule:`` in the config)."""

    max_backoff: float = 86400.0
    max_cache_delay: float = 6 * 3600.0
    unhealthy_after: int = 5
    workers: int = 4
    per_host: int = 2


@dataclass(frozen=True, slots=True)
class Plan:
    due: datetime
    reason: str  # interval | cache-hint | backoff | retry-after


def header(hints: Hints, name: str) -> str | None:
    name = name.lower()
    for k, v in hints:
        if k.lower() == name:
            return v
    return None


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110 IMF-fixdate, or the obsolete forms) → aware UTC, else None."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def retry_after(hints: Hints, now: datetime) -> datetime | None:
    """``Retry-After: 120`` or ``Retry-After: <HTTP date>`` → when to retry."""
    value = header(hints, "retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 10**8))
    return http_date(value)


def fresh_until(hints: Hints, now: datetime) -> datetime | None:
    """How long the response says it stays fresh: max-age first, else Expires."""
    cc = header(hints, "cache-control")
    if cc:
        directives = {}
        for part in cc.split(","):
            name, _, arg = part.strip().partition("=")
            directives[name.strip().lower()] = arg.strip().strip('"')
        if "no-store" in directives or "no-cache" in directives:
            return None
        age = directives.get("max-age")
        if age is not None:
            return now + timedelta(seconds=min(int(age), 10**8)) if age.isdigit() else None
    return http_date(header(hints, "expires"))


def backoff(interval: float, failures: int, cap: float) -> timedelta:
    """interval × 2^failures, never more than ``cap`` (nor less than the interval)."""
    base = timedelta(seconds=interval)
    if failures <= 0:
        return base
    return min(base * int(2 ** min(failures, 30)), max(timedelta(seconds=cap), base))


def plan(
    interval: float,
    now: datetime,
    failures: int,
    status: int | None,
    hints: Hints,
    policy: Policy,
    jitter: Callable[[], float] = lambda: random.uniform(0.9, 1.1),
) -> Plan:
    """The next attempt of a source after one attempt.

    ``failures`` counts consecutive failures including this attempt (0 = success);
    ``status`` is the HTTP status when there was one; ``hints`` its headers.
    """
    cap = timedelta(seconds=policy.max_backoff)
    if status in (RATE_LIMITED, UNAVAILABLE):
        when = retry_after(hints, now)
        if when is not None:
            return Plan(min(max(when, now + timedelta(seconds=1)), now + cap), "retry-after")
    if failures:
        return Plan(now + backoff(interval, failures, policy.max_backoff) * jitter(), "backoff")
    due = now + timedelta(seconds=interval) * jitter()
    fresh = fresh_until(hints, now)
    if fresh is not None:
        pushed = min(fresh, now + timedelta(seconds=policy.max_cache_delay))
        if pushed > due:
            return Plan(pushed, "cache-hint")
    return Plan(due, "interval")


def host_of(url: str | None) -> str | None:
    """The host a remote source is polled on (None for local folders and files)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    return (parts.hostname or "").lower() or None


def limited(
    tasks: Sequence[T],
    work: Callable[[T], R],
    key: Callable[[T], str | None],
    workers: int,
    per_host: int,
    *,
    skip: Callable[[T], bool] = lambda t: False,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[int, T, R | None]]:
    """Run ``work`` over ``tasks`` on at most ``workers`` threads, at most ``per_host``
    at once per ``key`` (``None`` keys share only the global limit).

    Yields ``(index, task, result)`` on the calling thread as tasks finish;
    ``result`` is None for a task that was not started because ``skip(task)`` was
    true when its turn came (checked at dispatch, so a caller reacting to one
    result — a 429 — can hold back the rest of that host) or ``stop()`` was set.
    Tasks are started in order, as their host allows.  An exception in ``work``
    propagates here after the running tasks finish.
    """
    workers, per_host = max(1, workers), max(1, per_host)
    pending = list(range(len(tasks)))
    running: dict[Future[R], int] = {}
    per: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
        while pending or running:
            stopped = stop()
            started = True
            while started and pending and len(running) < workers:
                started = False
                for n, i in enumerate(pending):
                    task = tasks[i]
                    if stopped or skip(task):
                        del pending[n]
                        started = True
                        yield i, task, None
                        break
                    k = key(task)
                    if k is not None and per.get(k, 0) >= per_host:
                        continue
                    del pending[n]
                    if k is not None:
                        per[k] = per.get(k, 0) + 1
                    running[pool.submit(work, task)] = i
                    started = True
                    break
            if not running:
                continue  # everything dispatchable was skipped; the loop re-checks pending
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: running[f]):
                i = running.pop(fut)
                k = key(tasks[i])
                if k is not None:
                    per[k] -= 1
                yield i, tasks[i], fut.result()
