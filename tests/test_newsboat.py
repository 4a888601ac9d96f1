"""A real feed reader (newsboat) subscribed to a topic feed served by ``daemon --serve``.

newsboat reloads the served feed into its SQLite cache; we read its ``rss_item``
table.  When a second outlet publishes a near-identical copy of a story already
published, feedhub merges it into the existing entry (same id), so after a
reload newsboat has no new item for it.  A genuinely new story, by contrast,
does show up.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import feedparser
import pytest

from .conftest import FeedServer, Route
from .serving import start, wait_for

NEWSBOAT = shutil.which("newsboat")

TOPICS = {
    "harbor": "harbour cranes container shipping dockworkers tides ferries freight",
    "orchard": "apple orchards frost growers harvest cider pickers blossoms",
    "comet": "astronomers comet telescope orbit nucleus tail observatory",
    "library": "library archive manuscripts readers catalogue restoration",
    "rail": "railway tunnel engineers tracks commuters signals timetable",
}


def body(topic: str, variant: str = "") -> str:
    words = TOPICS[topic].split()
    sentences = [
        f"The {words[i % len(words)]} report number {i} describes how {words[(i * 3) % len(words)]} "
        f"and {words[(i * 5 + 1) % len(words)]} changed in the town of {topic.title()}ville this week."
        for i in range(12)
    ]
    if variant:
        sentences[5] = sentences[5].replace("this week", variant)
    return " ".join(sentences)


def item(topic: str, outlet: str, day: int, variant: str = "", title: str = "") -> str:
    return (
        f"<item><title>{title or topic.title() + ' news'}</title>"
        f"<link>https://{outlet}.example/{topic}</link><guid>https://{outlet}.example/{topic}</guid>"
        f"<pubDate>Mon, {day:02d} Nov 2026 08:00:00 +0000</pubDate>"
        f"<description>{body(topic, variant)}</description></item>"
    )


def rss(outlet: str, items: list[str]) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet.title()}</title>'
        f"<link>https://{outlet}.example/</link><description>{outlet}</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def newsboat_items(tmp: Path, url: str) -> list[tuple[str, str]]:
    urls, conf, cache = tmp / "urls", tmp / "newsboat.conf", tmp / "cache.db"
    urls.write_text(url + "\n")
    conf.write_text("reload-threads 1\ndownload-timeout 20\n")
    run = subprocess.run(
        [
            NEWSBOAT or "newsboat",
            "-u",
            str(urls),
            "-c",
            str(cache),
            "-C",
            str(conf),
            "-x",
            "reload",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp,
        env={"HOME": str(tmp), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with sqlite3.connect(cache) as db:
        return db.execute(
            "SELECT guid, title FROM rss_item WHERE feedurl = ? ORDER BY guid", (url,)
        ).fetchall()


@pytest.mark.skipif(NEWSBOAT is None, reason="newsboat is not installed (.ci/run installs it)")
def test_newsboat_sees_merged_entries_and_no_new_item_for_a_duplicate(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/one.xml"] = Route(
        rss(
            "one", [item("harbor", "one", 16), item("orchard", "one", 16), item("comet", "one", 17)]
        )
    )
    feed_server.routes["/two.xml"] = Route(
        # two's library story, and its copy of one's harbor story: merged from the start
        rss("two", [item("library", "two", 17), item("harbor", "two", 16, "these days")])
    )
    config = tmp_path / "feedhub.yaml"
    config.write_text(
        f"""
storage: state.sqlite
output_dir: out
sources:
  - {{id: one, kind: feed, url: "{feed_server.url("/one.xml")}", interval: 1s}}
  - {{id: two, kind: feed, url: "{feed_server.url("/two.xml")}", interval: 1s}}
topics:
  - {{id: news, title: News, sources: [one, two]}}
""",
        encoding="utf-8",
    )
    srv = start(tmp_path, "daemon", "-c", str(config), "--tick", "0.3", "--serve", "--port", "0")
    feed_url = srv.url + "news.atom"

    def feed() -> feedparser.FeedParserDict:
        return feedparser.parse(srv.request("/news.atom").body)

    def stored(source: str, n: int) -> bool:
        text = srv.request("/metrics").body.decode()
        return f'feedhub_source_items{{source="{source}"}} {n}' in text

    try:
        assert wait_for(lambda: stored("one", 3) and stored("two", 2)), srv.output()
        assert wait_for(lambda: len(feed().entries) == 4), srv.output()
        first = newsboat_items(tmp_path, feed_url)
        assert len(first) == 4, first
        guids = {g for g, _ in first}
        assert all(g.startswith("tag:feedhub,2026:story/") for g in guids)

        # a third outlet's near-identical copy of the orchard story arrives at "two"
        feed_server.routes["/two.xml"] = Route(
            rss(
                "two",
                [
                    item("library", "two", 17),
                    item("harbor", "two", 16, "these days"),
                    item("orchard", "two", 16, "on Monday", title="Orchard news (update)"),
                ],
            )
        )
        assert wait_for(lambda: stored("two", 3)), srv.output()

        def orchard_has_related() -> bool:  # the topic file is rewritten after the store
            return any(
                link.get("rel") == "related"
                for e in feed().entries
                if "Orchard" in e.title
                for link in e.links
            )

        assert wait_for(orchard_has_related), srv.output()
        merged = feed()
        assert len(merged.entries) == 4, [e.title for e in merged.entries]
        orchard = [e for e in merged.entries if "Orchard" in e.title]
        assert len(orchard) == 1
        assert any(link.get("rel") == "related" for link in orchard[0].links)
        after = newsboat_items(tmp_path, feed_url)
        assert {g for g, _ in after} == guids, after  # no new item for the duplicate

        # control: a genuinely new story does reach newsboat
        feed_server.routes["/one.xml"] = Route(
            rss(
                "one",
                [
                    item("harbor", "one", 16),
                    item("orchard", "one", 16),
                    item("comet", "one", 17),
                    item("rail", "one", 18),
                ],
            )
        )
        assert wait_for(lambda: len(feed().entries) == 5), srv.output()
        final = newsboat_items(tmp_path, feed_url)
        assert len(final) == 5 and {g for g, _ in final} > guids
    finally:
        code = srv.terminate()
    assert code == 0, srv.output()
