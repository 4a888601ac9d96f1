"""The faster parse / store / render paths give exactly the old results (issue 8).

Each swapped path keeps the old one as a reference, selected here:

* store: ``Storage.put_items`` (one ``executemany`` per table) and the batched
  ``stories_of`` read against the old per-item upsert (named parameters, one
  ``INSERT OR IGNORE`` story per item) and per-item ``story_of``, copied below;
* parse: feedparser's own HTML rewrite (``fastfeed.FAST_URIS``), ``yaml.load`` for
  every front matter (``local.FAST_FRONT_MATTER``);
* render: ``render_atom`` (the lxml tree written directly) against
  ``render_atom_feedgen`` (feedgen's object model), byte for byte: in the pipeline runs
  and on hand-made stories with every field shape (control characters, empty bodies,
  wires, related copies, categories, missing dates).

The whole pipeline runs twice on the same inputs -- the demo config, the benchmark
corpus (small), and a second run with changed articles (the update branch) -- and the
databases (every table, every column but the clock-dependent file-stat time) and the
written feeds must be equal byte for byte.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub import pipeline
from feedhub.collect import fastfeed, local
from feedhub.config import Config, load_config, parse_config
from feedhub.dates import format_iso, parse_date
from feedhub.dedupe.fingerprint import FP_VERSION, to_signed
from feedhub.publish import atom
from feedhub.storage import ItemRow, Storage, raw_to_json
from feedhub.types import Article, StoryView

from .conftest import ROOT

NOW = datetime(2026, 11, 20, tzinfo=UTC)


# --------------------------------------------------------------------------- references


def reference_put_item(storage: Storage, row: ItemRow) -> None:
    """The per-item upsert put_items replaced (feedhub before issue 8's store work)."""
    article, raw, story_id, first_seen, sort_date = row
    storage._q(
        "INSERT OR IGNORE INTO stories (id, created) VALUES (?, ?)",
        (story_id, format_iso(first_seen)),
    )
    storage._q(
        """INSERT INTO items (id, source_id, key, story_id, format, title, link, author,
               outlet, wire, published, updated, first_seen, sort_date, categories, image,
               content_hash, raw, html, text, fp, fp_version, blocks, learn_group)
           VALUES (:id, :source_id, :key, :story_id, :format, :title, :link, :author,
               :outlet, :wire, :published, :updated, :first_seen, :sort_date, :categories,
               :image, :content_hash, :raw, :html, :text, :fp, :fp_version, :blocks,
               :learn_group)
           ON CONFLICT(id) DO UPDATE SET
               format = :format, title = :title, link = :link, author = :author,
               outlet = :outlet, wire = :wire, published = :published, updated = :updated,
               sort_date = :sort_date, categories = :categories, image = :image,
               content_hash = :content_hash, raw = :raw, html = :html, text = :text,
               story_id = :story_id, fp = :fp, fp_version = :fp_version, blocks = :blocks,
               learn_group = :learn_group""",
        {
            "id": article.id,
            "source_id": article.source_id,
            "key": article.key,
            "story_id": story_id,
            "format": article.format,
            "title": article.title,
            "link": article.link,
            "author": article.author,
            "outlet": article.outlet,
            "wire": article.wire,
            "published": format_iso(article.published),
            "updated": format_iso(article.updated),
            "first_seen": format_iso(first_seen),
            "sort_date": format_iso(sort_date),
            "categories": json.dumps(list(article.categories), ensure_ascii=False),
            "image": article.image,
            "content_hash": article.content_hash,
            "raw": raw_to_json(raw),
            "html": article.html,
            "text": article.text,
            "fp": to_signed(article.fingerprint),
            "fp_version": FP_VERSION,
            "blocks": json.dumps(list(article.blocks)),
            "learn_group": article.learn_group,
        },
    )


def reference_story_members(
    storage: Storage, source_ids: tuple[str, ...]
) -> dict[str, list[tuple[Article, datetime]]]:
    """story_members as it was: every column, sqlite3.Row, ``Storage._article``."""
    marks = ",".join("?" * len(source_ids))
    rows = storage._q(
        f"""SELECT * FROM items WHERE story_id IN
              (SELECT story_id FROM items WHERE source_id IN ({marks}))
            ORDER BY sort_date, id""",
        source_ids,
    )
    out: dict[str, list[tuple[Article, datetime]]] = {}
    for r in rows:
        first_seen = parse_date(r["first_seen"])
        assert first_seen is not None
        out.setdefault(r["story_id"], []).append((storage._article(r), first_seen))
    return out


@contextmanager
def reference_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def put_items(self: Storage, rows: Sequence[ItemRow]) -> None:
        for row in rows:
            reference_put_item(self, row)

    def stories_of(self: Storage, ids: list[str]) -> dict[str, str]:
        out = {}
        for item_id in ids:
            story = self.story_of(item_id)
            if story is not None:
                out[item_id] = story
        return out

    with monkeypatch.context() as m:
        m.setattr(fastfeed, "FAST_URIS", False)
        m.setattr(local, "FAST_FRONT_MATTER", False)
        m.setattr(atom, "render_atom", atom.render_atom_feedgen)
        m.setattr(Storage, "put_items", put_items)
        m.setattr(Storage, "stories_of", stories_of)
        m.setattr(Storage, "story_members", reference_story_members)
        yield


# --------------------------------------------------------------------------- harness


def dump(db_path: Path, out_dir: Path, work: Path) -> dict[str, Any]:
    """Every table's rows (sorted) and every output file's bytes; the copies' own
    folder and file times are not compared."""
    state: dict[str, Any] = {}

    def same(value: Any) -> Any:
        return value.replace(str(work), "<work>") if isinstance(value, str) else value

    with sqlite3.connect(db_path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in sorted(tables):
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in cols if c not in ("recorded_ns", "mtime_ns", "body_hash")]
            rows = db.execute(f"SELECT {', '.join(keep)} FROM {table}").fetchall()
            state[table] = sorted((tuple(map(same, r)) for r in rows), key=repr)
    for path in sorted(out_dir.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(out_dir))] = path.read_bytes()
    return state


def run_twice(
    make: Callable[[Path], Path],
    change: Callable[[Path], None] | None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(reference state, fast state) after run_once (and, with ``change``, a second
    run_once after changing the inputs) on fresh copies of the same inputs."""
    states = []
    for name in ("reference", "fast"):
        work = tmp_path / name
        config_path = make(work)
        config = load_config(config_path)

        with reference_paths(monkeypatch) if name == "reference" else _nothing():
            run_at(config, NOW)
            if change is not None:
                change(work)
                again = run_at(config, NOW + timedelta(hours=5))
                assert sum(s.updated for s in again.sources) > 0  # the update branch ran
                assert sum(s.new for s in again.sources) > 0
        states.append(dump(config.storage_path, config.output_path, work))
        with Storage(config.storage_path) as storage:  # every field, not only those shown
            for topic in config.topics:
                members = storage.story_members(topic.sources)
                assert members == reference_story_members(storage, topic.sources)
    return states[0], states[1]


def run_at(config: Config, now: datetime) -> pipeline.RunSummary:
    random.seed(7)  # next_due's jitter
    storage = Storage(config.storage_path)
    try:
        return pipeline.run_once(config, storage, now)
    finally:
        storage.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def demo(work: Path) -> Path:
    shutil.copytree(ROOT / "config", work / "config")
    return work / "config" / "feedhub.yaml"


def bench_corpus(n: int) -> Callable[[Path], Path]:
    def make(work: Path) -> Path:
        sys.path.insert(0, str(ROOT / "bench"))
        try:
            import corpus as corpus_mod
            import run as bench_run
        finally:
            sys.path.remove(str(ROOT / "bench"))
        c = corpus_mod.generate(work / "corpus", n, corpus_mod.SEED)
        config = bench_run.make_config(c, work)
        data = {
            "storage": str(config.storage_path),
            "output_dir": str(config.output_path),
            "json_feed": True,
            "sources": [{k: v for k, v in s.items() if v is not None} for s in c.source_entries()],
            "topics": [
                {"id": t, "title": title, "sources": list(srcs), "max_entries": 10000}
                for t, title, srcs in c.topics
            ],
        }
        parse_config(data, "<test>", str(work))  # valid
        path = work / "feedhub.yaml"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    return make


def edit_articles(work: Path) -> None:
    """Change some local articles and feed entries (the update branch), add one copy."""
    md = sorted(p for p in work.rglob("*.md") if "demo" in str(p) or "corpus" in str(p))
    for i, path in enumerate(md[::4]):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("。", "，", 1).replace(". ", ", ", 1) + "\n", "utf-8")
        if i == 0:
            (path.parent / ("copy-" + path.name)).write_text(text, encoding="utf-8")
    for path in sorted(work.rglob("*.rss")) + sorted(work.rglob("*.atom")):
        if "feeds" in path.parts and "var" not in path.parts and "corpus" in str(path):
            body = path.read_bytes()
            path.write_bytes(body.replace(b"the ", b"The ", 3))


# --------------------------------------------------------------------------- tests


def test_demo_pipeline_equals_the_reference_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ref, fast = run_twice(demo, edit_articles, monkeypatch, tmp_path)
    assert ref["items"] and ref.keys() == fast.keys()
    for key in ref:
        assert ref[key] == fast[key], key


def test_bench_corpus_pipeline_equals_the_reference_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ref, fast = run_twice(bench_corpus(150), edit_articles, monkeypatch, tmp_path)
    assert len(ref["items"]) > 100 and ref.keys() == fast.keys()
    for key in ref:
        assert ref[key] == fast[key], key


def _article(i: int, **fields: Any) -> Article:
    base: dict[str, Any] = {
        "id": f"item{i}",
        "source_id": f"src{i % 3}",
        "key": f"k{i}",
        "format": "rss",
        "title": f"Title {i} <b>&amp;</b>",
        "html": f"<p>Body {i} &amp; more</p>",
        "text": f"Body {i}",
        "fingerprint": i,
        "link": f"https://example.org/{i}?a=1&b=2",
        "author": None,
        "outlet": f"Outlet {i}",
        "published": datetime(2026, 11, 1, i % 24, tzinfo=UTC),
    }
    base.update(fields)
    return Article(**base)


def hand_made_stories() -> list[StoryView]:
    bel, nul = "\x07", "\x00"
    est = timezone(timedelta(hours=-5))
    a = _article
    return [
        StoryView("s0", a(0), (), a(0).published, a(0).published),
        StoryView(
            "s1",
            a(1, wire="AP", outlet="Daily", categories=("World", f"Asia{bel}", "")),
            (a(2), a(3, link=None), a(4, link="https://example.org/1?a=1&b=2")),
            datetime(2026, 11, 2, tzinfo=UTC),
            datetime(2026, 11, 3, 4, 5, 6, 789, tzinfo=UTC),
        ),
        StoryView(
            "s2",
            a(5, html="", wire="Same", outlet="Same", author=f"{bel}", link=None),
            (a(6, outlet=bel, author=None), a(7, outlet=None, author=f"Ann{nul}")),
            None,
            None,
        ),
        StoryView(
            "s3",
            a(
                8,
                title=f"T{bel}itle",
                html=f"<p>x{bel}y\ufffe</p>",
                link=f"https://e.org/{bel}",
                outlet=None,
                author=None,
                updated=datetime(2026, 1, 1, tzinfo=est),
            ),
            (a(9, link=f"https://e.org/{bel}"),),
            datetime(2026, 11, 4, tzinfo=est),
            None,
        ),
        StoryView(
            "s4",
            a(10, link="javascript:alert(1)", wire=f"{bel}", categories=("a & b", "<c>")),
            (),
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, tzinfo=UTC),
        ),
    ]


def render_both(config: Config, topic: Any, stories: list[StoryView]) -> tuple[Any, Any]:
    out = []
    for fn in (atom.render_atom_feedgen, atom.render_atom):
        try:
            out.append(fn(config, topic, stories))
        except ValueError as exc:
            out.append(("ValueError", type(exc)))
    return out[0], out[1]


@pytest.mark.parametrize("hub", [None, "https://hub.example/"])
def test_render_equals_feedgen_on_hand_made_stories(hub: str | None, tmp_path: Path) -> None:
    data: dict[str, Any] = {
        "storage": str(tmp_path / "db.sqlite"),
        "output_dir": str(tmp_path / "out"),
        "base_url": "https://feeds.example/x/",
        "sources": [{"id": "src0", "kind": "feed", "url": "https://e.org/f"}],
        "topics": [{"id": "t", "title": "T & <T>", "sources": ["src0"]}],
    }
    if hub:
        data["websub_hub"] = hub
    config = parse_config(data, "<test>", str(tmp_path))
    topic = config.topics[0]
    stories = hand_made_stories()
    for subset in (stories, stories[:1], stories[1:3], [], stories[::-1]):
        ref, fast = render_both(config, topic, subset)
        assert ref == fast
        assert isinstance(fast, bytes)
    # what feedgen refuses, refused the same way
    naive = StoryView("n", _article(20), (), datetime(2026, 1, 1), None)
    untitled = StoryView("u", _article(21, title="\x07"), (), None, None)
    for bad in ([naive], [untitled]):
        ref, fast = render_both(config, topic, bad)
        assert ref == fast == ("ValueError", ValueError)


_TEXT = st.lists(
    st.sampled_from(
        ["a", "Z", " ", "中", "&", "<", ">", '"', "'", "\t", "\n", "\r", "\x07", "\x00",
         "\x85", "\x7f", "\ufffe", "\U0001f600", "é", "/", ":", "]]>", "&amp;", "http://h"]
    ),
    max_size=12,
).map("".join)  # fmt: skip
_MAYBE = st.one_of(st.none(), _TEXT)
_DATES = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
    ),
)


@st.composite
def _stories(draw: st.DrawFn) -> list[StoryView]:
    def article(i: int) -> Article:
        return Article(
            id=f"i{i}",
            source_id=draw(st.sampled_from(["src", "s\x07", "中"])),
            key="k",
            format="rss",
            title=draw(_TEXT),
            html=draw(_TEXT),
            text="t",
            fingerprint=0,
            link=draw(st.one_of(_MAYBE, st.sampled_from(["https://a.b/c", "https://a.b/c"]))),
            author=draw(_MAYBE),
            outlet=draw(_MAYBE),
            wire=draw(_MAYBE),
            published=draw(_DATES),
            updated=draw(_DATES),
            categories=tuple(draw(st.lists(_TEXT, max_size=3))),
        )

    out = []
    for n in range(draw(st.integers(0, 3))):
        rep = article(10 * n)
        others = tuple(article(10 * n + k) for k in range(1, draw(st.integers(1, 3))))
        out.append(StoryView(draw(st.sampled_from(["s1", "s\x07"])), rep, others,
                             draw(_DATES), draw(_DATES)))  # fmt: skip
    return out


@settings(max_examples=300, deadline=None)
@given(_stories(), st.sampled_from(["T", "T\x07", "\x07"]))
def test_render_equals_feedgen_on_random_stories(stories: list[StoryView], title: str) -> None:
    data: dict[str, Any] = {
        "storage": "/nonexistent/db.sqlite",
        "output_dir": "/nonexistent/out",
        "sources": [{"id": "src", "kind": "feed", "url": "https://e.org/f"}],
        "topics": [{"id": "t", "title": "x", "sources": ["src"]}],
    }
    config = parse_config(data, "<test>", "/")
    topic = config.topics[0].model_copy(update={"title": title})
    ref, fast = render_both(config, topic, stories)
    assert ref == fast


def test_put_items_equals_the_per_item_upsert(tmp_path: Path) -> None:
    """Repeated ids (the last wins), a repeated story, equal instants in two time zones,
    naive datetimes, empty and non-ASCII lists: the same rows either way."""
    from feedhub.types import RawItem

    plus8 = timezone(timedelta(hours=8))
    when = [
        datetime(2026, 11, 1, 8, tzinfo=plus8),
        datetime(2026, 11, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 0),
        None,
    ]
    rows: list[ItemRow] = []
    for i in range(12):
        raw = RawItem(f"s{i % 2}", f"k{i % 5}", "rss", f"T{i}", f"<p>{i}</p>", "html")
        article = _article(
            i,
            id=raw.id,
            source_id=raw.source_id,
            key=raw.key,
            published=when[i % 4],
            updated=when[(i + 1) % 4],
            categories=("中", f"c{i}") if i % 3 else (),
            blocks=(f"b{i}",) if i % 2 else (),
        )
        first_seen = when[i % 2] or NOW
        sort_date = when[(i + 2) % 4] or NOW
        rows.append((article, raw, f"story{i % 3}", first_seen, sort_date))
    dumps = []
    for name in ("reference", "fast"):
        path = tmp_path / name / "db.sqlite"
        with Storage(path) as storage, storage.transaction():
            if name == "reference":
                for row in rows:
                    reference_put_item(storage, row)
            else:
                storage.put_items(rows)
        (tmp_path / name / "out").mkdir()
        dumps.append(dump(path, tmp_path / name / "out", tmp_path / name))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["items"]) == 10
