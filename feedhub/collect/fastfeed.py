"""A fast path for plain, well-formed RSS 0.9x / 1.0 / 2.0 and Atom 1.0 feeds (issue 8).

``feedparser.parse`` spends most of its time in per-element SAX callbacks written in
Python.  :func:`parse` builds the same result from an lxml tree instead, but only for
documents whose every element it recognises: it reproduces, element by element, what
feedparser 6.0's strict (expat) parser would store in the keys ``parse_feed`` reads:
``version``; ``feed.title`` / ``feed.link``; per entry ``id``, ``link``, ``links``
(enclosures), ``title``, ``summary``, ``summary_detail``, ``content``, ``author``,
``published(_parsed)``, ``updated(_parsed)``, ``tags``, ``media_thumbnail``.  Nothing
else is filled in.

The rule is correctness over coverage: anything it does not model exactly -- an
unknown namespace, ``xml:base``, xhtml / base64 content, markup inside a text element,
two summaries in one item, a DOCTYPE, an encoding feedparser would not parse strictly,
a document lxml and expat might disagree about -- makes it return ``None`` and
``parse_feed`` uses feedparser as before.  Where feedparser's result depends on a pure
helper (encoding detection, DOCTYPE handling, URI joining, date parsing, the relative-
URI rewriting of HTML, the "looks like HTML" guess) that very helper is called, so the
two paths cannot drift apart there.  ``tests/test_fastfeed.py`` checks both paths give
equal items on every fixture.

The helpers are private feedparser functions, so the fast path only runs on the
feedparser release line it was checked against (:data:`CHECKED_VERSION`).
"""

from __future__ import annotations

import re
from typing import Any

import feedparser
from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import replace_doctype
from feedparser.urls import _urljoin, make_safe_absolute_uri, resolve_relative_uris
from feedparser.util import FeedParserDict
from lxml import etree  # type: ignore[import-untyped]  # no stubs in the dev venv

from . import fasturis

# Set to False to always use feedparser (tests compare the two paths this way).
ENABLED = True
# Set to False to rewrite entry HTML with feedparser's own SGML parser (see fasturis).
FAST_URIS = True

# The private helpers used here, and the element semantics mirrored, are feedparser 6.0's.
CHECKED_VERSION = "6.0."
_USABLE = str(getattr(feedparser, "__version__", "")).startswith(CHECKED_VERSION)

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ATOM10 = "http://www.w3.org/2005/atom"
_RSS10 = "http://purl.org/rss/1.0/"
_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"

# feedparser's namespace table, keyed by lower-cased URI as its strict parser looks it up.
_MATCH: dict[str, str] = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
_STD_PREFIXES = {v.lower() for v in _MATCH.values() if v}
_XMLNS_DECL = re.compile(rb"""xmlns:([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_QUERY_FIX = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
_HTML_TYPES = {"application/xhtml+xml", "text/html"}
_CAN_CONTAIN_RELATIVE_URIS: set[str] = set(_FeedParserMixin.can_contain_relative_uris)

# Item children by what feedparser does with them.
_TITLE = {"title", "dc_title"}
_LINK = {"link"}
_GUID = {"guid", "id"}
_PUBLISHED = {"pubdate", "published", "issued", "dcterms_issued"}
_UPDATED = {"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"}
# element name -> (name pop() sees, default content type)
_SUMMARY = {
    "description": ("description", "text/html"),
    "dc_description": ("description", "text/html"),
    "summary": ("summary", "text/plain"),
}
_CONTENT = {"content": "text/plain", "content_encoded": "text/html"}
_AUTHOR = {"author", "dc_creator", "dc_author"}
_AUTHOR_PARTS = {"name", "email", "uri", "url", "homepage"}
_CATEGORY = {"category", "dc_subject", "keywords"}
# Elements with feedparser handlers that only write keys parse_feed never reads (when
# they have no child elements).
_INERT = {
    "language", "dc_language", "rights", "dc_rights", "copyright", "created",
    "dcterms_created", "expirationdate", "generator", "itunes_image", "itunes_explicit",
    "itunes_block", "itunes_subtitle", "webmaster", "dc_publisher", "cloud", "media_content",
}  # fmt: skip
# Keys an element without a handler must not land on (FeedParserDict maps some names,
# e.g. "date" -> "updated", "guid" -> "id", "url" -> "href").
_READ_KEYS = {
    "title", "title_detail", "link", "links", "id", "summary", "summary_detail", "content",
    "author", "authors", "author_detail", "published", "published_parsed", "updated",
    "updated_parsed", "tags", "media_thumbnail", "enclosures", "category",
}  # fmt: skip
# Elements that, anywhere under the channel outside items, could change the feed's
# title or link, or start entries / switch feedparser's context.
_FEED_UNSAFE = {
    "item", "entry", "title", "dc_title", "media_title", "link", "itunes_link", "id", "guid",
    "image", "textinput", "source", "channel", "feed", "rss",
}  # fmt: skip
# Feed-level elements whose handlers only fill feed keys parse_feed never reads (and
# cannot raise: e.g. psc:chapter without start= or itunes:keywords with attributes
# make feedparser itself fail, so such feeds must go to it).
_FEED_INERT = _INERT | {
    "description", "dc_description", "subtitle", "tagline", "info", "summary",
    "itunes_summary", "author", "dc_creator", "dc_author", "managingeditor", "name", "email",
    "uri", "url", "homepage", "pubdate", "published", "issued", "dcterms_issued", "updated",
    "modified", "lastbuilddate", "dc_date", "dcterms_modified", "category", "dc_subject",
    "itunes_owner", "itunes_name", "itunes_email", "itunes_author", "itunes_category",
    "width", "height",
}  # fmt: skip
# Children feedparser keeps inside <image> / <textinput> (others reset its in-image flag).
_IMAGE_PARTS = {"title", "url", "link", "width", "height", "description"}
_TEXTINPUT_PARTS = {"title", "description", "name", "link"}


class _Decline(Exception):
    """The document is outside what this module reproduces exactly."""


def _has_handler(name: str) -> bool:
    return hasattr(_FeedParserMixin, "_start_" + name) or hasattr(_FeedParserMixin, "_end_" + name)


def _stored_key(name: str) -> str:
    key: Any = FeedParserDict.keymap.get(name, name)
    return str(key[0] if isinstance(key, list) else key)


def _fix(text: str) -> str:
    """pop()'s last steps: undo UTF-8 read as Latin-1, map C1 controls as cp1252."""
    if text.isascii():
        return text
    try:
        text = text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    # str.translate with a dict is slow on long non-ASCII text; most has no C1 controls
    return text.translate(_cp1252) if _C1.search(text) else text


def _map_content_type(value: str) -> str:
    value = value.lower()
    return {
        "text": "text/plain",
        "plain": "text/plain",
        "html": "text/html",
        "xhtml": "application/xhtml+xml",
    }.get(value, value)


def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


class _Doc:
    """Walks one parsed document the way feedparser's handlers would see it."""

    def __init__(self, version: str, base: str) -> None:
        self.version = version
        self.base = base
        self.title_depth = -1
        self.feed = FeedParserDict()
        self.entries: list[Any] = []
        self.feed_titles = 0

    # ------------------------------------------------------------------ elements

    @staticmethod
    def name(el: Any) -> str:
        """feedparser's handler name for an element: std prefix + "_" + lower local."""
        tag = el.tag
        if not isinstance(tag, str):
            raise _Decline("entity or other special node")
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
        else:
            uri, local = "", tag
        low = uri.lower()
        prefix = "" if "backend.userland.com/rss" in low else _MATCH.get(low)
        if prefix is None:
            raise _Decline(f"namespace {uri}")
        prefix = prefix.lower()
        return f"{prefix}_{local.lower()}" if prefix else local.lower()

    @staticmethod
    def attrs(el: Any) -> dict[str, str]:
        """Attributes as feedparser's strict parser hands them to handlers."""
        out: dict[str, str] = {}
        locals_seen: set[str] = set()
        for key, value in el.attrib.items():
            if key[0] == "{":
                uri, local = key[1:].split("}", 1)
                if uri == _XML_NS and local == "lang":
                    out["xml:lang"] = value
                elif uri == _RDF_NS and local in ("about", "resource"):
                    out["rdf:" + local] = value
                else:
                    raise _Decline(f"attribute {key}")
                local = local.lower()
            else:
                local = key.lower()
                out[local] = value.lower() if local in ("rel", "type") else value
            if local in locals_seen or local == "base":
                raise _Decline("xml:base / base or clashing attribute names")
            locals_seen.add(local)
        return out

    @staticmethod
    def text(el: Any) -> str:
        if len(el):
            raise _Decline("markup inside a text element")
        return str(el.text or "")

    def resolve(self, uri: str) -> str:
        return str(_urljoin(self.base, uri))

    def content(
        self, el: Any, attrs: dict[str, str], element: str, default: str
    ) -> tuple[str, str]:
        """push_content() + pop() for a text construct: (value, content type)."""
        if "mode" in attrs or "src" in attrs:
            raise _Decline("mode= / src= content")
        ctype = _map_content_type(attrs.get("type", default))
        if ctype not in ("text/plain", "text/html"):
            raise _Decline(f"content type {ctype}")
        output = self.text(el).strip()
        if (
            not self.version.startswith("atom")
            and ctype == "text/plain"
            and _FeedParserMixin.looks_like_html(output)
        ):
            ctype = "text/html"
        if ctype in _HTML_TYPES and element in _CAN_CONTAIN_RELATIVE_URIS:
            output = _resolve_html(output, self.base, ctype)
        return _fix(output), ctype

    def plain(self, el: Any, relative: bool = False) -> str:
        """pop() for a plain text element; ``relative``: one feedparser resolves as a URI."""
        output = self.text(el).strip()
        if relative and output:
            output = self.resolve(output)
        return _fix(output)

    def link(self, ctx: Any, el: Any, attrs: dict[str, str], in_entry: bool) -> None:
        """_start_link / _end_link."""
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        attrs = _enforce_href(attrs)
        if "href" in attrs:
            attrs["href"] = self.resolve(attrs["href"])
        links = ctx.setdefault("links", [])
        links.append(attrs)
        if "href" in attrs:
            if attrs.get("rel") == "alternate" and _map_content_type(attrs["type"]) in _HTML_TYPES:
                ctx["link"] = attrs["href"]
            return
        output = self.plain(el, relative=True)
        if in_entry:
            output = _QUERY_FIX.sub(r"&\g<1>", output.replace("&amp;", "&"))
            ctx["link"] = output
            if output:
                links[-1]["href"] = output
        else:
            output = _QUERY_FIX.sub(r"&\g<1>", output)
            ctx["link"] = output
            links[-1]["href"] = output

    def guid(self, ctx: Any, el: Any, attrs: dict[str, str]) -> None:
        """_start_guid / _end_guid (Atom <id> too)."""
        is_link = attrs.get("ispermalink", "true") == "true"
        output = self.plain(el, relative=is_link)
        ctx["id"] = output
        if is_link:
            ctx.setdefault("link", output)

    def title(self, ctx: Any, el: Any, attrs: dict[str, str], depth: int, store: bool) -> None:
        value, _ = self.content(el, attrs, "title", "text/plain")
        if store and not (-1 < self.title_depth <= depth):
            ctx["title"] = value
        if value:
            self.title_depth = depth

    # ------------------------------------------------------------------ feed level

    def feed_child(self, el: Any, depth: int, in_feed: bool) -> None:
        name = self.name(el)
        attrs = self.attrs(el)
        if name in _TITLE:
            self.feed_titles += 1
            if self.feed_titles > 1:
                raise _Decline("several feed titles")
            self.title(self.feed, el, attrs, depth, store=in_feed)
        elif name in _LINK and in_feed:
            self.link(self.feed, el, attrs, in_entry=False)
        elif name in _GUID and in_feed:
            self.guid(self.feed, el, attrs)
        elif name in ("image", "textinput"):
            self.title_depth = -1
            parts = _IMAGE_PARTS if name == "image" else _TEXTINPUT_PARTS
            for child in el:
                part = self.name(child)
                if part not in parts or len(child.attrib):
                    raise _Decline(f"<{part}> in <{name}>")
                text = self.text(child).strip()
                if part == "title" and text:
                    self.title_depth = depth + 1
        else:
            self.check_inert_tree(el, name)

    def check_inert_tree(self, el: Any, name: str) -> None:
        if name in _FEED_UNSAFE or (_has_handler(name) and name not in _FEED_INERT):
            raise _Decline(f"<{name}> at feed level")
        self.attrs(el)
        for child in el:
            self.check_inert_tree(child, self.name(child))

    # ------------------------------------------------------------------ entries

    def entry(self, item: Any, depth: int) -> None:
        attrs = self.attrs(item)
        if set(attrs) - {"rdf:about", "about", "xml:lang", "lang"}:
            raise _Decline("item attributes")
        e = FeedParserDict()
        self.entries.append(e)
        self.title_depth = -1
        about = attrs.get("rdf:about")
        if about:
            e["id"] = about
        seen: dict[str, int] = {}
        has_content = False
        d = depth + 1
        for child in item:
            name = self.name(child)
            a = self.attrs(child)
            kind = (
                "title" if name in _TITLE
                else "summary" if name in _SUMMARY
                else "content" if name in _CONTENT
                else "author" if name in _AUTHOR
                else "guid" if name in _GUID
                else name
            )  # fmt: skip
            if kind in ("title", "summary", "content", "author", "guid"):
                seen[kind] = seen.get(kind, 0) + 1
                if seen[kind] > 1:
                    raise _Decline(f"several {kind} elements in one item")
            if kind == "title":
                self.title(e, child, a, d, store=True)
            elif name in _LINK:
                self.link(e, child, a, in_entry=True)
            elif kind == "guid":
                self.guid(e, child, a)
            elif name in _PUBLISHED:
                value = self.plain(child)
                e["published"] = value
                e["published_parsed"] = _parse_date(value)
            elif name in _UPDATED:
                value = self.plain(child)
                e["updated"] = value
                e["updated_parsed"] = _parse_date(value)
            elif kind == "summary":
                if "summary" in e and not has_content:
                    raise _Decline("summary after summary")  # feedparser makes it content
                element, default = _SUMMARY[name]
                value, ctype = self.content(child, a, element, default)
                e["summary"] = value
                e["summary_detail"] = FeedParserDict(type=ctype, value=value)
            elif kind == "content":
                has_content = True
                value, ctype = self.content(child, a, "content", _CONTENT[name])
                e.setdefault("content", []).append(FeedParserDict(type=ctype, value=value))
                e.setdefault("summary", value)
            elif kind == "author":
                self.author(e, child)
            elif name in _CATEGORY:
                self.category(e, child, a)
            elif name == "enclosure":
                self.text(child)
                a = _enforce_href(a)
                a["rel"] = "enclosure"
                e.setdefault("links", []).append(FeedParserDict(a))
            elif name == "media_thumbnail":
                thumb = FeedParserDict(a)
                e.setdefault("media_thumbnail", []).append(thumb)
                url = self.plain(child, relative=True)
                if url.strip() and "url" not in thumb:
                    thumb["url"] = url
            elif name in _INERT or (not _has_handler(name) and _stored_key(name) not in _READ_KEYS):
                self.text(child)  # no child elements: their handlers would run
            else:
                raise _Decline(f"<{name}> in an item")

    def author(self, e: Any, el: Any) -> None:
        """_start_author, children name/email/uri, _end_author with _sync_author_detail."""
        detail: dict[str, str] = {}

        def sync() -> None:
            # Only the branch that sets the entry's "author" matters here: with one author
            # element per item there is no earlier author for the other branch to reuse.
            if detail:
                name, email = detail.get("name"), detail.get("email")
                if name and email:
                    e["author"] = f"{name} ({email})"
                elif name:
                    e["author"] = name
                elif email:
                    e["author"] = email

        pieces = [str(el.text or "")]
        for child in el:
            part = self.name(child)
            self.attrs(child)
            if part not in _AUTHOR_PARTS:
                raise _Decline(f"<{part}> in <author>")
            if part in ("name", "email"):
                value = self.text(child).strip()  # pushed without expecting text: no fixes
                key = part
            else:
                value = self.plain(child, relative=True)
                key = "href"
            sync()
            detail[key] = value
            pieces.append(str(child.tail or ""))
        e["author"] = _fix("".join(pieces).strip())
        sync()

    def category(self, e: Any, el: Any, attrs: dict[str, str]) -> None:
        """_start_category / _end_category, with _add_tag's de-duplication."""
        tags: list[Any] = e.setdefault("tags", [])

        def add(term: str | None, scheme: str | None, label: str | None) -> None:
            if not term and not scheme and not label:
                return
            value = FeedParserDict(term=term, scheme=scheme, label=label)
            if value not in tags:
                tags.append(value)

        add(attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label"))
        value = self.plain(el)
        if not value:
            return
        if tags and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            add(value, None, None)


def _resolve_html(html: str, base: str, ctype: str) -> str:
    if ctype == "text/html" and FAST_URIS:
        fast = fasturis.resolve(html, base)  # the same string, or None: not plain enough
        if fast is not None:
            return fast
    return str(resolve_relative_uris(html, base, "utf-8", ctype))


def _version(root_ns: dict[str | None, str]) -> set[str]:
    """The versions the root's namespace declarations would set (feedparser takes the
    first one in document order, which lxml does not give; callers need exactly one)."""
    found = set()
    for prefix, uri in root_ns.items():
        low = uri.lower()
        if low == _RSS10:
            found.add("rss10")
        elif low == _RSS090 and prefix is None:
            found.add("rss090")
        elif low == _ATOM10:
            found.add("atom10")
    return found


def parse(body: bytes, headers: dict[str, str]) -> Any | None:
    """What ``feedparser.parse(body, response_headers=headers, sanitize_html=False,
    resolve_relative_uris=True)`` returns, restricted to the keys ``parse_feed`` reads,
    or None when the document is not one this module reproduces exactly."""
    if not (ENABLED and _USABLE):
        return None
    try:
        return _parse(body, headers)
    except _Decline:
        return None
    except Exception:  # a bug here must not lose the feed: feedparser still reads it
        return None


def _parse(body: bytes, headers: dict[str, str]) -> Any:
    result = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers={})
    result["headers"].update(headers)
    data = convert_to_utf8(result["headers"], body, result)
    if not result.get("encoding"):
        raise _Decline("encoding unknown: feedparser would use its lenient parser")
    doctype_version, data, _ = replace_doctype(data)
    if doctype_version:
        raise _Decline("netscape DOCTYPE")
    contentloc = result["headers"].get("content-location", "")
    base = str(make_safe_absolute_uri("", contentloc) or make_safe_absolute_uri(contentloc) or "")
    # feedparser re-derives its base URI at every element; we need it to stay put.
    again = (make_safe_absolute_uri(base, base) or base) if base else _urljoin(base, base)
    if again != base:
        raise _Decline("base URI not stable")

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,  # expat's SAX reader drops them too, joining the text around
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _Decline(f"lxml: {exc}") from None
    if len(parser.error_log) or root.getroottree().docinfo.doctype:
        # warnings (e.g. relative namespace URIs) or a DTD: leave it to expat
        raise _Decline("parser warnings or DOCTYPE")

    # feedparser maps prefixes document-wide; a prefix named like one of its standard
    # prefixes but bound to another known namespace would rename elements.
    for m in _XMLNS_DECL.finditer(data):
        prefix = m.group(1).decode("utf-8", "replace")
        uri = (m.group(2) if m.group(2) is not None else m.group(3) or b"").decode(
            "utf-8", "replace"
        )
        std = _MATCH.get(uri.lower())
        if "backend.userland.com/rss" in uri.lower():
            std = ""
        if std is not None and prefix != std and prefix in _STD_PREFIXES:
            raise _Decline(f"prefix {prefix} bound to another known namespace")

    root_name = _Doc.name(root)
    versions = _version(root.nsmap)
    if root_name == "rss":
        version = "rss"  # some rss* version: only "not atom" matters below
        doc = _Doc(version, base)
        doc.attrs(root)
        channels = list(root)
        if len(channels) != 1 or doc.name(channels[0]) != "channel":
            raise _Decline("<rss> without exactly one <channel>")
        _walk_channel(doc, channels[0], 2, "item")
    elif root_name == "feed":
        if versions != {"atom10"} or not str(root.tag).lower().startswith("{" + _ATOM10 + "}"):
            raise _Decline("not Atom 1.0")
        doc = _Doc("atom10", base)
        doc.attrs(root)
        _walk_channel(doc, root, 1, "entry")
    elif root_name == "rdf_rdf":
        if len(versions) != 1 or "atom10" in versions:
            raise _Decline("RDF version not set by the root alone")
        doc = _Doc(versions.pop(), base)
        doc.attrs(root)
        n_channels = 0
        for child in root:
            name = doc.name(child)
            if name == "channel":
                n_channels += 1
                if n_channels > 1:
                    raise _Decline("several channels")
                _walk_channel(doc, child, 2, None)
            elif name == "item":
                doc.entry(child, 2)
            elif name in ("image", "textinput"):
                doc.feed_child(child, 2, in_feed=False)
            else:
                raise _Decline(f"<{name}> in rdf:RDF")
    else:
        raise _Decline(f"root <{root_name}>")
    if not doc.entries:
        raise _Decline("no entries: feedparser decides what an empty feed is")
    result["version"] = doc.version
    result["feed"] = doc.feed
    result["entries"] = doc.entries
    return result


def _walk_channel(doc: _Doc, channel: Any, depth: int, item_name: str | None) -> None:
    attrs = doc.attrs(channel)
    if "href" in attrs or "lastmod" in attrs:
        raise _Decline("CDF channel attributes")
    for child in channel:
        if item_name is not None and doc.name(child) == item_name:
            doc.entry(child, depth + 1)
        else:
            doc.feed_child(child, depth + 1, in_feed=True)
