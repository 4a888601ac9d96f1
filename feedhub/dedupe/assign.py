"""Story assignment: does a new article join an existing story?

Rationale
---------
Cleaning comes first: on raw mirror pages the shared nav/promo/footer
boilerplate makes two unrelated pages of one outlet closer than the same
story told by two outlets.  Then two steps: *candidates* (simhash distance,
and headline postings), then text signals that *decide*.  Policy: a missed
duplicate is preferable to a false merge (a reader can skip a repeat, but
never sees a story hidden inside another), so every rule keeps a margin above
the hardest labelled negative of its kind and gives up recall for it.

Thresholds (measured on the 276 labelled pairs in ``../shared/corpora``, after
cleaning; see ``scripts/eval_dedupe.py``)
----------------------------------------------------------------------------
* ``threshold`` (``dedupe.threshold``, default 24 of 64 bits): the simhash
  candidate route.  Light edits sit at 0–5 bits, rewrites by another outlet at
  8–36 (random texts at 32 ± 4), unrelated same-outlet pages from 15 up: no
  distance separates them (best simhash-only F1 ≈ 0.7), so the distance only
  narrows the search for the two text rules below.
* ``min_overlap`` (default 0.7): containment of token 4-gram shingles
  (4 CJK characters or 4 words), |A∩B| / min(|A|,|B|), so an excerpt inside a
  full article scores 1.0.  Reprints and light rewording score 0.75–1.0; the
  highest negative is 0.67 (a same-reporter follow-up story).
* ``min_cosine`` (default 0.55): cosine of IDF-weighted term vectors (CJK
  character bigrams, other scripts' words and numbers), the IDF taken over
  the articles in the window.  It catches rewrites that share facts (names,
  places, numbers are rare terms) rather than wording.  The highest negative
  is 0.51 ("Xi finally calls Trump" vs "why Xi has not called", one day
  apart); 0.55 keeps a margin above it rather than sitting on it.  It
  needs a collection: IDF is counted per script (CJK bigrams, other scripts by
  word), and a script with fewer than ``MIN_COLLECTION`` articles in the
  window gets no cosine.
* ``headline`` (default: one floor, headline 0.6 and cosine 0.2): the corroborated
  headline, at any simhash distance.  Another outlet's rewrite keeps the
  story's headline facts (who, what, where) while its body shares little
  wording: its whole text sits at random simhash distance.  Headline
  agreement is the IDF-weighted containment of headline terms (the lighter
  headline's weight found in the other; a symmetric Dice ≥ ``HEADLINE_DICE``
  too, so a short headline is not contained in a long one through one place
  name), and the body must corroborate it:
  cosine ≥ 0.2 when headlines agree on ≥ 0.6 (more floors can be configured,
  e.g. a lower headline with a higher cosine).  The
  highest negatives: same-day follow-ups on one policy (headline 0.57,
  cosine 0.33) and same-topic, other-event stories (headline ≤ 0.4).  Such
  pairs come from a second candidate route, postings of headline terms
  (``StoryIndex``).  Parts of a series (（1） vs （2）), and headlines a source
  repeats inside the window (a column's name), never merge this way.
* Excerpts: a feed summary sits 25-30 bits from its full article as a whole
  text, so when either side has fewer than ``EXCERPT_CHARS`` normalised
  characters the pair is compared up to ``EXCERPT_DISTANCE`` bits; the
  overlap rule (containment in the shorter text) decides as for any pair.
* ``window`` (default 3 days): only articles dated within the window merge.
* Short texts (< ``MIN_CHARS`` normalised characters) merge only on
  ``SHORT_OVERLAP``; empty texts never merge.
* Traditional Chinese is converted to simplified before any signal.

Known false-positive cases, each with a test in ``tests/test_dedupe.py`` or
``tests/test_dedupe_headline.py``: same-outlet pages sharing only their template
(cleaning removes it first); near-empty bodies (MIN_CHARS / empty rule); series
parts with an identical opening paragraph and headline (overlap stays < 0.7
because the rest differs; the headline rule refuses differing part markers);
one generic headline over unrelated bodies (the cosine must corroborate); a
column's headline that its source repeats inside the window (今日要闻 on two days:
the headline rule is off for it); follow-ups about the same people (cosine < 0.5 since the
event-specific terms differ).
Known misses (precision 1.000, recall 0.697 on the labelled pairs): two
write-ups of one briefing under unrelated headlines, which share neither
wording, headline nor enough rare terms (cosine 0.1–0.25).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from ..storage import Candidate
from .fingerprint import mix64, stream_length, token_shingles
from .fingerprint import overlap as shingle_overlap
from .rows import EMPTY as _EMPTY
from .rows import EXCERPT as _EXCERPT
from .rows import SHORT as _SHORT
from .rows import Bitsets, Buffer, Packed, Rows
from .signals import FloatArray, Idf, IntArray, headline_terms, series_part, term_array

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

MIN_CHARS = 60
SHORT_OVERLAP = 0.95
SHINGLE_N = 4
MIN_COLLECTION = 20
# An excerpt (a feed summary) drifts 25-30 bits from its full article as a whole text,
# so a pair where one side is this short is compared up to EXCERPT_DISTANCE bits; the
# overlap rule, measured in the shorter text, still decides.
EXCERPT_CHARS = 500
EXCERPT_DISTANCE = 32
# The headline rule also needs this symmetric agreement (Dice): containment alone lets
# a short headline sit "inside" a long one through one shared place name ("Fair Ford
# …" vs "Fair Ford …", two stories from one town; seen in bench/run.py's corpus).
# Every labelled duplicate that clears the containment floor is above 0.5.
HEADLINE_DICE = 0.45
# A cosine carried by one shared term is one shared name, not one story: two unrelated
# summaries from one town on one day, each naming the town in every sentence, reach a
# cosine of 0.8 through the town alone (bench/run.py's corpus at real lengths).  On the
# labelled pairs no pair with a cosine of 0.3 or more has a term carrying over 9 % of
# it, duplicates and others alike; those town pairs had 94-99 %.  So the cosine rules
# count a cosine only while no single term carries more than this share of it.
MAX_TERM_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Settings:
    threshold: int = 24
    min_overlap: float = 0.7
    min_cosine: float = 0.55
    # (headline, cosine) floors: the more the headlines agree, the less body
    # corroboration the pair needs.  A pair merges when it clears any one.
    headline: tuple[tuple[float, float], ...] = ((0.6, 0.2),)

    min_headline: float = field(init=False, default=1.0)

    def __post_init__(self) -> None:
        # read for every candidate pair: computed once
        object.__setattr__(self, "min_headline", min((h for h, _ in self.headline), default=1.0))


@dataclass(frozen=True, slots=True)
class Side:
    """What the decision reads of one article."""

    text: str
    title: str = ""
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one pair, with every signal that led to it."""

    duplicate: bool
    distance: int
    overlap: float
    cosine: float | None
    headline_similarity: float
    rule: str

    def explain(self) -> str:
        cos = "n/a" if self.cosine is None else f"{self.cosine:.2f}"
        return (
            f"distance {self.distance}, overlap {self.overlap:.2f}, cosine {cos}, "
            f"headline {self.headline_similarity:.2f} → {self.rule}"
        )


@dataclass(frozen=True, slots=True)
class Features:
    """Everything :func:`decide` reads of one article, computed once per article."""

    empty: bool
    short: bool
    excerpt: bool
    headline: frozenset[str]
    part: str | None
    # token shingles as sorted hashes (fingerprint.token_shingles)
    hashes: IntArray = field(compare=False)


FeatureEntry = tuple[tuple[str, str], Features]  # ((text, title), features) of one item id

_K = TypeVar("_K")
_V = TypeVar("_V")


def _per_item(
    store: dict[str, tuple[_K, _V]], item_id: str, check: _K, make: Callable[[], _V]
) -> _V:
    """``store[item_id]`` while it was made from ``check`` (the text or title it derives
    from: the same id can come with another text, a stored copy then its update);
    otherwise made again.  Sides without an id are never stored."""
    hit = store.get(item_id) if item_id else None
    if hit is not None and hit[0] == check:
        return hit[1]
    value = make()
    if item_id:
        store[item_id] = (check, value)
    return value


class FeatureCache:
    """Per-article decision inputs (shingles, headline terms and weights, IDF vector),
    keyed by item id: one article is compared with many candidates, and recomputing
    its text features for every pair was two thirds of the pipeline's time.

    IDF vectors are kept packed (sorted term ids, weights) so that one article's
    cosines against all its candidates are one vectorised pass (:meth:`cosines`);
    a single pair goes through the same arithmetic, so both give equal results."""

    def __init__(self, idf: Idf | None, shared: dict[str, FeatureEntry] | None = None) -> None:
        self.idf = idf
        # Text features do not depend on the IDF collection, so one run's batches
        # (one index per source) can share them: ``shared`` lives as long as the run.
        self._cache: dict[str, FeatureEntry] = {} if shared is None else shared
        self._packed: dict[str, tuple[str, Packed | None]] = {}
        self._headlines: dict[str, tuple[str, tuple[dict[str, float], float]]] = {}
        # one term's IDF weight, for every headline that has it: the collection does not
        # change while a cache is in use (the per-item caches above rely on it too)
        self._term_weights: dict[str, float] = {}
        self._memo: dict[tuple[str, str], float | None] = {}
        self._rows = Rows()
        self._slots: dict[str, tuple[str, int]] = {}

    @property
    def usable(self) -> bool:
        return self.idf is not None and self.idf.usable

    def of(self, side: Side) -> Features:
        def make() -> Features:
            length = stream_length(side.text)
            return Features(
                empty=not length,
                short=length < MIN_CHARS,
                excerpt=length < EXCERPT_CHARS,
                headline=headline_terms(side.title),
                part=series_part(side.title),
                hashes=token_shingles(side.text, SHINGLE_N),
            )

        return _per_item(self._cache, side.item_id, (side.text, side.title), make)

    def packed(self, side: Side) -> Packed | None:
        """The article's IDF vector as (sorted term ids, weights), built only when a
        pair needs the cosine (most candidates are settled by overlap or distance)."""
        idf = self.idf
        if idf is None or not self.usable:
            return None
        return _per_item(self._packed, side.item_id, side.text, lambda: idf.packed(side.text))

    def slot(self, side: Side) -> int:
        """The side's row in the columns below, filled on first use: a candidate's
        hashes and IDF vector are read from contiguous buffers, so screening its
        hundred candidates costs one dictionary lookup each, not a Python pass over
        every candidate's arrays."""

        def make() -> int:
            f = self.of(side)
            flags = (f.excerpt and _EXCERPT) | (f.short and _SHORT) | (f.empty and _EMPTY)
            return self._rows.add(f.hashes, self.packed(side), flags)

        return _per_item(self._slots, side.item_id, side.text, make)

    def cosines(self, query: Side, others: list[Side]) -> FloatArray:
        """The query's cosines with all ``others`` in one vectorised pass (-1 where
        either side has no IDF vector), as :meth:`screen` computes them."""
        slots = np.fromiter(map(self.slot, others), np.int64, len(others))
        return self._rows.dots(self.slot(query), slots)

    def screen(
        self,
        query: Side,
        slots: IntArray,
        dist: IntArray,
        settings: Settings,
        side_at: Callable[[int], Side],
        column: bool = False,
    ) -> BoolArray:
        """Which candidates (slots at simhash distances ``dist``; ``side_at(i)`` is the
        i-th one's side) some rule could merge with the query: a vectorised superset of
        :func:`decide`'s merges (an upper bound of the overlap, a little slack on every
        floor), so that decide, the one source of truth, runs only for those.  Most of
        an article's hundred candidates fail every rule; deciding each in Python was
        most of the duplicate stage.  The kept pairs' cosines are memoised for the
        decisions that follow."""
        fq = self.of(query)
        if fq.empty or not len(slots):
            return np.zeros(len(slots), np.bool_)
        q = self.slot(query)
        flags = self._rows.flags[slots]
        excerpt = ((flags & _EXCERPT) != 0) | fq.excerpt
        short = ((flags & _SHORT) != 0) | fq.short
        within = dist <= np.where(
            excerpt, max(settings.threshold, EXCERPT_DISTANCE), settings.threshold
        )
        need = np.where(short, SHORT_OVERLAP, settings.min_overlap) - _SLACK
        overlap = self._rows.overlap_bounds(q, slots)
        cos = self._rows.dots(q, slots)
        maybe = within & ((overlap >= need) | (~short & (cos >= settings.min_cosine - _SLACK)))
        if settings.headline and not column and fq.headline:
            floor = min(c for _, c in settings.headline) - _SLACK
            for i in np.flatnonzero(~maybe & ~short & (cos >= floor)).tolist():
                headline, dice = self.headline(query, side_at(i))
                maybe[i] = (
                    headline >= settings.min_headline - _SLACK and dice >= HEADLINE_DICE - _SLACK
                )
        keep: BoolArray = maybe & ((flags & _EMPTY) == 0)
        if query.item_id:
            for i in np.flatnonzero(keep).tolist():
                other = side_at(i).item_id
                if other:
                    self._memo[query.item_id, other] = None if cos[i] < 0 else float(cos[i])
        return keep

    def top_share(self, a: Side, b: Side) -> float:
        """The share of the pair's cosine that its largest shared term carries (0 when
        they share none): read only for a pair a cosine rule would merge."""
        pa, pb = self.packed(a), self.packed(b)
        if pa is None or pb is None:
            return 0.0
        _, ia, ib = np.intersect1d(pa[0], pb[0], assume_unique=True, return_indices=True)
        products = pa[1][ia] * pb[1][ib]
        total = float(products.sum())
        return float(products.max()) / total if total > 0 else 0.0

    def cosine(self, a: Side, b: Side) -> float | None:
        for key in ((a.item_id, b.item_id), (b.item_id, a.item_id)):
            if key in self._memo:
                return self._memo[key]
        c = float(self._rows.dots(self.slot(a), np.array([self.slot(b)]))[0])
        return None if c < 0 else c

    def headline_weights(self, side: Side) -> tuple[dict[str, float], float]:
        idf = self.idf
        assert idf is not None

        known = self._term_weights

        def weight(term: str) -> float:
            w = known.get(term)
            if w is None:
                w = known[term] = idf.weight(term) or 0.0
            return w

        def make() -> tuple[dict[str, float], float]:
            weights = {g: weight(g) for g in self.of(side).headline}
            return weights, sum(weights.values())

        return _per_item(self._headlines, side.item_id, side.title, make)

    def headline(self, a: Side, b: Side) -> tuple[float, float]:
        """IDF-weighted headline (containment, Dice): shared weight over the lighter
        headline's, and over the mean.  Containment lets a headline that adds words
        to another still contain it, and shared rare terms (names, places) count for
        more than news vocabulary; Dice is symmetric, so a short headline is not
        "contained" in a long one through one shared place name.  Unweighted while
        the window is too small for IDF (the rule needs the cosine then, so cannot
        fire)."""
        common = self.of(a).headline & self.of(b).headline
        if not common:
            return 0.0, 0.0  # most candidate pairs: no weights to look up
        if self.idf is not None and self.usable:
            (wa, ta), (_, tb) = self.headline_weights(a), self.headline_weights(b)
            shared = sum(wa[g] for g in common)
        else:
            shared, ta, tb = len(common), len(self.of(a).headline), len(self.of(b).headline)
        if min(ta, tb) <= 0:
            return 0.0, 0.0
        return shared / min(ta, tb), 2 * shared / (ta + tb)


# Floors are screened with this slack: the screen's float arithmetic (summation order)
# must never refuse a pair decide() would merge.
_SLACK = 1e-9


def decide(
    a: Side,
    b: Side,
    dist: int,
    settings: Settings,
    cache: FeatureCache | None = None,
    all_signals: bool = False,
    explain: bool = True,
    column: bool = False,
) -> Decision:
    """Are two cleaned articles at simhash distance ``dist`` the same story?

    Three rules, any one merges (see the module docstring): overlap and the
    rare-term cosine for pairs within the simhash distance, and the corroborated
    headline at any distance.  The cosine is computed only where a rule can use
    it, or for every pair with ``all_signals`` (``feedhub compare`` shows them all).
    ``column``: ``a``'s headline already headed another article of its source in
    the window (a column name such as 今日要闻, not a story's): no headline rule.
    ``explain=False`` leaves a rejected pair's reason empty: the story index decides
    about a hundred candidates per article and reads only the verdict.
    """
    cache = cache or FeatureCache(None)
    fa, fb = cache.of(a), cache.of(b)
    headline, dice = cache.headline(a, b)
    if fa.empty or fb.empty:
        return Decision(False, dist, 0.0, None, headline, "empty text never merges")
    limit = (
        max(settings.threshold, EXCERPT_DISTANCE)
        if fa.excerpt or fb.excerpt
        else settings.threshold
    )
    within = dist <= limit
    short = fa.short or fb.short
    need = SHORT_OVERLAP if short else settings.min_overlap
    overlap = shingle_overlap(fa.hashes, fb.hashes) if within or all_signals else 0.0
    series = fa.part is not None and fb.part is not None and fa.part != fb.part
    by_terms = within and not short and overlap < need
    by_headline = (
        not short
        and not series
        and not column
        and headline >= settings.min_headline
        and dice >= HEADLINE_DICE
    )
    # None also means: no IDF collection, or their script has too few documents.
    cos = cache.cosine(a, b) if all_signals or by_terms or by_headline else None

    def merged(rule: str) -> Decision:
        return Decision(True, dist, overlap, cos, headline, rule)

    share: float | None = None  # of the cosine, carried by its largest shared term

    def one_term() -> bool:
        nonlocal share
        if share is None:
            share = cache.top_share(a, b)
        return share > MAX_TERM_SHARE

    if within and overlap >= need:
        return merged(f"overlap {overlap:.2f} >= {need}")
    if by_terms and cos is not None and cos >= settings.min_cosine and not one_term():
        return merged(f"rare-term cosine {cos:.2f} >= {settings.min_cosine}")
    if by_headline and cos is not None:
        for floor, need_cos in settings.headline:
            if headline >= floor and cos >= need_cos and not one_term():
                return merged(
                    f"headline {headline:.2f} >= {floor} and cosine {cos:.2f} >= {need_cos}"
                )
    if not explain:
        return Decision(False, dist, overlap, cos, headline, "")
    why = _why_not(
        within, dist, limit, overlap, need, cos, short, series or column, headline, dice, settings
    )
    if share is not None and share > MAX_TERM_SHARE:
        why += f"; one shared term carries {share:.0%} of the cosine (over {MAX_TERM_SHARE:.0%})"
    return Decision(False, dist, overlap, cos, headline, why)


def _why_not(
    within: bool,
    dist: int,
    limit: int,
    overlap: float,
    need: float,
    cos: float | None,
    short: bool,
    series: bool,
    headline: float,
    dice: float,
    settings: Settings,
) -> str:
    """Every rule's reason for not merging, in the order the rules are tried."""
    parts = [f"overlap {overlap:.2f} < {need}" if within else f"distance {dist} > {limit}"]
    if within and not short:
        if cos is None:
            parts.append(
                f"no cosine (fewer than {MIN_COLLECTION} articles of this script in the window)"
            )
        else:
            parts.append(f"cosine {cos:.2f} < {settings.min_cosine}")
    if short:
        parts.append("short text: overlap only")
    elif series:
        parts.append("headline names a series part or a column, not a story")
    elif headline < settings.min_headline:
        parts.append(f"headline {headline:.2f} < {settings.min_headline}")
    elif dice < HEADLINE_DICE:
        parts.append(
            f"headline Dice {dice:.2f} < {HEADLINE_DICE} (one headline mostly other words)"
        )
    elif cos is None:
        parts.append("headline match but no cosine to corroborate it")
    else:
        floors = " or ".join(f"{c} at headline {h}" for h, c in settings.headline)
        parts.append(f"headline {headline:.2f} but cosine {cos:.2f} below {floors}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Match:
    story_id: str
    item_id: str
    decision: Decision


# A headline term listed for more candidates than this is news vocabulary (中共, trump):
# its postings are not walked.  A pair that shares only such terms carries little IDF
# weight, so it could not reach ``min_headline`` anyway.
MAX_POSTINGS = 200


# per row of a story index: how its side (text and title) stands in the current batch
_UNKNOWN, _SAME, _MISSING, _CHANGED = 0, 1, 2, 3


@dataclass
class StoryIndex:
    """Candidates inside the time window, verified by :func:`decide`.

    Two routes define the candidates: the simhash distance (up to ``threshold`` bits,
    ``EXCERPT_DISTANCE`` when either side is excerpt-length) for copies and light
    rewrites, and postings of headline terms for rewrites whose whole texts sit at
    random simhash distance (30+ bits) but whose headlines agree.

    The distance route is one vectorised pass over the rows' fingerprints (at 24 and
    32 bits no bucket table beats a scan, see ``index.py``).  It lists about 80 rows
    per article on the bench corpus, nearly all of which no rule can merge, so before
    any per-batch work each row goes through bounds read from run-long columns (filled
    once per row, independent of the IDF collection; bitmaps probed with the query's
    keys first where that reads less, see :class:`Bitsets`):

    * overlap: an upper bound of the shingle containment (:meth:`Rows.overlap_bounds`);
    * cosine: the norm of the query's weights over the terms the row contains, an
      upper bound of their cosine whatever the row's weights (:meth:`Rows.norm_bounds`);
    * headline: the row must share one of the query's heaviest headline terms
      (:meth:`_headline_prefix`: Dice needs one) and, where only the headline rule could
      merge it, clear the headline and Dice floors (:meth:`_headline_agrees`).

    A row that no rule could merge under these bounds is dropped; the rest go through
    :meth:`FeatureCache.screen` and :func:`decide` as before, so the verdicts are those
    of deciding every candidate (``tests/test_dedupe_routes.py`` checks it against
    brute force).  Formerly every candidate got the batch's IDF vector and columnar
    slot first: most of the duplicate stage."""

    settings: Settings
    window: timedelta
    cache: FeatureCache = field(default_factory=lambda: FeatureCache(None))
    entries: list[Candidate] = field(default_factory=list)
    # headline term → rows; int32 arrays: 4 bytes a posting instead of a list slot
    # plus an int object (about 36)
    _postings: dict[str, array[int]] = field(default_factory=dict)
    # (source, headline terms) → rows: a headline a source repeats inside the window
    # is a column name (今日要闻, Morning briefing), not a story's
    _headings: dict[tuple[str, frozenset[str]], list[int]] = field(default_factory=dict)
    # per row, for vectorised candidate filtering: fingerprint, date in µs since the
    # epoch (exact, like the datetime comparison) and in whole seconds (the distance
    # route's coarse window, kept as it was), feature flags at indexing time
    _fps: Buffer = field(default_factory=lambda: Buffer(np.uint64))
    _us: Buffer = field(default_factory=lambda: Buffer(np.int64))
    _ts: Buffer = field(default_factory=lambda: Buffer(np.int64))
    _flags: Buffer = field(default_factory=lambda: Buffer(np.int64))
    # run-long columns (shingles, term ids), one slot per row, row = slot
    _columns: Rows = field(default_factory=lambda: Rows(weighted=False))
    # the same sets as bitmaps, probed with the query's keys when that reads less
    _shingle_sets: Bitsets = field(default_factory=Bitsets)
    _term_sets: Bitsets = field(default_factory=Bitsets)
    _sides: list[Side | None] = field(default_factory=list)
    # per row: _UNKNOWN until the batch's side_of was asked, then its answer
    _state: Buffer = field(default_factory=lambda: Buffer(np.int8))
    # an item's current row; an update (new text, maybe a new date) retires the old one
    _row_of: dict[str, int] = field(default_factory=dict)
    _alive: Buffer = field(default_factory=lambda: Buffer(np.bool_))

    def use(self, cache: FeatureCache) -> None:
        """Decide with another batch's IDF collection from now on, keeping the rows:
        one run's batches (one per source) share a single index instead of rebuilding
        the whole window's tables for each source.  A batch has its own texts, so every
        row asks for its side again when first needed."""
        self.cache = cache
        self._state.view[:] = _UNKNOWN

    def extend(self, prior: list[tuple[Candidate, Side]]) -> None:
        """Add the candidates that have no row yet."""
        for candidate, side in prior:
            if candidate.item_id not in self._row_of:
                self.add(candidate, side)

    def add(self, candidate: Candidate, side: Side | None = None) -> None:
        """Index a candidate; ``side`` (its text and title) tells whether it is
        excerpt-length, what its headline says, and fills its columns.  A row without
        a side is screened with whatever side the batch gives it (never dropped by a
        bound)."""
        row = len(self.entries)
        flags = _NO_SIDE
        if side is not None:
            features = self.cache.of(side)
            flags = (
                (features.excerpt and _EXCERPT)
                | (features.short and _SHORT)
                | (features.empty and _EMPTY)
            )
            for term in features.headline:
                self._postings.setdefault(term, array("i")).append(row)
            if features.headline:
                self._headings.setdefault((candidate.source_id, features.headline), []).append(row)
            # term ids do not depend on the IDF collection: the row's, once for the run
            ids = term_array(side.text)[0]
            self._columns.add(features.hashes, (ids, _NO_WEIGHTS), 0)
            self._shingle_sets.add(features.hashes)
            self._term_sets.add(_term_keys(ids))
        else:
            self._columns.add(_NO_HASHES, None, 0)
            self._shingle_sets.add(_NO_HASHES)
            self._term_sets.add(_NO_HASHES)
        old = self._row_of.get(candidate.item_id)
        if old is not None:
            self._alive.data[old] = False
        self._row_of[candidate.item_id] = row
        self.entries.append(candidate)
        self._sides.append(side)
        self._fps.push(candidate.fp)
        self._us.push(_micros(candidate.sort_date))
        self._ts.push(int(candidate.sort_date.timestamp()))
        self._flags.push(flags)
        self._state.push(_UNKNOWN)
        self._alive.push(True)

    def _by_headline(self, side: Side) -> IntArray:
        """The headline route: rows sharing a headline term that heads at most
        ``MAX_POSTINGS`` rows."""
        parts = [
            np.frombuffer(posting, np.int32)
            for term in self.cache.of(side).headline
            if (posting := self._postings.get(term)) is not None and len(posting) <= MAX_POSTINGS
        ]
        return np.concatenate(parts).astype(np.int64) if parts else _NO_ROWS

    def _headline_prefix(self, side: Side) -> list[str]:
        """Headline terms of which another headline must share one for the headline rule:
        its Dice needs shared weight >= HEADLINE_DICE / 2 * (both totals), so at least
        that share of the query's own total.  The query's heaviest terms down to where
        the rest weigh less than that: a headline sharing none of them shares only the
        rest (a prefix filter, Chaudhuri et al. 2006).  Empty when the rule cannot fire
        (no terms, or no weights: then there is no cosine either)."""
        if not self.cache.usable or not self.cache.of(side).headline:
            return []
        weights, total = self.cache.headline_weights(side)
        if total <= 0:
            return []
        order = sorted(weights.items(), key=lambda kv: -kv[1])
        # the margin covers rounding in the sums compared (relative 1e-6 >> 1e-16 each)
        rest, floor = total, HEADLINE_DICE / 2 * total * (1 - 1e-6)
        terms = []
        for term, weight in order:
            if rest < floor:
                break
            terms.append(term)
            rest -= weight
        return terms

    def _sharing_headline(self, headline: Iterable[str], n: int) -> BoolArray:
        """Which of the first ``n`` rows share a headline term with ``headline``."""
        out = np.zeros(n, np.bool_)
        for term in headline:
            posting = self._postings.get(term)
            if posting is not None:
                out[np.frombuffer(posting, np.int32)] = True
        return out

    def _resolve(self, rows: IntArray, side_of: Callable[[str], Side]) -> IntArray:
        """Each row's state in this batch: its side the same as when indexed, changed
        (or never given), or missing from the batch's texts.  Asked once per row and
        batch: side_of is stable for the batch."""
        state = self._state.data
        for r in rows[state[rows] == _UNKNOWN].tolist():
            try:
                other = side_of(self.entries[r].item_id)
            except KeyError:  # not among this batch's texts: cannot be compared now
                state[r] = _MISSING
                continue
            mine = self._sides[r]
            same = mine is not None and (
                other is mine or (other.text == mine.text and other.title == mine.title)
            )
            state[r] = _SAME if same else _CHANGED
        out: IntArray = state[rows]
        return out

    def match(
        self,
        fp: int,
        when: datetime,
        side: Side,
        side_of: Callable[[str], Side],
        exclude: str | None = None,
        source: str = "",
    ) -> Match | None:
        """The closest verified candidate (distance, then date, then id: deterministic).
        ``source``: the query's source, to tell a column's repeated headline."""
        n = len(self.entries)
        fq = self.cache.of(side)
        if not n:
            return None
        settings = self.settings
        far = max(settings.threshold, EXCERPT_DISTANCE)
        ts, span = int(when.timestamp()), int(self.window.total_seconds())
        when_us, window_us = _micros(when), self.window // _MICRO
        # The distance route: an excerpt looks at everything up to the excerpt distance;
        # a full text at full texts up to the threshold and at excerpts up to the
        # excerpt distance.  Then the window, coarse (whole seconds) then exact.
        dist_all = np.bitwise_count(self._fps.view ^ np.uint64(fp))
        seconds = self._ts.view
        live = self._alive.view & (seconds >= ts - span) & (seconds <= ts + span)
        if fq.excerpt:
            route = live & (dist_all <= far)
        else:
            excerpts = (self._flags.view & _EXCERPT) != 0
            route = live & ((dist_all <= settings.threshold) | ((dist_all <= far) & excerpts))
        extra = self._by_headline(side)
        if len(extra):
            route[extra[self._alive.view[extra]]] = True
        rows = np.flatnonzero(route)
        rows = rows[np.abs(self._us.view[rows] - when_us) <= window_us]
        state = self._resolve(rows, side_of)
        rows = rows[state != _MISSING]
        changed = state[state != _MISSING] == _CHANGED
        dist = dist_all[rows].astype(np.int64)
        if fq.empty or not len(rows):
            return None
        headline = fq.headline
        column = False
        if source and headline:
            same = np.array(self._headings.get((source, headline), ()), np.int64)
            same = same[self._alive.view[same]]
            column = bool((np.abs(self._us.view[same] - when_us) <= window_us).any())
        rows, dist = self._bound(side, rows, dist, changed, column)

        def side_at(i: int) -> Side:
            return side_of(self.entries[rows[i]].item_id)

        slots = np.fromiter(
            (self.cache.slot(side_at(i)) for i in range(len(rows))), np.int64, len(rows)
        )
        maybe = self.cache.screen(side, slots, dist, settings, side_at, column)
        # The closest first (then date, then id): only the few screened pairs are sorted.
        kept = sorted(
            (int(dist[i]), c.sort_date, c.item_id, c.story_id)
            for i in np.flatnonzero(maybe).tolist()
            if (c := self.entries[rows[i]]).item_id != exclude
        )
        for d, _, item_id, story_id in kept:
            verdict = decide(
                side, side_of(item_id), d, settings, self.cache, explain=False, column=column
            )
            if verdict.duplicate:
                return Match(story_id, item_id, verdict)
        return None

    def _bound(
        self, side: Side, rows: IntArray, dist: IntArray, changed: BoolArray, column: bool
    ) -> tuple[IntArray, IntArray]:
        """The rows (and their distances) that some rule could still merge with the query
        under the run-long columns' upper bounds; a superset of what
        :meth:`FeatureCache.screen` keeps.  Rows whose side changed since they were
        indexed are kept whatever their columns say."""
        settings = self.settings
        fq = self.cache.of(side)
        flags = self._flags.data[rows]
        short = ((flags & _SHORT) != 0) | fq.short
        within = dist <= np.where(
            ((flags & _EXCERPT) != 0) | fq.excerpt,
            max(settings.threshold, EXCERPT_DISTANCE),
            settings.threshold,
        )
        keep = changed | ((flags & _NO_SIDE) != 0)
        # overlap: only pairs within the distance; a bound, so keep on the floor
        look = np.flatnonzero(within & ~keep)
        if len(look):
            need = np.where(short[look], SHORT_OVERLAP, settings.min_overlap) - _SLACK
            keep[look] = self._overlap_bounds(fq.hashes, rows[look], float(need.min())) >= need
        # the cosine rules: not for short texts; the headline rule only for rows that
        # share a headline term, the plain cosine rule only within the distance
        packed = self.cache.packed(side)
        if packed is not None:
            cosine_floor = np.where(within, settings.min_cosine, 2.0)
            terms = self._headline_prefix(side) if settings.headline and not column else ()
            if terms:
                floor = min(c for _, c in settings.headline)
                shares = self._sharing_headline(terms, len(self.entries))[rows]
                cosine_floor = np.where(shares, np.minimum(cosine_floor, floor), cosine_floor)
            look = np.flatnonzero(~keep & ~short & (cosine_floor <= 1.0 + _SLACK))
            if len(look):
                floors = cosine_floor[look] - _SLACK
                bounds = self._norm_bounds(packed, rows[look], float(floors.min()))
                keep[look] = bounds >= floors
                # Rows only the headline rule could merge: its own checks are a few set
                # operations, the cosine needs the row's IDF vector for this batch.
                plain = within[look] & (bounds >= settings.min_cosine - _SLACK)
                for i in look[(bounds >= floors) & ~plain].tolist():
                    keep[i] = self._headline_agrees(side, self._sides[rows[i]])
        keep &= ((flags & _EMPTY) == 0) | changed | ((flags & _NO_SIDE) != 0)
        return rows[keep], dist[keep]

    def _headline_agrees(self, side: Side, other: Side | None) -> bool:
        """Whether the headline rule's own conditions (not series parts, headline and
        Dice floors) could hold, as decide() and the screen test them."""
        if other is None:
            return True
        fa, fb = self.cache.of(side), self.cache.of(other)
        if fa.part is not None and fb.part is not None and fa.part != fb.part:
            return False
        headline, dice = self.cache.headline(side, other)
        return headline >= self.settings.min_headline - _SLACK and dice >= HEADLINE_DICE - _SLACK

    def _overlap_bounds(self, hashes: IntArray, rows: IntArray, floor: float) -> FloatArray:
        """Upper bounds of the shingle containment of the query (``hashes``) in every
        row.  Where probing the bitmaps reads less, they go first, and only rows whose
        bound reaches ``floor`` are gathered for the tighter bound (both are bounds:
        their minimum is one)."""
        sizes, _ = self._columns.sizes(rows)
        if _PROBE_COST * len(rows) * len(hashes) >= sizes.sum() or not len(hashes):
            return self._columns.overlap_bounds_of(hashes, rows)
        shared = self._shingle_sets.hits(hashes, rows).sum(axis=1)
        smaller = np.minimum(sizes, len(hashes))
        out: FloatArray = np.where(smaller > 0, shared / np.maximum(smaller, 1), 0.0)
        again = np.flatnonzero(out >= floor)
        if len(again):
            out[again] = np.minimum(
                out[again], self._columns.overlap_bounds_of(hashes, rows[again])
            )
        return out

    def _norm_bounds(self, packed: Packed, rows: IntArray, floor: float) -> FloatArray:
        """Upper bounds of the query's cosine with every row (see Rows.norm_bounds),
        bitmaps first where that reads less, as :meth:`_overlap_bounds`."""
        _, sizes = self._columns.sizes(rows)
        ids, weights = packed
        if _PROBE_COST * len(rows) * len(ids) >= sizes.sum():
            return self._columns.norm_bounds(packed, rows)
        hits = self._term_sets.hits(_term_keys(ids), rows)
        out: FloatArray = np.sqrt(hits @ (weights * weights))
        again = np.flatnonzero(out >= floor)
        if len(again):
            out[again] = np.minimum(out[again], self._columns.norm_bounds(packed, rows[again]))
        return out


def _term_keys(ids: IntArray) -> IntArray:
    """Term ids spread over 64 bits (they are dense), as bitmap keys."""
    out: IntArray = mix64(ids.astype(np.uint64)).view(np.int64)
    return out


# Probing a bitmap costs about this many times a column gather per element read.
_PROBE_COST = 1.5
_NO_SIDE = 16  # a row flag beside rows.py's EXCERPT, SHORT, EMPTY (and PACKED)
_NO_ROWS: IntArray = np.zeros(0, np.int64)
_NO_HASHES: IntArray = np.zeros(0, np.int64)
_NO_WEIGHTS: FloatArray = np.zeros(0, np.float64)


_MICRO = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _MICRO
