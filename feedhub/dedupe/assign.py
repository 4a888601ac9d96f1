"""Story assignment: does a new article join an existing story?

Rationale and thresholds
------------------------
The fingerprint is a 64-bit simhash of character 3-gram shingles of the
*cleaned* text (see ``fingerprint.py``).  Cleaning first is what keeps
same-outlet pages apart: on raw mirror pages the shared nav/promo/footer
boilerplate makes two unrelated pages of one outlet closer than the same story
told by two outlets.

Two steps: simhash finds *candidates*, shingle overlap *decides*.

* ``threshold`` (config ``dedupe.threshold``, default 24 bits of 64): the
  candidate filter.  On the labelled pairs in ``../shared/corpora`` (after
  cleaning) light edits of one text sit at 0–5 bits, but the same story
  rewritten by another outlet sits anywhere from 8 to 36 bits and unrelated
  same-outlet pages from 15 up: no single distance separates them (best
  simhash-only F1 ≈ 0.7), so the distance only narrows the search.
* ``min_overlap`` (default 0.7): the decision.  Containment of token 4-gram
  sets (4 CJK characters or 4 words), |A∩B| / min(|A|,|B|), so an excerpt
  inside a full article scores 1.0.  On the labelled pairs no negative
  reaches 0.7 (the highest, 0.67, is a same-reporter follow-up story);
  light rewording and reprints score 0.8–1.0.  Rewrites that share facts
  but not wording stay separate: missing a duplicate is preferable to
  merging two stories (a reader can skip a repeat, but never sees a story
  hidden inside another).
* ``window`` (default 3 days): only articles whose dates lie within the window
  of each other can merge, so a recurring text (a weekly column template) does
  not swallow next month's issue.
* ``MIN_CHARS``: below 60 normalised characters both signals are noise;
  such texts merge only when their shingles are (almost) all shared
  (``SHORT_OVERLAP``).  Empty texts never merge.

Known false-positive cases (each has a test in ``tests/test_dedupe.py``):
two different stories whose cleaned text is mostly the same outlet template
(prevented by cleaning, and by MIN_CHARS for near-empty bodies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..storage import Candidate
from .fingerprint import containment, distance, normalize, shingle_set

MIN_CHARS = 60
SHORT_OVERLAP = 0.95
SHINGLE_N = 4


def is_short(text: str) -> bool:
    return len(normalize(text)) < MIN_CHARS


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one pair, with every signal that led to it."""

    duplicate: bool
    distance: int
    overlap: float
    rule: str


def decide(text_a: str, text_b: str, dist: int, threshold: int, min_overlap: float) -> Decision:
    """Are two cleaned texts at simhash distance ``dist`` the same story?"""
    if not normalize(text_a) or not normalize(text_b):
        return Decision(False, dist, 0.0, "empty text never merges")
    if dist > threshold:
        return Decision(False, dist, 0.0, f"distance {dist} > threshold {threshold}")
    overlap = containment(shingle_set(text_a, SHINGLE_N), shingle_set(text_b, SHINGLE_N))
    need = SHORT_OVERLAP if is_short(text_a) or is_short(text_b) else min_overlap
    if overlap >= need:
        return Decision(True, dist, overlap, f"overlap {overlap:.2f} >= {need}")
    return Decision(False, dist, overlap, f"overlap {overlap:.2f} < {need}")


@dataclass(frozen=True, slots=True)
class Match:
    story_id: str
    item_id: str
    decision: Decision


@dataclass
class StoryIndex:
    """In-memory candidates inside the time window.  A linear scan is exact and,
    at the size of one window of news, cheap (issue 6 replaces it with banded tables)."""

    threshold: int
    min_overlap: float
    window: timedelta
    entries: list[Candidate] = field(default_factory=list)

    def add(self, candidate: Candidate) -> None:
        self.entries.append(candidate)

    def match(
        self,
        fp: int,
        when: datetime,
        text: str,
        text_of: Callable[[str], str],
        exclude: str | None = None,
    ) -> Match | None:
        """The closest verified candidate (distance, then date, then id: deterministic)."""
        near = sorted(
            (distance(fp, c.fp), c.sort_date, c.item_id, c.story_id)
            for c in self.entries
            if c.item_id != exclude and abs(c.sort_date - when) <= self.window
        )
        for d, _, item_id, story_id in near:
            if d > self.threshold:
                break
            verdict = decide(text, text_of(item_id), d, self.threshold, self.min_overlap)
            if verdict.duplicate:
                return Match(story_id, item_id, verdict)
        return None
