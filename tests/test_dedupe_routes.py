"""The story index's candidate routes and bounds against brute force: every pair in the
window through decide(), closest first.  The index may only skip pairs no rule can merge,
so both must pick the same story for every article.

Brute force also decides pairs outside both routes (beyond the simhash distance, sharing
no headline term that heads at most MAX_POSTINGS rows); only the headline rule could merge
those, and it needs a shared headline term, so on windows with fewer rows than
MAX_POSTINGS both must agree exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from feedhub import pipeline
from feedhub.config import Config, parse_config
from feedhub.dedupe import assign
from feedhub.dedupe.assign import (
    MAX_POSTINGS,
    FeatureCache,
    Match,
    Settings,
    Side,
    StoryIndex,
    decide,
)
from feedhub.dedupe.fingerprint import fingerprint, overlap, token_shingles
from feedhub.dedupe.rows import Rows
from feedhub.dedupe.signals import Idf
from feedhub.storage import Candidate, Storage

from .test_dedupe import _ARTS
from .test_dedupe_headline import A_TEXT, A_TITLE, B_TEXT, B_TITLE

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def brute_match(
    index: StoryIndex,
    fp: int,
    when: datetime,
    side: Side,
    side_of: Callable[[str], Side],
    exclude: str | None = None,
    source: str = "",
) -> Match | None:
    """Every live row dated within the window, closest first (then date, then id),
    through decide(); the first merge wins."""
    when_us, window_us = (when - _EPOCH) // _MICRO, index.window // _MICRO
    headline = index.cache.of(side).headline
    column = False
    if source and headline:
        same = [
            r
            for r in index._headings.get((source, headline), ())
            if index._alive.data[r] and abs(index._us.data[r] - when_us) <= window_us
        ]
        column = bool(same)
    pairs = []
    for row, c in enumerate(index.entries):
        if not index._alive.data[row] or abs(index._us.data[row] - when_us) > window_us:
            continue
        if c.item_id == exclude:
            continue
        try:
            side_of(c.item_id)
        except KeyError:
            continue
        pairs.append(((c.fp ^ fp).bit_count(), c.sort_date, c.item_id, c.story_id))
    for d, _, item_id, story_id in sorted(pairs):
        verdict = decide(
            side, side_of(item_id), d, index.settings, index.cache, explain=False, column=column
        )
        if verdict.duplicate:
            return Match(story_id, item_id, verdict)
    return None


def _key(m: Match | None) -> tuple[str, str] | None:
    return None if m is None else (m.story_id, m.item_id)


class Checked:
    """Wraps StoryIndex.match: every call is also answered by brute force."""

    def __init__(self) -> None:
        self.calls = 0
        self.merged = 0
        self.differ: list[str] = []

    def wrap(self, original: Callable[..., Match | None]) -> Callable[..., Match | None]:
        def match(index: StoryIndex, *args: Any, **kwargs: Any) -> Match | None:
            got = original(index, *args, **kwargs)
            want = brute_match(index, *args, **kwargs)
            self.calls += 1
            self.merged += got is not None
            assert max(map(len, index._postings.values()), default=0) <= MAX_POSTINGS
            if _key(got) != _key(want):
                self.differ.append(f"{args[2].item_id}: index {_key(got)}, brute {_key(want)}")
            return got

        return match


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checked]:
    check = Checked()
    monkeypatch.setattr(StoryIndex, "match", check.wrap(StoryIndex.match))
    yield check


def _bench_corpus() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return corpus


def _config(c: Any, work: Path, dedupe: dict[str, Any]) -> Config:
    """bench/run.py's configuration of a generated corpus (all sources, one topic)."""
    sources = c.source_entries()
    data = {
        "storage": str(work / "feedhub.sqlite"),
        "output_dir": str(work / "feeds"),
        "sources": sources,
        "topics": [{"id": "all", "title": "all", "sources": [s.id for s in c.sources]}],
        "dedupe": dedupe,
    }
    return parse_config(data, "<test>", str(work))


@pytest.mark.parametrize(
    ("seed", "lengths", "dedupe"),
    [
        (7, "real", {}),
        (8, "short", {}),
        # looser floors make more pairs reach each rule (and more merges to compare)
        (9, "real", {"min_overlap": 0.4, "min_cosine": 0.3, "headline": [[0.4, 0.1]]}),
        (10, "short", {"threshold": 10, "headline": [[0.5, 0.3], [0.7, 0.15]]}),
    ],
)
def test_pipeline_matches_equal_brute_force(
    tmp_path: Path, checked: Checked, seed: int, lengths: str, dedupe: dict[str, Any]
) -> None:
    c = _bench_corpus().generate(tmp_path / "corpus", 160, seed, lengths)
    config = _config(c, tmp_path, dedupe)
    storage = Storage(config.storage_path)
    try:
        pipeline.run_once(config, storage, NOW)
    finally:
        storage.close()
    assert checked.calls >= 150 and checked.merged > 0
    assert not checked.differ, checked.differ[:10]


def _fixture_sides() -> list[tuple[Side, int]]:
    sides = [(Side(a.text, a.title, key), a.fingerprint) for key, a in sorted(_ARTS.items())]
    for key, text, title in (("a-rewrite", A_TEXT, A_TITLE), ("b-rewrite", B_TEXT, B_TITLE)):
        sides.append((Side(text, title, key), fingerprint(text)))
    # excerpts and short texts of the fixtures, so every flag meets every other
    for side, _ in list(sides[:6]):
        for cut, tag in ((300, "excerpt"), (50, "short")):
            s = Side(side.text[:cut], side.title, f"{side.item_id}#{tag}")
            sides.append((s, fingerprint(s.text)))
    return sides


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(threshold=8),
        Settings(threshold=40, min_overlap=0.3, min_cosine=0.25),
        Settings(headline=((0.4, 0.05), (0.8, 0.0))),
        Settings(headline=()),
    ],
)
def test_fixture_matches_equal_brute_force(settings: Settings) -> None:
    sides = _fixture_sides()
    by_id = {s.item_id: s for s, _ in sides}
    cache = FeatureCache(Idf(s.text for s, _ in sides))
    index = StoryIndex(settings, timedelta(days=3), cache)
    for i, (side, fp) in enumerate(sides):
        index.add(Candidate(side.item_id, f"story-{i}", fp, NOW, f"src{i % 3}"), side)
    merged = 0
    for i, (side, fp) in enumerate(sides):
        args = (fp, NOW + timedelta(hours=i % 5), side, by_id.__getitem__, side.item_id)
        got, want = (
            index.match(*args, source=f"src{i % 3}"),
            brute_match(index, *args, source=f"src{i % 3}"),
        )
        assert _key(got) == _key(want), side.item_id
        merged += got is not None
    assert merged


def test_a_changed_side_is_still_compared() -> None:
    """A row whose item the batch gives another text is decided on that text: the
    run-long columns (made from the old text) must not drop it."""
    text = _ARTS["goodnews/kz3/1043562.md"].text
    other = "完全不同的一段文字，讲的是另一件事情，与原文毫无关系。" * 8
    cache = FeatureCache(Idf([text, other] * 10))
    index = StoryIndex(Settings(), timedelta(days=3), cache)
    fp = fingerprint(text)
    index.add(Candidate("x", "story-x", fp, NOW, "s"), Side(other, "", "x"))
    sides = {"x": Side(text, "", "x")}
    match = index.match(fp, NOW, Side(text, "", "q"), sides.__getitem__)
    assert match is not None and match.item_id == "x"


def test_overlap_and_norm_bounds_are_upper_bounds() -> None:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(words, int(rng.integers(5, 400)))) for _ in range(60)]
    idf = Idf(texts, min_docs=5)
    rows = Rows(weighted=False)
    packed = [idf.packed(t) for t in texts]
    for t, p in zip(texts, packed, strict=True):
        rows.add(token_shingles(t, 4), (p[0] if p else np.zeros(0, np.int64), np.zeros(0)), 0)
    slots = np.arange(len(texts))
    cache = FeatureCache(idf)
    for i, t in enumerate(texts):
        q = token_shingles(t, 4)
        bounds = rows.overlap_bounds_of(q, slots)
        exact = [overlap(q, token_shingles(o, 4)) for o in texts]
        assert (bounds >= np.array(exact)).all()
        if packed[i] is None:
            continue
        norms = rows.norm_bounds(packed[i], slots)
        for j, o in enumerate(texts):
            cos = cache.cosine(Side(t, "", f"t{i}"), Side(o, "", f"t{j}"))
            assert cos is None or cos <= norms[j] + 1e-12


def test_brute_force_helper_is_the_reference() -> None:
    """The helper itself: on a small window it finds the fixtures' known duplicate."""
    assert assign.decide is decide
    sides = _fixture_sides()
    by_id = {s.item_id: s for s, _ in sides}
    index = StoryIndex(Settings(), timedelta(days=3), FeatureCache(Idf(s.text for s, _ in sides)))
    a, fa = next((s, f) for s, f in sides if s.item_id == "a-rewrite")
    index.add(Candidate("a-rewrite", "story-a", fa, NOW, "s1"), a)
    b, fb = next((s, f) for s, f in sides if s.item_id == "b-rewrite")
    m = brute_match(index, fb, NOW, b, by_id.__getitem__)
    assert m is not None and m.story_id == "story-a"


def test_headline_prefix_holds_every_headline_the_rule_can_merge() -> None:
    """Any headline pair with Dice >= HEADLINE_DICE shares a term of the query's prefix."""
    rng = np.random.default_rng(11)
    vocab = [f"t{i}" for i in range(40)]
    titles = [" ".join(rng.choice(vocab, int(rng.integers(1, 9)))) for _ in range(150)]
    bodies = [" ".join(rng.choice(vocab, 30)) + f" {t}" for t in titles]
    cache = FeatureCache(Idf(bodies, min_docs=5))
    index = StoryIndex(Settings(), timedelta(days=3), cache)
    sides = [Side(b, t, f"i{i}") for i, (b, t) in enumerate(zip(bodies, titles, strict=True))]
    checked = 0
    for a in sides:
        prefix = set(index._headline_prefix(a))
        for b in sides:
            _, dice = cache.headline(a, b)
            if dice >= assign.HEADLINE_DICE - 1e-9:
                checked += 1
                assert prefix & cache.of(b).headline, (a.title, b.title)
    assert checked > len(sides)


def test_headline_rule_at_its_exact_floors() -> None:
    """Rewrites sharing names in headline and body, at random simhash distance (only the
    headline rule and its route can merge them), with the floors set to pairs' exact
    values: the bounds must keep the pairs that sit on a floor."""
    rng = np.random.default_rng(21)
    vocab = [f"word{i}" for i in range(400)]
    sides: list[tuple[Side, int]] = []
    for i in range(90):
        names = [f"place{i // 3}", f"person{i // 3}", f"org{i // 3}", f"town{i // 3}"]
        picked = rng.choice(names, int(rng.integers(2, 5)), replace=False)
        title = " ".join([*picked, *rng.choice(vocab, int(rng.integers(0, 3)))])
        body = " ".join([*rng.choice(vocab, 120), *(names * int(rng.integers(1, 4)))])
        sides.append((Side(body, title, f"i{i}"), int(rng.integers(0, 1 << 63))))
    by_id = {s.item_id: s for s, _ in sides}
    cache = FeatureCache(Idf(s.text for s, _ in sides))
    values = []
    for a, _ in sides[:30]:
        for b, _ in sides:
            headline, dice = cache.headline(a, b)
            cos = cache.cosine(a, b)
            if a is not b and dice >= assign.HEADLINE_DICE and cos is not None:
                values.append((headline, cos))
    assert len(values) > 10
    values.sort()
    floors = [values[len(values) // 4], values[len(values) // 2], values[-1]]
    for floor in floors:
        for settings in (Settings(headline=(floor,)), Settings(headline=((floor[0], 0.0),))):
            index = StoryIndex(settings, timedelta(days=3), cache)
            for i, (side, fp) in enumerate(sides):
                index.add(Candidate(side.item_id, f"story-{i}", fp, NOW, f"src{i}"), side)
            merged = 0
            for side, fp in sides:
                args = (fp, NOW, side, by_id.__getitem__, side.item_id)
                got, want = index.match(*args), brute_match(index, *args)
                assert _key(got) == _key(want), (floor, side.item_id)
                merged += got is not None
            assert merged, floor


def test_bitmap_bounds_are_upper_bounds() -> None:
    """The story index's bitmap-first bounds (probe, then gather where the probe reaches
    the floor) never fall below the exact overlap and cosine."""
    rng = np.random.default_rng(6)
    words = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(words, int(rng.integers(5, 400)))) for _ in range(60)]
    cache = FeatureCache(Idf(texts, min_docs=5))
    index = StoryIndex(Settings(), timedelta(days=3), cache)
    sides = [Side(t, "", f"t{i}") for i, t in enumerate(texts)]
    for i, s in enumerate(sides):
        index.add(Candidate(s.item_id, f"s{i}", i, NOW, "src"), s)
    rows = np.arange(len(texts))
    for a in sides:
        q = cache.of(a).hashes
        packed = cache.packed(a)
        for floor in (0.0, 0.3, 2.0):  # 0: every row gathered too; 2: probe only
            overlaps = index._overlap_bounds(q, rows, floor)
            exact = [overlap(q, cache.of(b).hashes) for b in sides]
            assert (overlaps >= np.array(exact)).all()
            if packed is None:
                continue
            norms = index._norm_bounds(packed, rows, floor)
            for j, b in enumerate(sides):
                cos = cache.cosine(a, b)
                assert cos is None or cos <= norms[j] + 1e-12
