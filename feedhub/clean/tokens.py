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
``html.parser`` as before.  :func:`scan_raw` is :func:`scan` for documents with
``<script>``/``<style>`` elements, whose raw text it reads as ``html.parser`` does
(``dom`` uses it; the Markdown step does not).

The patterns are deliberately narrower than ``html.parser``'s: tag and attribute
separators are ASCII whitespace only (``html.parser`` ends a tag name only at those,
but its ``\\s`` elsewhere is Unicode), no backticks or ``<``/``>`` inside a tag
(Python-Markdown's patched copy treats backticks specially), one ``=`` per value.
"""

from __future__ import annotations

import re
from html import parser as _html_parser
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
_START = rf"""<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)
     (?P<attrs>(?:{_WS}+[a-zA-Z_:][-a-zA-Z0-9_:.]*
        (?:{_WS}*={_WS}*(?:"[^"<>`]*"|'[^'<>`]*'|[^\s"'=<>`/]+(?={_WS}|>)))?
     )*)
     {_WS}*(?P<slash>/?)>"""
_CONSTRUCT = rf"""
    (?P<stag>{_START})
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
_START_TAG = re.compile(_START, re.X)
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


# ------------------------------------------------------------------ raw text

# html.parser's raw text elements: after a start tag of one (not "<script/>"), everything
# up to the element's end tag is data, whatever it looks like; bs4 keeps it as the
# element's one string (Script, Stylesheet).
RAW_TEXT = frozenset(_html_parser.HTMLParser.CDATA_CONTENT_ELEMENTS)
_END_TAG = getattr(_html_parser, "endtagfind", None)  # parse_endtag's "</name>"


def _raw_end(elem: str) -> re.Pattern[str]:
    """The pattern html.parser looks for to end ``elem``'s raw text (its own)."""
    p = _html_parser.HTMLParser()
    p.set_cdata_mode(elem)
    found: re.Pattern[str] = p.interesting
    return found


_RAW_END = {elem: _raw_end(elem) for elem in RAW_TEXT}


def raw_text(html: str, i: int, elem: str) -> tuple[str, int, int]:
    """``elem``'s raw text from ``i`` (just after its start tag), as html.parser reads it
    (``goahead`` in CDATA mode, ``parse_endtag``): (the data, where its end tag starts,
    where it ends), or (the data, -1, -1) when the end tag never comes: html.parser then
    never reports the rest of the document."""
    chunks: list[str] = []
    end = _RAW_END[elem]
    while True:
        m = end.search(html, i)
        if m is None or _END_TAG is None:
            return "".join(chunks), -1, -1
        j = m.start()
        gt = html.index(">", j + 1) + 1  # parse_endtag's first ">" after "</"
        name = _END_TAG.match(html, j)
        if name is not None and name.group(1).lower() == elem:
            chunks.append(html[i:j])
            return "".join(chunks), j, gt
        chunks.append(html[i:gt])  # "</ſcript>": matched as an end, read as data
        i = gt


class _Probe(_html_parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.seen: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.seen.append(("start", tag))

    def handle_endtag(self, tag: str) -> None:
        self.seen.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.seen and self.seen[-1][0] == "data":
            data = self.seen.pop()[1] + data
        self.seen.append(("data", data))


def _raw_text_as_parsed() -> bool:
    """Does this Python's html.parser read raw text as :func:`raw_text` says?  (Newer
    releases changed how script text ends and what happens to an unclosed one.)"""
    for html in (
        "<script>a<b>&amp;</ſcript>b</SCRIPT\n>c",
        "<style>a</stylex></ style>b",
        "<script>a</script x>b",
        "<script>a",
    ):
        elem = html[1 : html.index(">")]
        data, j, gt = raw_text(html, html.index(">") + 1, elem)
        want = [("start", elem)] + ([("data", data)] if data else [])
        if j >= 0:
            want.append(("end", elem))
            if gt < len(html):
                want.append(("data", html[gt:]))
        p = _Probe()
        p.feed(html)
        p.close()
        if p.seen != want:
            return False
    return True


RAW_TEXT_MODELLED = _raw_text_as_parsed()


def scan_raw(html: str) -> list[Piece] | None:
    """:func:`scan` for a document with ``<script>``/``<style>`` elements (None without).

    The document between them must be one :func:`scan` accepts.  The piece of such a
    start tag carries the element's raw text in its ``cdata`` group; its end tag (when
    there is one) is the next piece, with the element's name as ``end``.
    """
    m = _CDATA_CONTENT.search(html)
    if m is None or not RAW_TEXT_MODELLED:
        return None
    pieces: list[Piece] = []
    pos = 0
    while m is not None:
        part = html[pos : m.start()]
        # every "<" before is a construct's, so this "<script" is a start tag
        if _DOCUMENT.fullmatch(part) is None:
            return None
        pieces += PIECES.findall(part)
        start = _START_TAG.match(html, m.start())
        if start is None:
            return None
        tag, attrs, slash = start.group("tag", "attrs", "slash")
        pos = start.end()
        if slash:  # "<script/>" opens no raw text
            pieces.append(("", start.group(), tag, attrs, slash, "", "", "", "", "", "", "", ""))
        else:
            elem = tag.lower()
            data, j, pos = raw_text(html, pos, elem)
            pieces.append(("", start.group(), tag, attrs, "", "", "", "", data, "", "", "", ""))
            if j < 0:
                return pieces
            pieces.append(("", "", "", "", "", html[j:pos], elem, "", "", "", "", "", ""))
        m = _CDATA_CONTENT.search(html, pos)
    part = html[pos:]
    if _DOCUMENT.fullmatch(part) is None:
        return None
    pieces += PIECES.findall(part)
    return pieces


# ------------------------------------------------------------------ attributes

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
