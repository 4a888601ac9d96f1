"""Learned boilerplate: a block that repeats across a source's articles is not the story.

Hand-written rules only catch what someone saw before; mirrors change their
promo blocks every few weeks.  A person spots boilerplate because it repeats
on every page of a site, so feedhub does the same: every *leaf block* of the
rule-cleaned article (a paragraph, list item, heading, div without inner
blocks) gets a key, the hash of its whitespace-free text.  A key found in at
least ``min_share`` of the group's last ``window`` articles, and in at least
``min_articles`` of them, is boilerplate and is removed (unless it is the
title).  Counting is per article (a set of keys), so a sentence quoted twice
in one article counts once, and a sentence two different stories quote
(count 2) stays under ``min_articles``.

Groups: a mirror folder often carries several outlets (one goodnews source
mixes four sites, each with its own template), so counting is per source
*and* per original site (the host of the article's link, else its outlet).
A promo block that only one outlet's pages carry would otherwise stay under
the share threshold of the whole folder.

Cleaning is two passes: the first cleans with rules only and records the
keys; the counts are taken over the group's recent articles (stored ones plus
this batch); articles holding a boilerplate key are cleaned again with it.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def block_key(text: str) -> str:
    """Key of a block: whitespace-insensitive hash of its text (8 bytes, hex)."""
    # every whitespace character removed: str.split() splits on exactly what regex \s matches
    return hashlib.blake2b("".join(text.split()).encode("utf-8"), digest_size=8).hexdigest()


def learn_group(source_id: str, link: str | None, outlet: str | None) -> str:
    host = (urlsplit(link).hostname or "") if link else ""
    return f"{source_id}/{host.removeprefix('www.') or outlet or ''}"


@dataclass(frozen=True, slots=True)
class LearnSettings:
    enabled: bool = True
    window: int = 50
    min_share: float = 0.3
    min_articles: int = 3


@dataclass(frozen=True)
class Learned:
    """What was learned for one group, with the figures that explain each decision."""

    group: str
    total: int
    counts: dict[str, int] = field(default_factory=dict)
    boilerplate: frozenset[str] = frozenset()

    def reason(self, key: str) -> str:
        return (
            f"learned: seen in {self.counts.get(key, 0)} of {self.total} articles of "
            f"source {self.group}"
        )


def learn(group: str, recent: Sequence[Sequence[str]], settings: LearnSettings) -> Learned:
    """Count keys over the most recent ``settings.window`` articles (oldest first)."""
    window = list(recent)[-settings.window :]
    counts = Counter(k for keys in window for k in set(keys))
    need = max(settings.min_articles, math.ceil(settings.min_share * len(window)))
    boilerplate = frozenset(k for k, n in counts.items() if n >= need)
    return Learned(group, len(window), dict(counts), boilerplate)
