"""Finished trees are freed by reference counting: ``dom.serialize(release=True)`` cuts
parent pointers on its walk and ``dom.decompose`` cuts them in the removed subtree.
Neither may change any output, and after cleaning no ``dom.Node`` is left for the
cycle collector, which ``clean_many`` pauses (``gcpause``) and always resumes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedhub.clean import LearnSettings, RulePack, clean_many, dom, pack_for
from feedhub.clean.dom import Node
from feedhub.clean.gcpause import collector_paused
from feedhub.pipeline import pack_of
from feedhub.types import RawItem

from .test_clean_deferred import _bench_batches, _demo_batches

_PIECES = ["<p>", "</p>", "<div class='a b'>", "</div>", "<b>", "</b>", "<br>", "<img src=x>"]
_PIECES += ["<span id=s>", "</span>", "<ul><li>", "</li></ul>", "text", " ", "&amp;", "中"]


@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_serialize_release_gives_the_same_html(pieces: list[str]) -> None:
    html = "".join(pieces)
    try:
        kept = dom.serialize(dom.parse(html))
    except dom.Unsupported:
        return
    root = dom.parse(html)
    assert dom.serialize(root, release=True) == kept
    assert all(el.parent is None for el in dom.elements(root))


def test_decompose_leaves_no_cycle_below() -> None:
    root = dom.parse("<div><p><b>x</b><i>y</i></p></div><p>z</p>")
    div = dom.elements(root, frozenset({"div"}))[0]
    below = dom.elements(div)
    dom.decompose(div)
    assert div.dead and div.parent is None
    assert all(el.dead and el.parent is None for el in below)
    assert dom.serialize(root) == "<p>z</p>"


@contextmanager
def _collector_finds() -> Iterator[list[object]]:
    """What the cycle collector would have to free of what is dropped in the block."""
    found: list[object] = []
    gc.collect()
    gc.disable()
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found += gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_cleaned_trees_need_no_cycle_collector(tmp_path: Path) -> None:
    batches = _bench_batches(tmp_path)
    settings = LearnSettings(window=50, min_share=0.3, min_articles=3)
    with _collector_finds() as found:
        for raws in batches:
            assert all(c is not None for c in clean_many(raws, pack_of(None), settings))
    assert not [o for o in found if isinstance(o, Node)]


def test_collector_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch is still running
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_collector_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_clean_many_pauses_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def pack(raw: RawItem) -> RulePack:
        seen.append(gc.isenabled())
        return pack_for(raw.format, raw.source_id, None)

    raws = [r for batch in _demo_batches() for r in batch][:3]
    assert raws
    clean_many(raws, pack)
    assert seen and not any(seen)
    assert gc.isenabled()
