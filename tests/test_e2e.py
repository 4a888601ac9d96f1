"""End to end: the real CLI in a subprocess on the shipped demo config."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml

from .conftest import DATA, FeedServer, Route

# demo path prefix (as named in tests/data/demo_groups.yaml) → source id in config/feedhub.yaml
PREFIX_SOURCE = {
    "hexo/": "dongan",
    "goodnews/": "goodnews",
    "feedx/_posts/": "feedx",
    "feeds/world.rss#": "harbor-post",
    "feeds/science.atom#": "lantern",
}


def feedhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedhub", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def member_key(member: str) -> tuple[str, str]:
    for prefix, source in PREFIX_SOURCE.items():
        if member.startswith(prefix):
            return source, member[len(prefix) :]
    raise AssertionError(f"unknown demo prefix in {member}")


def stories_by_member(db: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(db) as conn:
        return {
            (s, k): story
            for s, k, story in conn.execute("SELECT source_id, key, story_id FROM items")
        }


@pytest.fixture
def demo_run(demo_tree: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    result = feedhub("run", "--once", "-c", str(demo_tree))
    assert result.returncode == 0, result.stderr
    return demo_tree, result


def test_demo_writes_valid_topic_feeds(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    config, result = demo_run
    feeds = sorted((config.parent.parent / "var" / "feeds").glob("*.atom"))
    assert len(feeds) >= 2, result.stdout
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert parsed.entries, path
        ids = [e.id for e in parsed.entries]
        assert len(ids) == len(set(ids))
        assert all(i.startswith("tag:feedhub,2026:story/") for i in ids)


def test_each_demo_group_is_one_entry_and_nothing_else_merged(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    config, _ = demo_run
    manifest = yaml.safe_load((DATA / "demo_groups.yaml").read_text(encoding="utf-8"))
    story_of = stories_by_member(config.parent.parent / "var" / "feedhub.sqlite")
    all_members = [m for g in manifest["groups"] for m in g["members"]] + manifest["singletons"]
    assert sorted(story_of) == sorted(member_key(m) for m in all_members), (
        "the demo articles collected differ from the manifest"
    )
    group_story = {}
    for group in manifest["groups"]:
        stories = {story_of[member_key(m)] for m in group["members"]}
        assert len(stories) == 1, f"group {group['name']} was split into {len(stories)} stories"
        group_story[group["name"]] = stories.pop()
    singles = [story_of[member_key(m)] for m in manifest["singletons"]]
    everything = list(group_story.values()) + singles
    assert len(everything) == len(set(everything)), "two groups/singletons were merged"

    # In the Atom output: one entry per group, the other copies as related links.
    entries = {}
    for path in (config.parent.parent / "var" / "feeds").glob("*.atom"):
        for e in feedparser.parse(path.read_bytes()).entries:
            entries[e.id.rsplit("/", 1)[1]] = e
    for name, story in group_story.items():
        entry = entries[story]
        related = [link.href for link in entry.links if link.rel == "related"]
        members = [m for g in manifest["groups"] if g["name"] == name for m in g["members"]]
        assert "Also reported by" in entry.content[0].value
        assert len(related) >= 1 or any(m.startswith("hexo/") for m in members), name
        assert entry.link not in related


def test_topic_entry_counts_follow_the_manifest(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    config, _ = demo_run
    manifest = yaml.safe_load((DATA / "demo_groups.yaml").read_text(encoding="utf-8"))
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    for topic in cfg["topics"]:
        wanted = set(topic["sources"])
        expected = sum(
            1 for g in manifest["groups"] if any(member_key(m)[0] in wanted for m in g["members"])
        )
        expected += sum(1 for m in manifest["singletons"] if member_key(m)[0] in wanted)
        feed = feedparser.parse(
            (config.parent.parent / "var" / "feeds" / f"{topic['id']}.atom").read_bytes()
        )
        assert len(feed.entries) == expected, topic["id"]


def test_running_again_changes_nothing(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    config, _ = demo_run
    out = config.parent.parent / "var" / "feeds"
    before = {p.name: p.read_bytes() for p in out.glob("*.atom")}
    again = feedhub("run", "--once", "-c", str(config))
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and " 0 updated" in again.stdout
    after = {p.name: p.read_bytes() for p in out.glob("*.atom")}
    assert after == before


def test_bad_sources_give_one_clear_error_each_and_the_rest_goes_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    good = (DATA / "feeds" / "rss20.xml").read_bytes()
    feed_server.routes["/good.xml"] = Route(good)
    feed_server.routes["/error.xml"] = Route(b"oops", status=500)
    feed_server.routes["/garbage.xml"] = Route((DATA / "feeds" / "garbage.xml").read_bytes())
    posts = tmp_path / "posts"
    posts.mkdir()
    demo = Path(__file__).resolve().parent.parent / "config" / "demo" / "hexo"
    first = sorted(demo.glob("*.md"))[0]
    (posts / "ok.md").write_bytes(first.read_bytes())
    (posts / "broken.md").write_text(
        "---\ntitle: [unclosed\ndate: x\n---\nbody\n", encoding="utf-8"
    )
    config = tmp_path / "feedhub.yaml"
    config.write_text(
        f"""
storage: state.sqlite
output_dir: out
sources:
  - {{id: missing, kind: local, path: no-such-folder}}
  - {{id: posts, kind: local, path: posts}}
  - {{id: err500, kind: feed, url: "{feed_server.url("/error.xml")}"}}
  - {{id: garbage, kind: feed, url: "{feed_server.url("/garbage.xml")}"}}
  - {{id: good, kind: feed, url: "{feed_server.url("/good.xml")}"}}
topics:
  - {{id: all, title: All, sources: [missing, posts, err500, garbage, good]}}
""",
        encoding="utf-8",
    )
    result = feedhub("run", "--once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, result.stderr
    joined = "\n".join(errors)
    assert "'missing'" in joined and "no-such-folder" in joined
    assert "broken.md" in joined and "front matter" in joined
    assert "'err500'" in joined and "HTTP 500" in joined
    assert "'garbage'" in joined and "not a readable" in joined
    feed = feedparser.parse((tmp_path / "out" / "all.atom").read_bytes())
    expected = len(feedparser.parse(good).entries) + 1
    assert len(feed.entries) == expected


def test_invalid_config_lists_every_problem_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        """
storage: s.sqlite
colour: blue
sources:
  - {id: a, kind: local, path: x}
  - {id: b, kind: feed, url: "ftp://example.org/feed"}
  - {id: c, kind: feed, url: "http://example.org/feed", interval: soon}
topics:
  - {id: t, title: T, sources: [a, nope], max_entries: 0}
""",
        encoding="utf-8",
    )
    for args in (["check-config"], ["run", "--once"]):
        result = feedhub(*args, "-c", str(config))
        assert result.returncode == 2, result.stderr
        err = result.stderr
        assert "colour: unknown key" in err
        assert "sources[1].url: not a URL" in err
        assert "sources[2].interval:" in err and "not a duration" in err
        assert "topics[0].max_entries:" in err
        assert result.stdout == ""
