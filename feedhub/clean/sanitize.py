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


def sanitize_text(text: str) -> str:
    """Plain text: tags stripped, character references decoded, whitespace collapsed.

    The result is text, not HTML (``AT&T``, not ``AT&amp;T``): every writer escapes it
    (feedgen, ``html.escape``, JSON).  Markup that was escaped once more in the feed
    (``&lt;script&gt;…``) is stripped too: nh3 runs again until nothing changes.
    """
    text = _encodable(text)
    for _ in range(4):
        plain = html.unescape(nh3.clean(text, tags=set()))
        if plain == text:
            break
        text = plain
    return re.sub(r"\s+", " ", text).strip()


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


def html_to_text(html: str) -> str:
    """Readable plain text of sanitized HTML: one line per block, no empty lines."""
    soup = BeautifulSoup(html, "html.parser")
    for el in soup.find_all(_BREAKS):
        el.insert_after(NavigableString("\n"))
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in soup.get_text("").split("\n"))
    return "\n".join(line for line in lines if line)
