"""``FastTreeCleaner._elements`` (one walk of the tree, filtered per step, redone only
after the tree's structure changed) gives at every call what a fresh
``dom.elements`` walk gives: checked at each call while cleaning real and generated
articles, and on random markup.  Also ``_join_runs``'s skipping of the leading and
trailing newline joins where that end of the text has no whitespace.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.clean import LearnSettings, builtin_pack, clean_many, dom
from feedhub.clean.dom import Node
from feedhub.clean.fasttree import FastTreeCleaner
from feedhub.clean.tree import _LEAD_NL, _TRAIL_NL
from feedhub.pipeline import pack_of

from .test_clean_deferred import _bench_batches, _demo_batches

_cached = FastTreeCleaner._elements


def _checked(self: FastTreeCleaner, root: Node, names: frozenset[str] | None = None) -> list[Node]:
    got = _cached(self, root, names)
    assert got == dom.elements(root, names)
    _checked.calls += 1  # type: ignore[attr-defined]
    return got


_checked.calls = 0  # type: ignore[attr-defined]


def test_cached_walks_equal_fresh_walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FastTreeCleaner, "_elements", _checked)
    learn = LearnSettings(window=50, min_share=0.3, min_articles=3)
    for raws in _bench_batches(tmp_path) + _demo_batches():
        for s in (learn, LearnSettings(enabled=False)):
            clean_many(raws, pack_of(None), s)
    assert _checked.calls > 1000  # type: ignore[attr-defined]


_PIECES = ["<p>", "</p>", "<div class=share>", "</div>", "<b>", "</b>", "<br>", "<hr>"]
_PIECES += ["<img src=x width=1 height=1>", "<img>", "<a href='/x'>", "</a>", "<ul><li>"]
_PIECES += ["</li></ul>", "Related:", "text", " ", "Share this", "中文", "<span>", "</span>"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.sampled_from(["html", "markdown"]))
def test_cached_walks_on_random_markup(pieces: list[str], fmt: str) -> None:
    html = "".join(pieces)
    fast = FastTreeCleaner(builtin_pack(fmt), "Share this", "https://example.com/a")
    try:
        fast.prepare(html)
    except dom.Unsupported:
        return
    root = fast.root
    for names in (None, frozenset({"p", "div"}), frozenset({"img", "a"})):
        assert fast._elements(root, names) == dom.elements(root, names)
    fast.finish(None, keep=True)
    assert fast._elements(root) == dom.elements(root)
    fast.finish(None)


@given(st.text(alphabet=st.sampled_from(["中", "a", " ", "\n", "\u3000", "\t", "文", "\x85"])))
def test_newline_joins_skip_only_no_ops(text: str) -> None:
    # the shortcut in _join_runs: without whitespace at that end, the regex changes nothing
    if not text[:1].isspace():
        assert _LEAD_NL.sub("", text) == text
    if not text[-1:].isspace():
        assert _TRAIL_NL.sub("", text) == text
