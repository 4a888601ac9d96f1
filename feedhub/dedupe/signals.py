"""Similarity signals for the duplicate decision, CJK-aware and script-neutral.

* :func:`script_normalize`: traditional → simplified Chinese (OpenCC ``t2s``), so a
  Hong Kong or Taiwan outlet's copy of a story shingles like the mainland one.
* :func:`headline_terms` / :func:`series_part`: what a headline contributes.
* :class:`Idf`: document frequencies of character bigrams over a collection (the
  articles inside the dedupe window).  A rewritten story shares its *facts*
  (names, places, numbers: rare bigrams) more than its wording; weighting
  bigrams by rarity makes those count and lets common news vocabulary
  (中国, 美国, 表示) fade.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

import numpy as np
import opencc

from . import textfast


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=512)
def script_normalize(text: str) -> str:
    """NFKC, lower case, traditional → simplified.

    Cached: the shingles, tokens and terms of one article each start from it, and
    NFKC plus OpenCC were a fifth of cleaning-and-dedupe time."""
    return str(_t2s().convert(textfast.nfkc_lower(text)))


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LATIN = "w:"  # prefix of word features, so the two scripts never share a key
NUMBER = "n:"


@lru_cache(maxsize=4096)
def terms(text: str) -> Counter[str]:
    """The cosine's features: CJK character bigrams (Chinese has no spaces) and, for
    other scripts, whole words and numbers (character bigrams of English are
    shared by any two English texts).  Cached: every index rebuild in a run counts
    the window's articles again.  Callers must not mutate the result."""
    s = script_normalize(text)
    out: Counter[str] = Counter()
    for run in _CJK_RUN.findall(s):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    rest = _CJK_RUN.sub(" ", s)
    out.update(LATIN + w for w in _WORD.findall(rest))
    out.update(NUMBER + n for n in _NUMBER.findall(rest))
    return out


def _population(term: str) -> str:
    if term.startswith(LATIN):
        return "latin"
    return "any" if term.startswith(NUMBER) else "cjk"


_POPULATIONS = ("cjk", "latin", "any")
IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _is_bigram(term: str) -> bool:
    return len(term) == 2 and _CJK_RUN.fullmatch(term) is not None


class _Vocabulary:
    """Process-wide term → integer id, with each id's population: the IDF arithmetic
    then runs on arrays instead of one dictionary lookup per term and document.

    CJK bigrams are keyed by their two code points packed in an integer
    (:func:`textfast.cjk_bigrams` counts them so, without a string per bigram); other
    terms by their string.  Ids are handed out in the order terms are first seen."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.bigrams: dict[int, int] = {}
        self.size = 0
        self.population = np.zeros(1024, np.int8)

    def _new(self, population: int) -> int:
        i = self.size
        self.size += 1
        if i >= len(self.population):
            self.population = np.concatenate([self.population, np.zeros_like(self.population)])
        self.population[i] = population
        return i

    def get(self, term: str) -> int | None:
        if _is_bigram(term):
            return self.bigrams.get((ord(term[0]) << 21) | ord(term[1]))
        return self.ids.get(term)

    def id(self, term: str) -> int:
        if _is_bigram(term):
            return self.bigram_id((ord(term[0]) << 21) | ord(term[1]))
        i = self.ids.get(term)
        if i is None:
            i = self.ids[term] = self._new(_POPULATIONS.index(_population(term)))
        return i

    def bigram_id(self, key: int) -> int:
        i = self.bigrams.get(key)
        if i is None:
            i = self.bigrams[key] = self._new(0)  # "cjk"
        return i

    def fill(self, found: list[int | None], bigrams: list[int], words: list[str]) -> None:
        """Replace each None in ``found`` (the ids of ``bigrams`` then ``words``, None
        where unknown) with a new id, handing ids out in that order: what calling
        :meth:`bigram_id` / :meth:`id` on each in turn does, in a few C-level passes.
        A cold run meets hundreds of new terms per article, and the per-term calls
        were a tenth of its dedupe time on real mirror pages."""
        new: list[int] = []
        j = found.index(None)  # list.index walks in C
        while True:
            new.append(j)
            try:
                j = found.index(None, j + 1)
            except ValueError:
                break
        start, k = self.size, bisect_left(new, len(bigrams))
        ids = range(start, start + len(new))
        self.bigrams.update(zip(map(bigrams.__getitem__, new[:k]), ids[:k], strict=True))
        fresh = [words[j - len(bigrams)] for j in new[k:]]
        self.ids.update(zip(fresh, ids[k:], strict=True))
        end = start + len(new)
        while end > len(self.population):
            self.population = np.concatenate([self.population, np.zeros_like(self.population)])
        population = self.population[start:end]
        population[:k] = 0  # "cjk"
        population[k:] = [_POPULATIONS.index(_population(t)) for t in fresh]
        self.size = end
        for j, i in zip(new, ids, strict=True):
            found[j] = i

    def names(self) -> dict[int, str]:
        """id → term (for tests and debugging)."""
        out = {i: t for t, i in self.ids.items()}
        out.update((i, textfast.bigram_string(k)) for k, i in self.bigrams.items())
        return out


_VOCAB = _Vocabulary()


def vocabulary_size() -> int:
    """How many term ids exist: a dense array this long can hold any term vector."""
    return _VOCAB.size


@lru_cache(maxsize=4096)
def term_array(text: str) -> tuple[IntArray, FloatArray]:
    """:func:`terms` as (sorted vocabulary ids, sublinear TF 1 + log tf).  Cached like
    :func:`terms`; callers must not mutate the arrays.

    The CJK bigrams are counted as integer keys (:func:`textfast.cjk_bigrams`) and
    the words and numbers as in :func:`terms`, all in the order :func:`terms` lists
    them, so new terms get the same ids as through :func:`terms` (tests hold the two
    equal)."""
    s = script_normalize(text)
    cp = textfast.points(s)
    if cp is None:  # beyond the BMP: term by term
        counts = terms(text)
        ids = np.fromiter((_VOCAB.id(g) for g in counts), np.int64, len(counts))
        tf = 1 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
    else:
        keys, freq = textfast.cjk_bigrams(cp)
        rest: Counter[str] = Counter()
        other = s if s.isascii() else _CJK_RUN.sub(" ", s)
        rest.update(map(LATIN.__add__, _WORD.findall(other)))
        rest.update(map(NUMBER.__add__, _NUMBER.findall(other)))
        # known terms in one C-level pass; new ones (None) get ids in the same order
        found = [*map(_VOCAB.bigrams.get, keys), *map(_VOCAB.ids.get, rest)]
        if None in found:
            _VOCAB.fill(found, keys, list(rest))
        ids = np.array(found, np.int64)
        counts_all = np.concatenate([freq, np.fromiter(rest.values(), np.int64, len(rest))]).astype(
            np.float64
        )
        tf = 1 + np.log(counts_all)
    order = np.argsort(ids)
    return ids[order], tf[order]


class Idf:
    """Smoothed inverse document frequencies over a collection of texts.

    Frequencies are counted per script: a word's IDF is taken over the documents
    that contain words at all, a CJK bigram's over those with CJK text (numbers,
    shared by every script, over all documents).  In a
    mostly Chinese collection every English word would otherwise look rare, and
    any two English texts alike.  A script seen in fewer than ``min_docs``
    documents contributes nothing (its IDF would be noise).

    Counts live in an array indexed by vocabulary id (:func:`term_array`): the
    index is rebuilt for every batch of a run, and counting and weighting term by
    term in Python was a third of the duplicate stage.
    """

    def __init__(self, texts: Iterable[str] = (), min_docs: int = 20) -> None:
        self._df = np.zeros(1024, np.int64)
        self.docs = {"cjk": 0, "latin": 0, "any": 0}
        self.min_docs = min_docs
        for t in texts:
            self.add(t)

    @property
    def n(self) -> int:
        return max(self.docs.values())

    @property
    def usable(self) -> bool:
        """Enough documents of some script for an IDF (read for every pair)."""
        return self.docs["any"] >= self.min_docs  # "any" counts every document

    def add(self, text: str) -> None:
        ids, _ = term_array(text)
        if _VOCAB.size > len(self._df):
            grown = np.zeros(max(_VOCAB.size, 2 * len(self._df)), np.int64)
            grown[: len(self._df)] = self._df
            self._df = grown
        self._df[ids] += 1  # ids are unique within one text
        for code in set(_VOCAB.population[ids].tolist()) - {2}:
            self.docs[_POPULATIONS[code]] += 1
        self.docs["any"] += 1

    def df(self, term: str) -> int:
        i = _VOCAB.get(term)
        return int(self._df[i]) if i is not None and i < len(self._df) else 0

    def weight(self, term: str) -> float | None:
        """Smoothed IDF of one term, None when its script has too few documents."""
        n = self.docs[_population(term)]
        if n < self.min_docs:
            return None
        return math.log((n + 1) / (self.df(term) + 1))

    def packed(self, text: str) -> tuple[IntArray, FloatArray] | None:
        """Sublinear TF × IDF weights, L2-normalised, as (sorted ids, weights) of the
        positive weights; None when nothing is left.  Equal to :meth:`vector`."""
        ids, tf = term_array(text)
        n = np.array([self.docs[p] for p in _POPULATIONS], np.float64).take(
            _VOCAB.population.take(ids)
        )
        df = np.zeros(len(ids), np.int64)
        known = ids < len(self._df)  # a text outside the collection may bring new terms
        df[known] = self._df[ids[known]]
        usable = n >= self.min_docs
        weights = tf * np.log((n + 1) / (df + 1))
        weights[~usable] = 0.0
        norm = math.sqrt(float(np.dot(weights, weights))) or 1.0
        keep = weights > 0
        if not keep.any():
            return None
        return ids[keep], weights[keep] / norm

    def vector(self, text: str) -> dict[str, float]:
        """Sublinear TF × IDF weights, L2-normalised: the reference, term by term, that
        :meth:`packed` computes with arrays (``feedhub compare`` and tests read it)."""
        weights = {}
        for g, tf in terms(text).items():
            idf = self.weight(g)
            if idf is not None:
                weights[g] = (1 + math.log(tf)) * idf
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items() if w > 0}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(g, 0.0) for g, w in a.items())


_TITLE_NOISE = re.compile(r"[（(][^)）]{0,4}[)）]|【[^】]{0,12}】|\[[^\]]{0,12}\]")


def headline_terms(title: str) -> frozenset[str]:
    """A headline's features, in the same key space as :func:`terms` so the body
    IDF weighs them: character bigrams of its CJK characters joined (a headline's
    spaces and punctuation are layout, 川普下令 解密 vs 川普下令、解密), plus its
    other-script words and numbers.  (图)/【禁闻】-style tags are dropped first."""
    s = script_normalize(_TITLE_NOISE.sub("", title))
    cjk = "".join(_CJK_RUN.findall(s))
    out = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    rest = _CJK_RUN.sub(" ", s)
    out.update(LATIN + w for w in _WORD.findall(rest))
    out.update(NUMBER + n for n in _NUMBER.findall(rest))
    return frozenset(out)


_PART = re.compile(
    r"(?:[（(【\[]\s*(?:第\s*)?([0-9一二三四五六七八九十百上中下]+)\s*(?:集|部分|篇|章|部)?\s*[)）】\]]"
    r"|之([一二三四五六七八九十百]+)"
    r"|\b(?:part|pt\.?)\s*(\d+|[ivx]+)\b)\W*$",
    re.IGNORECASE,
)


def series_part(title: str) -> str | None:
    """The installment marker ending a headline — （2）, (三), 之二, [下], Part 3 — or
    None.  Parts of one series share their headline and often an opening paragraph,
    yet each is its own story."""
    m = _PART.search(unicodedata.normalize("NFKC", title).strip())
    return next((g.lower() for g in m.groups() if g), None) if m else None
