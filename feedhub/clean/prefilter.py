"""Which characters a pattern's match can start with, to skip searches that must fail.

Python's ``re`` scans for a literal prefix quickly, but a pattern that starts with a
group or an alternation (``(版权所有|版權所有).{0,40}…|转载请注明|…``) is tried at every
position of the text, and block texts are whole articles.  When every match of a
pattern has to start with one of a few known characters, a text that holds none of
them cannot match, and ``c in text`` for each says so at C speed.

:func:`first_chars` reads the pattern's parse tree (``re._parser``, the parser ``re``
itself compiles with) and answers only when it is sure: the pattern's first element
always consumes a character, from a literal, a small character class, a group or an
alternation of such, or a repeat of one at least once.  Anything else (anchors,
look-arounds, ``.``, classes like ``\\s``, negated classes, case-insensitive matching,
something that can match empty) gives None, and the pattern is searched as before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# More characters than this and looking for each costs more than the search it saves.
MAX_CHARS = 12
_REPEATS = tuple(
    getattr(C, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(C, name)
)
_ATOMIC = getattr(C, "ATOMIC_GROUP", None)


@lru_cache(maxsize=4096)
def first_chars(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The characters every match of ``pattern`` starts with, or None if unknown (or
    too many to be worth checking)."""
    if pattern.flags & (re.IGNORECASE | re.LOCALE):
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an internal API: any surprise means "unknown"
        return None
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        return None
    chars = _first(parsed)
    if chars is None or not chars or len(chars) > MAX_CHARS:
        return None
    return tuple(sorted(chars))


def _first(seq: Any) -> set[str] | None:
    """The first characters of a sequence whose first element always consumes one."""
    if not len(seq):
        return None
    op, av = seq[0]
    if op is C.LITERAL:
        return {chr(av)}
    if op is C.IN:
        out: set[str] = set()
        for item_op, item in av:
            if item_op is C.LITERAL:
                out.add(chr(item))
            elif item_op is C.RANGE and item[1] - item[0] < MAX_CHARS:
                out.update(map(chr, range(item[0], item[1] + 1)))
            else:  # NEGATE, CATEGORY (\s, \w…), a wide range
                return None
        return out
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:  # (?i:…) and the like
            return None
        return _first(sub)
    if _ATOMIC is not None and op is _ATOMIC:
        return _first(av)
    if op is C.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            found = _first(alternative)
            if found is None:
                return None
            union |= found
        return union
    if op in _REPEATS:
        low, _high, sub = av
        return _first(sub) if low >= 1 else None
    return None


def may_search(chars: tuple[str, ...] | None, text: str) -> bool:
    """False only if a pattern whose matches start with one of ``chars`` cannot match
    anywhere in ``text``."""
    if chars is None:
        return True
    for c in chars:
        if c in text:
            return True
    return False
