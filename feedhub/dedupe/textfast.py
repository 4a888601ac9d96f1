"""Exact fast paths for the per-article text features the duplicate decision reads.

Every article's text goes through :func:`signals.script_normalize` and
:func:`signals.term_array` (the cosine's features); at real article lengths (about 1,500
characters) the two cost most of a millisecond per article, in per-character work.
Each function here returns exactly what the readable reference returns (tests hold
them equal on corpora and on generated text), computed with C-level string methods
and numpy:

* :func:`nfkc_lower`: ``unicodedata.normalize("NFKC", s).lower()``.  CPython's NFKC
  decomposes and recomposes every character once anything in the text is not already
  normalised, and a Chinese text always has full-width punctuation (，。：).  Here the
  characters whose NFKC differs from themselves are replaced by their NFKC first; the
  result is compatibility-equivalent to the input (equivalence is preserved under
  concatenation), so it has the same NFKC, and when it is already normalised, which
  the C quick check answers, it *is* that NFKC.  Otherwise the full normalisation runs.
* :func:`cjk_bigrams`: the CJK character bigrams of :func:`signals.terms`, counted as
  integer keys (two code points packed) with numpy instead of one Counter update per
  bigram, in order of first occurrence, as the Counter would list them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import numpy as np

U32 = np.ndarray[Any, np.dtype[np.uint32]]
U64 = np.ndarray[Any, np.dtype[np.uint64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

BMP = 1 << 16

# --------------------------------------------------------------------------- NFKC


@cache
def _nfkc_table() -> tuple[dict[str, str], re.Pattern[str]]:
    """BMP characters whose NFKC is not themselves → their NFKC, and a pattern that
    finds any of them (built once, about 40 ms)."""
    table: dict[str, str] = {}
    for cp in range(BMP):
        if 0xD800 <= cp < 0xE000:  # surrogates: not characters
            continue
        ch = chr(cp)
        n = unicodedata.normalize("NFKC", ch)
        if n != ch:
            table[ch] = n
    return table, re.compile("[" + "".join(map(re.escape, table)) + "]")


def nfkc_lower(s: str) -> str:
    """``unicodedata.normalize("NFKC", s).lower()``, exactly (see the module docstring)."""
    if s.isascii():  # ASCII is its own NFKC
        return s.lower()
    table, needs = _nfkc_table()
    # re.sub visits only the characters to replace; str.translate with a mapping looks
    # every character up in it (five times slower on Chinese text)
    t = needs.sub(lambda m: table[m.group()], s)
    # (characters beyond the BMP are not in the table: the exact check below sees any
    # that NFKC changes, and the full normalisation runs)
    if unicodedata.is_normalized("NFKC", t):
        return t.lower()
    return unicodedata.normalize("NFKC", s).lower()


# --------------------------------------------------------------------------- code points

# signals._CJK_RUN's class, as code point ranges (half-open)
CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x3040, 0x3100))


@cache
def _cjk_table() -> BoolArray:
    table = np.zeros(BMP, np.bool_)
    for lo, hi in CJK_RANGES:
        table[lo:hi] = True
    return table


def points(s: str) -> U32 | None:
    """The code points of ``s``, or None when it has characters beyond the BMP (the
    tables cover the BMP; callers then take the reference path)."""
    cp = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), np.uint32)
    if len(cp) and int(cp.max()) >= BMP:
        return None
    return cp


def cjk_bigrams(cp: U32) -> tuple[list[int], I64]:
    """CJK bigram keys ``(first << 21) | second`` of adjacent CJK characters (bigrams
    never span a non-CJK character), distinct, in order of first occurrence, with
    their counts."""
    if len(cp) < 2:
        return [], np.zeros(0, np.int64)
    cjk = _cjk_table()[cp]
    pair = cjk[:-1] & cjk[1:]
    if not pair.any():
        return [], np.zeros(0, np.int64)
    wide = cp.astype(np.uint64)
    keys = ((wide[:-1] << np.uint64(21)) | wide[1:])[pair]
    uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return uniq[order].tolist(), counts[order].astype(np.int64)


def bigram_string(key: int) -> str:
    return chr(key >> 21) + chr(key & 0x1FFFFF)
