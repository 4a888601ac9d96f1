"""Story assignment: does a new article join an existing story?

Rationale
---------
Cleaning comes first: on raw mirror pages the shared nav/promo/footer
boilerplate makes two unrelated pages of one outlet closer than the same
story told by two outlets.  Then two steps: simhash finds *candidates*, the
text signals *decide*.  Policy: a missed duplicate is preferable to a false
merge (a reader can skip a repeat, but never sees a story hidden inside
another), so every rule is tuned to zero false merges on the labelled pairs
in ``../shared/corpora`` and gives up recall for it.

Thresholds (measured on the 276 labelled pairs, after cleaning; see
``scripts/eval_dedupe.py``)
----------------------------------------------------------------------------
* ``threshold`` (``dedupe.threshold``, default 24 of 64 bits): the candidate
  filter.  Light edits sit at 0–5 bits, rewrites by another outlet at 8–36,
  unrelated same-outlet pages from 15 up: no distance separates them (best
  simhash-only F1 ≈ 0.7), so the distance only narrows the search.
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
  window gets no cosine, so only the overlap rule applies to it.
* Excerpts: a feed summary sits 25-30 bits from its full article as a whole
  text, so when either side has fewer than ``EXCERPT_CHARS`` normalised
  characters the pair is compared up to ``EXCERPT_DISTANCE`` bits; the
  overlap rule (containment in the shorter text) decides as for any pair.
* ``window`` (default 3 days): only articles dated within the window merge.
* Short texts (< ``MIN_CHARS`` normalised characters) merge only on
  ``SHORT_OVERLAP``; empty texts never merge.
* Traditional Chinese is converted to simplified before any signal.

Known false-positive cases, each with a test in ``tests/test_dedupe.py``:
same-outlet pages sharing only their template (cleaning removes it first);
near-empty bodies (MIN_CHARS / empty rule); series parts with an identical
opening paragraph (overlap stays < 0.7 because the rest differs; the title
similarity they share is deliberately not a deciding signal); follow-ups
about the same people (cosine < 0.5 since the event-specific terms differ).
Known misses: rewrites that share neither wording nor rare terms (about half
of the labelled ``dup`` pairs, mostly two write-ups of one briefing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..storage import Candidate
from .fingerprint import containment, normalize, shingle_set
from .index import FingerprintIndex
from .signals import Idf, cosine, title_bigrams

MIN_CHARS = 60
SHORT_OVERLAP = 0.95
SHINGLE_N = 4
MIN_COLLECTION = 20
# An excerpt (a feed summary) drifts 25-30 bits from its full article as a whole text,
# so a pair where one side is this short is compared up to EXCERPT_DISTANCE bits; the
# overlap rule, measured in the shorter text, still decides.
EXCERPT_CHARS = 500
EXCERPT_DISTANCE = 32


def is_short(text: str) -> bool:
    return len(normalize(text)) < MIN_CHARS


@dataclass(frozen=True, slots=True)
class Settings:
    threshold: int = 24
    min_overlap: float = 0.7
    min_cosine: float = 0.55


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
    title_similarity: float
    rule: str

    def explain(self) -> str:
        cos = "n/a" if self.cosine is None else f"{self.cosine:.2f}"
        return (
            f"distance {self.distance}, overlap {self.overlap:.2f}, cosine {cos}, "
            f"title {self.title_similarity:.2f} → {self.rule}"
        )


@dataclass(frozen=True, slots=True)
class Features:
    """Everything :func:`decide` reads of one article, computed once per article."""

    empty: bool
    short: bool
    excerpt: bool
    shingles: frozenset[str]
    title: frozenset[str]


class FeatureCache:
    """Per-article decision inputs (shingles, title bigrams, IDF vector), keyed by item
    id: one article is compared with many candidates, and recomputing its text
    features for every pair was two thirds of the pipeline's time."""

    def __init__(self, idf: Idf | None) -> None:
        self.idf = idf
        self._cache: dict[str, Features] = {}
        self._vectors: dict[str, dict[str, float] | None] = {}

    @property
    def usable(self) -> bool:
        return self.idf is not None and self.idf.n >= self.idf.min_docs

    def of(self, side: Side) -> Features:
        cached = self._cache.get(side.item_id) if side.item_id else None
        if cached is not None:
            return cached
        stream = normalize(side.text)
        features = Features(
            empty=not stream,
            short=len(stream) < MIN_CHARS,
            excerpt=len(stream) < EXCERPT_CHARS,
            shingles=shingle_set(side.text, SHINGLE_N),
            title=title_bigrams(side.title),
        )
        if side.item_id:
            self._cache[side.item_id] = features
        return features

    def vector(self, side: Side) -> dict[str, float] | None:
        """The article's IDF vector, built only when a pair needs the cosine (most
        candidates are settled by overlap or distance first)."""
        if self.idf is None or not self.usable:
            return None
        if side.item_id and side.item_id in self._vectors:
            return self._vectors[side.item_id]
        vec = self.idf.vector(side.text)
        if side.item_id:
            self._vectors[side.item_id] = vec
        return vec


def decide(
    a: Side,
    b: Side,
    dist: int,
    settings: Settings,
    cache: FeatureCache | None = None,
    all_signals: bool = False,
) -> Decision:
    """Are two cleaned articles at simhash distance ``dist`` the same story?

    The cosine is computed only where it can decide (overlap did not settle the
    pair and neither text is short), or for every pair with ``all_signals``
    (``feedhub compare`` shows them all).
    """
    cache = cache or FeatureCache(None)
    fa, fb = cache.of(a), cache.of(b)
    union = fa.title | fb.title
    title = len(fa.title & fb.title) / len(union) if union else 0.0
    if fa.empty or fb.empty:
        return Decision(False, dist, 0.0, None, title, "empty text never merges")
    limit = (
        max(settings.threshold, EXCERPT_DISTANCE)
        if fa.excerpt or fb.excerpt
        else settings.threshold
    )
    if dist > limit:
        return Decision(False, dist, 0.0, None, title, f"distance {dist} > threshold {limit}")
    overlap = containment(fa.shingles, fb.shingles)
    short = fa.short or fb.short
    need = SHORT_OVERLAP if short else settings.min_overlap
    cos = None  # also None: no IDF collection, or their script has too few documents
    can_decide = not short and overlap < need
    if all_signals or can_decide:
        va, vb = cache.vector(a), cache.vector(b)
        cos = cosine(va, vb) if va and vb else None
    if overlap >= need:
        return Decision(True, dist, overlap, cos, title, f"overlap {overlap:.2f} >= {need}")
    if can_decide and cos is not None and cos >= settings.min_cosine:
        return Decision(
            True, dist, overlap, cos, title, f"rare-term cosine {cos:.2f} >= {settings.min_cosine}"
        )
    why = f"overlap {overlap:.2f} < {need}"
    if cos is not None:
        why += f" and cosine {cos:.2f} < {settings.min_cosine}"
    elif not short:
        why += f" (no cosine: fewer than {MIN_COLLECTION} articles of this script in the window)"
    return Decision(False, dist, overlap, cos, title, why)


@dataclass(frozen=True, slots=True)
class Match:
    story_id: str
    item_id: str
    decision: Decision


@dataclass
class StoryIndex:
    """Candidates inside the time window, found through a :class:`FingerprintIndex`
    (exact: bucket tables for small distances, a vectorised scan for the generous
    candidate distance feedhub uses) and verified by :func:`decide`."""

    settings: Settings
    window: timedelta
    cache: FeatureCache = field(default_factory=lambda: FeatureCache(None))
    entries: list[Candidate] = field(default_factory=list)
    _index: FingerprintIndex | None = None
    _excerpts: FingerprintIndex | None = None  # the excerpt-length entries only

    def add(self, candidate: Candidate, side: Side | None = None) -> None:
        """Index a candidate; ``side`` (its text) tells whether it is excerpt-length."""
        k = max(self.settings.threshold, EXCERPT_DISTANCE)
        if self._index is None:
            self._index, self._excerpts = FingerprintIndex(k), FingerprintIndex(k)
        row, ts = len(self.entries), int(candidate.sort_date.timestamp())
        self._index.add(candidate.fp, row, ts)
        if side is not None and self._excerpts is not None and self.cache.of(side).excerpt:
            self._excerpts.add(candidate.fp, row, ts)
        self.entries.append(candidate)

    def match(
        self,
        fp: int,
        when: datetime,
        side: Side,
        side_of: Callable[[str], Side],
        exclude: str | None = None,
    ) -> Match | None:
        """The closest verified candidate (distance, then date, then id: deterministic)."""
        if self._index is None or self._excerpts is None:
            return None
        ts, span = int(when.timestamp()), int(self.window.total_seconds())
        far = max(self.settings.threshold, EXCERPT_DISTANCE)
        # An excerpt looks at everything up to the excerpt distance; a full text looks
        # at full texts up to the threshold and at excerpts up to the excerpt distance.
        if self.cache.of(side).excerpt:
            hits = self._index.query(fp, far, ts_min=ts - span, ts_max=ts + span)
        else:
            hits = self._index.query(
                fp, self.settings.threshold, ts_min=ts - span, ts_max=ts + span
            ) + self._excerpts.query(fp, far, ts_min=ts - span, ts_max=ts + span)
        hits = list(dict(hits).items())
        near = sorted(
            (d, c.sort_date, c.item_id, c.story_id)
            for row, d in hits
            if (c := self.entries[row]).item_id != exclude
            and abs(c.sort_date - when) <= self.window
        )
        for d, _, item_id, story_id in near:
            verdict = decide(side, side_of(item_id), d, self.settings, self.cache)
            if verdict.duplicate:
                return Match(story_id, item_id, verdict)
        return None
