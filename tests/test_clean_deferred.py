"""``clean_many`` finishes each fast-path article once (``_clean_many_deferred``); the
two-pass way it replaces (still the code after it, and its fallback) must give the
same results: with and without stored history, and when an article fails.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

import feedhub.clean as clean_module
from feedhub.clean import LearnSettings, clean_many
from feedhub.collect.local import read_article
from feedhub.pipeline import pack_of
from feedhub.types import Cleaned, RawItem

from .conftest import ROOT, SHARED

SETTINGS = LearnSettings(window=50, min_share=0.3, min_articles=3)


def _two_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> list[Cleaned | None]:
        raise RuntimeError("use the two-pass way")

    monkeypatch.setattr(clean_module, "_clean_many_deferred", refuse)


def _bench_batches(tmp: Path) -> list[list[RawItem]]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    c = corpus.generate(tmp / "corpus", 80, 11)
    out: dict[Path, list[RawItem]] = {}
    for p in sorted(c.root.rglob("*.md")):
        out.setdefault(p.parent, []).append(read_article(p, source_id=p.parent.name))
    return list(out.values())


def _demo_batches() -> list[list[RawItem]]:
    out: dict[Path, list[RawItem]] = {}
    roots = [ROOT / "config" / "demo", SHARED / "corpora" / "goodnews-md"]
    for root in roots:
        for p in sorted(root.rglob("*.md")) if root.is_dir() else []:
            out.setdefault(p.parent, []).append(read_article(p, source_id=p.parent.name))
    return list(out.values())


def test_deferred_equals_two_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batches = _bench_batches(tmp_path) + _demo_batches()
    for settings in (LearnSettings(), SETTINGS):
        # called directly, so a surprise in it fails here instead of falling back
        deferred = [
            clean_module._clean_many_deferred(b, pack_of(None), settings, None) for b in batches
        ]
        with monkeypatch.context() as m:
            _two_pass(m)
            two_pass = [clean_many(b, pack_of(None), settings) for b in batches]
        assert deferred == two_pass
    assert sum(map(len, batches)) > 50


def test_deferred_with_history_equals_two_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items whose group is known before cleaning start from the stored history."""
    batches = _bench_batches(tmp_path)
    raws = [r for b in batches for r in b]
    # feed-like items: a link (so a group) before cleaning, history from other items
    items = [replace(r, link=f"https://{r.source_id}.example/{r.key}") for r in raws]
    stored = clean_many(items[: len(items) // 2], pack_of(None), SETTINGS)
    history_rows = [(str(i), c.blocks) for i, c in enumerate(stored) if c is not None]

    def history(group: str, exclude: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
        return list(history_rows)

    rest = items[len(items) // 2 :]
    deferred = clean_module._clean_many_deferred(rest, pack_of(None), SETTINGS, history)
    with monkeypatch.context() as m:
        _two_pass(m)
        assert clean_many(rest, pack_of(None), SETTINGS, history) == deferred


def test_a_failing_article_is_reported_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article whose finishing raises: reported once, None, left out of learning."""
    raws = _bench_batches(tmp_path)[0]
    bad = raws[1].key
    real = clean_module.sanitize

    def failing(html: str) -> str:
        if "FAIL-HERE" in html:
            raise ValueError("boom")
        return real(html)

    monkeypatch.setattr(clean_module, "sanitize", failing)
    raws = [replace(r, content=r.content + "\n\nFAIL-HERE\n") if r.key == bad else r for r in raws]
    errors: list[str] = []
    deferred = clean_many(raws, pack_of(None), SETTINGS, on_error=lambda r, e: errors.append(r.key))
    assert errors == [bad]
    with monkeypatch.context() as m:
        _two_pass(m)
        again: list[str] = []
        two_pass = clean_many(
            raws, pack_of(None), SETTINGS, on_error=lambda r, e: again.append(r.key)
        )
    assert deferred == two_pass and again == errors
    assert deferred[[r.key for r in raws].index(bad)] is None
    with pytest.raises(ValueError):
        clean_many(raws, pack_of(None), SETTINGS)
