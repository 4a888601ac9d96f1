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


POST = "---\ntitle: {title}\ndate: 2026-11-20 08:00:00\n---\n\n{body}\n"


def _posts(root: Path, n: int, age_s: int) -> None:
    import os
    import time

    root.mkdir(exist_ok=True)
    for i in range(n):
        path = root / f"post-{i}.md"
        path.write_text(POST.format(title=f"第{i}篇", body=f"正文{i}。" * 20), encoding="utf-8")
        old = time.time_ns() - age_s * 1_000_000_000
        os.utime(path, ns=(old, old))


def test_a_file_whose_recorded_stat_is_unchanged_is_not_read_again(tmp_path: Path) -> None:
    import os
    import time

    _posts(tmp_path / "posts", 3, age_s=3600)
    first = collect_local("s", tmp_path / "posts")
    assert len(first.items) == 3 and not first.unchanged
    now = time.time_ns()
    known = {key: (mtime, size, now, first.reading) for key, mtime, size, _ in first.files}
    again = collect_local("s", tmp_path / "posts", known=known)
    assert not again.items and sorted(again.unchanged) == ["post-0.md", "post-1.md", "post-2.md"]
    # another size: read again, the others still skipped
    (tmp_path / "posts" / "post-1.md").write_text(POST.format(title="改", body="新"), "utf-8")
    changed = collect_local("s", tmp_path / "posts", known=known)
    assert [r.key for r in changed.items] == ["post-1.md"] and len(changed.unchanged) == 2
    # same size and mtime, but recorded within 2 s of the mtime: "racily clean", read
    racy = {k: (mtime, size, mtime + 1_000_000, first.reading) for k, mtime, size, _ in first.files}
    assert len(collect_local("s", tmp_path / "posts", known=racy).items) == 3
    # the same files read with another format: read again
    assert len(collect_local("s", tmp_path / "posts", fmt="hexo", known=known).items) == 3
    # a file that fails to parse is reported every run (its stat is never recorded)
    bad = tmp_path / "posts" / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    os.utime(bad, ns=(now - 10**12, now - 10**12))
    assert len(collect_local("s", tmp_path / "posts", known=known).errors) == 1


def test_runs_record_stats_and_skip_unchanged_files_with_the_same_result(tmp_path: Path) -> None:
    """Through the pipeline: the second run reads no unchanged file yet reports the same
    items as unchanged; a new file is picked up; stored items stay as they were."""
    from datetime import UTC, datetime

    from feedhub.config import parse_config
    from feedhub.pipeline import run_once
    from feedhub.storage import Storage

    _posts(tmp_path / "posts", 4, age_s=3600)
    config = parse_config(
        {
            "sources": [{"id": "s", "kind": "local", "path": str(tmp_path / "posts")}],
            "topics": [{"id": "t", "title": "T", "sources": ["s"]}],
            "output_dir": str(tmp_path / "out"),
            "storage": str(tmp_path / "state.sqlite"),
        }
    )
    now = datetime(2026, 11, 21, tzinfo=UTC)
    storage = Storage(config.storage_path)
    try:
        assert run_once(config, storage, now).sources[0].new == 4
        assert len(storage.file_stats("s")) == 4
        items = storage.db.execute("SELECT id, content_hash FROM items ORDER BY id").fetchall()
        again = run_once(config, storage, now).sources[0]
        assert (again.new, again.unchanged) == (0, 4)
        _posts(tmp_path / "posts", 5, age_s=3600)  # rewrites 0-3 identically, adds post-4
        third = run_once(config, storage, now).sources[0]
        assert third.new == 1
        after = storage.db.execute("SELECT id, content_hash FROM items ORDER BY id").fetchall()
        assert [tuple(r) for r in items] == [tuple(r) for r in after if r[0] in dict(items)]
        # one bad file beside files skipped as unchanged: an error, not a failed attempt
        (tmp_path / "posts" / "bad.md").write_text("---\ntitle: [x\n---\nbody\n", "utf-8")
        for _ in range(2):
            bad = run_once(config, storage, now).sources[0]
            assert bad.errors and bad.unchanged == 5
        assert storage.source_state("s").error_count == 0
    finally:
        storage.close()


@pytest.mark.parametrize("fast", [True, False])
def test_a_front_matter_date_that_cannot_exist_fails_only_its_post(
    tmp_path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YAML types 2026-02-30 as a date, then cannot build it (a plain ValueError): that
    post gets one error naming it, the folder's other posts are read."""
    from feedhub.collect import local

    monkeypatch.setattr(local, "FAST_FRONT_MATTER", fast)
    (tmp_path / "bad.md").write_text("---\ntitle: x\ndate: 2026-02-30\n---\nbody\n", "utf-8")
    (tmp_path / "good.md").write_text("---\ntitle: y\ndate: 2026-02-03\n---\nbody\n", "utf-8")
    result = collect_local("s", tmp_path, "**/*.md", "hexo")
    assert [r.title for r in result.items] == ["y"]
    assert [e.message for e in result.errors] == [
        f"{tmp_path / 'bad.md'}: malformed front matter: day is out of range for month"
    ]
