"""Every odd feed: feedparser's own test corpus (../shared/corpora/feedparser-tests, ~2,100
wellformed/illformed/encoding/entities/json files) and our own hostile fixtures
(tests/data/hostile/), each served by a real HTTP server on 127.0.0.1.

Each file must be either collected or reported as one clear per-source error (a
SourceError whose message names the URL), never a crash or a hang, and a bad source
must not stop the others.  All files go through ``collect_feed`` plus the cleaner
in-process (fast); a sample of ~200 goes through the real CLI, pipeline and SQLite.

Counts are printed (``pytest -s``) and repeated in every assertion message.
"""

from __future__ import annotations

import faulthandler
import json
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from lxml import etree

from feedhub.collect import HTTPCache
from feedhub.collect.feeds import collect_feed
from feedhub.collect.http import Limits, make_client
from feedhub.errors import SourceError
from feedhub.pipeline import build_article

from .conftest import DATA, ROOT, FeedServer, Route

CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser-tests"
HOSTILE = DATA / "hostile"
ATOM = "{http://www.w3.org/2005/Atom}"
# feedparser's http_* fixtures name the header they were served with in a comment
HEADER_CT = re.compile(rb"^\s*Header:\s*Content-type:\s*(.*?)\s*$", re.M | re.I)
PER_FEED_SECONDS = 10.0  # "no hang": far above the slowest corpus file (~0.1 s)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: the shared corpora are not beside the project")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "LICENSE")
    assert len(files) > 1000, f"only {len(files)} corpus files in {CORPUS}"
    return files


def content_type(path: Path, body: bytes) -> str:
    m = HEADER_CT.search(body[:4096])
    if m:
        return m.group(1).decode("latin-1")
    return "application/feed+json" if path.suffix == ".json" else "application/xml"


def hostile_bodies(base: str) -> dict[str, bytes]:
    """Our own fixtures (templates get the server's base URL) plus generated ones."""
    out: dict[str, bytes] = {}
    for p in sorted(HOSTILE.iterdir()):
        if p.name in ("README.md", "xss_vectors.json", "evil.dtd"):
            continue
        body = p.read_bytes()
        name = p.name
        if name.endswith(".tmpl"):
            body, name = body.replace(b"{BASE}", base.encode()), name.removesuffix(".tmpl")
        out[name] = body
    out["deep.json"] = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + (
        b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    out["deep_object.json"] = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    out["empty.xml"] = b""
    out["whitespace.xml"] = b" \n\t " * 100
    out["bom_only.json"] = b"\xef\xbb\xbf"
    return out


@dataclass
class Tally:
    """What happened to each feed: collected (with or without items), a clean error, or not."""

    tried: int = 0
    with_items: int = 0
    empty: int = 0
    clean_errors: int = 0
    problems: list[str] = field(default_factory=list)  # crashes, hangs, unclear errors

    @property
    def collected(self) -> int:
        return self.with_items + self.empty

    def line(self, what: str) -> str:
        return (
            f"{what}: tried {self.tried}, collected {self.collected} "
            f"({self.with_items} with items, {self.empty} without), "
            f"clean errors {self.clean_errors}, problems {len(self.problems)}"
        )


def check_one(tally: Tally, name: str, url: str, client: httpx.Client, limits: Limits) -> None:
    """Collect one feed over HTTP, clean its items, and classify the outcome."""
    tally.tried += 1
    t0 = time.monotonic()
    try:
        result = collect_feed("s", url, HTTPCache(), limits, client)
        for raw in result.items:
            build_article(raw)
    except Exception as exc:  # anything escaping is a crash of the source (or of the run)
        tally.problems.append(f"{name}: crash {type(exc).__name__}: {exc}"[:300])
        return
    elapsed = time.monotonic() - t0
    if elapsed > PER_FEED_SECONDS:
        tally.problems.append(f"{name}: took {elapsed:.1f}s")
    if result.errors:
        if result.items:
            tally.problems.append(f"{name}: both items and errors {result.errors}")
        for err in result.errors:
            if not isinstance(err, SourceError) or url not in err.message or not err.source_id:
                tally.problems.append(f"{name}: unclear error {err!r}")
                return
        tally.clean_errors += 1
    elif result.items:
        tally.with_items += 1
    else:
        tally.empty += 1


def run_all(server: FeedServer, bodies: dict[str, tuple[bytes, str]]) -> Tally:
    for i, (body, ctype) in enumerate(bodies.values()):
        server.routes[f"/c/{i}"] = Route(body, headers={"Content-Type": ctype})
    tally = Tally()
    limits = Limits(timeout=5)
    # the whole loop must end; if a parser hangs, dump every thread's stack and exit
    faulthandler.dump_traceback_later(300, exit=True)
    try:
        with make_client(limits) as client:
            for i, name in enumerate(bodies):
                check_one(tally, name, server.url(f"/c/{i}"), client, limits)
    finally:
        faulthandler.cancel_dump_traceback_later()
    return tally


@pytest.mark.slow
def test_every_corpus_feed_is_collected_or_a_clean_error(feed_server: FeedServer) -> None:
    files = corpus_files()
    bodies = {}
    for p in files:
        body = p.read_bytes()
        bodies[str(p.relative_to(CORPUS))] = (body, content_type(p, body))
    t0 = time.monotonic()
    tally = run_all(feed_server, bodies)
    summary = tally.line("feedparser corpus") + f" in {time.monotonic() - t0:.1f}s"
    print("\n" + summary)
    assert tally.tried == len(files), summary
    assert tally.problems == [], summary + "\n" + "\n".join(tally.problems[:30])
    assert tally.collected + tally.clean_errors == tally.tried, summary
    # sanity: the corpus is mostly real feeds, so most must be read
    assert tally.with_items > len(files) // 3, summary


def test_own_hostile_fixtures_are_collected_or_a_clean_error(feed_server: FeedServer) -> None:
    feed_server.routes["/evil.dtd"] = Route((HOSTILE / "evil.dtd").read_bytes())
    bodies = {
        name: (body, "application/feed+json" if name.endswith(".json") else "application/xml")
        for name, body in hostile_bodies(feed_server.base).items()
    }
    tally = run_all(feed_server, bodies)
    summary = tally.line("own hostile fixtures")
    print("\n" + summary)
    assert tally.problems == [], summary + "\n" + "\n".join(tally.problems)
    assert tally.collected + tally.clean_errors == tally.tried == len(bodies), summary
    assert feed_server.hits("/evil.dtd") == [], "an external DTD/entity was fetched"


# --------------------------------------------------------------------------- the real CLI


def feedhub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedhub", *args], capture_output=True, text=True, timeout=300
    )


ERROR_LINE = re.compile(r"^error: source '([a-z0-9_-]+)': (.*)$")


def write_config(tmp_path: Path, urls: dict[str, str]) -> Path:
    ids = list(urls)
    half = len(ids) // 2
    lines = ["storage: state.sqlite", "output_dir: out", "fetch: {timeout: 5}", "sources:"]
    lines += [f"  - {{id: {sid}, kind: feed, url: {json.dumps(url)}}}" for sid, url in urls.items()]
    lines += ["topics:"]
    for tid, members in (("first", ids[:half]), ("second", ids[half:])):
        refs = ", ".join(members)
        lines.append(f"  - {{id: {tid}, title: {tid}, max_entries: 10000, sources: [{refs}]}}")
    config = tmp_path / "feedhub.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def check_cli_run(
    result: subprocess.CompletedProcess[str], urls: dict[str, str], out: Path
) -> dict[str, str]:
    """rc 0, no traceback, one summary line per source, each error names its URL,
    every topic file parses.  Returns source id → error text."""
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    summaries = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    for sid in urls:
        assert summaries.count(sid) == 1, f"no single summary line for {sid}:\n{result.stdout}"
    errors: dict[str, str] = {}
    for line in result.stderr.splitlines():
        m = ERROR_LINE.match(line)
        if not m:
            continue  # log lines
        sid, message = m.groups()
        assert urls[sid] in message, f"error of {sid} does not name {urls[sid]}: {line}"
        assert "could not clean" not in message, line
        errors[sid] = message
    for topic in ("first", "second"):
        root = etree.parse(str(out / f"{topic}.atom")).getroot()
        assert root.tag == ATOM + "feed"
    return errors


@pytest.mark.slow
def test_corpus_sample_through_the_cli(feed_server: FeedServer, tmp_path: Path) -> None:
    files = corpus_files()
    sample = files[:: max(1, len(files) // 200)]
    urls: dict[str, str] = {}
    for i, p in enumerate(sample):
        body = p.read_bytes()
        feed_server.routes[f"/s/{i}"] = Route(body, headers={"Content-Type": content_type(p, body)})
        urls[f"f{i:04d}"] = feed_server.url(f"/s/{i}")
    # plus one plain good feed we will update between the two runs
    good = (DATA / "feeds" / "rss20.xml").read_bytes()
    feed_server.routes["/good"] = Route(good)
    urls["good"] = feed_server.url("/good")
    config = write_config(tmp_path, urls)

    t0 = time.monotonic()
    first = feedhub("run", "--once", "-c", str(config))
    elapsed = time.monotonic() - t0
    errors = check_cli_run(first, urls, tmp_path / "out")
    db = tmp_path / "state.sqlite"
    with sqlite3.connect(db) as conn:
        attempted = {r[0] for r in conn.execute("SELECT id FROM sources WHERE last_attempt")}
        with_items = {r[0] for r in conn.execute("SELECT DISTINCT source_id FROM items")}
        n_items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    summary = (
        f"CLI sample: tried {len(urls)}, collected {len(urls) - len(errors)} "
        f"({len(with_items)} with items, {n_items} items), clean errors {len(errors)}, "
        f"{elapsed:.1f}s"
    )
    print("\n" + summary)
    assert attempted == set(urls), summary
    assert "good" in with_items and "good" not in errors, summary
    # the CLI fails exactly the sources that collect_feed alone fails: no pipeline errors
    limits = Limits(timeout=5)
    with make_client(limits) as client:
        alone = {
            sid
            for sid, url in urls.items()
            if collect_feed(sid, url, HTTPCache(), limits, client).errors
        }
    assert set(errors) == alone, summary
    assert len(with_items) > len(urls) // 3, summary

    # The bad sources keep failing; the good one keeps updating around them.
    feed_server.routes["/good"] = Route(
        good.replace(
            b"</channel>",
            b"<item><title>A brand new item</title><link>https://garden.example/new</link>"
            b'<guid isPermaLink="false">brand-new</guid><description>Something new happened today in the garden'
            b" behind the old library.</description></item></channel>",
        )
    )
    second = feedhub("run", "--once", "-c", str(config))
    again = check_cli_run(second, urls, tmp_path / "out")
    assert set(again) == set(errors), summary
    with sqlite3.connect(db) as conn:
        keys = {r[0] for r in conn.execute("SELECT key FROM items WHERE source_id = 'good'")}
    assert "brand-new" in keys, summary
    titles = [
        e.findtext(ATOM + "title")
        for e in etree.parse(str(tmp_path / "out" / "second.atom")).getroot().iter(ATOM + "entry")
    ]
    assert "A brand new item" in titles, summary


def test_own_hostile_fixtures_through_the_cli(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.routes["/evil.dtd"] = Route((HOSTILE / "evil.dtd").read_bytes())
    urls: dict[str, str] = {}
    for i, (name, body) in enumerate(sorted(hostile_bodies(feed_server.base).items())):
        ctype = "application/feed+json" if name.endswith(".json") else "application/xml"
        feed_server.routes[f"/h/{name}"] = Route(body, headers={"Content-Type": ctype})
        urls[f"h{i:02d}"] = feed_server.url(f"/h/{name}")
    config = write_config(tmp_path, urls)
    result = feedhub("run", "--once", "-c", str(config))
    errors = check_cli_run(result, urls, tmp_path / "out")
    print(f"\nown hostile fixtures via CLI: tried {len(urls)}, clean errors {len(errors)}")
    by_name = {urls[sid].rsplit("/", 1)[1]: msg for sid, msg in errors.items()}
    for name in ("deep.json", "deep_object.json", "binary_garbage.xml", "html_page.xml"):
        assert name in by_name, f"{name} should be a clean error: {sorted(by_name)}"
    for name in ("control_chars.json", "control_chars.rss", "zero_time.atom", "zero_time.json"):
        assert name not in by_name, f"{name}: {by_name.get(name)}"
    output = b"".join(p.read_bytes() for p in (tmp_path / "out").glob("*.atom"))
    with sqlite3.connect(tmp_path / "state.sqlite") as conn:
        stored = "\n".join(str(r) for r in conn.execute("SELECT title, html, text, raw FROM items"))
    for blob in (output.decode("utf-8"), stored):
        assert "root:" not in blob and "LEAKED" not in blob, "an external entity was resolved"
        assert "aaaaaaaaaa" not in blob, "an entity was expanded"
    assert feed_server.hits("/evil.dtd") == [], "an external DTD/entity was fetched"
    # The lone surrogate and the control characters became "?" or nothing, not a crash.
    titles = [
        e.findtext(ATOM + "title")
        for p in (tmp_path / "out").glob("*.atom")
        for e in etree.parse(str(p)).getroot().iter(ATOM + "entry")
    ]
    assert "Bell and NUL in title" in titles, titles
    assert "Lone surrogate ? in title" in titles, titles
