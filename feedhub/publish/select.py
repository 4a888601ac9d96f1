"""Which stories a topic shows, and which copy represents each story."""

from __future__ import annotations

import re
from datetime import datetime

from ..config import FilterConfig, TopicConfig
from ..storage import Storage
from ..types import Article, StoryView


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


def select_stories(storage: Storage, topic: TopicConfig) -> list[StoryView]:
    """The topic's newest ``max_entries`` stories.

    A story belongs to the topic when one of its copies comes from the topic's
    sources and passes the include/exclude rules.  Its representative is its
    oldest copy (then lowest id): stable, so entries do not flip between runs.
    """
    views: list[StoryView] = []
    for story_id, members in storage.story_members(topic.sources).items():
        if not any(a.source_id in topic.sources and wanted(topic, a) for a, _ in members):
            continue
        rep, rep_seen = members[0]
        others = tuple(a for a, _ in members[1:])
        stamps: list[datetime] = [a.updated or a.published or seen for a, seen in members]
        views.append(
            StoryView(
                id=story_id,
                representative=rep,
                others=others,
                published=rep.published or rep_seen,
                updated=max(stamps),
            )
        )
    views.sort(key=lambda v: (v.published or datetime.min, v.id), reverse=True)
    return views[: topic.max_entries]
