"""Local collector: the three formats, their metadata, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedhub.collect.local import collect_local, detect_format, read_article
from feedhub.errors import ParseError
from feedhub.pipeline import build_article

from .conftest import ROOT
from .test_seeds import BOILERPLATE

DEMO = ROOT / "config" / "demo"
DEMO_FILES = sorted(DEMO.glob("**/*.md"))


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.relative_to(DEMO).as_posix())
def test_demo_article_is_read_and_cleaned(path: Path) -> None:
    raw = read_article(path, source_id="demo", key=path.name)
    expected = {"hexo": "hexo", "goodnews": "goodnews", "feedx": "jekyll"}[
        path.relative_to(DEMO).parts[0]
    ]
    assert raw.format == expected
    article = build_article(raw)
    assert article.title and article.outlet and article.published
    assert article.published.tzinfo is not None
    assert len(article.text) > 150
    for marker in [*BOILERPLATE, "demo-mirror", "203.0.113."]:
        assert marker not in article.html, marker
        assert marker not in article.text, marker
    if raw.format in ("goodnews", "jekyll"):
        assert article.link and article.link.startswith("https://www.")


def test_item_ids_are_stable_and_path_based(tmp_path: Path) -> None:
    src = DEMO_FILES[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_bytes(src.read_bytes())
    first = collect_local("s", tmp_path).items[0]
    second = collect_local("s", tmp_path).items[0]
    assert first.id == second.id and first.key == "a/x.md"
    assert collect_local("other", tmp_path).items[0].id != first.id


def test_detect_format() -> None:
    assert detect_format("\n---\ntitle: x\nauthor: y\n---\nbody") == "hexo"
    assert detect_format("---\nlayout: post\ntitle: x\n---\nbody") == "jekyll"
    assert detect_format("### A title\n-----\nbody") == "goodnews"
    assert detect_format("just some text") is None


def test_bad_files_are_reported_one_by_one_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_bytes(DEMO_FILES[0].read_bytes())
    (tmp_path / "broken.md").write_text("---\ntitle: 'open\nx: [\n---\nbody", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("### Titel\n---\nüber".encode("latin-1"))
    (tmp_path / "plain.md").write_text("no front matter, no title line", encoding="utf-8")
    (tmp_path / "notitle.md").write_text("---\nauthor: x\n---\nbody", encoding="utf-8")
    (tmp_path / "baddate.md").write_text(
        "---\ntitle: t\ndate: yesterday-ish\n---\nb", encoding="utf-8"
    )
    result = collect_local("s", tmp_path)
    assert [i.key for i in result.items] == ["good.md"]
    messages = sorted(e.message for e in result.errors)
    assert len(messages) == 5
    assert all(e.source_id == "s" for e in result.errors)
    text = "\n".join(messages)
    assert "broken.md" in text and "malformed front matter" in text and "line" in text
    assert "latin1.md" in text and "not UTF-8" in text
    assert "plain.md" in text and "not a recognised article" in text
    assert "notitle.md" in text and "no title" in text
    assert "baddate.md" in text and "not a date" in text


def test_missing_folder_is_one_error(tmp_path: Path) -> None:
    result = collect_local("s", tmp_path / "nope")
    assert not result.items
    assert len(result.errors) == 1 and "folder not found" in result.errors[0].message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        read_article(tmp_path / "missing.md")
