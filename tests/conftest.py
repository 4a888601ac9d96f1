"""Shared fixtures: a real HTTP server on 127.0.0.1, the demo tree, ../shared."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304


@dataclass
class FeedServer:
    """A real HTTP server: routes are mutable while it runs; requests are logged."""

    base: str
    routes: dict[str, Route]
    log: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.log if p == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            path = self.path.split("?")[0]
            server.log.append((path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(path)
            if route is None:
                self.send_error(404)
                return
            tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            if route.status == 200 and route.etag and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.status == 200 and route.etag:
                self.send_header("ETag", tag)
            for k, v in route.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    fs = FeedServer("", {}, [])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fs))
    fs.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fs
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def demo_tree(tmp_path: Path) -> Path:
    """A copy of config/ (demo config + demo sources) in tmp_path; returns the config file."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    return tmp_path / "config" / "feedhub.yaml"


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "seeds").is_dir():
        pytest.skip(f"{SHARED} is absent: the shared seeds/corpora are not beside the project")
    return SHARED


WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(text: str) -> Path:
        path = tmp_path / "feedhub.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
