"""A strict, fast stand-in for ``html.parser``'s tokenizing loop (``goahead``).

``html.parser`` walks a document one construct at a time in Python (a regex search
for the next ``<``/``&``, a dispatch, ``updatepos`` counting newlines, a tolerant
start-tag parse with three more regexes).  Most article markup is plain: tags with
quoted attributes, ``</name>`` end tags, ``&name;`` / ``&#n;`` references, simple
comments.  :func:`scan` finds all of those with one regex and returns them, but only
when *every* ``<`` and ``&`` of the document is the start of one of them: then
``html.parser`` (with ``convert_charrefs=False``) splits the document into exactly
the same constructs and reports the same events for them (see ``tests/
test_clean_tokens.py``, which holds the two to identical event streams).  Anything
else (declarations, processing instructions, a stray ``<``, a ``&name`` without
``;``, an unquoted value ending in ``/``, ``<script>``/``<style>`` content, odd
whitespace in a tag…) makes :func:`scan` return None, and the caller runs
``html.parser`` as before.

The patterns are deliberately narrower than ``html.parser``'s: tag and attribute
separators are ASCII whitespace only (``html.parser`` ends a tag name only at those,
but its ``\\s`` elsewhere is Unicode), no backticks or ``<``/``>`` inside a tag
(Python-Markdown's patched copy treats backticks specially), one ``=`` per value.
"""

from __future__ import annotations

import re
from html import unescape

_WS = r"[ \t\n\r\f]"
# One construct per alternative, each starting at a "<" or "&":
#   start tag  <name attr attr="v" attr='v' attr=v>  (or "/>")
#   end tag    </name>
#   comment    <!--text-->  (no "--", "<" or ">" inside, so every reading ends it alike)
#   reference  &name;  &#123;  &#x7b;
#   lone "&"   followed by a character that cannot start a reference
TOKEN = re.compile(
    rf"""
    <(?P<tag>[a-zA-Z][a-zA-Z0-9]*)
     (?P<attrs>(?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*
        (?:{_WS}*={_WS}*(?:"[^"<>`]*"|'[^'<>`]*'|[^\s"'=<>`/]+(?={_WS}|>)))?
     )*)
     {_WS}*(?P<slash>/?)>
    |</(?P<end>[a-zA-Z][a-zA-Z0-9]*)>
    |<!--(?P<comment>(?:[^-<>]|-(?!-))*)-->
    |&(?:(?P<ent>[a-zA-Z][a-zA-Z0-9]*)|\#(?P<num>[0-9]+|[xX][0-9a-fA-F]+));
    |(?P<amp>&)(?=[^\#a-zA-Z])
    """,
    re.X,
)
ATTR = re.compile(
    rf"""{_WS}+(?P<name>[^\s=]+)(?:{_WS}*={_WS}*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+)))?""",
    re.X,
)
# The constructs html.parser puts elements' raw text in (it stops tokenizing inside).
CDATA_CONTENT = frozenset(("script", "style"))

Match = re.Match[str]

# ``m.lastindex`` of a TOKEN match says which alternative it is (the last group
# that took part: a start tag always ends with its "slash" group, even if empty).
START, END, COMMENT, ENTITY, CHARREF, AMP = 3, 4, 5, 6, 7, 8


def scan(html: str) -> list[Match] | None:
    """Every markup construct of ``html`` in order, or None when some ``<`` or ``&`` is
    not the start of one :data:`TOKEN` models (or a ``<script>``/``<style>`` opens).

    The text between two constructs holds neither character, so it is plain data.
    """
    out: list[Match] = []
    pos = 0
    for m in TOKEN.finditer(html):
        start = m.start()
        if start != pos and ("<" in html[pos:start] or "&" in html[pos:start]):
            return None
        tag = m.group("tag")
        if tag is not None and tag.lower() in CDATA_CONTENT:
            return None
        out.append(m)
        pos = m.end()
    if "<" in html[pos:] or "&" in html[pos:]:
        return None
    return out


def attrs(m: Match) -> list[tuple[str, str | None]]:
    """A start tag's attributes as ``html.parser`` reports them: names lowercased,
    quotes taken off, character references in values decoded, None for no value."""
    raw = m.group("attrs")
    if not raw:
        return []
    out: list[tuple[str, str | None]] = []
    for a in ATTR.finditer(raw):
        dq, sq, bare = a.group("dq", "sq", "bare")
        value = dq if dq is not None else sq if sq is not None else bare
        if value:
            value = unescape(value)
        out.append((a.group("name").lower(), value))
    return out
