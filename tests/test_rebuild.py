"""``feedhub rebuild``: a rule or threshold change applied to stored raw items."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import feedparser

from .test_e2e import feedhub


def state(config: Path) -> dict[str, bytes]:
    var = config.parent.parent / "var"
    return {p.name: p.read_bytes() for p in sorted(var.rglob("*")) if p.is_file()}


def entry_ids(config: Path, topic: str) -> dict[str, str]:
    path = config.parent.parent / "var" / "feeds" / f"{topic}.atom"
    return {e.id: e.title for e in feedparser.parse(path.read_bytes()).entries}


def test_dry_run_lists_changes_and_writes_nothing_then_rebuild_applies(demo_tree: Path) -> None:
    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    before_ids = entry_ids(demo_tree, "china")
    before_state = state(demo_tree)
    # A stricter overlap splits the reworded groups; a new source rule drops a paragraph.
    text = demo_tree.read_text(encoding="utf-8")
    text = text.replace("min_overlap: 0.7", "min_overlap: 0.99")
    text = text.replace(
        "    format: hexo\n",
        '    format: hexo\n    rules:\n      block_patterns: ["根据规划"]\n',
        1,
    )
    demo_tree.write_text(text, encoding="utf-8")

    dry = feedhub("rebuild", "--dry-run", "-c", str(demo_tree))
    assert dry.returncode == 0, dry.stderr
    assert "topic china:" in dry.stdout and "dry run: nothing was written" in dry.stdout
    assert "  + " in dry.stdout  # split groups add entries
    assert "re-cleaned" in dry.stdout
    assert state(demo_tree) == before_state, "dry run changed the state or the feeds"

    real = feedhub("rebuild", "-c", str(demo_tree))
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines()[:2] == dry.stdout.splitlines()[:2]
    after_ids = entry_ids(demo_tree, "china")
    assert len(after_ids) > len(before_ids)
    # every story that existed keeps its entry id; splits only add entries
    assert set(before_ids) <= set(after_ids)
    with sqlite3.connect(demo_tree.parent.parent / "var" / "feedhub.sqlite") as db:
        [(html,)] = db.execute(
            "SELECT html FROM items WHERE source_id = 'dongan' AND key = 'yungang-metro-line9.md'"
        )
    assert "根据规划" not in html  # the new rule was applied to the stored raw item

    # The rebuilt grouping equals a fresh run with the new config.
    with sqlite3.connect(demo_tree.parent.parent / "var" / "feedhub.sqlite") as db:
        rebuilt = sorted(
            sorted(k for (k,) in db.execute("SELECT key FROM items WHERE story_id = ?", (s,)))
            for (s,) in db.execute("SELECT DISTINCT story_id FROM items")
        )
    fresh_var = demo_tree.parent.parent / "var"
    for p in sorted(fresh_var.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    with sqlite3.connect(fresh_var / "feedhub.sqlite") as db:
        fresh = sorted(
            sorted(k for (k,) in db.execute("SELECT key FROM items WHERE story_id = ?", (s,)))
            for (s,) in db.execute("SELECT DISTINCT story_id FROM items")
        )
    assert rebuilt == fresh


def test_rebuild_without_changes_changes_nothing(demo_tree: Path) -> None:
    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    feeds_before = {k: v for k, v in state(demo_tree).items() if k.endswith(".atom")}
    result = feedhub("rebuild", "-c", str(demo_tree))
    assert result.returncode == 0
    assert "0 added, 0 removed, 0 merged or split, 0 re-cleaned" in result.stdout
    assert {k: v for k, v in state(demo_tree).items() if k.endswith(".atom")} == feeds_before


def test_a_database_of_an_older_fingerprint_version_is_recomputed_on_open(
    demo_tree: Path,
) -> None:
    """A database written before fingerprint version 3 (schema 4, version-2 values)
    gets every fingerprint recomputed when opened, so old items stay candidates: a
    second run finds nothing new, merges as before and writes the same feeds."""
    from feedhub.dedupe.fingerprint import FP_VERSION, package_md5_fingerprint, to_signed
    from feedhub.storage import MIGRATIONS

    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    db_path = demo_tree.parent.parent / "var" / "feedhub.sqlite"
    feeds_before = {k: v for k, v in state(demo_tree).items() if k.endswith(".atom")}
    with sqlite3.connect(db_path) as db:
        current = dict(db.execute("SELECT id, fp FROM items"))
        for item_id, text in db.execute("SELECT id, text FROM items").fetchall():
            db.execute(
                "UPDATE items SET fp = ?, fp_version = 2 WHERE id = ?",
                (to_signed(package_md5_fingerprint(text)), item_id),
            )
        db.execute("DROP TABLE local_files")  # schema 4 had neither
        db.execute("ALTER TABLE sources DROP COLUMN body_hash")
        db.execute("PRAGMA user_version = 4")
    db.close()
    again = feedhub("run", "--once", "-c", str(demo_tree))
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert {v for (v,) in db.execute("SELECT DISTINCT fp_version FROM items")} == {FP_VERSION}
        assert dict(db.execute("SELECT id, fp FROM items")) == current
    db.close()
    feeds_after = {k: v for k, v in state(demo_tree).items() if k.endswith(".atom")}
    assert feeds_after == feeds_before
