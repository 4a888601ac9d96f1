"""import-opml, config-schema, JSON Feed output and WebSub pings, through the real CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
import yaml

from feedhub.config import load_config
from feedhub.opml import append_to_block, make_id, read_opml

from .serving import feedhub

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>reader export</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Harbor Post" title="Harbor Post" xmlUrl="https://harbor.example/feed.xml"/>
      <outline type="rss" text="Harbor Post" xmlUrl="https://harbor2.example/rss"/>
      <outline type="rss" text="\xe8\xa7\x82\xe6\xbe\x9c\xe7\xbd\x91" xmlUrl="https://guanlan.example/atom.xml"/>
    </outline>
    <outline type="rss" text="dup" xmlUrl="https://harbor.example/feed.xml"/>
    <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
    <outline text="a folder without a feed"/>
  </body>
</opml>
"""


def test_read_opml_and_ids() -> None:
    feeds = read_opml(OPML)
    assert [f.url for f in feeds][:3] == [
        "https://harbor.example/feed.xml",
        "https://harbor2.example/rss",
        "https://guanlan.example/atom.xml",
    ]
    taken = {"harbor-post"}
    assert make_id("Harbor Post", "https://x/", taken) == "harbor-post-2"
    assert make_id("Harbor Post", "https://x/", taken) == "harbor-post-3"
    assert (
        make_id("观澜网", "https://www.guanlan.example/atom.xml", taken)
        == "guanlan-example-atom-xml"
    )
    assert make_id("Ça va", "https://x/", taken) == "ca-va"
    with pytest.raises(Exception, match="entities"):
        read_opml(b'<!DOCTYPE x [<!ENTITY a "b">]><opml version="2.0"><body/></opml>')


def test_import_opml_keeps_comments(demo_tree: Path, tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    before = demo_tree.read_text(encoding="utf-8")
    r = feedhub(
        "import-opml",
        str(opml),
        "-c",
        str(demo_tree),
        "--interval",
        "30m",
        "--topic",
        "imported",
        "--topic-title",
        "Imported feeds",
    )
    assert r.returncode == 0, r.stderr
    after = demo_tree.read_text(encoding="utf-8")
    # every original line (comments included) is still there, in order
    old_lines = [ln for ln in before.splitlines() if ln.strip()]
    it = iter(after.splitlines())
    assert all(any(ln == a for a in it) for ln in old_lines)
    config = load_config(demo_tree)
    new = {s.id: s for s in config.sources if s.url and s.url.startswith("https://")}
    # the demo already has a "harbor-post" source: ids are made unique
    assert sorted(new) == ["guanlan-example-atom-xml", "harbor-post-2", "harbor-post-3"]
    assert all(s.interval == 1800 for s in new.values())
    assert config.topics[-1].id == "imported" and set(config.topics[-1].sources) == set(new)
    assert "skipped https://harbor.example/feed.xml: already configured" in r.stdout  # listed twice
    assert "skipped file:///etc/passwd: not an http(s) URL" in r.stdout
    # importing again adds nothing
    again = feedhub("import-opml", str(opml), "-c", str(demo_tree))
    assert again.returncode == 0 and "nothing to add" in again.stdout
    assert demo_tree.read_text(encoding="utf-8") == after


def test_import_opml_falls_back_to_a_new_file_for_flow_style(tmp_path: Path) -> None:
    config = tmp_path / "feedhub.yaml"
    config.write_text(
        "# flow style cannot be extended as text\n"
        'sources: [{id: a, kind: feed, url: "https://a.example/f"}]\n'
        "topics: [{id: t, title: T, sources: [a]}]\n",
        encoding="utf-8",
    )
    original = config.read_text()
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    r = feedhub("import-opml", str(opml), "-c", str(config))
    assert r.returncode == 0, r.stderr
    assert config.read_text() == original
    side = tmp_path / "feedhub.imported.yaml"
    assert side.exists() and str(side) in r.stdout and "without comments" in r.stdout
    assert len(load_config(side).sources) == 4


def test_append_to_block_indentation() -> None:
    text = "a: 1\nsources:\n- id: x\n  kind: local\n  path: p\n# trailing\ntopics: []\n"
    out = append_to_block(text, "sources", [{"id": "y", "kind": "local", "path": "q"}])
    assert yaml.safe_load(out)["sources"][-1] == {"id": "y", "kind": "local", "path": "q"}
    assert out.index("# trailing") > out.index("id: y")


def test_config_schema() -> None:
    r = feedhub("config-schema")
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    assert "root" not in schema["properties"] and "root" not in schema.get("required", [])
    assert {"sources", "topics", "schedule", "serve", "json_feed", "websub_hub"} <= set(
        schema["properties"]
    )
    interval = schema["$defs"]["SourceConfig"]["properties"]["interval"]
    assert {"type": "string", "pattern": interval["anyOf"][1]["pattern"]} in interval["anyOf"]


class Hub:
    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []


@pytest.fixture
def hub() -> Iterator[tuple[str, Hub]]:
    state = Hub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            n = int(self.headers.get("Content-Length", "0"))
            state.pings.append(parse_qs(self.rfile.read(n).decode()))
            self.send_response(204)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hub", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_json_feed_and_websub(demo_tree: Path, hub: tuple[str, Hub]) -> None:
    url, state = hub
    text = demo_tree.read_text(encoding="utf-8")
    demo_tree.write_text(f"json_feed: true\nwebsub_hub: {url}\n" + text, encoding="utf-8")
    r = feedhub("run", "--once", "-c", str(demo_tree))
    assert r.returncode == 0, r.stderr
    out = demo_tree.parent.parent / "var" / "feeds"
    atom = feedparser.parse((out / "world-en.atom").read_bytes())
    assert any(link.get("rel") == "hub" and link.get("href") == url for link in atom.feed.links)
    feed = json.loads((out / "world-en.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["hubs"] == [{"type": "WebSub", "url": url}]
    assert [i["id"] for i in feed["items"]] == [e.id for e in atom.entries]
    assert all(i["content_html"] and i["date_published"] for i in feed["items"])
    pinged = sorted(p["hub.url"][0] for p in state.pings)
    assert all(p["hub.mode"] == ["publish"] for p in state.pings)
    assert pinged == sorted(
        f"http://localhost:8080/{t}.{ext}"
        for t in ("china", "world-en")
        for ext in ("atom", "json")
    )
    # nothing changed: nothing rewritten, no ping
    state.pings.clear()
    again = feedhub("run", "--once", "-c", str(demo_tree))
    assert again.returncode == 0 and state.pings == []
