"""``feedhub rebuild``: re-clean, re-fingerprint, re-assign and re-render from raw inputs.

Raw items are stored as collected, so after a rule, threshold or learning
change every article can be cleaned again without fetching anything.

Entry ids stay stable: stories are re-formed with the same assignment as a
live run (oldest first), then each new story takes the id of the oldest old
story among its members that no other new story has claimed.  An unchanged
story therefore keeps its id; when two stories merge, the older id survives
(the other entry disappears); when one splits, the part holding the oldest
member keeps it.

``--dry-run`` works on an in-memory copy of the database (SQLite's backup
API), so it reports exactly what the real rebuild would change and leaves
the state file and the feeds byte-identical.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .clean import clean_many
from .config import Config
from .dedupe.assign import Side
from .pipeline import SharedDedupe, learn_settings, make_article, make_index, pack_of
from .publish.atom import publish_topics
from .publish.select import select_stories
from .storage import Candidate, Storage
from .types import Article, RawItem, stable_id

log = logging.getLogger("feedhub")


@dataclass
class TopicChange:
    topic: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    recleaned: int = 0

    def lines(self) -> list[str]:
        out = [
            f"topic {self.topic}: {len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.merged)} merged or split, {self.recleaned} re-cleaned"
        ]
        out += [f"  + {t}" for t in self.added]
        out += [f"  - {t}" for t in self.removed]
        out += [f"  ~ {t}" for t in self.merged]
        return out


Snapshot = dict[str, tuple[str, frozenset[str], str]]  # story id -> (title, members, html)


def _snapshot(config: Config, storage: Storage) -> dict[str, Snapshot]:
    shots: dict[str, Snapshot] = {}
    for topic in config.topics:
        shots[topic.id] = {
            v.id: (
                v.representative.title,
                frozenset([v.representative.id, *(o.id for o in v.others)]),
                v.representative.html,
            )
            for v in select_stories(storage, topic, config.dedupe.prefer_outlets)
        }
    return shots


def _diff(topic: str, before: Snapshot, after: Snapshot) -> TopicChange:
    change = TopicChange(topic)
    change.added = [after[s][0] for s in after if s not in before]
    change.removed = [before[s][0] for s in before if s not in after]
    for sid in after.keys() & before.keys():
        if after[sid][1] != before[sid][1]:
            change.merged.append(
                f"{after[sid][0]}: {len(before[sid][1])} → {len(after[sid][1])} copies"
            )
        elif after[sid][2] != before[sid][2]:
            change.recleaned += 1
    return change


def rebuild(
    config: Config, storage: Storage, now: datetime, dry_run: bool = False
) -> list[TopicChange]:
    """Rebuild every configured source's items; returns the per-topic changes."""
    work = storage.in_memory_copy() if dry_run else storage
    before = _snapshot(config, work)
    old_story = work.story_assignment()

    # Re-form stories exactly as a fresh run would: source by source in config order,
    # each source's items oldest first, against the articles of the sources before it.
    rows: list[tuple[RawItem, Article, datetime]] = []
    prior: list[tuple[Candidate, Side]] = []
    clusters: dict[str, list[str]] = {}
    shared = SharedDedupe()
    for source in config.sources:
        stored = work.raw_items(source.id)
        cleaned = clean_many(
            [raw for raw, _ in stored],
            pack_of(source),
            learn_settings(config, source),
            on_error=lambda raw, exc: log.error("rebuild: %s: could not clean: %s", raw.key, exc),
        )
        batch = [
            (raw, make_article(raw, c, source), seen)
            for (raw, seen), c in zip(stored, cleaned, strict=True)
            if c is not None
        ]
        batch.sort(key=lambda r: ((r[1].published or r[2]).isoformat(), r[1].id))
        # matched at published, else first seen: the index's span must use the same
        dates = [a.published or seen for _, a, seen in batch]
        index, sides = make_index(config, prior, [a for _, a, _ in batch], now, shared, dates)
        for _, article, seen in batch:
            when = article.published or seen
            match = index.match(
                article.fingerprint,
                when,
                sides[article.id],
                sides.__getitem__,
                exclude=article.id,
                source=source.id,
            )
            cluster = match.story_id if match else article.id
            clusters.setdefault(cluster, []).append(article.id)
            candidate = Candidate(article.id, cluster, article.fingerprint, when, source.id)
            index.add(candidate, sides[article.id])
            prior.append((candidate, sides[article.id]))
        rows += batch

    story_of: dict[str, str] = {}
    taken: set[str] = set()
    old_ids = set(old_story.values())
    for members in clusters.values():
        olds = [old_story[m] for m in members if m in old_story]
        sid = next((o for o in olds if o not in taken), None)
        n = 0
        while sid is None or sid in taken:
            # A new id must not collide with an id some other story holds or had: a
            # split-off part can be the article that once created the old story's id.
            cand = stable_id("story", members[0], *([str(n)] if n else []))
            n += 1
            if cand not in taken and cand not in old_ids:
                sid = cand
        taken.add(sid)
        story_of.update((m, sid) for m in members)

    with work.transaction():
        for raw, article, seen in rows:
            work.put_item(article, raw, story_of[article.id], seen, article.published or seen)
        work.drop_empty_stories()
    after = _snapshot(config, work)
    changes = [_diff(t.id, before[t.id], after[t.id]) for t in config.topics]
    if dry_run:
        work.close()
    else:
        publish_topics(config, work, list(config.topics))
    return changes
