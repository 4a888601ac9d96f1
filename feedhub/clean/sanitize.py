"""The last step of cleaning: an allow-list sanitizer (nh3, the Rust ammonia).

Everything that leaves feedhub as HTML goes through :func:`sanitize`: no
scripts, no event handlers, no styles, links and images http(s) only.  It runs
after every rule, so no rule can reintroduce markup (miniflux's ordering
invariant: "sanitizer always runs last").
"""

from __future__ import annotations

import html
import re

import nh3
from bs4 import BeautifulSoup
from bs4.element import NavigableString

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "time": {"datetime"},
}
# div/span/center/section are layout wrappers: nh3 drops the tag and keeps the text.


def _encodable(text: str) -> str:
    """Lone surrogates (a JSON Feed's ``"\\ud800"``) → "?": nh3 cannot take them."""
    return text.encode("utf-8", "replace").decode("utf-8")


def sanitize(html: str) -> str:
    """Allow-list HTML for output."""
    return nh3.clean(
        _encodable(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


# What makes nh3's round trip differ from the text itself: markup, character references,
# and the two characters html5ever drops (NUL, and a byte order mark at the start).
_MARKUP = re.compile("[<&\x00\ufeff]")
_SPACE = re.compile(r"\s+")


def sanitize_text(text: str) -> str:
    """Plain text: tags stripped, character references decoded, whitespace collapsed.

    The result is text, not HTML (``AT&T``, not ``AT&amp;T``): every writer escapes it
    (feedgen, ``html.escape``, JSON).  Markup that was escaped once more in the feed
    (``&lt;script&gt;…``) is stripped too: nh3 runs again until nothing changes.
    """
    text = _encodable(text)
    if _MARKUP.search(text) is None:
        # Nothing for nh3 to strip or decode (titles, authors, categories mostly): its
        # round trip would give the text back but for whitespace, which is collapsed
        # below anyway; each call costs as much as a short article's parse.
        return _SPACE.sub(" ", text).strip()
    for _ in range(4):
        plain = html.unescape(nh3.clean(text, tags=set()))
        if plain == text:
            break
        text = plain
    return _SPACE.sub(" ", text).strip()


_BREAKS = (
    "p",
    "div",
    "li",
    "br",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "figcaption",
    "tr",
    "pre",
    "figure",
    "ul",
    "ol",
    "table",
    "center",
    "section",
    "dt",
    "dd",
)


_BREAK_SET = frozenset(_BREAKS)
# A tag as html5ever (nh3) prints it: lowercase name, every value double-quoted
# (a '"' inside is &quot;, so a value never holds one; '<' and '>' may appear).
_NH3_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)(?:\s+[^\s"=<>/]+(?:="[^"]*")?)*\s*/?>')
_NH3_REFS = (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", "\xa0"), ("&amp;", "&"))
_SPACE_RUN = re.compile(r"[ \t\r\f\v]+")


def html_to_text(html: str) -> str:
    """Readable plain text of sanitized HTML: one line per block, no empty lines.

    Read straight off nh3's output instead of parsing it again: that output is
    well-formed (every element closed in order, text escaped with the four
    references below), so "a line break after each block's end tag, and after
    ``<br>``" is exactly what :func:`html_to_text_reference` computes with bs4.
    Anything that does not fit that shape goes to the reference.
    """
    raw = _NH3_TAG.sub(_tag_break, html)
    if "<" in raw or raw.count("&") != sum(raw.count(ref) for ref, _ in _NH3_REFS):
        return html_to_text_reference(html)
    # &amp; last, so "&amp;lt;" decodes once, to "&lt;", as an HTML parser does
    for ref, char in _NH3_REFS:
        if ref in raw:
            raw = raw.replace(ref, char)
    # The reference collapses these runs line by line; no run holds a "\n", so one pass
    # over the whole text is the same, and only needed when a run can be longer than " ".
    if "  " in raw or any(c in raw for c in "\t\r\f\v"):
        raw = _SPACE_RUN.sub(" ", raw)
    return "\n".join(line for line in (piece.strip() for piece in raw.split("\n")) if line)


def _tag_break(tag: re.Match[str]) -> str:
    """What a tag of nh3's output leaves in the text: a line break after each block's
    end tag and after ``<br>``, nothing otherwise."""
    closing, name = tag.group(1), tag.group(2)
    return "\n" if name in _BREAK_SET and (closing or name == "br") else ""


def html_to_text_reference(html: str) -> str:
    """:func:`html_to_text` through a bs4 tree: the slow, obviously right version."""
    soup = BeautifulSoup(html, "html.parser")
    for el in soup.find_all(_BREAKS):
        el.insert_after(NavigableString("\n"))
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in soup.get_text("").split("\n"))
    return "\n".join(line for line in lines if line)
