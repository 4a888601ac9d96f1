"""Feed sources: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.x natively.

A feed source's ``url`` may also be a local path (or ``file:`` URL): the bytes
then come from disk but go through exactly the same parser, which is how the
demo runs offline.

XML safety: feedparser hands well-formed XML to expat, which (Python ≥ 3.7.1)
never resolves external entities; we additionally strip any internal DTD subset
before parsing, so a feed cannot declare entities at all (billion laughs, XXE).
Feeds that used a DTD for legitimate entities lose them; that is the price.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from xml.parsers import expat

import feedparser
import httpx

from ..clean.sanitize import sanitize_text
from ..dates import parse_date
from ..errors import FetchError, ParseError
from ..types import RawItem, stable_id
from . import CollectResult, HTTPCache, fastfeed
from .http import Limits, fetch, make_client

_DTD_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.S | re.I)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)


# feedparser falls back to a lenient parser for ill-formed XML, which can need ~200
# bytes of memory per input byte (unclosed tags); past this size only well-formed XML
# is parsed, which caps that worst case at a few hundred MB.
LOOSE_MAX_BYTES = 2_000_000


MAX_DEPTH = 1000  # no real feed nests elements this deep


class _TooDeep(Exception):
    pass


def _well_formed(body: bytes) -> bool:
    """A streaming expat pass (no tree, no parameter entities) that also gives up past
    ``MAX_DEPTH`` open elements, so its own tag stack stays small."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def start(name: str, attrs: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooDeep

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, _TooDeep):
        return False
    return True


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return None
    return Path(url)


def is_remote(url: str) -> bool:
    """Whether a feed ``url`` is fetched over HTTP (else it is read from a local file)."""
    return _local_path(url) is None


def _absolute(link: Any, base: str) -> str | None:
    """Entry links relative to the feed's own URL (feedparser leaves them as written)."""
    if not link:
        return None
    return urljoin(base, str(link)) if base.startswith(("http://", "https://")) else str(link)


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_key(entry: Any, index: int) -> str:
    for field in ("id", "link"):
        value = entry.get(field)
        if value:
            return str(value)
    # No id and no link: title + date is the best stable identity we have.
    return "hash:" + stable_id(
        str(entry.get("title", "")),
        str(entry.get("published", "")),
        str(entry.get("summary", ""))[:200],
    )


def _entry_content(entry: Any) -> tuple[str, str]:
    contents = entry.get("content") or []
    best = max(contents, key=lambda c: len(c.get("value", "")), default=None)
    if best is not None and best.get("value"):
        kind = best.get("type", "text/html")
    else:
        best = entry.get("summary_detail") or {
            "value": entry.get("summary", ""),
            "type": "text/html",
        }
        kind = best.get("type", "text/html")
    ctype = "text" if kind == "text/plain" else "html"
    return str(best.get("value", "")), ctype


def _image(entry: Any) -> str | None:
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            return str(thumb["url"])
    for enc in entry.get("enclosures") or []:
        if str(enc.get("type", "")).startswith("image/") and enc.get("href"):
            return str(enc["href"])
    return None


def parse_feed(
    body: bytes,
    source_id: str,
    url: str,
    content_type: str | None = None,
    outlet: str | None = None,
) -> list[RawItem]:
    """Parse feed bytes into raw items.

    Raises:
        ParseError: the bytes are neither a feed nor a JSON Feed.
    """
    stripped = body.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{") or (content_type or "").split(";")[0].strip().endswith("json"):
        try:
            return _parse_json_feed(body, source_id, url, outlet)
        except RecursionError:  # json.loads, or str() of a value, ~1000 levels deep
            raise ParseError(source_id, f"{url}: not valid JSON (nested too deeply)") from None
    if not stripped:
        raise ParseError(source_id, f"{url}: empty response, not a feed")
    if _ENTITY_DECL.search(body[:65536]):
        body = _DTD_SUBSET.sub(b"", body, count=1)
    # content-location gives feedparser the document URL, so relative links resolve
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Plain well-formed RSS/Atom: the same result without feedparser's SAX callbacks.
    parsed = fastfeed.parse(body, headers)
    if parsed is not None:
        return _items(parsed, source_id, url, outlet)
    if len(body) > LOOSE_MAX_BYTES and not _well_formed(body):
        raise ParseError(
            source_id,
            f"{url}: ill-formed XML larger than {LOOSE_MAX_BYTES} bytes is not parsed "
            "(feedparser's lenient parser can take ~200x its input in memory)",
        )
    try:
        # A stream, never the bytes: given bytes, feedparser first tries them as a
        # file name, so a response body naming a local file would read that file.
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=True,
        )
    except Exception as exc:  # feedparser's own bugs on hostile bytes (e.g. "&#xD800;")
        raise ParseError(
            source_id, f"{url}: not a readable RSS/Atom feed ({type(exc).__name__}: {exc})"
        ) from None
    version = parsed.get("version") or ""
    if not version or (parsed.bozo and not parsed.entries):
        reason = parsed.get("bozo_exception")
        detail = f" ({type(reason).__name__}: {reason})" if reason else ""
        raise ParseError(source_id, f"{url}: not a readable RSS/Atom feed{detail}")
    return _items(parsed, source_id, url, outlet)


def _items(parsed: Any, source_id: str, url: str, outlet: str | None) -> list[RawItem]:
    """RawItems from feedparser's result (or fastfeed's stand-in for it)."""
    version = parsed.get("version") or ""
    feed_title = sanitize_text(parsed.feed.get("title", "")) or None
    outlet = outlet or feed_title or urlsplit(parsed.feed.get("link", "") or url).hostname
    fmt = "atom" if version.startswith("atom") else "rss"
    items = []
    for i, entry in enumerate(parsed.entries):
        content, ctype = _entry_content(entry)
        title = sanitize_text(entry.get("title", "")) or "(untitled)"
        items.append(
            RawItem(
                source_id=source_id,
                key=_entry_key(entry, i),
                format=fmt,
                title=title,
                content=content,
                content_type=ctype,
                link=_absolute(entry.get("link"), url),
                author=sanitize_text(entry.get("author", "")) or None,
                outlet=outlet,
                published=_struct_to_dt(
                    entry.get("published_parsed") or entry.get("updated_parsed")
                ),
                updated=_struct_to_dt(entry.get("updated_parsed")),
                categories=tuple(
                    sanitize_text(t.get("term", ""))
                    for t in entry.get("tags") or []
                    if t.get("term")
                ),
                image=_image(entry),
            )
        )
    return items


def _utf8(text: str) -> str:
    """Lone surrogates (JSON's ``"\\ud800"``) → "?": item text must encode as UTF-8
    (content hash, SQLite, the sanitizer)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _parse_json_feed(body: bytes, source_id: str, url: str, outlet: str | None) -> list[RawItem]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(source_id, f"{url}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError(source_id, f"{url}: JSON without a JSON Feed 'version'")
    raw_items: Any = data.get("items")
    if not isinstance(raw_items, list):
        raise ParseError(source_id, f"{url}: JSON Feed without an 'items' list")
    outlet = outlet or sanitize_text(str(data.get("title", ""))) or urlsplit(url).hostname
    items = []
    for entry in raw_items:
        if not isinstance(entry, dict):
            continue
        key = entry.get("id") or entry.get("url")
        if not key:
            continue
        html = entry.get("content_html")
        text = entry.get("content_text") or entry.get("summary") or ""
        authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
        author = next(
            (a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None
        )
        raw_tags = entry.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        items.append(
            RawItem(
                source_id=source_id,
                key=_utf8(str(key)),
                format="json",
                title=sanitize_text(str(entry.get("title") or "")) or "(untitled)",
                content=_utf8(str(html if html else text)),
                content_type="html" if html else "text",
                link=_absolute(_utf8(str(entry["url"])) if entry.get("url") else None, url),
                author=sanitize_text(str(author)) if author else None,
                outlet=outlet,
                published=parse_date(entry.get("date_published")),
                updated=parse_date(entry.get("date_modified")),
                categories=tuple(_utf8(str(t)) for t in tags),
                image=_utf8(str(entry["image"])) if entry.get("image") else None,
            )
        )
    return items


def _parsed(
    body: bytes,
    source_id: str,
    url: str,
    content_type: str | None,
    outlet: str | None,
    old: HTTPCache,
    new: HTTPCache,
    hints: tuple[tuple[str, str], ...],
) -> CollectResult:
    """Parse a body unless it is byte for byte the last one that parsed (the same bytes
    give the same items, all stored already): then it counts as not modified.  As with
    a 304, an item that failed to clean is retried only when the feed changes."""
    # the URL (relative links) and outlet also shape the items: hashed with the bytes
    digest = hashlib.sha256(f"{url}\n{outlet}\n".encode() + body).hexdigest()
    cache = replace(new, body_hash=digest)
    if old.body_hash == digest:
        return CollectResult(source_id, not_modified=True, cache=cache, hints=hints, same_body=True)
    items = parse_feed(body, source_id, url, content_type, outlet)
    return CollectResult(source_id, items=tuple(items), cache=cache, hints=hints)


def collect_feed(
    source_id: str,
    url: str,
    cache: HTTPCache,
    limits: Limits,
    client: httpx.Client | None = None,
    outlet: str | None = None,
    root: Path | None = None,
) -> CollectResult:
    """Fetch (conditionally) and parse one feed source; never raises SourceError."""
    try:
        path = _local_path(url)
        if path is not None:
            if root is not None and not path.is_absolute():
                path = root / path
            try:
                if path.stat().st_size > limits.max_bytes:
                    raise FetchError(source_id, f"{path}: larger than {limits.max_bytes} bytes")
                body = path.read_bytes()
            except OSError as exc:
                raise FetchError(source_id, f"{path}: cannot read: {exc.strerror or exc}") from None
            return _parsed(body, source_id, str(path), None, outlet, cache, HTTPCache(), ())
        if client is None:
            with make_client(limits) as own:
                resp = fetch(own, source_id, url, cache, limits)
        else:
            resp = fetch(client, source_id, url, cache, limits)
        if resp.status == 304:
            return CollectResult(source_id, not_modified=True, cache=cache, hints=resp.headers)
        ctype = resp.header("content-type")
        return _parsed(resp.body, source_id, url, ctype, outlet, cache, resp.cache, resp.headers)
    except (FetchError, ParseError) as exc:
        return CollectResult(source_id, errors=(exc,), cache=cache)
