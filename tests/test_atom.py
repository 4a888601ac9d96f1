"""The generated Atom is valid RFC 4287, checked structurally with lxml, and safe."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    import shutil

    from .conftest import ROOT

    tmp = tmp_path_factory.mktemp("atom")
    shutil.copytree(ROOT / "config", tmp / "config")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "feedhub",
            "run",
            "--once",
            "-c",
            str(tmp / "config" / "feedhub.yaml"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return sorted((tmp / "var" / "feeds").glob("*.atom"))


def test_feed_and_entries_have_the_required_elements(feeds: list[Path]) -> None:
    assert len(feeds) >= 2
    for path in feeds:
        root = etree.parse(str(path)).getroot()
        assert root.tag == f"{ATOM}feed"
        for name in ("id", "title", "updated"):
            assert len(root.findall(f"{ATOM}{name}")) == 1, (path, name)
        assert root.find(f"{ATOM}author/{ATOM}name") is not None
        assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
        entries = root.findall(f"{ATOM}entry")
        assert entries
        for entry in entries:
            for name in ("id", "title", "updated", "published", "content"):
                assert len(entry.findall(f"{ATOM}{name}")) == 1, (path, name)
            links = entry.findall(f"{ATOM}link")
            # RFC 4287 4.1.1: at most one alternate link per (type, hreflang)
            alternates = Counter(
                (ln.get("type"), ln.get("hreflang"))
                for ln in links
                if ln.get("rel", "alternate") == "alternate"
            )
            assert all(n == 1 for n in alternates.values()), etree.tostring(entry)[:300]
            for ln in links:
                assert ln.get("href", "").startswith(("http://", "https://"))
            source = entry.find(f"{ATOM}source")
            assert source is not None
            for name in ("id", "title", "updated"):
                assert source.find(f"{ATOM}{name}") is not None
            assert entry.find(f"{ATOM}content").get("type") == "html"


def test_entry_content_is_sanitized(feeds: list[Path]) -> None:
    for path in feeds:
        root = etree.parse(str(path)).getroot()
        for content in root.iter(f"{ATOM}content"):
            html = (content.text or "").lower()
            for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "style="):
                assert bad not in html, (path, bad)


def test_each_written_version_gets_a_later_last_modified_second(tmp_path: Path) -> None:
    """Last-Modified has whole seconds: two versions written inside one second must not
    share it, or a client asking If-Modified-Since is told the second is unmodified
    (newsboat kept stale entries this way)."""
    from feedhub.publish.atom import write_atomic

    path = tmp_path / "t.atom"
    seconds = []
    for i in range(4):  # far faster than one per second
        assert write_atomic(path, f"<feed>{i}</feed>".encode())
        seconds.append(int(path.stat().st_mtime))
    assert seconds == sorted(set(seconds)), seconds
    assert not write_atomic(path, b"<feed>3</feed>")  # unchanged: not rewritten
    assert int(path.stat().st_mtime) == seconds[-1]
