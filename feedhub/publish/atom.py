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


# The UTF-8 bytes of the characters _NOT_XML matches, but for surrogates (which do not
# encode): C0 controls but tab, LF, CR; U+FFFE and U+FFFF.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def _xml_clean(value: str) -> str:
    """``_NOT_XML.sub("", value)``; a long text (an article body) is checked on its
    UTF-8 bytes first, three times faster than the regular expression's scan, which then
    runs only when there is something to drop.  (In UTF-8 a control character is its
    own byte, and EF BF BE/BF can only be U+FFFE/U+FFFF.)"""
    if len(value) > 200:
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            return _NOT_XML.sub("", value)
        if (
            len(data.translate(None, _CONTROL_BYTES)) == len(data)
            and b"\xef\xbf\xbe" not in data
            and b"\xef\xbf\xbf" not in data
        ):
            return value
    return _NOT_XML.sub("", value)


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


def _text(value: str) -> str:
    """Element text as libxml2 writes it (lxml's serialiser): &, <, > and CR escaped."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def _attr(value: str) -> str:
    """An attribute value as libxml2 writes it: also ", LF and tab escaped."""
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#9;")
    return value


def _checked(value: str) -> str:
    """A value written as it is (ids, configured URLs): lxml refuses what XML cannot
    hold, and so does this writer."""
    if _NOT_XML.search(value):
        raise ValueError("All strings must be XML compatible")
    return value


def render_atom(config: Config, topic: TopicConfig, stories: list[StoryView]) -> bytes:
    """The topic's Atom document, written as text: byte for byte what
    :func:`render_atom_feedgen` gives -- feedgen's elements, attributes and order with
    its quirks (``xmlns`` as a plain attribute, entry links without ``rel``),
    serialised as lxml's pretty printer does (two-space indents, libxml2's escaping,
    ``<x/>`` for an element without text) -- without building feedgen's objects or an
    element tree, and without copying every article to drop the characters XML cannot
    hold (only the fields written are cleaned; others are checked, as lxml checks)."""
    title = _NOT_XML.sub("", topic.title)
    if not title:
        raise ValueError("Required fields not set (title)")
    updated = _stamp(max((s.updated for s in stories if s.updated), default=EPOCH))
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>{_text(_checked(f'{TAG_AUTHORITY}topic/{topic.id}'))}</id>\n"
        f"  <title>{_text(title)}</title>\n"
        f"  <updated>{updated}</updated>\n"
        "  <author>\n    <name>feedhub</name>\n  </author>\n"
        f'  <link href="{_attr(_checked(urljoin(config.base_url, f"{topic.id}.atom")))}"'
        ' rel="self"/>\n'
        f'  <link href="{_attr(_checked(config.base_url))}" rel="alternate"/>\n'
    ]
    if config.websub_hub:
        out.append(f'  <link href="{_attr(_checked(config.websub_hub))}" rel="hub"/>\n')
    out.append(
        '  <generator uri="https://github.com/feedhub/feedhub"'
        f' version="{_attr(_checked(__version__))}">feedhub</generator>\n'
    )
    for story in stories:
        rep = story.representative
        rep_title = _NOT_XML.sub("", rep.title)
        if not rep_title:
            raise ValueError("Required fields not set")
        rep_link = _x(rep.link)
        rep_label = _safe_label(rep)
        out.append(
            "  <entry>\n"
            f"    <id>{_text(_checked(entry_id(story.id)))}</id>\n"
            f"    <title>{_text(rep_title)}</title>\n"
            f"    <updated>{_stamp(story.updated or story.published or EPOCH)}</updated>\n"
        )
        author = _x(rep.author) or _checked(rep_label)
        if author:
            out.append(f"    <author>\n      <name>{_text(author)}</name>\n    </author>\n")
        body = _xml_clean(rep.html)
        wire = _x(rep.wire)
        if wire and wire != _x(rep.outlet):
            body += f"<p>Wire: {html.escape(wire)}</p>"
        if story.others:  # labels may fall back to a source id, written as it is
            body += _checked(also_reported(tuple(_xml_text(o) for o in story.others)))
        if body:
            out.append(f'    <content type="html">{_text(body)}</content>\n')
        else:
            out.append('    <content type="html"/>\n')
        if rep_link:  # feedgen drops the rel (see _EntryExtension)
            out.append(f'    <link href="{_attr(rep_link)}"/>\n')
        for term in rep.categories:
            out.append(f'    <category term="{_attr(_NOT_XML.sub("", term))}"/>\n')
        out.append(f"    <published>{_stamp(story.published or EPOCH)}</published>\n")
        for other in story.others:
            link = _x(other.link)
            if link and link != rep_link:
                label = _attr(_checked(_safe_label(other)))
                out.append(f'    <link href="{_attr(link)}" rel="related" title="{label}"/>\n')
        origin = _origin(rep_link) or _checked(config.base_url)
        source_updated = (rep.updated or rep.published or story.published or EPOCH).isoformat()
        out.append(
            "    <source>\n"
            f"      <id>{_text(_checked(f'{TAG_AUTHORITY}source/{rep.source_id}'))}</id>\n"
            f"      <title>{_text(_checked(rep_label))}</title>\n"
            f'      <link href="{_attr(origin)}" rel="alternate"/>\n'
            f"      <updated>{source_updated}</updated>\n"
            "    </source>\n"
            "  </entry>\n"
        )
    out.append("</feed>\n")
    return "".join(out).encode("utf-8")


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
