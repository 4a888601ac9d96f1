"""Render a topic as Atom 1.0 with feedgen and write it atomically.

Entry ids are ``tag:`` URIs made from the story id, which is fixed when the
story is created: they do not change when duplicates join or when a different
copy becomes the representative, so feed readers never show a story twice.
The feed's ``updated`` is the newest entry's, not the wall clock, so a run
that changes nothing writes the same bytes (and the file is then not touched).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree  # type: ignore[import-untyped]  # no stubs in the dev venv

from .. import __version__
from ..config import Config, TopicConfig
from ..storage import Storage
from ..types import Article, StoryView
from .select import select_stories

TAG_AUTHORITY = "tag:feedhub,2026:"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _FeedExtension(BaseExtension):  # type: ignore[misc]
    """Nothing at feed level; feedgen wants a feed class beside the entry class."""


class _EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Related links and a complete atom:source, written by us.

    feedgen 1.0.0 drops ``rel``/``title`` from every entry link (its ``link``
    loop variable is shadowed by the XML element), which turns each related
    copy into another rel="alternate" link: invalid Atom.  Its atom:source also
    lacks the id/updated that RFC 4287 §4.2.11 recommends.
    """

    def __init__(self) -> None:
        self.related: list[tuple[str, str]] = []
        self.source: tuple[str, str, str, str] | None = None  # id, title, link, updated

    def extend_atom(self, entry: Any) -> Any:
        for href, title in self.related:
            xml_elem("link", entry, href=href, rel="related", title=title)
        if self.source:
            sid, title, link, updated = self.source
            src = xml_elem("source", entry)
            xml_elem("id", src).text = sid
            xml_elem("title", src).text = title
            xml_elem("link", src, href=link, rel="alternate")
            xml_elem("updated", src).text = updated
        return entry


def entry_id(story_id: str) -> str:
    return f"{TAG_AUTHORITY}story/{story_id}"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/" if p.scheme in ("http", "https") and p.netloc else None


def _label(a: Article) -> str:
    return a.outlet or a.author or a.source_id


def also_reported(others: tuple[Article, ...]) -> str:
    """The "Also reported by" paragraph (built from escaped parts: safe HTML)."""
    parts = []
    for a in others:
        name = html.escape(_label(a))
        if a.link:
            parts.append(f'<a href="{html.escape(a.link, quote=True)}">{name}</a>')
        else:
            parts.append(name)
    return f"<p><strong>Also reported by:</strong> {', '.join(parts)}</p>"


# What XML 1.0 cannot carry: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(a: Article) -> Article:
    def x(s: str | None) -> str | None:
        return None if s is None else _NOT_XML.sub("", s)

    return replace(
        a,
        title=_NOT_XML.sub("", a.title),
        html=_NOT_XML.sub("", a.html),
        link=x(a.link),
        author=x(a.author),
        outlet=x(a.outlet),
        wire=x(a.wire),
        categories=tuple(_NOT_XML.sub("", c) for c in a.categories),
    )


def _xml_safe(story: StoryView) -> StoryView:
    """The story with characters XML cannot hold dropped: lxml refuses them, and one
    feed title with a BEL in it would otherwise stop every later write of its topics."""
    return replace(
        story,
        representative=_xml_text(story.representative),
        others=tuple(_xml_text(o) for o in story.others),
    )


def _x(value: str | None) -> str | None:
    """A field as :func:`_xml_text` leaves it."""
    return None if value is None else _NOT_XML.sub("", value)


def _safe_label(a: Article) -> str:
    """``_label(_xml_text(a))``: the choice is made on the cleaned fields (a field of
    control characters only is empty afterwards, and the next one is taken)."""
    return _x(a.outlet) or _x(a.author) or a.source_id


def _stamp(value: datetime) -> str:
    if value.tzinfo is None:  # what feedgen refuses
        raise ValueError("Datetime object has no timezone info")
    return value.isoformat()


def render_atom(config: Config, topic: TopicConfig, stories: list[StoryView]) -> bytes:
    """The topic's Atom document, built directly as the lxml tree feedgen builds (same
    elements, attributes and order, including its quirks: ``xmlns`` as a plain
    attribute, entry links without ``rel``) and serialised the same way, so the bytes
    are :func:`render_atom_feedgen`'s; without feedgen's per-field objects and checks,
    and without copying every article to drop the characters XML cannot hold (only the
    fields written are cleaned)."""
    sub = etree.SubElement
    title = _NOT_XML.sub("", topic.title)
    if not title:
        raise ValueError("Required fields not set (title)")
    feed = etree.Element("feed", xmlns="http://www.w3.org/2005/Atom", nsmap={})
    sub(feed, "id").text = f"{TAG_AUTHORITY}topic/{topic.id}"
    sub(feed, "title").text = title
    sub(feed, "updated").text = _stamp(
        max((s.updated for s in stories if s.updated), default=EPOCH)
    )
    sub(sub(feed, "author"), "name").text = "feedhub"
    sub(feed, "link", href=urljoin(config.base_url, f"{topic.id}.atom"), rel="self")
    sub(feed, "link", href=config.base_url, rel="alternate")
    if config.websub_hub:
        sub(feed, "link", href=config.websub_hub, rel="hub")
    generator = sub(feed, "generator")
    generator.text = "feedhub"
    generator.attrib["uri"] = "https://github.com/feedhub/feedhub"
    generator.attrib["version"] = __version__
    for story in stories:
        rep = story.representative
        rep_title = _NOT_XML.sub("", rep.title)
        if not rep_title:
            raise ValueError("Required fields not set")
        rep_link = _x(rep.link)
        rep_label = _safe_label(rep)
        entry = sub(feed, "entry")
        sub(entry, "id").text = entry_id(story.id)
        sub(entry, "title").text = rep_title
        sub(entry, "updated").text = _stamp(story.updated or story.published or EPOCH)
        author = _x(rep.author) or rep_label
        if author:
            sub(sub(entry, "author"), "name").text = author
        body = _NOT_XML.sub("", rep.html)
        wire = _x(rep.wire)
        if wire and wire != _x(rep.outlet):
            body += f"<p>Wire: {html.escape(wire)}</p>"
        if story.others:
            body += also_reported(tuple(_xml_text(o) for o in story.others))
        content = sub(entry, "content")
        if body:
            content.text = body
        content.attrib["type"] = "html"
        if rep_link:
            sub(entry, "link", href=rep_link)  # feedgen drops the rel (see _EntryExtension)
        for term in rep.categories:
            sub(entry, "category", term=_NOT_XML.sub("", term))
        sub(entry, "published").text = _stamp(story.published or EPOCH)
        for other in story.others:
            link = _x(other.link)
            if link and link != rep_link:
                sub(entry, "link", href=link, rel="related", title=_safe_label(other))
        source = sub(entry, "source")
        sub(source, "id").text = f"{TAG_AUTHORITY}source/{rep.source_id}"
        sub(source, "title").text = rep_label
        sub(source, "link", href=_origin(rep_link) or config.base_url, rel="alternate")
        sub(source, "updated").text = (
            rep.updated or rep.published or story.published or EPOCH
        ).isoformat()
    data: bytes = etree.tostring(
        etree.ElementTree(feed), pretty_print=True, encoding="UTF-8", xml_declaration=True
    )
    return data


def render_atom_feedgen(config: Config, topic: TopicConfig, stories: list[StoryView]) -> bytes:
    """The feed as feedgen builds it: the reference :func:`render_atom` is byte-equal to
    (tests/test_fast_io_equal.py)."""
    fg = FeedGenerator()
    fg.register_extension("feedhub", _FeedExtension, _EntryExtension, atom=True, rss=False)
    fg.id(f"{TAG_AUTHORITY}topic/{topic.id}")
    fg.title(_NOT_XML.sub("", topic.title))
    fg.author({"name": "feedhub"})
    fg.generator("feedhub", version=__version__, uri="https://github.com/feedhub/feedhub")
    fg.link(href=urljoin(config.base_url, f"{topic.id}.atom"), rel="self")
    fg.link(href=config.base_url, rel="alternate")
    if config.websub_hub:
        fg.link(href=config.websub_hub, rel="hub")
    fg.updated(max((s.updated for s in stories if s.updated), default=EPOCH))
    # feedgen prepends entries; add oldest first so the newest comes out on top.
    for story in reversed(stories):
        story = _xml_safe(story)
        rep = story.representative
        fe = fg.add_entry()
        fe.id(entry_id(story.id))
        fe.title(rep.title)
        if rep.link:
            fe.link(href=rep.link, rel="alternate")
        ext: _EntryExtension = fe.feedhub
        for other in story.others:
            if other.link and other.link != rep.link:
                ext.related.append((other.link, _label(other)))
        fe.author({"name": rep.author or _label(rep)})
        fe.published(story.published or EPOCH)
        fe.updated(story.updated or story.published or EPOCH)
        body = rep.html
        if rep.wire and rep.wire != rep.outlet:
            body += f"<p>Wire: {html.escape(rep.wire)}</p>"
        if story.others:
            body += also_reported(story.others)
        fe.content(body, type="html")
        for term in rep.categories:
            fe.category(term=term)
        origin = _origin(rep.link) or config.base_url
        ext.source = (
            f"{TAG_AUTHORITY}source/{rep.source_id}",
            _label(rep),
            origin,
            (rep.updated or rep.published or story.published or EPOCH).isoformat(),
        )
    data: bytes = fg.atom_str(pretty=True)
    return data


def write_atomic(path: Path, data: bytes) -> bool:
    """Write via a temp file in the same directory + rename; False when unchanged.

    Readers (and the HTTP server) see either the old or the new file, never a torn one.
    """
    previous: int | None = None  # the old version's Last-Modified second
    try:
        if path.read_bytes() == data:
            return False
        previous = int(path.stat().st_mtime)
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if previous is not None and int(os.stat(tmp).st_mtime) <= previous:
            # Last-Modified has whole seconds: a second version inside the same second
            # would look unmodified to a client asking If-Modified-Since (newsboat kept
            # the old entries), so each version gets a later second than the last.
            os.utime(tmp, (previous + 1, previous + 1))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def publish_topics(
    config: Config, storage: Storage, topics: list[TopicConfig]
) -> tuple[list[Path], list[Path]]:
    """Render and write each topic; returns (written, unchanged) paths."""
    written: list[Path] = []
    unchanged: list[Path] = []
    rewritten: list[str] = []  # public URLs to ping the WebSub hub about
    for topic in topics:
        path = config.output_path / f"{topic.id}.atom"
        stories = select_stories(storage, topic, config.dedupe.prefer_outlets)
        data = render_atom(config, topic, stories)
        changed = write_atomic(path, data)
        (written if changed else unchanged).append(path)
        if changed:
            rewritten.append(urljoin(config.base_url, path.name))
        if config.json_feed:
            from .jsonfeed import render_json_feed

            json_path = path.with_suffix(".json")
            if write_atomic(json_path, render_json_feed(config, topic, stories)):
                rewritten.append(urljoin(config.base_url, json_path.name))
    if config.websub_hub and rewritten:
        from .websub import ping_hub

        ping_hub(config.websub_hub, rewritten, timeout=min(config.fetch.timeout, 10.0))
    return written, unchanged
