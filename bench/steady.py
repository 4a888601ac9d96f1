#!/usr/bin/env python3
"""Daemon steady state: polling N unchanged feeds (304s from a local server).

Usage: python bench/steady.py [--feeds 2000] [--interval 900]

A separate process serves N feed URLs on 127.0.0.1 (200 with an ETag the first
time, 304 afterwards).  In this process feedhub collects every source once to
store the validators, then the measured cycle polls all N again (every answer a
304).  The CPU time of that cycle divided by the polling interval is the share
of one core the daemon needs in steady state; RSS is the process's peak.
Prints one line per figure and a last line
``steady state: C% of one core per <interval>s cycle, RSS M MB (N feeds)``.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
    b"<link>https://f.example/</link><description>d</description></channel></rss>"
)
TAG = '"' + hashlib.sha1(FEED).hexdigest()[:16] + '"'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # one send per response: no Nagle/delayed-ACK stall on keep-alive

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("If-None-Match") == TAG:
            self.send_response(304)
            self.send_header("ETag", TAG)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", TAG)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)


def serve(port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(httpd.server_address[1])
    httpd.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=900.0)
    args = parser.parse_args(argv)

    from feedhub.config import parse_config
    from feedhub.pipeline import run_once
    from feedhub.storage import Storage

    q: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(q,), daemon=True)
    server.start()
    port = q.get(timeout=10)
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "storage": "state.sqlite",
                "output_dir": "out",
                "sources": [
                    {
                        "id": f"f{i}",
                        "kind": "feed",
                        "interval": args.interval,
                        "url": f"http://127.0.0.1:{port}/feed/{i}.xml",
                    }
                    for i in range(args.feeds)
                ],
                "topics": [
                    {"id": "all", "title": "All", "sources": [f"f{i}" for i in range(args.feeds)]}
                ],
            },
            root=tmp,
        )
        with Storage(config.storage_path) as storage:
            t0 = time.perf_counter()
            run_once(config, storage, datetime.now(UTC))
            first = time.perf_counter() - t0
            usage0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            summary = run_once(config, storage, datetime.now(UTC))
            wall = time.perf_counter() - t0
            usage1 = resource.getrusage(resource.RUSAGE_SELF)
    server.terminate()
    not_modified = sum(1 for s in summary.sources if s.not_modified)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    rss_mb = usage1.ru_maxrss / 1024
    share = 100 * cpu / args.interval
    print(f"first cycle (200s, stores validators): {first:.1f}s wall")
    print(
        f"steady cycle: {not_modified}/{args.feeds} answered 304, {wall:.1f}s wall, "
        f"{cpu:.2f}s CPU ({1e3 * cpu / args.feeds:.2f} ms per feed)"
    )
    print(
        f"steady state: {share:.2f}% of one core per {args.interval:g}s cycle, "
        f"RSS {rss_mb:.0f} MB ({args.feeds} feeds)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
