"""Frozen types that cross stage boundaries.

One direction, one type (DESIGN habit 1): collectors produce :class:`RawItem`,
the cleaner turns it into :class:`Cleaned`, the pipeline combines both into an
:class:`Article` (which carries its fingerprint), storage groups articles into
stories and hands :class:`StoryView` to the publisher.  All datetimes are
timezone-aware UTC; converters normalise at the edge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

ContentType = str  # "markdown" | "html" | "text"


def stable_id(*parts: str) -> str:
    """A short id that is the same on every run and every machine.

    A version prefix lets a later scheme coexist with stored ids (reader's
    ``_hash_utils``); parts are joined with NUL so ("ab","c") != ("a","bc").
    """
    digest = hashlib.sha256("\0".join(("v1", *parts)).encode("utf-8")).hexdigest()
    return digest[:24]


@dataclass(frozen=True, slots=True)
class RawItem:
    """One article as a collector found it, before any cleaning."""

    source_id: str
    key: str  # stable per source: feed guid/link, or the file path relative to the source root
    format: str  # hexo | goodnews | jekyll | rss | atom | json
    title: str
    content: str
    content_type: ContentType
    link: str | None = None
    author: str | None = None
    outlet: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None

    @property
    def id(self) -> str:
        return stable_id(self.source_id, self.key)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(
            "\0".join((self.title, self.content, self.link or "")).encode("utf-8")
        ).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Removal:
    """One piece of boilerplate the cleaner removed, and the rule that removed it."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class Cleaned:
    """What the cleaner made of a raw item's content."""

    html: str
    text: str
    link: str | None = None  # e.g. the goodnews "原文地址" URL
    outlet: str | None = None  # e.g. from a 【希望之声…】 dateline
    wire: str | None = None  # e.g. "来源: 中央社"
    published: datetime | None = None  # e.g. from the dateline when the format has no date
    removed: tuple[Removal, ...] = ()
    blocks: tuple[str, ...] = ()  # keys of the leaf blocks, for learned boilerplate


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned, fingerprinted item: what dedupe and publishing work on."""

    id: str
    source_id: str
    key: str
    format: str
    title: str
    html: str
    text: str
    fingerprint: int  # unsigned 64-bit simhash of ``text``
    link: str | None = None
    author: str | None = None
    outlet: str | None = None
    wire: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    content_hash: str = ""
    blocks: tuple[str, ...] = ()
    learn_group: str = ""


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story as the publisher sees it: its representative and the other copies."""

    id: str
    representative: Article
    others: tuple[Article, ...] = field(default=())
    published: datetime | None = None
    updated: datetime | None = None
