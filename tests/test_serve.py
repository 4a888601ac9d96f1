"""``feedhub serve`` and ``feedhub daemon --serve`` as real subprocesses over real HTTP."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from .conftest import FeedServer, Route
from .serving import feedhub, start, wait_for
from .test_daemon import rss

TRAVERSALS = [
    "/../feedhub.yaml",
    "/%2e%2e/feedhub.yaml",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/..%2ffeedhub.yaml",
    "/china.atom/../../feedhub.yaml",
    "//etc/passwd",
    "/etc/passwd",
    "/%2fetc%2fpasswd",
    "/feedhub.yaml",
    "/demo/feeds/world.rss",
    "/feedhub.sqlite",
    "/china.atom/",
    "/china",
    "/.china.atom.tmp",
    "/secret.atom",
]


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == name:
            return float(value)
    return None


def test_serve_demo_config(demo_tree: Path) -> None:
    config = str(demo_tree)
    ran = feedhub("run", "--once", "-c", config)
    assert ran.returncode == 0, ran.stderr
    feeds = demo_tree.parent.parent / "var" / "feeds"
    # a symlink planted in the output folder, pointing at a file outside it
    (feeds / "secret.atom").symlink_to(demo_tree)
    srv = start(demo_tree.parent, "serve", "-c", config, "--port", "0")
    try:
        # the index page: every topic, linked and auto-discoverable, HTML-escaped
        r = srv.request("/")
        assert r.status == 200 and r.header("content-type") == "text/html; charset=utf-8"
        page = r.body.decode()
        head = page.split("</head>")[0]
        for topic in ("china", "world-en"):
            assert f'<a href="{topic}.atom">' in page
            assert re.search(
                rf'<link rel="alternate" type="application/atom\+xml" title="[^"<>]+" '
                rf'href="{topic}.atom">',
                head,
            ), head
        assert "World &amp; Science (English) · merged" in page

        # a topic feed: the file's bytes, a strong ETag (SHA-256 of them), Last-Modified
        body = (feeds / "china.atom").read_bytes()
        r = srv.request("/china.atom")
        assert r.status == 200 and r.body == body
        assert r.header("content-type") == "application/atom+xml; charset=utf-8"
        etag, last_modified = r.header("etag"), r.header("last-modified")
        assert etag == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        assert not etag.startswith("W/")
        assert last_modified and last_modified.endswith(" GMT")
        assert len(feedparser.parse(r.body).entries) > 0

        r = srv.request("/china.atom", {"If-None-Match": etag})
        assert r.status == 304 and r.body == b"" and r.header("etag") == etag
        r = srv.request("/china.atom", {"If-None-Match": f'"nope", W/{etag}'})
        assert r.status == 304
        r = srv.request("/china.atom", {"If-None-Match": '"nope"'})
        assert r.status == 200 and r.body == body
        r = srv.request("/china.atom", {"If-Modified-Since": last_modified})
        assert r.status == 304
        r = srv.request("/china.atom", {"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"})
        assert r.status == 200

        # gzip when accepted (its own strong tag, which revalidates too)
        r = srv.request("/china.atom", {"Accept-Encoding": "br, gzip"})
        assert r.status == 200 and r.header("content-encoding") == "gzip"
        assert gzip.decompress(r.body) == body and r.header("vary") == "Accept-Encoding"
        r2 = srv.request(
            "/china.atom", {"Accept-Encoding": "gzip", "If-None-Match": r.header("etag") or ""}
        )
        assert r2.status == 304
        r = srv.request("/china.atom", {"Accept-Encoding": "gzip;q=0, identity"})
        assert r.header("content-encoding") is None and r.body == body

        r = srv.request("/china.atom", method="HEAD")
        assert r.status == 200 and r.body == b"" and r.header("content-length") == str(len(body))
        assert srv.request("/china.atom", method="POST").status == 405

        # health and metrics
        r = srv.request("/healthz")
        assert r.status == 200 and json.loads(r.body)["status"] == "ok"
        r = srv.request("/metrics")
        assert r.status == 200 and (r.header("content-type") or "").startswith("text/plain")
        text = r.body.decode()
        assert metric(text, "feedhub_items") == 30
        assert 'feedhub_topic_stories{topic="china"}' in text
        assert 'feedhub_source_last_success_timestamp_seconds{source="lantern"}' in text
        assert 'feedhub_source_staleness_seconds{source="dongan"}' in text
        assert 'feedhub_source_fetch_errors_total{source="dongan"} 0' in text
        assert "# TYPE feedhub_source_fetch_errors_total counter" in text
        for line in text.splitlines():
            assert line.startswith(("#", "feedhub_")), line

        # OPML 2.0 export of the topic feeds
        r = srv.request("/opml")
        root = ET.fromstring(r.body)
        assert root.tag == "opml" and root.get("version") == "2.0"
        urls = [o.get("xmlUrl") for o in root.iter("outline")]
        assert urls == ["http://localhost:8080/china.atom", "http://localhost:8080/world-en.atom"]

        # only the configured topic files: traversal, absolute paths, symlinks → 404
        for path in TRAVERSALS:
            r = srv.request(path)
            assert r.status == 404, path
            assert b"root:" not in r.body and b"sources:" not in r.body
        (feeds / "world-en.atom").unlink()
        (feeds / "world-en.atom").symlink_to(demo_tree)  # a topic file that became a symlink
        assert srv.request("/world-en.atom").status == 404

        # /healthz is 503 while the storage cannot be opened
        db = demo_tree.parent.parent / "var" / "feedhub.sqlite"
        shutil.move(db, db.with_suffix(".away"))
        r = srv.request("/healthz")
        assert r.status == 503 and json.loads(r.body)["status"] == "unavailable"
        shutil.move(db.with_suffix(".away"), db)
        assert srv.request("/healthz").status == 200
    finally:
        code = srv.terminate()
    assert code == 0, srv.output()


def test_healthz_needs_a_recent_tick_under_the_daemon(demo_tree: Path) -> None:
    """The ASGI app in-process: 503 until the scheduler's heartbeat beats, then 200."""
    from feedhub.config import load_config
    from feedhub.web import App, Heartbeat

    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    heartbeat = Heartbeat(stale_after=3600)
    app = App(load_config(demo_tree), heartbeat)

    async def get(path: str) -> int:
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
        status = sent[0]["status"]
        assert isinstance(status, int)
        return status

    assert asyncio.run(get("/healthz")) == 503  # never ticked
    heartbeat.beat()
    assert asyncio.run(get("/healthz")) == 200
    assert asyncio.run(get("/../feedhub.yaml")) == 404


def _config(tmp: Path, fs: FeedServer) -> Path:
    host_b = fs.base.replace("127.0.0.1", "localhost")
    path = tmp / "feedhub.yaml"
    path.write_text(
        f"""
storage: state.sqlite
output_dir: out
json_feed: true
schedule: {{workers: 3, per_host: 2}}
sources:
  - {{id: a, kind: feed, url: "{fs.url("/a.xml")}", interval: 1s}}
  - {{id: b1, kind: feed, url: "{host_b}/b1.xml", interval: 1s}}
  - {{id: b2, kind: feed, url: "{host_b}/b2.xml", interval: 1s}}
topics:
  - {{id: all, title: "All <news> & more", sources: [a, b1, b2]}}
""",
        encoding="utf-8",
    )
    return path


def test_daemon_serve_schedules_limits_a_429_host_and_stops_cleanly(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/a.xml"] = Route(rss(2))
    feed_server.routes["/b1.xml"] = Route(b"slow down", status=429, headers={"Retry-After": "3600"})
    # b2 (same host as b1) carries a copy of a's first story: it merges, whether or not
    # b2 got its one poll in before b1's 429 held the host back
    feed_server.routes["/b2.xml"] = Route(rss(1))
    config = _config(tmp_path, feed_server)
    srv = start(
        tmp_path,
        "daemon",
        "-c",
        str(config),
        "--tick",
        "0.3",
        "--serve",
        "--port",
        "0",
        "--log-format",
        "json",
    )

    def entries() -> int:
        r = srv.request("/all.atom")
        return len(feedparser.parse(r.body).entries) if r.status == 200 else -1

    try:
        assert wait_for(lambda: entries() == 2), srv.output()
        # the other host keeps being polled while the rate-limited one waits
        polls = len(feed_server.hits("/a.xml"))
        assert wait_for(lambda: len(feed_server.hits("/a.xml")) >= polls + 3), srv.output()
        feed_server.routes["/a.xml"] = Route(rss(3))
        assert wait_for(lambda: entries() == 3), srv.output()
        assert any("if-none-match" in h for h in feed_server.hits("/a.xml")[1:])
        assert len(feed_server.hits("/b1.xml")) == 1
        assert len(feed_server.hits("/b2.xml")) <= 1  # it may have run beside b1, never after

        # the served feed: ETag and 304, JSON Feed beside it
        r = srv.request("/all.atom")
        assert r.status == 200 and r.header("etag")
        assert srv.request("/all.atom", {"If-None-Match": r.header("etag") or ""}).status == 304
        jf = srv.request("/all.json")
        assert (
            jf.status == 200 and jf.header("content-type") == "application/feed+json; charset=utf-8"
        )
        assert len(json.loads(jf.body)["items"]) == 3
        assert b"All &lt;news&gt; &amp; more" in srv.request("/").body

        health = srv.request("/healthz")
        assert health.status == 200, health.body
        assert json.loads(health.body)["scheduler"]["ok"] is True
        text = srv.request("/metrics").body.decode()
        assert 'feedhub_source_fetch_errors_total{source="b1"} 1' in text
        assert 'feedhub_source_last_success_timestamp_seconds{source="a"}' in text
        assert "feedhub_scheduler_last_tick_timestamp_seconds " in text
        for path in ("/../state.sqlite", "/%2e%2e/feedhub.yaml", "/state.sqlite", "//etc/passwd"):
            assert srv.request(path).status == 404, path
    finally:
        code = srv.terminate()
    assert code == 0, srv.output()

    # one JSON object per log line, with the source as context
    events = [json.loads(line) for line in srv.err.read_text().splitlines() if line.strip()]
    collected = [e for e in events if e["event"] == "source_collected"]
    assert {e["source"] for e in collected} >= {"a", "b1"}
    assert any(e["event"] == "host_rate_limited" and e["host"] == "localhost" for e in events)

    # the schedule lives in the database: b1 waits for Retry-After, b2 for its host
    st = feedhub("sources", "-c", str(config), "--json")
    assert st.returncode == 0, st.stderr
    rows = {r["id"]: r for r in json.loads(st.stdout)}
    now = datetime.now(UTC)
    for sid in ("b1", "b2"):
        due = datetime.fromisoformat(rows[sid]["next_due"])
        assert (due - now).total_seconds() > 1800, rows[sid]
    assert rows["b1"]["due_reason"] == "retry-after" and rows["b1"]["last_status"] == 429
    assert rows["b1"]["errors"] == 1 and rows["b1"]["health"] == "failing"
    assert rows["a"]["health"] == "ok" and rows["a"]["items"] == 3
    table = feedhub("sources", "-c", str(config))
    assert table.returncode == 0
    assert "HTTP 429" in table.stdout and "LAST ERROR" in table.stdout

    # nothing lost: a one-shot run afterwards finds a's items all stored
    again = feedhub("run", "--once", "-c", str(config))
    assert again.returncode == 0
    assert "a: not modified" in again.stdout
    assert len(feedparser.parse((tmp_path / "out" / "all.atom").read_bytes()).entries) == 3
