"""The HTTP side: a plain ASGI application (no framework) run by uvicorn.

Routes (GET and HEAD only)::

    /                  index page: every topic, with <link rel="alternate"> auto-discovery
    /<topic>.atom      the topic's Atom feed (and /<topic>.json when json_feed is on)
    /opml              OPML 2.0 list of the topic feeds
    /healthz           200 while the storage answers (and, in the daemon, the scheduler ticks)
    /metrics           Prometheus text format

Only the files named by the config are served: the route table maps exact
request paths to known files, and a request path is never joined to a
directory, so ``/../x``, ``/%2e%2e/x`` or ``//etc/passwd`` simply match no
route (404).  A topic file is opened with ``O_NOFOLLOW`` and must be a regular
file, so a symlink planted in the output directory is not followed either.

Feeds are cached in memory per file version (inode, mtime, size; one ``lstat``
per request checks it): the bytes, their gzip form, a strong ETag (SHA-256 of
the bytes; the gzip form's tag has a ``-gz`` suffix), Last-Modified (the
file's mtime).  ``If-None-Match`` (else ``If-Modified-Since``) answers 304, so
polling readers cost a stat and a few header bytes.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
import json
import os
import stat
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from .config import Config
from .schedule import http_date

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
OPML_TYPE = "text/x-opml; charset=utf-8"
JSON_TYPE = "application/json"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_COMMON: Headers = [(b"x-content-type-options", b"nosniff")]


class Heartbeat:
    """The scheduler's pulse, read by ``/healthz`` under ``daemon --serve``."""

    def __init__(self, stale_after: float) -> None:
        self.stale_after = stale_after
        self._last: float | None = None
        self.last_wall: float | None = None
        self._lock = threading.Lock()

    def beat(self) -> None:
        with self._lock:
            self._last = time.monotonic()
            self.last_wall = time.time()

    def age(self) -> float | None:
        with self._lock:
            return None if self._last is None else time.monotonic() - self._last

    def fresh(self) -> bool:
        age = self.age()
        return age is not None and age <= self.stale_after


@dataclass(frozen=True, slots=True)
class Version:
    key: tuple[int, int, int]  # inode, mtime_ns, size
    body: bytes
    gz: bytes
    etag: str
    etag_gz: str
    mtime: int  # whole seconds: what Last-Modified can say
    last_modified: str
    entries: int


class FeedFile:
    """One known output file; reloaded when its inode, mtime or size changes."""

    def __init__(self, path: Path, content_type: str, kind: str) -> None:
        self.path = path
        self.content_type = content_type
        self.kind = kind  # atom | json
        self._version: Version | None = None

    def current(self) -> Version | None:
        try:
            st = os.lstat(self.path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None  # a symlink, a directory, a device: never served
        v = self._version
        if v is not None and v.key == (st.st_ino, st.st_mtime_ns, st.st_size):
            return v
        return self._load()

    def _load(self) -> Version | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            body = f.read()
        digest = hashlib.sha256(body).hexdigest()[:32]
        mtime = int(st.st_mtime)
        if self.kind == "atom":
            entries = body.count(b"<entry>") + body.count(b"<entry ")
        else:
            try:
                entries = len(json.loads(body).get("items", []))
            except (ValueError, AttributeError):
                entries = 0
        v = Version(
            key=(st.st_ino, st.st_mtime_ns, st.st_size),
            body=body,
            gz=gzip.compress(body, compresslevel=6, mtime=0),
            etag=f'"{digest}"',
            etag_gz=f'"{digest}-gz"',
            mtime=mtime,
            last_modified=formatdate(mtime, usegmt=True),
            entries=entries,
        )
        self._version = v
        return v


def accepts_gzip(value: str) -> bool:
    """Accept-Encoding allows gzip (explicitly or via ``*``) with a q above 0."""
    star: bool | None = None
    for part in value.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, val = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)


def etag_matches(header: str, tags: tuple[str, ...]) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    if header.strip() == "*":
        return True
    for candidate in header.split(","):
        c = candidate.strip()
        if c.startswith("W/"):
            c = c[2:]
        if c in tags:
            return True
    return False


def _index_page(config: Config) -> bytes:
    head, items = [], []
    for t in config.topics:
        title = html.escape(t.title, quote=True)
        head.append(
            f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{t.id}.atom">'
        )
        extra = ""
        if config.json_feed:
            head.append(
                f'<link rel="alternate" type="application/feed+json" title="{title}" '
                f'href="{t.id}.json">'
            )
            extra = f' · <a href="{t.id}.json">JSON Feed</a>'
        items.append(f'<li><a href="{t.id}.atom">{title}</a>{extra}</li>')
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>feedhub</title>\n" + "\n".join(head) + "\n</head>\n<body>\n"
        "<h1>feedhub</h1>\n<p>One feed per topic, one entry per story.</p>\n<ul>\n"
        + "\n".join(items)
        + '\n</ul>\n<p><a href="opml">OPML</a> · <a href="metrics">metrics</a> · '
        '<a href="healthz">health</a></p>\n</body>\n</html>\n'
    )
    return page.encode("utf-8")


class App:
    """The ASGI application for one config."""

    def __init__(self, config: Config, heartbeat: Heartbeat | None = None) -> None:
        from .opml import export_opml

        self.config = config
        self.heartbeat = heartbeat
        self.files: dict[str, FeedFile] = {}
        self.topic_of: dict[str, str] = {}
        out = config.output_path
        for t in config.topics:
            route = f"/{t.id}.atom"
            self.files[route] = FeedFile(out / f"{t.id}.atom", ATOM_TYPE, "atom")
            self.topic_of[route] = t.id
            if config.json_feed:
                route = f"/{t.id}.json"
                self.files[route] = FeedFile(out / f"{t.id}.json", JSON_FEED_TYPE, "json")
                self.topic_of[route] = t.id
        self.index = _index_page(config)
        self.opml = export_opml(config)
        self.responses: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # uvicorn runs with lifespan off; no websockets here
            return
        method = scope["method"]
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await self._send(send, 405, [(b"allow", b"GET, HEAD")], b"method not allowed\n", head)
            return
        path: str = scope["path"]
        feed = self.files.get(path)
        if feed is not None:
            await self._feed(scope, send, feed, head)
        elif path == "/":
            await self._send(send, 200, self._ctype(HTML_TYPE), self.index, head)
        elif path == "/healthz":
            status, body = await self._health()
            await self._send(send, status, self._ctype(JSON_TYPE, no_store=True), body, head)
        elif path == "/metrics":
            text = await asyncio.to_thread(self.metrics_text, dict(self.responses))
            ctype = self._ctype("text/plain; version=0.0.4; charset=utf-8", no_store=True)
            await self._send(send, 200, ctype, text.encode("utf-8"), head)
        elif path == "/opml":
            await self._send(send, 200, self._ctype(OPML_TYPE), self.opml, head)
        else:
            ctype = self._ctype("text/plain; charset=utf-8")
            await self._send(send, 404, ctype, b"not found\n", head)

    @staticmethod
    def _ctype(value: str, no_store: bool = False) -> Headers:
        headers = [(b"content-type", value.encode())]
        if no_store:
            headers.append((b"cache-control", b"no-store"))
        return headers

    async def _send(
        self, send: Send, status: int, headers: Headers, body: bytes, head: bool
    ) -> None:
        self.responses[status] += 1
        headers = [*headers, *_COMMON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _feed(self, scope: Scope, send: Send, feed: FeedFile, head: bool) -> None:
        v = feed.current()
        if v is None:
            await self._send(
                send, 404, self._ctype("text/plain; charset=utf-8"), b"not written yet\n", head
            )
            return
        inm = ims = ae = None
        for k, val in scope["headers"]:
            if k == b"if-none-match":
                inm = val.decode("latin-1")
            elif k == b"if-modified-since":
                ims = val.decode("latin-1")
            elif k == b"accept-encoding":
                ae = val.decode("latin-1")
        use_gz = ae is not None and accepts_gzip(ae)
        etag = v.etag_gz if use_gz else v.etag
        headers: Headers = [
            (b"etag", etag.encode()),
            (b"last-modified", v.last_modified.encode()),
            (b"cache-control", b"public, no-cache"),
            (b"vary", b"Accept-Encoding"),
        ]
        if inm is not None:
            not_modified = etag_matches(inm, (v.etag, v.etag_gz))
        elif ims is not None:
            since = http_date(ims)
            not_modified = since is not None and v.mtime <= since.timestamp()
        else:
            not_modified = False
        if not_modified:
            self.responses[304] += 1
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-type", feed.content_type.encode()))
        if use_gz:
            headers.append((b"content-encoding", b"gzip"))
        await self._send(send, 200, headers, v.gz if use_gz else v.body, head)

    async def _health(self) -> tuple[int, bytes]:
        ok_db, detail = await asyncio.to_thread(check_storage, self.config.storage_path)
        report: dict[str, object] = {"storage": detail}
        ok = ok_db
        if self.heartbeat is not None:
            age = self.heartbeat.age()
            fresh = self.heartbeat.fresh()
            report["scheduler"] = {
                "last_tick_age_seconds": None if age is None else round(age, 3),
                "stale_after_seconds": self.heartbeat.stale_after,
                "ok": fresh,
            }
            ok = ok and fresh
        report["status"] = "ok" if ok else "unavailable"
        return (200 if ok else 503), (json.dumps(report) + "\n").encode()

    def metrics_text(self, responses: dict[int, int] | None = None) -> str:
        from . import metrics

        families = [metrics.info_family()]
        try:
            db = metrics.connect_ro(self.config.storage_path)
            try:
                families += metrics.storage_families(self.config, db, datetime.now(UTC))
            finally:
                db.close()
            up = 1
        except Exception:  # the scrape still answers; feedhub_storage_up says why it is short
            up = 0
        storage_up = metrics.Family(
            "feedhub_storage_up", "gauge", "1 when the state database could be read."
        )
        storage_up.add(up)
        families.append(storage_up)
        entries = metrics.Family(
            "feedhub_topic_feed_entries", "gauge", "Entries in the topic's published feed file."
        )
        modified = metrics.Family(
            "feedhub_topic_feed_last_modified_timestamp_seconds",
            "gauge",
            "Unix mtime of the topic's published feed file.",
        )
        for route, feed in self.files.items():
            v = feed.current()
            if v is None:
                continue
            labels = {"topic": self.topic_of[route], "format": feed.kind}
            entries.add(v.entries, **labels)
            modified.add(v.mtime, **labels)
        families += [entries, modified]
        if self.heartbeat is not None:
            tick = metrics.Family(
                "feedhub_scheduler_last_tick_timestamp_seconds",
                "gauge",
                "Unix time the daemon's scheduler last ticked (absent: not yet).",
            )
            if self.heartbeat.last_wall is not None:
                tick.add(self.heartbeat.last_wall)
            families.append(tick)
        families.append(metrics.responses_family(responses or {}))
        return metrics.render(families)


def check_storage(path: Path) -> tuple[bool, str]:
    """Open the state database read-only and run a trivial query."""
    from .metrics import connect_ro

    try:
        db = connect_ro(path)
        try:
            db.execute("SELECT COUNT(*) FROM sources").fetchone()
        finally:
            db.close()
    except Exception as exc:  # any failure means "not healthy", reported in the body
        return False, f"error: {type(exc).__name__}: {exc}"
    return True, "ok"
