"""``sanitize_text`` without nh3 for text that has nothing to strip (issue 8).

:func:`feedhub.clean.sanitize.sanitize_text` runs nh3 (an HTML5 parser and serialiser)
on every feed title, author and category and on every article title, then collapses
whitespace.  A title with no ``&``, ``<`` or ``>``, no control character, no NBSP (the
serialiser writes it as ``&nbsp;``), no noncharacter and no surrogate comes out of nh3
unchanged (``html.unescape`` then has nothing to decode), so only the whitespace step
is left; this module takes that shortcut and calls the real function for anything else.
``tests/test_plaintext.py`` checks the two equal on every character and on random text.
"""

from __future__ import annotations

import re

from ..clean.sanitize import sanitize_text as _sanitize_text

# Characters nh3 (or its HTML5 input stream: CR, NUL) may change or drop: outside this,
# nh3.clean(text, tags=set()) == text.
_NOTHING_TO_STRIP = re.compile("[^&<>\x00-\x1f\x7f-\xa0\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]*")
_SPACES = re.compile(r"\s+")


def sanitize_text(text: str) -> str:
    """:func:`feedhub.clean.sanitize.sanitize_text`, equal on every input."""
    if _NOTHING_TO_STRIP.fullmatch(text):
        return _SPACES.sub(" ", text).strip()
    return _sanitize_text(text)
