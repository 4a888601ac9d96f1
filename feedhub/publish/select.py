"""Which stories a topic shows, and which copy represents each story."""

from __future__ import annotations

import re
from datetime import datetime

from ..config import FilterConfig, TopicConfig
from ..dedupe.assign import SHINGLE_N
from ..dedupe.fingerprint import overlap, token_shingles
from ..storage import Storage
from ..types import Article, StoryView, stable_id


def _matches(rule: FilterConfig, article: Article) -> bool:
    fields = [article.title if f == "title" else article.text for f in rule.fields]
    haystack = "\n".join(fields)
    lowered = haystack.lower()
    if any(k.lower() in lowered for k in rule.keywords):
        return True
    return any(re.search(p, haystack) for p in rule.regex)


def wanted(topic: TopicConfig, article: Article) -> bool:
    if not topic.include.is_empty() and not _matches(topic.include, article):
        return False
    return topic.exclude.is_empty() or not _matches(topic.exclude, article)


def representative(
    members: list[tuple[Article, datetime]], prefer: tuple[str, ...] = ()
) -> tuple[Article, datetime]:
    """The copy that represents a story: the first outlet in ``prefer`` that has a
    copy, else the most complete text (longest), else the earliest, then lowest id.
    The entry id is the story's, so changing the representative never makes a
    reader see a new entry."""
    if len(members) == 1:  # most stories: min() of one, without its key
        return members[0]
    rank = {o.casefold(): i for i, o in enumerate(prefer)}

    def key(m: tuple[Article, datetime]) -> tuple[int, int, str, str]:
        a, seen = m
        outlet = rank.get((a.outlet or "").casefold(), len(rank))
        return (outlet, -len(a.text), (a.published or seen).isoformat(), a.id)

    return min(members, key=key)


def _split(
    story_id: str,
    members: list[tuple[Article, datetime]],
    prefer: tuple[str, ...],
    min_overlap: float | None,
) -> list[tuple[str, list[tuple[Article, datetime]]]]:
    """A topic's stricter ``min_overlap``: copies below it against the story's
    representative become entries of their own, with ids derived from the story's
    and the copy's, so they are as stable as the story's own."""
    if min_overlap is None or len(members) < 2:
        return [(story_id, members)]
    rep, _ = representative(members, prefer)
    rep_shingles = token_shingles(rep.text, SHINGLE_N)
    kept: list[tuple[Article, datetime]] = []
    apart: list[tuple[Article, datetime]] = []
    for m in members:
        if (
            m[0].id == rep.id
            or overlap(rep_shingles, token_shingles(m[0].text, SHINGLE_N)) >= min_overlap
        ):
            kept.append(m)
        else:
            apart.append(m)
    return [(story_id, kept)] + [(stable_id(story_id, "apart", m[0].id), [m]) for m in apart]


def select_stories(
    storage: Storage, topic: TopicConfig, prefer: tuple[str, ...] = ()
) -> list[StoryView]:
    """The topic's newest ``max_entries`` stories.

    A story belongs to the topic when one of its copies comes from the topic's
    sources and passes the include/exclude rules; see :func:`representative`
    for which copy stands for it.
    """
    views: list[StoryView] = []
    for story_id, members in storage.story_members(topic.sources).items():
        if not any(a.source_id in topic.sources and wanted(topic, a) for a, _ in members):
            continue
        for view_id, group in _split(story_id, members, prefer, topic.min_overlap):
            rep, _ = representative(group, prefer)
            stamps: list[datetime] = [a.updated or a.published or seen for a, seen in group]
            views.append(
                StoryView(
                    id=view_id,
                    representative=rep,
                    others=tuple(a for a, _ in group if a.id != rep.id),
                    published=min((a.published or seen) for a, seen in group),
                    updated=max(stamps),
                )
            )
    views.sort(key=lambda v: (v.published or datetime.min, v.id), reverse=True)
    return views[: topic.max_entries]
