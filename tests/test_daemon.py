"""``feedhub daemon`` in a subprocess against a real local HTTP server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from .conftest import FeedServer, Route


def rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Story number {i}</title><link>https://d.example/{i}</link>"
        f"<guid>https://d.example/{i}</guid><pubDate>Mon, 16 Nov 2026 0{i % 10}:00:00 +0000"
        f"</pubDate><description>Entirely separate event {i}: "
        + " ".join(f"word{i}x{j}" for j in range(40))
        + "</description></item>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>'
        f"<link>https://d.example/</link><description>d</description>{items}"
        f"</channel></rss>"
    ).encode()


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def entries(path: Path) -> int:
    return len(feedparser.parse(path.read_bytes()).entries) if path.exists() else -1


def test_daemon_collects_on_schedule_and_stops_cleanly_on_sigterm(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/d.xml"] = Route(rss(2))
    config = tmp_path / "feedhub.yaml"
    config.write_text(
        f"""
storage: state.sqlite
output_dir: out
sources:
  - {{id: d, kind: feed, url: "{feed_server.url("/d.xml")}", interval: 1s}}
topics:
  - {{id: all, title: All, sources: [d]}}
""",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "all.atom"
    log = tmp_path / "daemon.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedhub", "daemon", "-c", str(config), "--tick", "0.5"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(lambda: entries(out) == 2), "first collection never happened"
        feed_server.routes["/d.xml"] = Route(rss(3))
        assert wait_for(lambda: entries(out) == 3), "the source was not collected again"
        # conditional GET on the repeat polls
        assert any("if-none-match" in h for h in feed_server.hits("/d.xml")[1:])
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, log.read_text()
    assert "d: 2 new" in log.read_text() and "d: 1 new" in log.read_text()
    # nothing lost: a one-shot run afterwards finds everything already stored
    again = subprocess.run(
        [sys.executable, "-m", "feedhub", "run", "--once", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0
    assert "d: not modified" in again.stdout and "3 items in 3 stories" in again.stdout
    assert entries(out) == 3
