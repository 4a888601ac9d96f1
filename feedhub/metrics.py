"""``/metrics``: Prometheus text exposition (format 0.0.4) from the database state.

Everything is read from the SQLite file through a read-only connection (the
server never writes), so ``feedhub serve`` next to a running daemon reports
what the daemon stored.  Series are ``feedhub_``-prefixed; per-source series
cover the sources of the config (a source removed from the config disappears).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__
from .config import Config
from .dates import parse_date

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def connect_ro(path: Path, timeout: float = 2.0) -> sqlite3.Connection:
    """A read-only connection (never creates the file)."""
    if not path.is_file():
        raise sqlite3.OperationalError(f"{path}: no such database file")
    db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=timeout)
    db.row_factory = sqlite3.Row
    return db


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass
class Family:
    name: str
    kind: str  # gauge | counter
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, value))

    def render(self) -> str:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        for labels, value in self.samples:
            if labels:
                inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
                lines.append(f"{self.name}{{{inner}}} {_num(value)}")
            else:
                lines.append(f"{self.name} {_num(value)}")
        return "\n".join(lines) + "\n"


def render(families: Iterable[Family]) -> str:
    return "".join(f.render() for f in families)


def _ts(value: str | None) -> float | None:
    dt = parse_date(value)
    return dt.timestamp() if dt else None


def storage_families(config: Config, db: sqlite3.Connection, now: datetime) -> list[Family]:
    """Items, stories, per-topic stories and per-source state, from one read transaction."""
    items = Family("feedhub_items", "gauge", "Stored items (articles), all sources.")
    stories = Family("feedhub_stories", "gauge", "Stories (groups of duplicate items).")
    topic_stories = Family(
        "feedhub_topic_stories",
        "gauge",
        "Stories with a copy from one of the topic's sources (before filters and max_entries).",
    )
    src_items = Family("feedhub_source_items", "gauge", "Stored items per source.")
    success = Family(
        "feedhub_source_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the source's last successful collection (absent: never).",
    )
    attempt = Family(
        "feedhub_source_last_attempt_timestamp_seconds",
        "gauge",
        "Unix time of the source's last collection attempt (absent: never).",
    )
    stale = Family(
        "feedhub_source_staleness_seconds",
        "gauge",
        "Seconds since the source's last successful collection (absent: never succeeded).",
    )
    due = Family(
        "feedhub_source_next_due_timestamp_seconds",
        "gauge",
        "Unix time the source is next due (absent: due now).",
    )
    consecutive = Family(
        "feedhub_source_consecutive_errors", "gauge", "Consecutive failed attempts of the source."
    )
    unhealthy = Family(
        "feedhub_source_unhealthy",
        "gauge",
        "1 when the source failed at least schedule.unhealthy_after times in a row.",
    )
    attempts = Family(
        "feedhub_source_fetch_attempts_total", "counter", "Collection attempts of the source."
    )
    errors = Family(
        "feedhub_source_fetch_errors_total", "counter", "Failed collection attempts of the source."
    )
    db.execute("BEGIN")
    try:
        n_items, n_stories = db.execute(
            "SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM stories)"
        ).fetchone()
        per_source = dict(
            db.execute("SELECT source_id, COUNT(*) FROM items GROUP BY source_id").fetchall()
        )
        rows = {r["id"]: r for r in db.execute("SELECT * FROM sources").fetchall()}
        for topic in config.topics:
            marks = ",".join("?" * len(topic.sources))
            (count,) = db.execute(
                f"SELECT COUNT(DISTINCT story_id) FROM items WHERE source_id IN ({marks})",
                topic.sources,
            ).fetchone()
            topic_stories.add(count, topic=topic.id)
    finally:
        db.execute("ROLLBACK")
    items.add(n_items)
    stories.add(n_stories)
    threshold = config.schedule.unhealthy_after
    for source in config.sources:
        sid = source.id
        src_items.add(per_source.get(sid, 0), source=sid)
        row = rows.get(sid)
        keys = set(row.keys()) if row is not None else set()
        ok = _ts(row["last_success"]) if row is not None else None
        if ok is not None:
            success.add(ok, source=sid)
            stale.add(max(0.0, now.timestamp() - ok), source=sid)
        tried = _ts(row["last_attempt"]) if row is not None else None
        if tried is not None:
            attempt.add(tried, source=sid)
        nd = _ts(row["next_due"]) if row is not None else None
        if nd is not None:
            due.add(nd, source=sid)
        count = int(row["error_count"]) if row is not None else 0
        consecutive.add(count, source=sid)
        unhealthy.add(1 if count >= threshold else 0, source=sid)
        tries = int(row["attempts_total"]) if row is not None and "attempts_total" in keys else 0
        fails = int(row["errors_total"]) if row is not None and "errors_total" in keys else 0
        attempts.add(tries, source=sid)
        errors.add(fails, source=sid)
    return [
        items,
        stories,
        topic_stories,
        src_items,
        success,
        attempt,
        stale,
        due,
        consecutive,
        unhealthy,
        attempts,
        errors,
    ]


def info_family() -> Family:
    f = Family("feedhub_build_info", "gauge", "Always 1; the version label says which feedhub.")
    f.add(1, version=__version__)
    return f


def responses_family(counts: Mapping[int, int]) -> Family:
    f = Family(
        "feedhub_http_responses_total", "counter", "HTTP responses sent by this process, by status."
    )
    for code in sorted(counts):
        f.add(counts[code], code=str(code))
    return f
