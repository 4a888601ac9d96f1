"""The update pipeline, written as pseudo-shell (reader's ``_update`` habit)::

    for source in config.sources:            # in config order
        collect(source)                      # RawItem*  | SourceError*
          | skip unchanged (content hash)    # re-running adds nothing
          | clean | fingerprint              # Article
          | assign story (window, threshold) # join or start a story
          | store (one transaction)          # items + source caching info
    for topic whose sources changed:
        select stories | render Atom | write atomically (only if bytes differ)

Items of one source are processed oldest first (then by id), so story ids and
representatives come out the same on every run and every machine.  ``now`` is
a parameter, never read deep inside (reader's ``Decider(now=…)``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .clean import (
    LearnSettings,
    RulePack,
    clean,
    clean_many,
    group_of,
    pack_for,
)
from .clean.sanitize import sanitize_text
from .collect import CollectResult
from .collect.feeds import collect_feed, is_remote
from .collect.http import USER_AGENT, Limits, make_client
from .collect.local import collect_local, host_of, read_article
from .config import Config, DedupeConfig, SourceConfig
from .dedupe.assign import FeatureCache, FeatureEntry, Settings, Side, StoryIndex
from .dedupe.fingerprint import fingerprint
from .dedupe.signals import Idf
from .errors import ParseError, SourceError
from .publish.atom import publish_topics
from .storage import Candidate, ItemRow, Storage
from .types import Article, Cleaned, RawItem, stable_id

log = logging.getLogger("feedhub")

# Error backoff: interval × 2^errors, capped (miniflux ScheduleNextCheck).
MAX_BACKOFF = timedelta(days=1)


@dataclass
class SourceSummary:
    source_id: str
    new: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    not_modified: bool = False
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.not_modified:
            body = "not modified"
        else:
            body = (
                f"{self.new} new ({self.merged} joined an existing story), "
                f"{self.updated} updated, {self.unchanged} unchanged"
            )
        if self.errors:
            body += f", {len(self.errors)} error(s)"
        return f"{self.source_id}: {body}"


@dataclass
class RunSummary:
    sources: list[SourceSummary] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unchanged_outputs: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"source {s.source_id!r}: {e}" for s in self.sources for e in s.errors]


def limits_of(config: Config) -> Limits:
    f = config.fetch
    return Limits(
        timeout=f.timeout,
        max_bytes=f.max_bytes,
        max_redirects=f.max_redirects,
        user_agent=f.user_agent or USER_AGENT,
        allow_private=f.allow_private,
    )


def web_link(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None: a feed's ``javascript:``,
    ``data:`` or ``file:`` "link" must never become an entry link or an href."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def make_article(raw: RawItem, c: Cleaned, source: SourceConfig | None = None) -> Article:
    """Combine a raw item and its cleaned content into a fingerprinted article."""
    link = web_link(raw.link) or web_link(c.link)
    own_outlet = source.outlet if source and source.outlet else None
    outlet = own_outlet or raw.outlet or c.outlet or host_of(link)
    return Article(
        id=raw.id,
        source_id=raw.source_id,
        key=raw.key,
        format=raw.format,
        title=sanitize_text(raw.title) or "(untitled)",  # local titles are raw front matter
        html=c.html,
        text=c.text,
        fingerprint=fingerprint(c.text),
        link=link,
        author=raw.author,
        outlet=outlet,
        wire=c.wire,
        published=raw.published or c.published,
        updated=raw.updated,
        categories=raw.categories,
        image=web_link(raw.image),
        content_hash=raw.content_hash,
        blocks=c.blocks,
        learn_group=group_of(raw, c),
    )


def pack_of(source: SourceConfig | None) -> Callable[[RawItem], RulePack]:
    rules = source.rules if source else None
    return lambda raw: pack_for(raw.format, raw.source_id, rules)


def learn_settings(config: Config | None, source: SourceConfig | None) -> LearnSettings:
    if config is None:
        return LearnSettings()
    lc = config.learn
    enabled = lc.enabled and (source.learn if source else True)
    return LearnSettings(enabled, lc.window, lc.min_share, lc.min_articles)


def build_article(raw: RawItem, source: SourceConfig | None = None) -> Article:
    """Clean (rules only, no learning) and fingerprint one raw item."""
    return make_article(raw, clean(raw, pack_of(source)(raw)), source)


def clean_files(
    paths: Sequence[Path], learn: bool = True, neighbours: bool = False
) -> dict[Path, tuple[Article, Cleaned]]:
    """Clean local article files without a config, the way ``feedhub clean`` does.

    The other articles in each file's folder stand in for its source's recent
    articles, so boilerplate is learned from them (each folder read once).
    With ``neighbours`` the result also holds those other articles (the
    collection ``compare`` takes its IDF from).

    Raises:
        ParseError: one of ``paths`` cannot be read or parsed (neighbours that
            cannot be read only teach nothing).
    """
    out: dict[Path, tuple[Article, Cleaned]] = {}
    by_folder: dict[Path, list[Path]] = {}
    for p in paths:
        by_folder.setdefault(p.resolve().parent, []).append(p)
    for folder, wanted in by_folder.items():
        source_id = f"folder:{folder.name}"
        targets = {p.resolve(): read_article(p, source_id=source_id, key=p.name) for p in wanted}
        raws = list(targets.values())
        others: list[Path] = []
        if learn or neighbours:
            suffixes = {p.suffix for p in wanted}
            for other in sorted(folder.iterdir()):
                if (
                    other.suffix not in suffixes
                    or other.resolve() in targets
                    or not other.is_file()
                ):
                    continue
                try:
                    raws.append(read_article(other, source_id=source_id, key=other.name))
                    others.append(other)
                except ParseError:
                    continue
        cleaned = clean_many(raws, pack_of(None), LearnSettings(enabled=learn))
        results = {}
        for i, path in enumerate(list(targets) + (others if neighbours else [])):
            c = cleaned[i]
            assert c is not None  # clean_many without on_error raises instead
            results[path.resolve()] = (make_article(raws[i], c), c)
        for p in wanted:  # keyed by the caller's own spelling of each path
            out[p] = results[p.resolve()]
        if neighbours:
            out.update((p, results[p.resolve()]) for p in others)
    return out


def collect_source(
    source: SourceConfig, config: Config, storage: Storage, client: httpx.Client | None = None
) -> CollectResult:
    if source.kind == "local":
        assert source.path is not None
        return collect_local(
            source.id,
            config.resolve(source.path),
            source.glob,
            source.format,
            storage.file_stats(source.id),
        )
    assert source.url is not None
    state = storage.source_state(source.id)
    return collect_feed(
        source.id,
        source.url,
        state.cache,
        limits_of(config),
        client,
        outlet=source.outlet,
        root=Path(config.root),
    )


def next_due(source: SourceConfig, now: datetime, errors: int) -> datetime:
    """Interval with ±10 % jitter (so sources started together drift apart), doubled per
    consecutive error up to MAX_BACKOFF."""
    base = timedelta(seconds=source.interval)
    if errors:
        base = min(base * (2 ** min(errors, 16)), max(MAX_BACKOFF, base))
    return now + base * random.uniform(0.9, 1.1)


def dedupe_settings_of(d: DedupeConfig) -> Settings:
    return Settings(
        threshold=d.threshold,
        min_overlap=d.min_overlap,
        min_cosine=d.min_cosine,
        headline=d.headline,
    )


_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def span(dates: list[datetime], window: timedelta) -> tuple[datetime, datetime]:
    """[earliest - window, latest + window], saturating at the ends of the datetime range
    (feeds do date items 0001-01-01, Go's zero time, or 9999-12-31)."""
    first, last = min(dates), max(dates)
    since = first - window if first - _FIRST > window else _FIRST
    until = last + window if _LAST - last > window else _LAST
    return since, until


@dataclass
class SharedDedupe:
    """Dedupe state shared by the batches (one per source) of one run or daemon tick,
    dropped after it.  Each batch used to read every window text from the database,
    count the IDF collection over them and rebuild the story index: O(window) work
    per source, which dominated a tick where many sources bring a few items.  Now
    the run reads a window text once, and each batch extends the index, the known
    texts and the IDF counts with what it has not seen.

    The IDF collection is therefore the run's window so far plus the batch (not only
    the part of the window within the batch's date span, and an updated item's old
    text stays counted): document frequencies, not candidates, so this only nudges
    weights, and candidates still come from the batch's window alone."""

    features: dict[str, FeatureEntry] = field(default_factory=dict)
    index: StoryIndex | None = None
    sides: dict[str, Side] = field(default_factory=dict)
    idf: Idf = field(default_factory=Idf)
    counted: set[str] = field(default_factory=set)

    def forget(self) -> None:
        """Drop everything a rolled-back batch may have added (features stay: they
        are checked against the text they were computed from)."""
        self.index, self.sides, self.idf, self.counted = None, {}, Idf(), set()


def make_index(
    config: Config,
    prior: list[tuple[Candidate, Side]],
    batch: list[Article],
    now: datetime,
    shared: SharedDedupe | None = None,
    dates: list[datetime] | None = None,
) -> tuple[StoryIndex, dict[str, Side]]:
    """The story index for one batch: earlier articles inside the batch's window as
    candidates, and the IDF collection (those plus the batch) for the cosine signal.
    ``shared``: the run's index, texts and counts (see :class:`SharedDedupe`).
    ``dates``: the dates the batch is matched at (default: published, else ``now``)."""
    window = timedelta(seconds=config.dedupe.window)
    dates = dates or [a.published or now for a in batch] or [now]
    since, until = span(dates, window)
    prior = [(c, s) for c, s in prior if since <= c.sort_date <= until]
    sides = {c.item_id: s for c, s in prior}
    sides.update((a.id, Side(a.text, a.title, a.id)) for a in batch)
    if shared is None:
        cache = FeatureCache(Idf(s.text for s in sides.values()))
        index = StoryIndex(dedupe_settings_of(config.dedupe), window, cache)
    else:
        for item_id, side in sides.items():
            if item_id not in shared.counted:
                shared.idf.add(side.text)
                shared.counted.add(item_id)
        shared.sides.update(sides)
        cache = FeatureCache(shared.idf, shared.features)
        if shared.index is None:
            shared.index = StoryIndex(dedupe_settings_of(config.dedupe), window, cache)
        # Rows outside this batch's span stay in the index: match() only takes
        # candidates within the window of each article, all inside the span.
        index = shared.index
        index.use(cache)
    index.extend(prior)
    return index, sides


def store_result(
    result: CollectResult,
    source: SourceConfig,
    config: Config,
    storage: Storage,
    now: datetime,
    shared: SharedDedupe | None = None,
) -> SourceSummary:
    """Clean, fingerprint, assign and store one source's items in one transaction.
    ``shared``: see :func:`make_index`."""
    summary = SourceSummary(source.id, not_modified=result.not_modified)
    summary.errors.extend(e.message for e in result.errors)
    existing = storage.content_hashes(source.id)
    # each item's id and content hash once (both are SHA-256 of the item, recomputed
    # by the properties on every access)
    hashed = [(r, r.id, r.content_hash) for r in result.items]
    keyed = [(r, rid) for r, rid, h in hashed if existing.get(rid) != h]
    summary.unchanged = len(result.items) - len(keyed) + len(result.unchanged)
    keyed.sort(key=lambda k: ((k[0].published or now).isoformat(), k[1]))
    todo = [r for r, _ in keyed]
    window = timedelta(seconds=config.dedupe.window)

    def failed(raw: RawItem, exc: Exception) -> None:
        log.exception("clean_failed", extra={"source": source.id, "item": raw.key})
        summary.errors.append(f"{raw.key}: could not clean: {type(exc).__name__}: {exc}")

    settings = learn_settings(config, source)
    cleaned = clean_many(
        todo,
        pack_of(source),
        settings,
        history=lambda group, ex: storage.recent_blocks(source.id, group, settings.window, ex),
        on_error=failed,
    )
    articles = [
        (raw, make_article(raw, c, source))
        for raw, c in zip(todo, cleaned, strict=True)
        if c is not None
    ]
    prior: list[tuple[Candidate, Side]] = []
    if articles:
        dates = [a.published or now for _, a in articles]
        since, until = span(dates, window)
        cands = storage.candidates(since, until)
        known = shared.sides if shared is not None else {}
        stored = storage.texts_of([c.item_id for c in cands if c.item_id not in known])
        prior = [
            (c, known[c.item_id] if c.item_id in known else Side(*stored[c.item_id], c.item_id))
            for c in cands
            if c.item_id in known or c.item_id in stored
        ]
    error_text = "; ".join(summary.errors[:3]) or None
    try:
        # inside the try: make_index already extends the run's shared state
        index, sides = make_index(config, prior, [a for _, a in articles], now, shared)
        failures = storage.source_state(source.id).error_count + 1 if result.failed else 0
        with storage.transaction():
            # updated items keep their story: read them all at once, inside the
            # transaction as before (the batch's own writes never change those rows'
            # story, so reading first gives what reading item by item gave)
            kept_story = storage.stories_of([a.id for _, a in articles if a.id in existing])
            rows: list[ItemRow] = []
            for raw, article in articles:
                sort_date = article.published or now
                if article.id in existing:
                    story_id = kept_story.get(article.id) or stable_id("story", article.id)
                    summary.updated += 1
                else:
                    match = index.match(
                        article.fingerprint,
                        sort_date,
                        sides[article.id],
                        sides.__getitem__,
                        exclude=article.id,
                        source=source.id,
                    )
                    if match:
                        story_id = match.story_id
                        summary.merged += 1
                    else:
                        story_id = stable_id("story", article.id)
                    summary.new += 1
                rows.append((article, raw, story_id, now, sort_date))
                index.add(
                    Candidate(article.id, story_id, article.fingerprint, sort_date, source.id),
                    sides[article.id],
                )
            # nothing in the loop reads the rows it writes: one batched write, in order
            storage.put_items(rows)
            if result.files:  # files whose item is now stored: not read again unchanged
                kept = {r.key for r, rid, h in hashed if existing.get(rid) == h}
                kept.update(raw.key for raw, _ in articles)
                storage.record_files(
                    source.id, (f for f in result.files if f[0] in kept), result.reading
                )
            storage.record_attempt(
                source.id,
                now,
                result.cache,
                error_text,
                next_due(source, now, failures),
                failed=failures > 0,
            )
    except BaseException:
        if shared is not None:
            shared.forget()  # it may hold rows of the batch just rolled back
        raise
    return summary


def run_once(
    config: Config,
    storage: Storage,
    now: datetime,
    *,
    client: httpx.Client | None = None,
    sources: list[SourceConfig] | None = None,
    on_source: Callable[[SourceSummary], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunSummary:
    """Collect the given (default: all) sources, then rewrite the topics they feed."""
    run = RunSummary()
    changed: set[str] = set()
    todo = sources if sources is not None else list(config.sources)
    # One client for the whole run: building one loads the CA bundle (about 20 ms),
    # which would otherwise dominate polling feeds that answer 304.
    # Feeds read from local files never use it: a run of only those builds none.
    own_client = client is None and any(
        s.kind == "feed" and s.url is not None and is_remote(s.url) for s in todo
    )
    shared = SharedDedupe()
    if own_client:
        client = make_client(limits_of(config))
    try:
        for source in todo:
            if stop and stop():
                break
            try:
                result = collect_source(source, config, storage, client)
            except SourceError as exc:
                result = CollectResult(source.id, errors=(exc,))
            summary = store_result(result, source, config, storage, now, shared)
            for err in summary.errors:
                log.warning("source_error", extra={"source": source.id, "error": err})
            if summary.new or summary.updated:
                changed.add(source.id)
            run.sources.append(summary)
            if on_source:
                on_source(summary)
    finally:
        if own_client and client is not None:
            client.close()
    topics = [
        t
        for t in config.topics
        if set(t.sources) & changed or not (config.output_path / f"{t.id}.atom").exists()
    ]
    written, unchanged = publish_topics(config, storage, topics)
    run.written, run.unchanged_outputs = written, unchanged
    return run
