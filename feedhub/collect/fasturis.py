"""feedparser's relative-URI rewriting of entry HTML, without its SGML scanner (issue 8).

``feedparser.urls.resolve_relative_uris`` runs the HTML through an ``sgmllib`` parser
whose handlers re-serialise it (lower-cased tags, sorted and escaped attributes, URIs
joined to the feed's URL, entity and character references normalised).  The scanning
loop, written in Python with a few regular expressions and two failed ``getattr`` per
tag, was half of the fast feed path's time.

:func:`resolve` handles the plain HTML feeds carry: text, start tags whose attributes
are all quoted ``name="value"``, end tags, and ``&name;`` / ``&#N;`` references.  It
first applies the very text rewrites feedparser's ``feed()`` applies, checks with one
regular expression that the whole document is made of those tokens only, and hands
each tag or reference to a real ``RelativeURIResolver``'s own handlers, so the output
is feedparser's by construction wherever the tokens are the ones its scanner would
find.  Anything else -- a comment, a declaration, an unquoted or valueless attribute,
a stray ``<`` or ``&``, a tag name with punctuation -- returns None and the caller uses
feedparser's parser.  ``tests/test_fasturis.py`` holds the two equal.
"""

from __future__ import annotations

import re

from feedparser.urls import RelativeURIResolver

# The fast path relies on no tag having a handler (start_x / do_x / end_x): then every
# start tag goes to unknown_starttag and every end tag to unknown_endtag, as below.
USABLE = not any(n.startswith(("start_", "do_", "end_")) for n in dir(RelativeURIResolver))

_NAME = r"[a-zA-Z][a-zA-Z0-9]*"
_VALUE = r"""(?:"[^"<>]*+"|'[^'<>]*+')"""
# The whole document as a sequence of accepted tokens.  Possessive quantifiers (so a
# document that does not match fails in linear time) and no capturing groups (Python
# 3.11's re mishandles captures inside possessive repeats).
_DOCUMENT = re.compile(
    rf"""(?:[^<&]++
        |<{_NAME}(?!/)(?:\s++[a-zA-Z_][-:.a-zA-Z_0-9]*+\s*+=\s*+{_VALUE})*+\s*+/?>
        |</{_NAME}\s*+>
        |&{_NAME};
        |&\#(?:[0-9]++|[xX][0-9a-fA-F]++);
    )*+""",
    re.VERBOSE,
)
# In a document _DOCUMENT accepted: each tag or reference, in order (a start tag ends
# at the first ">": attribute values hold none).
_MARKUP = re.compile(
    rf"<({_NAME})([^>]*)>|</({_NAME})\s*>|&({_NAME});|&#([0-9]+|[xX][0-9a-fA-F]+);"
)
# One attribute (name, double-quoted value, single-quoted value) of an accepted tag.
_ATTRS = re.compile(r"""\s+([a-zA-Z_][-:.a-zA-Z_0-9]*)\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""")
# feedparser's own feed() rewrites, applied first (see _BaseHTMLProcessor.feed)
_DECL = re.compile(r"<!((?!DOCTYPE|--|\[))", re.IGNORECASE)
_SHORTTAG = re.compile(r"<([^<>\s]+?)\s*/>")


def resolve(html: str, base: str) -> str | None:
    """``resolve_relative_uris(html, base, "utf-8", "text/html")``, or None when the
    document holds anything but the tokens described in the module docstring."""
    if not USABLE:
        return None
    p = RelativeURIResolver(base, "utf-8", "text/html")
    data = html
    if "<!" in data:
        data = _DECL.sub(r"&lt;!\1", data)
    if "/>" in data:
        data = _SHORTTAG.sub(p._shorttag_replace, data)
    data = data.replace("&#39;", "'").replace("&#34;", '"')
    if _DOCUMENT.fullmatch(data) is None:
        return None
    convert = p.entity_or_charref.sub
    ref = p._convert_ref

    def markup(m: re.Match[str]) -> str:
        start, attrs, end, entity, charref = m.groups()
        p.pieces = []
        if start is not None:
            pairs = []
            for name, double, single in _ATTRS.findall(attrs):
                value = double or single
                pairs.append((name.lower(), convert(ref, value) if "&" in value else value))
            p.unknown_starttag(start.lower(), pairs)
        elif end is not None:
            p.unknown_endtag(end.lower())
        elif entity is not None:
            p.handle_entityref(entity)
        else:
            p.handle_charref(charref)
        return "".join(p.pieces)

    return _MARKUP.sub(markup, data)
