"""Scheduling: HTTP hints, backoff, host limits, and one daemon tick against a real server."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from feedhub.config import load_config
from feedhub.schedule import Policy, backoff, fresh_until, host_of, limited, plan, retry_after
from feedhub.storage import Storage
from feedhub.tick import Ticker

from .conftest import FeedServer, Route
from .test_daemon import rss

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
POLICY = Policy(max_backoff=86400, max_cache_delay=6 * 3600)


def no_jitter() -> float:
    return 1.0


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after((("Retry-After", "120"),), NOW) == NOW + timedelta(seconds=120)
    later = NOW + timedelta(hours=2)
    assert retry_after((("retry-after", format_datetime(later, usegmt=True)),), NOW) == later
    assert retry_after((("Retry-After", "soon"),), NOW) is None
    assert retry_after((), NOW) is None


def test_cache_hints() -> None:
    assert fresh_until((("Cache-Control", "public, max-age=7200"),), NOW) == NOW + timedelta(
        hours=2
    )
    assert fresh_until((("Cache-Control", "no-cache, max-age=7200"),), NOW) is None
    expires = format_datetime(NOW + timedelta(hours=3), usegmt=True)
    assert fresh_until((("Expires", expires),), NOW) == NOW + timedelta(hours=3)
    assert fresh_until((("Expires", "0"),), NOW) is None
    # max-age wins over Expires
    hints = (("Cache-Control", "max-age=60"), ("Expires", expires))
    assert fresh_until(hints, NOW) == NOW + timedelta(seconds=60)


def test_plan_uses_hints_within_caps() -> None:
    # Retry-After on 429/503 sets the time exactly…
    p = plan(60, NOW, 1, 429, (("Retry-After", "900"),), POLICY, no_jitter)
    assert (p.due, p.reason) == (NOW + timedelta(seconds=900), "retry-after")
    p = plan(60, NOW, 1, 503, (("Retry-After", "900"),), POLICY, no_jitter)
    assert p.reason == "retry-after"
    # …but never beyond max_backoff
    p = plan(60, NOW, 1, 429, (("Retry-After", str(30 * 86400)),), POLICY, no_jitter)
    assert p.due == NOW + timedelta(days=1)
    # Retry-After on other statuses is not a scheduling hint: plain backoff
    p = plan(60, NOW, 1, 500, (("Retry-After", "900"),), POLICY, no_jitter)
    assert (p.due, p.reason) == (NOW + timedelta(seconds=120), "backoff")
    # max-age longer than the interval pushes later, capped at max_cache_delay
    p = plan(600, NOW, 0, 200, (("Cache-Control", "max-age=3600"),), POLICY, no_jitter)
    assert (p.due, p.reason) == (NOW + timedelta(hours=1), "cache-hint")
    p = plan(600, NOW, 0, 200, (("Cache-Control", "max-age=999999"),), POLICY, no_jitter)
    assert p.due == NOW + timedelta(hours=6)
    # a shorter max-age never makes us poll more often than the interval
    p = plan(600, NOW, 0, 200, (("Cache-Control", "max-age=5"),), POLICY, no_jitter)
    assert (p.due, p.reason) == (NOW + timedelta(seconds=600), "interval")


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff(60, n, 3600).total_seconds() for n in range(8)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert backoff(7200, 3, 3600).total_seconds() == 7200  # never below the interval
    p = plan(60, NOW, 40, None, (), POLICY)
    assert p.due <= NOW + timedelta(days=1, hours=3)  # jitter ±10 % of the cap


def test_host_of() -> None:
    assert host_of("https://Example.org:8443/feed") == "example.org"
    assert host_of("demo/feeds/world.rss") is None
    assert host_of("file:///srv/x.xml") is None
    assert host_of(None) is None


def test_limited_respects_global_and_per_host_limits() -> None:
    tasks = (
        [("a", i) for i in range(6)] + [("b", i) for i in range(6)] + [(None, i) for i in range(3)]
    )
    lock = threading.Lock()
    running: dict[str | None, int] = {}
    peak: dict[str | None, int] = {}
    total = [0, 0]

    def work(task: tuple[str | None, int]) -> int:
        host = task[0]
        with lock:
            running[host] = running.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), running[host])
            total[0] += 1
            total[1] = max(total[1], total[0])
        time.sleep(0.02)
        with lock:
            running[host] -= 1
            total[0] -= 1
        return task[1]

    out = list(limited(tasks, work, lambda t: t[0], workers=4, per_host=2))
    assert sorted(i for i, _, _ in out) == list(range(len(tasks)))
    assert all(r == t[1] for _, t, r in out)
    assert peak["a"] <= 2 and peak["b"] <= 2 and total[1] <= 4


def test_limited_skips_a_blocked_host_and_stops() -> None:
    blocked: set[str] = set()
    seen = []
    for _, task, result in limited(
        ["x1", "x2", "x3", "y1"],
        lambda t: t,
        lambda t: t[0],
        workers=1,
        per_host=1,
        skip=lambda t: t[0] in blocked,
    ):
        seen.append((task, result))
        if task == "x1":
            blocked.add("x")  # as a 429 would
    assert seen == [("x1", "x1"), ("x2", None), ("x3", None), ("y1", "y1")]
    out = list(limited([1, 2], lambda t: t, lambda t: None, 2, 2, stop=lambda: True))
    assert [r for _, _, r in out] == [None, None]


def test_migration_adds_counters_and_schedule(tmp_path: Path) -> None:
    from feedhub.collect import HTTPCache

    with Storage(tmp_path / "s.sqlite") as st:
        st.record_attempt("x", NOW, HTTPCache(), None, NOW)
        st.record_attempt("x", NOW, HTTPCache(), "boom", NOW)
        st.record_attempt("x", NOW, HTTPCache(), "boom", NOW)
        st.set_schedule("x", NOW + timedelta(hours=1), "retry-after", 429)
        s = st.source_state("x")
        assert (s.attempts_total, s.errors_total, s.error_count) == (3, 2, 2)
        assert (s.last_status, s.due_reason) == (429, "retry-after")
        st.defer("x", NOW + timedelta(minutes=5), "host-rate-limited")  # earlier: kept
        assert st.source_state("x").next_due == NOW + timedelta(hours=1)
        st.defer("y", NOW + timedelta(minutes=5), "host-rate-limited")  # no row yet
        assert st.source_state("y").next_due == NOW + timedelta(minutes=5)


def _write(tmp: Path, fs: FeedServer, extra: str = "") -> Path:
    path = tmp / "feedhub.yaml"
    path.write_text(
        f"""
storage: state.sqlite
output_dir: out
schedule: {{unhealthy_after: 3, max_backoff: 2h, max_cache_delay: 3h}}
{extra}
sources:
  - {{id: ok, kind: feed, url: "{fs.url("/ok.xml")}", interval: 10m}}
  - {{id: busy, kind: feed, url: "{fs.url("/busy.xml")}", interval: 10m}}
  - {{id: broken, kind: feed, url: "{fs.url("/broken.xml")}", interval: 10m}}
topics:
  - {{id: all, title: All, sources: [ok, busy, broken]}}
""",
        encoding="utf-8",
    )
    return path


def test_tick_applies_http_hints_and_marks_unhealthy(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=90)
    feed_server.routes["/ok.xml"] = Route(rss(2), headers={"Cache-Control": "max-age=7200"})
    feed_server.routes["/busy.xml"] = Route(
        b"", status=503, headers={"Retry-After": format_datetime(later, usegmt=True)}
    )
    feed_server.routes["/broken.xml"] = Route(b"oops", status=500)
    config = load_config(_write(tmp_path, feed_server))
    with Storage(config.storage_path) as storage:
        ticker = Ticker(config, storage)
        try:
            run = ticker.tick()
            assert [s.source_id for s in run.sources] == ["ok", "busy", "broken"]
            start = datetime.now(UTC)
            ok = storage.source_state("ok")
            assert ok.due_reason == "cache-hint" and ok.last_status == 200
            assert ok.next_due and ok.next_due - start > timedelta(minutes=100)  # > 10m interval
            busy = storage.source_state("busy")
            assert (busy.next_due, busy.due_reason, busy.last_status) == (later, "retry-after", 503)
            # the broken source, retried whenever due, turns unhealthy after 3 failures
            for n in range(1, 4):
                b = storage.source_state("broken")
                assert b.error_count == n and b.due_reason == "backoff" and b.last_status == 500
                storage.set_schedule("broken", start - timedelta(seconds=1), "test", None)
                ticker.tick()
            assert storage.source_state("broken").errors_total == 4
        finally:
            ticker.close()
    assert (tmp_path / "out" / "all.atom").exists()
    from .serving import feedhub

    table = feedhub("sources", "-c", str(tmp_path / "feedhub.yaml"))
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert "unhealthy" in rows["broken"] and "HTTP 500" in rows["broken"]
    assert " ok " in rows["ok"] and "[cache-hint]" in rows["ok"]
    assert "[retry-after]" in rows["busy"]
