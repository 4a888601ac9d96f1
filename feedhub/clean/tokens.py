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
# Each ends at the first ">" or ";" after its start (no value or comment holds one),
# so where a construct starts decides where it ends: a document splits into text and
# constructs in one way only.
_CONSTRUCT = rf"""
    (?P<stag><(?P<tag>[a-zA-Z][a-zA-Z0-9]*)
     (?P<attrs>(?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*
        (?:{_WS}*={_WS}*(?:"[^"<>`]*"|'[^'<>`]*'|[^\s"'=<>`/]+(?={_WS}|>)))?
     )*)
     {_WS}*(?P<slash>/?)>)
    |(?P<etag></(?P<end>[a-zA-Z][a-zA-Z0-9]*)>)
    |(?P<comment><!--(?P<cdata>(?:[^-<>]|-(?!-))*)-->)
    |(?P<ref>&(?:(?P<ent>[a-zA-Z][a-zA-Z0-9]*)|\#(?P<num>[0-9]+|[xX][0-9a-fA-F]+));)
    |(?P<amp>&)(?=[^\#a-zA-Z])
"""
# The whole document: text without "<" or "&", and constructs (checked in one call).
_DOCUMENT = re.compile(
    r"(?:[^<&]*+(?:" + re.sub(r"\(\?P<\w+>", "(?:", _CONSTRUCT) + r"))*+[^<&]*+", re.X
)
# One (text before it, construct) per construct; a last one for the text after them.
PIECES = re.compile(r"(?P<text>[^<&]*)(?:" + _CONSTRUCT + r"|\Z)", re.X)
# Where html.parser stops tokenizing (the raw text of <script> and <style>): a "<script"
# in a document _DOCUMENT accepts can only be a start tag.
_CDATA_CONTENT = re.compile(r"<(?:script|style)(?![a-zA-Z0-9])", re.I)
ATTR = re.compile(
    rf"""{_WS}+(?P<name>[^\s=]+)(?:{_WS}*={_WS}*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+)))?""",
    re.X,
)

# (text, stag, tag, attrs, slash, etag, end, comment, cdata, ref, ent, num, amp): the
# groups of PIECES, "" where a group took no part.  Exactly one of stag, etag, comment,
# ref, amp is the construct's source text (none: the text after the last construct).
Piece = tuple[str, str, str, str, str, str, str, str, str, str, str, str, str]


def scan(html: str) -> list[Piece] | None:
    """``html`` as (text, construct) pieces, or None when some ``<`` or ``&`` does not
    start a construct this module models (or a ``<script>``/``<style>`` opens)."""
    if _DOCUMENT.fullmatch(html) is None or _CDATA_CONTENT.search(html):
        return None
    pieces: list[Piece] = PIECES.findall(html)
    return pieces


_ATTRS_SEEN: dict[str, tuple[tuple[str, str | None], ...]] = {}
ATTRS_KEPT = 8192  # distinct attribute strings remembered (then forgotten at once)
ATTRS_LONGEST = 512  # longer ones (a data: URL) are parsed each time, not kept


def attrs(raw: str) -> tuple[tuple[str, str | None], ...]:
    """A start tag's attributes (its ``attrs`` group) as ``html.parser`` reports them:
    names lowercased, quotes taken off, character references in values decoded, None
    for no value.  Templates repeat the same attribute strings (``class="…"``) on
    every page, so the answers are remembered."""
    if not raw:
        return ()
    found = _ATTRS_SEEN.get(raw)
    if found is not None:
        return found
    out: list[tuple[str, str | None]] = []
    for a in ATTR.finditer(raw):
        dq, sq, bare = a.group("dq", "sq", "bare")
        value = dq if dq is not None else sq if sq is not None else bare
        if value:
            value = unescape(value)
        out.append((a.group("name").lower(), value))
    found = tuple(out)
    if len(raw) <= ATTRS_LONGEST:
        if len(_ATTRS_SEEN) >= ATTRS_KEPT:
            _ATTRS_SEEN.clear()
        _ATTRS_SEEN[raw] = found
    return found
