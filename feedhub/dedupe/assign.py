"""Story assignment: does a new article join an existing story?

Rationale and thresholds
------------------------
The fingerprint is a 64-bit simhash of character 3-gram shingles of the
*cleaned* text (see ``fingerprint.py``).  Cleaning first is what keeps
same-outlet pages apart: on raw mirror pages the shared nav/promo/footer
boilerplate makes two unrelated pages of one outlet closer than the same story
told by two outlets.

* ``threshold`` (config ``dedupe.threshold``, default 12 bits): measured on the
  labelled pairs in ``../shared/corpora`` after cleaning, light edits of one
  text ("near") sit at 0–5 bits, unrelated pages of the same outlet at ≥ 15;
  12 keeps a margin of 3 bits below the closest negative.  Rewritten stories
  by another outlet mostly sit at 12–36 bits and are *not* caught by simhash
  alone: missing a duplicate is preferable to merging two stories (a reader
  can skip a repeat, but never sees a story hidden inside another).
* ``window`` (default 3 days): only articles whose dates lie within the window
  of each other can merge, so a recurring text (a weekly column template) does
  not swallow next month's issue.
* ``MIN_CHARS``: below 60 normalised characters a simhash has too few features
  to be meaningful; such texts merge only on an identical fingerprint.

Known false-positive cases (each has a test in ``tests/test_dedupe.py``):
two different stories whose cleaned text is mostly the same outlet template
(prevented by cleaning, and by MIN_CHARS for near-empty bodies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..storage import Candidate
from .fingerprint import distance, normalize

MIN_CHARS = 60


def is_short(text: str) -> bool:
    return len(normalize(text)) < MIN_CHARS


@dataclass(frozen=True, slots=True)
class Match:
    story_id: str
    item_id: str
    distance: int


@dataclass
class StoryIndex:
    """In-memory candidates inside the time window; a linear scan is exact and,
    at the size of one window of news, cheap (issue 6 replaces it with banded tables)."""

    threshold: int
    window: timedelta
    entries: list[Candidate] = field(default_factory=list)

    def add(self, candidate: Candidate) -> None:
        self.entries.append(candidate)

    def match(self, fp: int, when: datetime, short: bool, exclude: str | None = None) -> Match | None:
        limit = 0 if short else self.threshold
        best: tuple[int, datetime, str, str] | None = None
        for c in self.entries:
            if c.item_id == exclude or abs(c.sort_date - when) > self.window:
                continue
            d = distance(fp, c.fp)
            if d <= limit and (best is None or (d, c.sort_date, c.item_id) < best[:3]):
                best = (d, c.sort_date, c.item_id, c.story_id)
        if best is None:
            return None
        return Match(story_id=best[3], item_id=best[2], distance=best[0])
