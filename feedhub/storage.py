"""State in one SQLite file: sources (HTTP caching info, errors), items, stories.

Durability: WAL journal, ``synchronous=NORMAL`` and one transaction per source
(items and the source's new caching info commit together), so a kill -9
loses at most the source being collected, which is simply collected again.

All datetimes are stored as ISO 8601 UTC text and returned timezone-aware.
Migrations are numbered functions keyed on ``PRAGMA user_version`` (reader's
``_schema.py`` idea); opening an old file upgrades it in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .collect import HTTPCache
from .dates import format_iso, parse_date
from .dedupe.fingerprint import FP_VERSION, from_signed, to_signed
from .errors import StorageError
from .types import Article, RawItem


def _script(db: sqlite3.Connection, sql: str) -> None:
    # not executescript(): it COMMITs first, which would break the migration's transaction
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            last_attempt TEXT,
            last_success TEXT,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            next_due TEXT
        );
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            created TEXT NOT NULL
        );
        CREATE TABLE items (
            id TEXT PRIMARY KEY,
            source_id TEXT NOT NULL,
            key TEXT NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id),
            format TEXT NOT NULL,
            title TEXT NOT NULL,
            link TEXT,
            author TEXT,
            outlet TEXT,
            wire TEXT,
            published TEXT,
            updated TEXT,
            first_seen TEXT NOT NULL,
            sort_date TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]',
            image TEXT,
            content_hash TEXT NOT NULL,
            raw TEXT NOT NULL,
            html TEXT NOT NULL,
            text TEXT NOT NULL,
            fp INTEGER NOT NULL,
            fp_version INTEGER NOT NULL
        );
        CREATE INDEX items_story ON items(story_id);
        CREATE INDEX items_source ON items(source_id);
        CREATE INDEX items_sort_date ON items(sort_date);
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    """Learned boilerplate: each item's leaf-block keys and its learning group."""
    _script(
        db,
        """
        ALTER TABLE items ADD COLUMN blocks TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE items ADD COLUMN learn_group TEXT NOT NULL DEFAULT '';
        CREATE INDEX items_learn ON items(source_id, learn_group, sort_date)
        """,
    )


def _v3(db: sqlite3.Connection) -> None:
    """Fingerprint version 2 (script-normalised): recompute every stored fingerprint.
    Later versions run the same recomputation (``_v5``), always with the current
    fingerprint, so a database several versions old is brought up once."""
    from .dedupe.fingerprint import fingerprint

    rows = db.execute("SELECT id, text FROM items").fetchall()
    for item_id, text in rows:
        db.execute(
            "UPDATE items SET fp = ?, fp_version = ? WHERE id = ?",
            (to_signed(fingerprint(text)), FP_VERSION, item_id),
        )


def _v4(db: sqlite3.Connection) -> None:
    """Scheduling: attempt/error counters (for /metrics), last HTTP status, why next_due."""
    _script(
        db,
        """
        ALTER TABLE sources ADD COLUMN attempts_total INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN errors_total INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN last_status INTEGER;
        ALTER TABLE sources ADD COLUMN due_reason TEXT
        """,
    )


def _v5(db: sqlite3.Connection) -> None:
    """Fingerprint version 3 (vectorised shingle hash): recompute every stored one."""
    if db.execute("SELECT 1 FROM items WHERE fp_version != ? LIMIT 1", (FP_VERSION,)).fetchone():
        _v3(db)


def _v6(db: sqlite3.Connection) -> None:
    """Local folders: the stat of each stored file, so unchanged files are not re-read."""
    _script(
        db,
        """
        CREATE TABLE local_files (
            source_id TEXT NOT NULL,
            key TEXT NOT NULL,
            mtime_ns INTEGER NOT NULL,
            size INTEGER NOT NULL,
            recorded_ns INTEGER NOT NULL,
            reading TEXT NOT NULL,
            PRIMARY KEY (source_id, key)
        ) WITHOUT ROWID
        """,
    )


def _v7(db: sqlite3.Connection) -> None:
    """Feeds: the hash of the last body that parsed (same bytes again: not parsed)."""
    _script(db, "ALTER TABLE sources ADD COLUMN body_hash TEXT")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
]


@dataclass(frozen=True, slots=True)
class SourceState:
    id: str
    cache: HTTPCache = HTTPCache()
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    next_due: datetime | None = None
    items: int = 0
    attempts_total: int = 0
    errors_total: int = 0
    last_status: int | None = None
    due_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the dedupe stage needs of a stored item."""

    item_id: str
    story_id: str
    fp: int
    sort_date: datetime
    source_id: str


def raw_from_json(source_id: str, key: str, data: str) -> RawItem:
    d = json.loads(data)
    return RawItem(
        source_id=source_id,
        key=key,
        format=d["format"],
        title=d["title"],
        content=d["content"],
        content_type=d["content_type"],
        link=d["link"],
        author=d["author"],
        outlet=d["outlet"],
        published=parse_date(d["published"]),
        updated=parse_date(d["updated"]),
        categories=tuple(d["categories"]),
        image=d["image"],
    )


def raw_to_json(raw: RawItem) -> str:
    return json.dumps(
        {
            "format": raw.format,
            "title": raw.title,
            "content": raw.content,
            "content_type": raw.content_type,
            "link": raw.link,
            "author": raw.author,
            "outlet": raw.outlet,
            "published": format_iso(raw.published),
            "updated": format_iso(raw.updated),
            "categories": list(raw.categories),
            "image": raw.image,
        },
        ensure_ascii=False,
    )


# (article, raw item, story id, first_seen, sort_date): one row of Storage.put_items
ItemRow = tuple[Article, RawItem, str, datetime, datetime]

# Insert an item, or update everything but its identity (id, source_id, key) and
# first_seen; parameters in column order.
_UPSERT_ITEM = """INSERT INTO items (id, source_id, key, story_id, format, title, link, author,
       outlet, wire, published, updated, first_seen, sort_date, categories, image,
       content_hash, raw, html, text, fp, fp_version, blocks, learn_group)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT(id) DO UPDATE SET
       format = excluded.format, title = excluded.title, link = excluded.link,
       author = excluded.author, outlet = excluded.outlet, wire = excluded.wire,
       published = excluded.published, updated = excluded.updated,
       sort_date = excluded.sort_date, categories = excluded.categories,
       image = excluded.image, content_hash = excluded.content_hash, raw = excluded.raw,
       html = excluded.html, text = excluded.text, story_id = excluded.story_id,
       fp = excluded.fp, fp_version = excluded.fp_version, blocks = excluded.blocks,
       learn_group = excluded.learn_group"""


# What story_members reads of an item, by position (see there).
_MEMBER_COLUMNS = (
    "id, source_id, key, format, title, html, text, fp, link, author, outlet, wire, "
    "published, updated, categories, image, content_hash, blocks, learn_group, "
    "first_seen, story_id"
)


class Storage:
    """The SQLite DAO.  Any method can raise :class:`~feedhub.errors.StorageError`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: the daemon uses the connection from the scheduler thread,
            # one job at a time (max_instances=1).
            self.db = sqlite3.connect(
                path, isolation_level=None, timeout=30, check_same_thread=False
            )
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"{path}: cannot open the state database: {exc}") from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(f"{self.path}: written by a newer feedhub (schema {version})")
        for i in range(version, len(MIGRATIONS)):
            with self.transaction():
                MIGRATIONS[i](self.db)
                self.db.execute(f"PRAGMA user_version = {i + 1}")

    def in_memory_copy(self) -> Storage:
        """A private in-memory copy: what-if work (``rebuild --dry-run``) touches no file."""
        copy = Storage.__new__(Storage)
        copy.path = Path(":memory:")
        copy.db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        copy.db.row_factory = sqlite3.Row
        self.db.backup(copy.db)
        return copy

    def raw_items(self, source_id: str) -> list[tuple[RawItem, datetime]]:
        """Every stored raw item of a source, with its first_seen (for rebuild)."""
        rows = self._q(
            "SELECT source_id, key, raw, first_seen FROM items WHERE source_id = ? "
            "ORDER BY sort_date, id",
            (source_id,),
        )
        return [
            (
                raw_from_json(r["source_id"], r["key"], r["raw"]),
                parse_date(r["first_seen"]) or datetime.min,
            )
            for r in rows
        ]

    def story_assignment(self) -> dict[str, str]:
        """item id → story id."""
        return {r["id"]: r["story_id"] for r in self._q("SELECT id, story_id FROM items")}

    def set_story(self, item_id: str, story_id: str, created: datetime) -> None:
        self._q(
            "INSERT OR IGNORE INTO stories (id, created) VALUES (?, ?)",
            (story_id, format_iso(created)),
        )
        self._q("UPDATE items SET story_id = ? WHERE id = ?", (story_id, item_id))

    def drop_empty_stories(self) -> int:
        cur = self.db.execute("DELETE FROM stories WHERE id NOT IN (SELECT story_id FROM items)")
        return cur.rowcount

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {exc}") from None

    def _q(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {exc}") from None

    # -- sources ---------------------------------------------------------
    def source_state(self, source_id: str) -> SourceState:
        rows = self._q(
            "SELECT s.*, (SELECT COUNT(*) FROM items i WHERE i.source_id = s.id) AS n "
            "FROM sources s WHERE id = ?",
            (source_id,),
        )
        if not rows:
            return SourceState(source_id)
        r = rows[0]
        return SourceState(
            id=source_id,
            cache=HTTPCache(r["etag"], r["last_modified"], r["body_hash"]),
            last_attempt=parse_date(r["last_attempt"]),
            last_success=parse_date(r["last_success"]),
            last_error=r["last_error"],
            error_count=r["error_count"],
            next_due=parse_date(r["next_due"]),
            items=r["n"],
            attempts_total=r["attempts_total"],
            errors_total=r["errors_total"],
            last_status=r["last_status"],
            due_reason=r["due_reason"],
        )

    def record_attempt(
        self,
        source_id: str,
        now: datetime,
        cache: HTTPCache,
        error: str | None,
        next_due: datetime | None,
        failed: bool | None = None,
    ) -> None:
        """Store the outcome of one collection (call inside the source's transaction).

        ``error`` is the text to show (it may name one bad file of a folder that was
        otherwise read); ``failed`` says whether the attempt as a whole failed, which is
        what the consecutive-error count, backoff and health go by.  It defaults to
        "there is an error text".
        """
        failed = error is not None if failed is None else failed
        self._q(
            """INSERT INTO sources (id, etag, last_modified, body_hash, last_attempt,
                                    last_success, last_error, error_count, next_due,
                                    attempts_total, errors_total, last_status, due_reason)
               VALUES (:id, :etag, :lm, :bh, :now, CASE WHEN :failed THEN NULL ELSE :now END, :err,
                       CASE WHEN :failed THEN 1 ELSE 0 END, :due, 1,
                       CASE WHEN :err IS NULL THEN 0 ELSE 1 END, NULL, NULL)
               ON CONFLICT(id) DO UPDATE SET
                 etag = :etag, last_modified = :lm, body_hash = :bh, last_attempt = :now,
                 last_success = CASE WHEN :failed THEN last_success ELSE :now END,
                 last_error = :err,
                 error_count = CASE WHEN :failed THEN error_count + 1 ELSE 0 END,
                 next_due = :due, attempts_total = attempts_total + 1,
                 errors_total = errors_total + CASE WHEN :err IS NULL THEN 0 ELSE 1 END,
                 last_status = NULL, due_reason = NULL""",
            {
                "id": source_id,
                "etag": cache.etag,
                "lm": cache.last_modified,
                "bh": cache.body_hash,
                "now": format_iso(now),
                "err": error,
                "due": format_iso(next_due),
                "failed": failed,
            },
        )

    def set_schedule(
        self, source_id: str, next_due: datetime, reason: str, status: int | None
    ) -> None:
        """After record_attempt: the scheduler's next_due (HTTP hints), why, and the status."""
        self._q(
            "UPDATE sources SET next_due = ?, due_reason = ?, last_status = ? WHERE id = ?",
            (format_iso(next_due), reason, status, source_id),
        )

    def defer(self, source_id: str, until: datetime, reason: str) -> None:
        """Make a source not due before ``until`` (a later next_due is kept)."""
        current = self.source_state(source_id).next_due
        if current is not None and current >= until:
            return
        self._q(
            """INSERT INTO sources (id, next_due, due_reason) VALUES (?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET next_due = excluded.next_due,
                                             due_reason = excluded.due_reason""",
            (source_id, format_iso(until), reason),
        )

    # -- local files -------------------------------------------------------
    def file_stats(self, source_id: str) -> dict[str, tuple[int, int, int, str]]:
        rows = self._q(
            "SELECT key, mtime_ns, size, recorded_ns, reading FROM local_files WHERE source_id = ?",
            (source_id,),
        )
        return {r["key"]: (r["mtime_ns"], r["size"], r["recorded_ns"], r["reading"]) for r in rows}

    def record_files(
        self, source_id: str, files: Iterable[tuple[str, int, int, int]], reading: str
    ) -> None:
        """Remember files' stats, taken when they were read, and how the folder was
        read (call inside the transaction that stored their items)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO local_files VALUES (?, ?, ?, ?, ?, ?)",
            [(source_id, key, mtime, size, taken, reading) for key, mtime, size, taken in files],
        )

    # -- items -----------------------------------------------------------
    def content_hashes(self, source_id: str) -> dict[str, str]:
        rows = self._q("SELECT id, content_hash FROM items WHERE source_id = ?", (source_id,))
        return {r["id"]: r["content_hash"] for r in rows}

    def candidates(self, since: datetime, until: datetime) -> list[Candidate]:
        rows = self._q(
            "SELECT id, story_id, fp, sort_date, source_id FROM items "
            "WHERE sort_date BETWEEN ? AND ? AND fp_version = ?",
            (format_iso(since), format_iso(until), FP_VERSION),
        )
        return [
            Candidate(
                r["id"],
                r["story_id"],
                from_signed(r["fp"]),
                parse_date(r["sort_date"]) or since,
                r["source_id"],
            )
            for r in rows
        ]

    def recent_blocks(
        self, source_id: str, group: str, limit: int, exclude: frozenset[str] = frozenset()
    ) -> list[tuple[str, tuple[str, ...]]]:
        """The group's ``limit`` most recent stored articles as (sort key, block keys)."""
        rows = self._q(
            "SELECT id, sort_date, published, blocks FROM items WHERE source_id = ? AND "
            "learn_group = ? ORDER BY sort_date DESC, id DESC LIMIT ?",
            (source_id, group, limit + len(exclude)),
        )
        out = [
            (f"{r['published'] or ''}\0{r['id']}", tuple(json.loads(r["blocks"])))
            for r in rows
            if r["id"] not in exclude
        ]
        return out[:limit]

    def texts_of(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """item id → (text, title) of the given items (those that exist)."""
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(ids), 500):  # SQLite caps bound parameters per statement
            chunk = ids[i : i + 500]
            rows = self._q(
                f"SELECT id, text, title FROM items WHERE id IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            out.update((r["id"], (r["text"], r["title"])) for r in rows)
        return out

    def stories_of(self, ids: list[str]) -> dict[str, str]:
        """item id → story id of the given items (those that exist)."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):  # SQLite caps bound parameters per statement
            chunk = ids[i : i + 500]
            rows = self._q(
                f"SELECT id, story_id FROM items WHERE id IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            out.update((r["id"], r["story_id"]) for r in rows)
        return out

    def story_of(self, item_id: str) -> str | None:
        rows = self._q("SELECT story_id FROM items WHERE id = ?", (item_id,))
        return rows[0]["story_id"] if rows else None

    def put_item(
        self,
        article: Article,
        raw: RawItem,
        story_id: str,
        first_seen: datetime,
        sort_date: datetime,
    ) -> None:
        """Insert or update one item (call inside a transaction)."""
        self.put_items([(article, raw, story_id, first_seen, sort_date)])

    def put_items(self, rows: Sequence[ItemRow]) -> None:
        """Insert or update items, in order (call inside a transaction): the same rows as
        :meth:`put_item` one by one, written by one prepared statement per table
        (``executemany``) instead of two statements and a parameter dict per item.

        All stories go first: an item row must find its story (foreign key).  Ids may
        repeat (a feed with duplicate guids): items are upserted in order, so the last
        one wins, as it does one by one."""
        iso: dict[datetime, str | None] = {}  # a batch shares first_seen and many dates

        def fmt(value: datetime | None) -> str | None:
            if value is None:
                return None
            text = iso.get(value)
            if text is None:
                text = iso[value] = format_iso(value)
            return text

        try:
            self.db.executemany(
                "INSERT OR IGNORE INTO stories (id, created) VALUES (?, ?)",
                [(story_id, fmt(first_seen)) for _, _, story_id, first_seen, _ in rows],
            )
            self.db.executemany(
                _UPSERT_ITEM,
                [
                    (
                        a.id,
                        a.source_id,
                        a.key,
                        story_id,
                        a.format,
                        a.title,
                        a.link,
                        a.author,
                        a.outlet,
                        a.wire,
                        fmt(a.published),
                        fmt(a.updated),
                        fmt(first_seen),
                        fmt(sort_date),
                        json.dumps(list(a.categories), ensure_ascii=False),
                        a.image,
                        a.content_hash,
                        raw_to_json(raw),
                        a.html,
                        a.text,
                        to_signed(a.fingerprint),
                        FP_VERSION,
                        json.dumps(list(a.blocks)),
                        a.learn_group,
                    )
                    for a, raw, story_id, first_seen, sort_date in rows
                ],
            )
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {exc}") from None

    def _article(self, r: sqlite3.Row) -> Article:
        return Article(
            id=r["id"],
            source_id=r["source_id"],
            key=r["key"],
            format=r["format"],
            title=r["title"],
            html=r["html"],
            text=r["text"],
            fingerprint=from_signed(r["fp"]),
            link=r["link"],
            author=r["author"],
            outlet=r["outlet"],
            wire=r["wire"],
            published=parse_date(r["published"]),
            updated=parse_date(r["updated"]),
            categories=tuple(json.loads(r["categories"])),
            image=r["image"],
            content_hash=r["content_hash"],
            blocks=tuple(json.loads(r["blocks"])),
            learn_group=r["learn_group"],
        )

    def story_members(
        self, source_ids: tuple[str, ...]
    ) -> dict[str, list[tuple[Article, datetime]]]:
        """Every story with a member from ``source_ids`` → all its members with first_seen,
        oldest first (sort date, then id: deterministic on every run).

        The articles are :meth:`_article`'s, read without the columns they do not use
        (``raw`` is a second copy of the content), as plain tuples, and with each
        distinct date text and empty list parsed once."""
        marks = ",".join("?" * len(source_ids))
        try:
            rows = self.db.execute(
                f"""SELECT {_MEMBER_COLUMNS} FROM items WHERE story_id IN
                      (SELECT story_id FROM items WHERE source_id IN ({marks}))
                    ORDER BY sort_date, id""",
                source_ids,
            )
            rows.row_factory = None  # tuples, not sqlite3.Row
            fetched = rows.fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {exc}") from None
        dates: dict[str | None, datetime | None] = {}

        def date(text: str | None) -> datetime | None:
            try:
                return dates[text]
            except KeyError:
                value = dates[text] = parse_date(text)
                return value

        def strings(text: str) -> tuple[str, ...]:
            return () if text == "[]" else tuple(json.loads(text))

        out: dict[str, list[tuple[Article, datetime]]] = {}
        for r in fetched:
            first_seen = date(r[19])
            assert first_seen is not None
            article = Article(
                id=r[0],
                source_id=r[1],
                key=r[2],
                format=r[3],
                title=r[4],
                html=r[5],
                text=r[6],
                fingerprint=from_signed(r[7]),
                link=r[8],
                author=r[9],
                outlet=r[10],
                wire=r[11],
                published=date(r[12]),
                updated=date(r[13]),
                categories=strings(r[14]),
                image=r[15],
                content_hash=r[16],
                blocks=strings(r[17]),
                learn_group=r[18],
            )
            out.setdefault(r[20], []).append((article, first_seen))
        return out

    def counts(self) -> tuple[int, int]:
        r = self._q("SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM stories)")[0]
        return int(r[0]), int(r[1])
