"""Which copy represents a story, and that changing it never changes the entry id."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser

from feedhub.publish.select import representative
from feedhub.types import Article

from .test_e2e import feedhub


def art(i: str, outlet: str, text: str, day: int) -> tuple[Article, datetime]:
    when = datetime(2026, 11, day, tzinfo=UTC)
    return (
        Article(
            id=i,
            source_id="s",
            key=i,
            format="rss",
            title=i,
            html="",
            text=text,
            fingerprint=0,
            outlet=outlet,
            published=when,
        ),
        when,
    )


def test_preferred_outlet_then_most_complete_then_earliest() -> None:
    members = [
        art("a", "Early Post", "short", 1),
        art("b", "Long Times", "a much longer text", 3),
        art("c", "Wire", "a much longer text", 2),
    ]
    assert representative(members)[0].id == "c"  # longest; earliest among equals
    assert representative(members, ("Early Post",))[0].id == "a"
    assert representative(members, ("nobody", "long times"))[0].id == "b"  # case-insensitive


def test_changing_the_preference_keeps_entry_ids(demo_tree: Path) -> None:
    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    feed = demo_tree.parent.parent / "var" / "feeds" / "world-en.atom"
    before = {e.id: e.link for e in feedparser.parse(feed.read_bytes()).entries}
    text = demo_tree.read_text(encoding="utf-8")
    demo_tree.write_text(
        text.replace("  window: 3d", "  window: 3d\n  prefer_outlets: [Harbor Post — World]"),
        encoding="utf-8",
    )
    assert feedhub("rebuild", "-c", str(demo_tree)).returncode == 0
    after = {e.id: e.link for e in feedparser.parse(feed.read_bytes()).entries}
    assert after.keys() == before.keys()
    changed = [i for i in after if after[i] != before[i]]
    assert changed and all("harborpost" in after[i] for i in changed)


def test_topic_min_overlap_splits_only_that_topic_with_stable_ids(demo_tree: Path) -> None:
    text = demo_tree.read_text(encoding="utf-8")
    assert feedhub("run", "--once", "-c", str(demo_tree)).returncode == 0
    var = demo_tree.parent.parent / "var" / "feeds"
    china = {e.id for e in feedparser.parse((var / "china.atom").read_bytes()).entries}
    world = (var / "world-en.atom").read_bytes()
    demo_tree.write_text(
        text.replace(
            "    title: 中文新闻 · merged\n",
            "    title: 中文新闻 · merged\n    min_overlap: 0.99\n",
        ),
        encoding="utf-8",
    )
    assert feedhub("rebuild", "-c", str(demo_tree)).returncode == 0
    strict = [e.id for e in feedparser.parse((var / "china.atom").read_bytes()).entries]
    assert len(strict) > len(china) and china <= set(strict)  # stories keep their ids
    assert (var / "world-en.atom").read_bytes() == world  # the other topic is untouched
    assert feedhub("rebuild", "-c", str(demo_tree)).returncode == 0
    again = [e.id for e in feedparser.parse((var / "china.atom").read_bytes()).entries]
    assert again == strict  # the split-off entries' ids are stable too
