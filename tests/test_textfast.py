"""The text fast paths (feedhub/dedupe/textfast.py) against their readable references."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.collect.local import read_article
from feedhub.dedupe import textfast
from feedhub.dedupe.signals import _VOCAB, LATIN, NUMBER, _Vocabulary, term_array, terms

from .conftest import ROOT

SHARED = ROOT.parent / "shared" / "corpora" / "goodnews-md"

# Characters that exercise every branch: CJK (and compatibility ideographs), kana,
# full-width forms, combining marks, Hangul (composes under NFKC), ligatures, an
# astral mathematical letter (NFKC maps it), an emoji, digits, underscores, spaces.
PIECES = list("中國国际新聞发布会：，。！（）【】「」ａＡ１２３ｶﾞ가각ᄀ\u1161é\u0301ﬁ_- \n.,'\"") + [
    "\U0001d400",
    "😀",
    "\uf900",
    "2020年10月",
    "Hello World",
    "COVID-19",
    "3.14",
    "ⅷ",
    "İ",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join) | st.text(max_size=80)


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_nfkc_lower_equals_unicodedata(text: str) -> None:
    assert textfast.nfkc_lower(text) == unicodedata.normalize("NFKC", text).lower()


def _named(text: str) -> dict[str, float]:
    ids, tf = term_array(text)
    names = _VOCAB.names()
    return {names[int(i)]: float(w) for i, w in zip(ids, tf, strict=True)}


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_term_array_equals_the_term_counter(text: str) -> None:
    expected = {g: float(1 + np.log(c)) for g, c in terms(text).items()}
    assert _named(text) == expected


def test_new_terms_get_ids_in_the_order_the_counter_lists_them() -> None:
    """Vocabulary ids decide the summation order of every dot product: the fast
    count must hand them out exactly as the Counter path did."""
    text = "翡翠湾隧道通车 Zephyrine quarry 2031 翡翠湾 quarry 隧道"
    before = _VOCAB.size
    ids, _ = term_array(text)
    fresh = sorted(int(i) for i in ids if i >= before)
    names = _VOCAB.names()
    new_terms = [g for g in terms(text) if _VOCAB.get(g) is not None and _VOCAB.get(g) >= before]
    assert [names[i] for i in fresh] == new_terms


def _texts(paths: list[Path]) -> list[str]:
    return [read_article(p).content for p in paths]


@pytest.mark.parametrize("folder", [ROOT / "config" / "demo", SHARED])
def test_fast_features_equal_the_references_on_real_pages(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    texts = _texts(sorted(folder.rglob("*.md")))
    assert len(texts) >= 20
    for a in texts:
        assert textfast.nfkc_lower(a) == unicodedata.normalize("NFKC", a).lower()
        assert _named(a) == {g: float(1 + np.log(c)) for g, c in terms(a).items()}


_KEYS = st.lists(st.integers(0, 40).map(lambda i: (0x4E00 + i) << 21 | 0x4E01), unique=True)
_WORDS = st.lists(
    st.sampled_from([f"{p}{w}" for p in (LATIN, NUMBER) for w in ("a", "b", "c", "7", "x9")]),
    unique=True,
)


@given(_KEYS, _WORDS, _KEYS, _WORDS, st.integers(0, 1100))
@settings(max_examples=300, deadline=None)
def test_vocabulary_fill_equals_one_id_at_a_time(
    keys: list[int], words: list[str], known_keys: list[int], known_words: list[str], pad: int
) -> None:
    """fill() hands out ids exactly as bigram_id()/id() called in turn would, with the
    same populations, from any earlier vocabulary (``pad`` terms first: the population
    array has to grow past its 1024 slots too)."""
    fast, slow = _Vocabulary(), _Vocabulary()
    for v in (fast, slow):
        for i in range(pad):
            v.id(f"{LATIN}pad{i}")
        for k in known_keys:
            v.bigram_id(k)
        for w in known_words:
            v.id(w)
    found: list[int | None] = [*map(fast.bigrams.get, keys), *map(fast.ids.get, words)]
    if None in found:
        fast.fill(found, keys, words)
    expected = [*map(slow.bigram_id, keys), *map(slow.id, words)]
    assert found == expected
    assert (fast.bigrams, fast.ids, fast.size) == (slow.bigrams, slow.ids, slow.size)
    assert fast.population[: fast.size].tolist() == slow.population[: slow.size].tolist()
