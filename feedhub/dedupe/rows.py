"""Columnar features of the articles one story index compares: the screen's kernels.

An article is screened against about a hundred candidates (everything within the
generous simhash distance, plus headline postings).  Holding each candidate's sorted
shingle hashes and packed IDF vector as separate arrays meant a Python step per
candidate (look it up, collect it, concatenate) before any arithmetic, which cost
more than the arithmetic.  Here every article gets a *slot*: its arrays live in
shared growing buffers, so one fancy-indexing gather fetches all candidates at once.

Two lookups replace the per-query sorted search (``searchsorted`` of every candidate
element in the query's array, the largest single cost before):

* shingle overlap: a bitmap of the query's hashes (low ``_BITS`` bits).  A colliding
  hash can only add to the count, so the result is an *upper bound* of the true
  overlap: right for a screen, which may keep too much but never too little
  (``decide`` counts exactly).
* IDF dot products: a dense scratch row indexed by vocabulary id, holding the
  query's weights.  Exact: every product and the per-candidate summation order are
  those of the reference sparse dot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .signals import FloatArray, IntArray, vocabulary_size

Packed = tuple[IntArray, FloatArray]

# flag bits of a slot
EXCERPT, SHORT, EMPTY, PACKED = 1, 2, 4, 8
# A 64 KiB bitmap stays in cache (a 1 MiB one made every lookup a cache miss); with a
# 500-shingle query about 0.8 % of another article's hashes hit it by collision.
_BITS = 16
_MASK = (1 << _BITS) - 1


class Buffer:
    """Variable-length rows in one growing array (amortised doubling)."""

    def __init__(self, dtype: type[Any]) -> None:
        self.data: np.ndarray[Any, Any] = np.empty(1 << 12, dtype)
        self.used = 0

    def append(self, values: np.ndarray[Any, Any]) -> int:
        end = self.used + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)), self.data.dtype)
            grown[: self.used] = self.data[: self.used]
            self.data = grown
        self.data[self.used : end] = values
        start, self.used = self.used, end
        return start

    def push(self, value: Any) -> None:
        """Append one value (a row's column)."""
        if self.used == len(self.data):
            self.data = np.concatenate([self.data, np.empty_like(self.data)])
        self.data[self.used] = value
        self.used += 1

    @property
    def view(self) -> np.ndarray[Any, Any]:
        return self.data[: self.used]

    def take(self, index: IntArray) -> np.ndarray[Any, Any]:
        out: np.ndarray[Any, Any] = self.data.take(index)
        return out


def spans(starts: IntArray, sizes: IntArray) -> IntArray:
    """The positions ``start .. start + size - 1`` of every row, concatenated: one
    indexing call then gathers all the rows."""
    ends = np.cumsum(sizes)
    total = int(ends[-1]) if len(ends) else 0
    out: IntArray = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - sizes), sizes)
    return out


class Rows:
    """Slots of (sorted shingle hashes, packed IDF vector, flags).

    ``weighted=False`` keeps term ids without weights: a story index's run-long columns,
    which must not depend on any one batch's IDF collection (see :meth:`norm_bounds`)."""

    def __init__(self, weighted: bool = True) -> None:
        # only the hashes' low _BITS bits are ever read: 2 bytes each to gather, not 8
        self._keys = Buffer(np.uint16)
        self._ids = Buffer(np.int64)
        self._weighted = weighted
        self._weights = Buffer(np.float64)
        # per slot: hash start, hash count, term start, term count
        self._meta = np.zeros((256, 4), np.int64)
        self.flags = np.zeros(256, np.int64)
        self.n = 0
        self._bitmap: np.ndarray[Any, np.dtype[np.bool_]] | None = None
        self._scratch = np.zeros(0, np.float64)

    def add(self, hashes: IntArray, packed: Packed | None, flags: int) -> int:
        if self.n == len(self.flags):
            self._meta = np.concatenate([self._meta, np.zeros_like(self._meta)])
            self.flags = np.concatenate([self.flags, np.zeros_like(self.flags)])
        ids, weights = packed if packed is not None else (np.zeros(0, np.int64), np.zeros(0))
        self._meta[self.n] = (
            self._keys.append((hashes & _MASK).astype(np.uint16)),
            len(hashes),
            self._ids.append(ids),
            len(ids),
        )
        if self._weighted:
            self._weights.append(weights)
        self.flags[self.n] = flags | (PACKED if packed is not None else 0)
        self.n += 1
        return self.n - 1

    def overlap_bounds(self, query: int, slots: IntArray) -> FloatArray:
        """An upper bound of |Q ∩ O| / min(|Q|, |O|) for every slot O (0 when empty)."""
        q_start, q_size = self._meta[query, 0], self._meta[query, 1]
        return self._overlap(self._keys.data[q_start : q_start + q_size], slots)

    def overlap_bounds_of(self, hashes: IntArray, slots: IntArray) -> FloatArray:
        """:meth:`overlap_bounds` for a query that has no slot (its shingle hashes)."""
        return self._overlap((hashes & _MASK).astype(np.uint16), slots)

    def _overlap(self, q_bits: np.ndarray[Any, Any], slots: IntArray) -> FloatArray:
        out = np.zeros(len(slots))
        q_size = len(q_bits)
        sizes = self._meta[slots, 1]
        keep = np.flatnonzero(sizes)
        if not q_size or not len(keep):
            return out
        if self._bitmap is None:
            self._bitmap = np.zeros(1 << _BITS, np.bool_)
        self._bitmap[q_bits] = True
        # take() rather than [] indexing: about half the time for small-integer indexes
        hits = self._bitmap.take(self._keys.take(spans(self._meta[slots[keep], 0], sizes[keep])))
        self._bitmap[q_bits] = False
        starts = np.cumsum(sizes[keep]) - sizes[keep]
        shared = np.add.reduceat(hits.astype(np.int64), starts)
        out[keep] = shared / np.minimum(sizes[keep], q_size)
        return out

    def dots(self, query: int, slots: IntArray) -> FloatArray:
        """Cosines (the vectors are normalised) of the query with every slot; -1 where
        either side has no IDF vector."""
        out = np.full(len(slots), -1.0)
        if not self.flags[query] & PACKED:
            return out
        present = np.flatnonzero(self.flags[slots] & PACKED)
        if not len(present):
            return out
        q_start, q_size = self._meta[query, 2], self._meta[query, 3]
        q_ids = self._ids.data[q_start : q_start + q_size]
        need = vocabulary_size()
        if len(self._scratch) < need:
            self._scratch = np.zeros(max(need, 2 * len(self._scratch)), np.float64)
        meta = self._meta[slots[present]]
        where = spans(meta[:, 2], meta[:, 3])
        ids, weights = self._ids.take(where), self._weights.take(where)
        self._scratch[q_ids] = self._weights.data[q_start : q_start + q_size]
        products = self._scratch.take(ids) * weights
        self._scratch[q_ids] = 0.0
        out[present] = np.add.reduceat(products, np.cumsum(meta[:, 3]) - meta[:, 3])
        return out

    def norm_bounds(self, query: Packed, slots: IntArray) -> FloatArray:
        """For every slot O, the norm of the query's weights over the terms O contains:
        by Cauchy-Schwarz an upper bound of the cosine with O's unit vector under any
        IDF (only O's term ids are read, never its weights)."""
        out = np.zeros(len(slots))
        q_ids, q_weights = query
        if not len(slots) or not len(q_ids):
            return out
        need = vocabulary_size()
        if len(self._scratch) < need:
            self._scratch = np.zeros(max(need, 2 * len(self._scratch)), np.float64)
        meta = self._meta[slots]
        sizes = meta[:, 3]
        keep = np.flatnonzero(sizes)
        if not len(keep):
            return out
        self._scratch[q_ids] = q_weights * q_weights
        squares = self._scratch.take(self._ids.take(spans(meta[keep, 2], sizes[keep])))
        self._scratch[q_ids] = 0.0
        sums = np.add.reduceat(squares, np.cumsum(sizes[keep]) - sizes[keep])
        out[keep] = np.sqrt(sums)
        return out

    def sizes(self, slots: IntArray) -> tuple[IntArray, IntArray]:
        """(shingle count, term count) of every slot."""
        meta = self._meta[slots]
        return meta[:, 1], meta[:, 3]


class Bitsets:
    """Per row, a set of 64-bit keys as a bitmap of a power of two bits, at least eight
    per key, addressed by the key's low bits.  Probing a row with a query's keys finds
    every key the row holds, and about one in eight others by collision: an upper
    bound, like :class:`Rows`, but its cost grows with the query's size instead of the
    row's.  A feed excerpt is compared with about half the window (everything within
    32 bits), full articles of several times its size: probing each with the excerpt's
    keys reads a fraction of what gathering their columns would."""

    def __init__(self) -> None:
        self._bytes = Buffer(np.uint8)
        self._start = Buffer(np.int64)  # per row: first byte
        self._mask = Buffer(np.int64)  # per row: bits - 1

    def add(self, keys: IntArray) -> int:
        bits = max(64, 1 << (8 * len(keys) - 1).bit_length())
        marks = np.zeros(bits, np.bool_)
        marks[(keys.view(np.uint64) & np.uint64(bits - 1)).astype(np.int64)] = True
        self._start.push(self._bytes.append(np.packbits(marks, bitorder="little")))
        self._mask.push(bits - 1)
        return self._mask.used - 1

    def hits(self, keys: IntArray, rows: IntArray) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """``out[i, j]``: 1 when row ``rows[i]``'s bitmap has key ``keys[j]``'s bit."""
        low = (keys.view(np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.int64)
        at = low[None, :] & self._mask.data[rows][:, None]
        byte = self._bytes.data.take(self._start.data[rows][:, None] + (at >> 3))
        out: np.ndarray[Any, np.dtype[np.uint8]] = (byte >> (at & 7).astype(np.uint8)) & 1
        return out
