"""An exact Hamming-distance index for 64-bit simhash fingerprints.

Question answered: *which stored fingerprints are within ``k`` bits of ``q``?* — with
exactly the answer a brute-force scan gives, without reading every fingerprint.

Rationale: the pigeonhole principle
-----------------------------------
Cut the 64 bits into ``b`` disjoint blocks.  If ``distance(p, q) <= k`` and ``b >= k + 1``,
the at most ``k`` differing bits cannot touch all ``b`` blocks, so ``p`` equals ``q`` on at
least one block.  One table per block, ordered by that block's value, finds every such
``p``; the few candidates found are verified on all 64 bits (``xor`` + popcount,
vectorised).  This is the "permuted tables" scheme of Manku, Jain & Das Sarma (WWW 2007),
storing a row number per table instead of a permuted copy of each fingerprint.

Two refinements let one set of tables serve every ``k``:

* **Fewer probes** when ``k + 1 < b``: ``p`` differs on at most ``k`` blocks, so *any*
  ``k + 1`` tables include one where it agrees.  All ``b`` buckets are looked up and only
  the ``k + 1`` smallest are read, which also copes with skewed real fingerprints.
* **Probing with a radius** when ``k + 1 > b`` (multi-index hashing, Norouzi, Punjani &
  Fleet, CVPR 2012): give table ``t`` a radius ``r_t`` with ``sum(r_t + 1) = k + 1``.  If
  every block differed by more than its radius, the distance would be at least
  ``sum(r_t + 1) > k``; so some block ``t`` is within ``r_t`` bits of ``q``'s, and table
  ``t`` is probed with every value within ``r_t`` bits (``sum_{i<=r} C(d, i)`` needles).

The trade-off, and when the class scans instead
-----------------------------------------------
A bucket holds about ``n / 2**d`` rows (``d`` directory bits, see below).  With four 16-bit
blocks, ``k = 3`` reads four buckets (~60 candidates at ``n = 1M``); ``k = 6`` needs 52
needles and ~800 candidates; ``k = 12`` 1,108 needles and ~17,000 candidates.  The
textbook alternative for larger ``k``, ``b = k + 1`` blocks (``blocks=k + 1``), gets worse
fast: ``k = 24`` would mean 25 blocks of 2–3 bits where every probe returns a sixth of the
data.  Near feedhub's candidate filter ``k = 24`` (37 % of the bits) *no* table beats
reading everything: about half of ``n`` would be candidates, each a random memory access
instead of a sequential one.

So every query is costed (``_NS_*`` constants, measured with numpy 2 on one core by
``bench/index.py``): ``needles * _NS_NEEDLE + candidates * _NS_CANDIDATE`` (plus fixed
per-call costs) against a vectorised scan, ``n * _NS_SCAN`` (``xor`` + ``bitwise_count``
over the whole array: ~1 ms per million fingerprints, microseconds for a typical news
window).  The estimate decides before the lookups, the actual bucket sizes after them;
both paths are exact.  ``strategy(k)`` says which one a query would take; ``blocks=0``
keeps no tables at all.

Table layout
------------
Rows live in insertion order in parallel arrays (row = dense position):

* ``fps``   ``uint64[n]``  the fingerprints
* ``ids``   ``int64[n]``   the caller's ids (map string item ids to dense ints, e.g. rowids)
* ``ts``    ``int64[n]``   timestamps in seconds (0 when not given), for window eviction
* ``alive`` ``bool[n]``    tombstones of removed/evicted rows, compacted away lazily

and the ``b`` tables are one bucket-sorted row array with a directory (CSR layout):

* ``order``   ``int32[b * n]``  table-major; in table ``t`` the rows are sorted by the top
  ``d`` bits of block ``t`` (the *directory key*)
* ``offsets`` ``int32[b, 2**d + 1]``  absolute start of every bucket in ``order``, so a
  lookup is two array reads (``offsets[t, v]``, ``offsets[t, v + 1]``) and all needles of
  a query are answered by one fancy-indexing call: no keys are stored, no binary search.

``d = clamp(bit_length(n) - 2, 4, block width)`` (16 for ``b = 4`` from ``n = 2**17``):
buckets of 2–4 rows on average while a table's directory has at most ``n / 2`` entries.
Matching on fewer bits than the block only adds candidates, never loses one (a row equal
on the block, or within ``r`` bits of it, is so on its top ``d`` bits too).  When ``n``
doubles (or quarters) ``d`` changes and the tables are rebuilt.

Additions go to a pending buffer (amortised-doubling arrays) that queries scan directly;
it is merged into the tables when it outgrows ``max(512, sqrt(32 n))`` rows, on
``build()`` or on ``from_arrays``.  A merge inserts the sorted new rows at their buckets'
ends (``np.insert``: O(b n) copying, no re-sort), which balances the per-query cost of
scanning the buffer against the per-merge cost of copying the tables.

Memory arithmetic (per fingerprint, after ``build()``)
------------------------------------------------------
``8 (fps) + 8 (ids) + 8 (ts) + 1 (alive) + 4 b (order) + 4 b (2**d + 1) / n (offsets)``.
Default ``b = 4``: ``41`` bytes plus at most ``16 * 2**d / n <= 8`` for the directory —
about 42 bytes at ``n = 1M`` (``d = 16``: 1 MiB), 46–48 at 10k–100k.  ``blocks=0``
(scan only): 25 bytes.  ``bench/index.py`` prints the measured ``nbytes``; for comparison
``simhash.SimhashIndex`` keeps ``k + 1`` Python strings in Python sets per fingerprint.

Complexity
----------
* build (``from_arrays`` / a rebuild): O(b n) plus one stable (radix) argsort per table
* ``add``: amortised O(1) into the buffer; a merge costs O(b n + m log m) for ``m`` rows
* query, index path: O(needles + candidates + pending); candidates ≈ ``n * needles / 2**d``
  for uniform fingerprints
* query, scan path: O(n + pending), vectorised
* ``remove`` / ``evict_before``: O(n) vectorised marking; compaction (O(b n), no re-sort)
  once a quarter of the rows are dead
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, Final, Literal, SupportsIndex

import numpy as np
import numpy.typing as npt

__all__ = ["FingerprintIndex", "popcount64", "popcount64_lut"]

BITS: Final = 64
U64_MAX: Final = (1 << BITS) - 1
I64_MIN: Final = -(1 << 63)
I64_MAX: Final = (1 << 63) - 1
POS_MAX: Final = (1 << 31) - 1  # order/offsets are int32: b * n must stay below this
DEFAULT_BLOCKS: Final = 4  # four 16-bit blocks: plain pigeonhole probes up to k = 3
MIN_BLOCKS: Final = 4  # wider blocks than 16 bits would need directories of 2**w entries
MAX_DIR_BITS: Final = 16
MIN_DIR_BITS: Final = 4

# Cost model in nanoseconds, fitted on random fingerprints (numpy 2.4, one core, random
# queries so caches are cold; see bench/index.py): a scan reads each
# fingerprint sequentially (xor, bitwise_count, compare); a candidate costs a random access
# into fps plus its share of the gather (~10 ns at 100k rows, ~20 ns at 1M); a needle is
# two directory reads.  The fixed costs are the extra numpy calls of each path.
_NS_SCAN: Final = 0.9
_NS_SCAN_FIXED: Final = 2_000.0
_NS_CANDIDATE: Final = 20.0
_NS_NEEDLE: Final = 10.0
_NS_EXACT_FIXED: Final = 8_000.0  # radius-0 plans: the lookups run in plain Python
_NS_RADIUS_FIXED: Final = 15_000.0  # radius plans: ~10 vectorised calls to build needles
_MAX_NEEDLES: Final = 1 << 16  # never enumerate more neighbours than this per query
_PENDING_MIN: Final = 512

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]
U8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]
IntpArray = npt.NDArray[np.intp]
RowArray = npt.NDArray[np.int32] | npt.NDArray[np.intp]  # row numbers (positions)

_LUT: Final = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount64_lut(x: U64Array) -> U8Array:
    """Bits set in each element, via a 256-entry byte table (numpy < 2 has no bitwise_count)."""
    flat = np.ascontiguousarray(x, dtype=np.uint64).reshape(-1)
    counts = _LUT[flat.view(np.uint8)].reshape(-1, 8).sum(axis=1, dtype=np.uint8)
    result: U8Array = counts.reshape(np.shape(x))
    return result


if hasattr(np, "bitwise_count"):

    def popcount64(x: U64Array) -> U8Array:
        """Bits set in each element of a uint64 array (``np.bitwise_count``, numpy >= 2)."""
        result: U8Array = np.bitwise_count(x)
        return result

else:  # pragma: no cover - numpy 1.x
    popcount64 = popcount64_lut


def _check_fp(fp: SupportsIndex) -> int:
    value = operator.index(fp)
    if not 0 <= value <= U64_MAX:
        raise ValueError(f"fingerprint {value} is not an unsigned 64-bit integer")
    return value


def _check_i64(value: SupportsIndex, what: str) -> int:
    v = operator.index(value)
    if not I64_MIN <= v <= I64_MAX:
        raise ValueError(f"{what} {v} does not fit in int64")
    return v


@lru_cache(maxsize=256)
def _flips(width: int, radius: int) -> tuple[int, ...]:
    """Every ``width``-bit mask with at most ``radius`` bits set (0 first)."""
    out = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(width), r):
            out.append(sum(1 << i for i in bits))
    return tuple(out)


def _ball(width: int, radius: int) -> int:
    """How many ``width``-bit values lie within ``radius`` bits of a given one."""
    return sum(math.comb(width, i) for i in range(radius + 1))


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to probe the tables for one radius ``k`` at one directory size."""

    scan: bool  # no tables, or more than _MAX_NEEDLES needles: always scan
    base: IntpArray  # per needle: where its table's row starts in the flat directory
    flips: IntpArray  # per needle: the bits flipped in q's directory key
    table: IntpArray  # per needle: its table
    keep: int  # radius 0 everywhere: read the ``keep`` smallest buckets; 0: radius plan
    needles: int
    fraction: float  # expected candidates / n for uniform fingerprints


_NONE: Final = np.empty(0, np.intp)
_SCAN_PLAN: Final = _Plan(True, _NONE, _NONE, _NONE, 0, 0, 1.0)


class FingerprintIndex:
    """Exact "within ``k`` bits" lookups over 64-bit fingerprints; see the module docstring.

    ``max_distance`` bounds ``k`` in :meth:`query`.  ``blocks`` (default 4, else 4..64) is
    the number of pigeonhole tables; ``blocks=0`` keeps no tables and always scans.
    ``prefer`` overrides the cost model ("index": probe whenever a plan exists, as the tests
    do on small inputs; "scan": never probe); results are identical either way.  Ids are
    int64 and need not be unique (``remove`` drops every entry with the id).  Timestamps are
    int64 seconds, used by :meth:`evict_before` and the ``ts_min``/``ts_max`` query filters.
    Not thread-safe: queries do lazy upkeep (merging, compaction) in place.
    """

    def __init__(
        self,
        max_distance: int = 3,
        *,
        blocks: int | None = None,
        prefer: Literal["auto", "index", "scan"] = "auto",
    ) -> None:
        if not 0 <= max_distance <= BITS:
            raise ValueError(f"max_distance must be in 0..{BITS}, not {max_distance}")
        if blocks is None:
            blocks = DEFAULT_BLOCKS
        if blocks != 0 and not MIN_BLOCKS <= blocks <= BITS:
            raise ValueError(f"blocks must be 0 or in {MIN_BLOCKS}..{BITS}, not {blocks}")
        self.max_distance: Final = max_distance
        self.blocks: Final = blocks
        if prefer not in ("auto", "index", "scan"):
            raise ValueError(f"prefer must be 'auto', 'index' or 'scan', not {prefer!r}")
        self.prefer: Final = prefer
        # block t covers bits [start_t, start_t + width_t); the wider blocks come first
        base, extra = divmod(BITS, blocks) if blocks else (0, 0)
        widths = [base + (1 if t < extra else 0) for t in range(blocks)]
        self._ends = [sum(widths[: t + 1]) for t in range(blocks)]
        self._max_dir_bits = min([MAX_DIR_BITS, *widths])  # never past the block's own bits
        self._plans: dict[tuple[int, int], _Plan] = {}

        self._fps: U64Array = np.empty(0, np.uint64)
        self._ids: I64Array = np.empty(0, np.int64)
        self._ts: I64Array = np.empty(0, np.int64)
        self._alive: BoolArray = np.empty(0, np.bool_)
        self._dead = 0
        self._set_dir_bits(self._target_dir_bits(0))
        self._order: I32Array = np.empty(0, np.int32)
        self._offsets: I32Array = np.zeros((blocks, self._dir_stride), np.int32)
        self._flat_offsets = self._offsets.reshape(-1)
        self._max_candidates = math.inf
        self._merge_at = _PENDING_MIN
        self._pfps: U64Array = np.empty(0, np.uint64)
        self._pids: I64Array = np.empty(0, np.int64)
        self._pts: I64Array = np.empty(0, np.int64)
        self._npending = 0

    # ----------------------------------------------------------------- building

    @classmethod
    def from_arrays(
        cls,
        fps: npt.ArrayLike,
        ids: npt.ArrayLike,
        ts: npt.ArrayLike | None = None,
        *,
        max_distance: int = 3,
        blocks: int | None = None,
        prefer: Literal["auto", "index", "scan"] = "auto",
    ) -> FingerprintIndex:
        """A built index over ``fps`` (uint64; an int64 numpy array is read as SQLite's
        signed storage of the same bits) with ``ids`` (int64) and optional ``ts`` (int64
        seconds), e.g. the rows of the current window when the daemon starts."""
        index = cls(max_distance, blocks=blocks, prefer=prefer)
        f, i, t = _batch(fps, ids, ts)
        # the rows go straight into the merged arrays (copies: the caller keeps its arrays)
        index._fps = f.copy() if isinstance(fps, np.ndarray) else f
        index._ids = i.copy() if isinstance(ids, np.ndarray) else i
        index._ts = t.copy() if isinstance(ts, np.ndarray) else t
        index._alive = np.ones(f.size, np.bool_)
        if index.blocks:
            index._rebuild()
        else:
            index._set_tables(index._order, index._offsets)
        return index

    def add(self, fp: SupportsIndex, id: SupportsIndex, ts: SupportsIndex = 0) -> None:
        """Buffer one fingerprint (an unsigned 64-bit int); the next query sees it."""
        fp_, id_, ts_ = _check_fp(fp), _check_i64(id, "id"), _check_i64(ts, "timestamp")
        self._reserve(1)
        i = self._npending
        self._pfps[i] = fp_
        self._pids[i] = id_
        self._pts[i] = ts_
        self._npending = i + 1

    def add_many(
        self, fps: npt.ArrayLike, ids: npt.ArrayLike, ts: npt.ArrayLike | None = None
    ) -> None:
        """Buffer a batch (arrays or sequences of equal length)."""
        f, i, t = _batch(fps, ids, ts)
        m = f.size
        self._reserve(m)
        j = self._npending
        self._pfps[j : j + m] = f
        self._pids[j : j + m] = i
        self._pts[j : j + m] = t
        self._npending = j + m

    def build(self) -> None:
        """Merge the pending buffer into the tables and drop removed rows, now."""
        if self._dead:
            self._compact()
        self._merge()
        self._pfps = np.empty(0, np.uint64)
        self._pids = np.empty(0, np.int64)
        self._pts = np.empty(0, np.int64)

    # ----------------------------------------------------------------- removing

    def remove(self, ids: SupportsIndex | Iterable[SupportsIndex]) -> int:
        """Drop every entry whose id is ``ids`` (one id) or in ``ids``; returns how many."""
        if isinstance(ids, np.ndarray):
            target = _as_i64(ids, "id")
        elif isinstance(ids, Iterable):
            target = np.array([_check_i64(i, "id") for i in ids], np.int64)
        else:
            target = np.array([_check_i64(ids, "id")], np.int64)
        if target.size == 0:
            return 0

        def hit(arr: I64Array) -> BoolArray:
            if target.size == 1:
                out: BoolArray = arr == target[0]
                return out
            return np.isin(arr, target)

        return self._drop(hit(self._ids), hit(self._pids[: self._npending]))

    def evict_before(self, ts: SupportsIndex) -> int:
        """Drop every entry with a timestamp ``< ts``; returns how many."""
        cutoff = _check_i64(ts, "timestamp")
        return self._drop(self._ts < cutoff, self._pts[: self._npending] < cutoff)

    def _drop(self, main: BoolArray, pending: BoolArray) -> int:
        main &= self._alive
        dropped = int(np.count_nonzero(main))
        if dropped:
            self._alive[main] = False
            self._dead += dropped
        if pending.any():
            keep = ~pending
            m = int(np.count_nonzero(keep))
            dropped += self._npending - m
            for arr in (self._pfps, self._pids, self._pts):
                arr[:m] = arr[: self._npending][keep]
            self._npending = m
        return dropped

    # ----------------------------------------------------------------- querying

    def query(
        self,
        fp: SupportsIndex,
        k: int,
        *,
        ts_min: int | None = None,
        ts_max: int | None = None,
    ) -> list[tuple[int, int]]:
        """``(id, distance)`` of every live entry within ``k`` bits of ``fp`` (and with
        ``ts_min <= ts <= ts_max`` when given), closest first, ties by id."""
        ids, dist = self.query_arrays(fp, k, ts_min=ts_min, ts_max=ts_max)
        return list(zip(ids.tolist(), dist.tolist(), strict=True))

    def query_arrays(
        self,
        fp: SupportsIndex,
        k: int,
        *,
        ts_min: int | None = None,
        ts_max: int | None = None,
    ) -> tuple[I64Array, U8Array]:
        """:meth:`query` as two arrays (ids int64, distances uint8), in the same order."""
        q = _check_fp(fp)
        self._check_k(k)
        self._prepare()
        qa = np.uint64(q)
        pos, dist = self._search(q, qa, k)
        filtered = ts_min is not None or ts_max is not None
        if pos.size and (self._dead or filtered):
            keep = _window(self._ts[pos], ts_min, ts_max)
            if self._dead:
                keep &= self._alive[pos]
            pos, dist = pos[keep], dist[keep]
        ids = self._ids[pos]
        p = self._npending
        if p:
            d = popcount64(self._pfps[:p] ^ qa)
            hits = d <= k
            if filtered:
                hits &= _window(self._pts[:p], ts_min, ts_max)
            if hits.any():
                ids = np.concatenate((ids, self._pids[:p][hits]))
                dist = np.concatenate((dist, d[hits]))
        if ids.size > 1:
            order = np.lexsort((ids, dist))
            ids, dist = ids[order], dist[order]
        return ids, dist

    def strategy(self, k: int) -> Literal["index", "scan"]:
        """How a query of radius ``k`` would run at the current size, judged before looking
        at bucket sizes (an oversized bucket can still turn ``index`` into a scan)."""
        self._check_k(k)
        self._prepare()
        return "scan" if self._prefer_scan(self._plan(k), self._fps.size) else "index"

    def _check_k(self, k: int) -> None:
        if not 0 <= k <= self.max_distance:
            raise ValueError(f"k must be in 0..{self.max_distance}, not {k}")

    def _search(self, q: int, qa: np.uint64, k: int) -> tuple[RowArray, U8Array]:
        """Distinct rows of the merged arrays within ``k`` of ``q`` (dead ones included)."""
        n = int(self._fps.size)
        if n == 0:
            return np.empty(0, np.int32), np.empty(0, np.uint8)
        plan = self._plan(k)
        if not self._prefer_scan(plan, n):
            spans = self._exact_spans(q, plan.keep) if plan.keep else self._radius_spans(qa, plan)
            if spans is not None:
                pos, several = spans
                dist = popcount64(self._fps[pos] ^ qa)
                near = (dist <= k).nonzero()[0]
                pos, dist = pos[near], dist[near]
                if several and pos.size > 1:
                    pos, dist = _distinct(pos, dist)
                return pos, dist
        dist = popcount64(self._fps ^ qa)
        rows = (dist <= k).nonzero()[0]
        return rows, dist[rows]

    def _exact_spans(self, q: int, keep: int) -> tuple[RowArray, bool] | None:
        """The rows of the ``keep`` smallest buckets holding ``q``'s directory keys (one per
        table), or None when a scan is cheaper.  Plain Python: b is small and numpy's
        per-call overhead would dominate."""
        flat, mask, stride = self._flat_offsets, self._dir_mask, self._dir_stride
        spans = []
        for t, shift in enumerate(self._shifts_py):
            cell = t * stride + ((q >> shift) & mask)
            lo, hi = flat.item(cell), flat.item(cell + 1)
            spans.append((hi - lo, lo, hi))
        if keep < len(spans):
            spans.sort()
            del spans[keep:]
        total = sum(size for size, _, _ in spans)
        if total > self._max_candidates:
            return None
        order = self._order
        parts = [order[lo:hi] for size, lo, hi in spans if size]
        if len(parts) == 1:
            return parts[0], False
        return (np.concatenate(parts) if parts else order[:0]), True

    def _radius_spans(self, qa: np.uint64, plan: _Plan) -> tuple[RowArray, bool] | None:
        """The rows of every bucket within the plan's radii of ``q``'s directory keys."""
        keys = ((qa >> self._key_shifts) & self._key_mask).astype(np.intp)
        cells = plan.base + (plan.flips ^ keys[plan.table])
        lo, hi = self._flat_offsets[cells], self._flat_offsets[cells + 1]
        lens = (hi - lo).astype(np.intp)
        total = int(lens.sum())
        if total > self._max_candidates:
            return None
        starts = np.cumsum(lens) - lens
        idx = np.arange(total, dtype=np.intp) - np.repeat(starts - lo, lens)
        return self._order[idx], True

    def _prefer_scan(self, plan: _Plan, n: int) -> bool:
        if plan.scan or self.prefer == "scan":
            return True
        if self.prefer == "index":
            return False
        if plan.fraction >= 1.0:
            return True
        fixed = _NS_EXACT_FIXED if plan.keep else _NS_RADIUS_FIXED
        index_ns = fixed + plan.needles * _NS_NEEDLE + plan.fraction * n * _NS_CANDIDATE
        return index_ns >= _NS_SCAN_FIXED + n * _NS_SCAN

    def _plan(self, k: int) -> _Plan:
        plan = self._plans.get((k, self._dir_bits))
        if plan is None:
            plan = self._plans[k, self._dir_bits] = self._make_plan(k, self._dir_bits)
        return plan

    def _make_plan(self, k: int, d: int) -> _Plan:
        b = self.blocks
        if b == 0:
            return _SCAN_PLAN
        if k + 1 <= b:  # every table at radius 0; read the k + 1 smallest buckets
            radii = [0] * b
            keep = k + 1
            fraction = (k + 1) * 2.0**-d
        else:  # spread sum(r_t + 1) = k + 1 over the tables
            whole, extra = divmod(k + 1, b)
            radii = [whole - 1 + (1 if t < extra else 0) for t in range(b)]
            keep = 0
            fraction = sum(_ball(d, r) for r in radii) * 2.0**-d
        needles = b if keep else sum(_ball(d, r) for r in radii)
        if needles > _MAX_NEEDLES:
            return _SCAN_PLAN
        flips: list[int] = []
        table: list[int] = []
        for t, r in enumerate(radii):
            these = _flips(d, r)
            flips.extend(these)
            table.extend([t] * len(these))
        tables = np.array(table, np.intp)
        base = tables * ((1 << d) + 1)
        return _Plan(False, base, np.array(flips, np.intp), tables, keep, needles, fraction)

    # ----------------------------------------------------------------- maintenance

    def _prepare(self) -> None:
        """Lazy upkeep before a query: compact tombstones, merge a large pending buffer."""
        if self._dead and self._dead * 4 >= self._fps.size:
            self._compact()
        if self._npending > self._merge_at:
            self._merge()

    def _target_dir_bits(self, n: int) -> int:
        return min(self._max_dir_bits, max(MIN_DIR_BITS, n.bit_length() - 2))

    def _set_dir_bits(self, d: int) -> None:
        """Directory key of table t = the top ``d`` bits of block t."""
        self._dir_bits = d
        self._dir_mask = (1 << d) - 1
        self._dir_stride = (1 << d) + 1  # one directory row per table
        self._shifts_py = [end - d for end in self._ends]
        self._key_shifts = np.array(self._shifts_py, np.uint64)
        self._key_mask = np.uint64(self._dir_mask)

    def _keys(self, fps: U64Array, t: int) -> npt.NDArray[np.uint16]:
        keys: npt.NDArray[np.uint16] = ((fps >> self._key_shifts[t]) & self._key_mask).astype(
            np.uint16
        )
        return keys

    def _rebuild(self) -> None:
        """Tables from scratch for the merged rows (all of them, dead ones included)."""
        n = int(self._fps.size)
        if self.blocks * n > POS_MAX:
            raise OverflowError(f"{n} fingerprints: more than {POS_MAX} table entries")
        self._set_dir_bits(self._target_dir_bits(n))
        size = 1 << self._dir_bits
        order = np.empty(self.blocks * n, np.int32)
        offsets = np.empty((self.blocks, size + 1), np.int32)
        for t in range(self.blocks):
            keys = self._keys(self._fps, t)
            order[t * n : (t + 1) * n] = np.argsort(keys, kind="stable")  # radix sort
            offsets[t, 0] = t * n
            np.cumsum(np.bincount(keys, minlength=size), out=offsets[t, 1:])
            offsets[t, 1:] += t * n
        self._set_tables(order, offsets)

    def _set_tables(self, order: I32Array, offsets: I32Array) -> None:
        """Install new tables (or none) after the merged rows changed."""
        n = int(self._fps.size)
        self._order, self._offsets = order, offsets
        self._flat_offsets = offsets.reshape(-1)
        scan_ns = _NS_SCAN_FIXED + n * _NS_SCAN
        self._max_candidates = math.inf if self.prefer == "index" else scan_ns / _NS_CANDIDATE
        self._merge_at = max(_PENDING_MIN, math.isqrt(32 * n))

    def _merge(self) -> None:
        """Move the pending rows into the merged arrays and the tables."""
        m = self._npending
        if m == 0:
            return
        n = int(self._fps.size)
        new = self._pfps[:m].copy()
        self._fps = np.concatenate((self._fps, new))
        self._ids = np.concatenate((self._ids, self._pids[:m]))
        self._ts = np.concatenate((self._ts, self._pts[:m]))
        self._alive = np.concatenate((self._alive, np.ones(m, np.bool_)))
        self._npending = 0
        if self.blocks == 0:
            self._set_tables(self._order, self._offsets)
            return
        total = n + m
        if n == 0 or self._target_dir_bits(total) > self._dir_bits:
            self._rebuild()
            return
        if self.blocks * total > POS_MAX:
            raise OverflowError(f"{total} fingerprints: more than {POS_MAX} table entries")
        size = 1 << self._dir_bits
        order = np.empty(self.blocks * total, np.int32)
        offsets = np.empty_like(self._offsets)
        rows = np.arange(n, total, dtype=np.int32)
        for t in range(self.blocks):
            keys = self._keys(new, t)
            o = np.argsort(keys, kind="stable")
            keys = keys[o]
            rel = self._offsets[t] - t * n  # bucket starts within the old table
            at = rel[keys.astype(np.intp) + 1]  # after the last row of each bucket
            old = self._order[t * n : (t + 1) * n]
            order[t * total : (t + 1) * total] = np.insert(old, at, rows[o])
            offsets[t, 0] = 0
            np.cumsum(np.bincount(keys, minlength=size), out=offsets[t, 1:])
            offsets[t] += rel + t * total
        self._set_tables(order, offsets)

    def _compact(self) -> None:
        """Drop dead rows from every array; the tables keep their order (no re-sort)."""
        alive = self._alive
        n = int(self._fps.size)
        live = n - self._dead
        self._fps, self._ids, self._ts = self._fps[alive], self._ids[alive], self._ts[alive]
        self._alive = np.ones(live, np.bool_)
        self._dead = 0
        if self.blocks == 0:
            self._set_tables(self._order, self._offsets)
            return
        if self._target_dir_bits(live) < self._dir_bits - 1:
            self._rebuild()
            return
        renumber = (np.cumsum(alive, dtype=np.int64) - 1).astype(np.int32)
        order = np.empty(self.blocks * live, np.int32)
        offsets = np.empty_like(self._offsets)
        prefix = np.zeros(n + 1, np.int32)
        for t in range(self.blocks):
            seg = self._order[t * n : (t + 1) * n]
            kept = alive[seg]
            np.cumsum(kept, out=prefix[1:])
            offsets[t] = prefix[self._offsets[t] - t * n] + t * live
            order[t * live : (t + 1) * live] = renumber[seg[kept]]
        self._set_tables(order, offsets)

    def _reserve(self, m: int) -> None:
        need = self._npending + m
        if need <= self._pfps.size:
            return
        cap = max(64, need, 2 * self._pfps.size)
        p = self._npending
        pfps = np.empty(cap, np.uint64)
        pids = np.empty(cap, np.int64)
        pts = np.empty(cap, np.int64)
        pfps[:p], pids[:p], pts[:p] = self._pfps[:p], self._pids[:p], self._pts[:p]
        self._pfps, self._pids, self._pts = pfps, pids, pts

    # ----------------------------------------------------------------- introspection

    def __len__(self) -> int:
        """Live entries (merged and pending)."""
        return int(self._fps.size) - self._dead + self._npending

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (fingerprints, ids, timestamps, tombstones, tables,
        directory, pending buffers): everything that grows with the number of rows."""
        arrays: list[npt.NDArray[Any]] = [self._fps, self._ids, self._ts, self._alive]
        arrays += [self._order, self._offsets, self._pfps, self._pids, self._pts]
        return sum(int(a.nbytes) for a in arrays)

    def snapshot(self) -> tuple[U64Array, I64Array, I64Array]:
        """Copies of the live ``(fps, ids, ts)``, merged rows first, then pending ones."""
        p = self._npending
        alive = self._alive
        return (
            np.concatenate((self._fps[alive], self._pfps[:p])),
            np.concatenate((self._ids[alive], self._pids[:p])),
            np.concatenate((self._ts[alive], self._pts[:p])),
        )


def _distinct(pos: RowArray, dist: U8Array) -> tuple[RowArray, U8Array]:
    """Drop repeated rows (found through several tables); the distances agree."""
    if pos.size <= 32:  # the usual case: a handful of hits, cheaper in Python
        rows = dict(zip(pos.tolist(), dist.tolist(), strict=True))
        if len(rows) == pos.size:
            return pos, dist
        return (
            np.fromiter(rows.keys(), np.intp, len(rows)),
            np.fromiter(rows.values(), np.uint8, len(rows)),
        )
    unique, first = np.unique(pos, return_index=True)
    out: RowArray = unique.astype(np.intp)
    return out, dist[first]


def _window(ts: I64Array, ts_min: int | None, ts_max: int | None) -> BoolArray:
    keep: BoolArray = np.ones(ts.shape, np.bool_)
    if ts_min is not None:
        keep &= ts >= ts_min
    if ts_max is not None:
        keep &= ts <= ts_max
    return keep


def _batch(
    fps: npt.ArrayLike, ids: npt.ArrayLike, ts: npt.ArrayLike | None
) -> tuple[U64Array, I64Array, I64Array]:
    f = _as_u64(fps)
    i = _as_i64(ids, "id")
    t = np.zeros(f.shape, np.int64) if ts is None else _as_i64(ts, "timestamp")
    if not f.shape == i.shape == t.shape:
        raise ValueError(f"lengths differ: {f.size} fps, {i.size} ids, {t.size} timestamps")
    return f, i, t


def _as_u64(fps: npt.ArrayLike) -> U64Array:
    """Fingerprints as a flat uint64 array: a uint64 array as is, an int64 numpy array
    reinterpreted (SQLite's signed storage of the same bits), Python ints range-checked."""
    if not isinstance(fps, np.ndarray):
        # not np.asarray: a list mixing ints above 2**63 with small ones becomes float64
        return np.fromiter((_check_fp(v) for v in _iterate(fps)), np.uint64)
    if fps.dtype == np.int64:
        return fps.reshape(-1).view(np.uint64)
    if fps.dtype.kind == "u" or (fps.dtype.kind == "i" and (fps.size == 0 or fps.min() >= 0)):
        return fps.astype(np.uint64).reshape(-1)
    if fps.dtype == object:
        return np.fromiter((_check_fp(v) for v in fps.reshape(-1).tolist()), np.uint64)
    raise TypeError(f"fingerprints must be unsigned integers, not {fps.dtype}")


def _as_i64(values: npt.ArrayLike, what: str) -> I64Array:
    if not isinstance(values, np.ndarray):
        return np.fromiter((_check_i64(v, what) for v in _iterate(values)), np.int64)
    if values.dtype == np.uint64 and values.size and int(values.max()) > I64_MAX:
        raise ValueError(f"an {what} does not fit in int64")
    if values.dtype.kind in "iu":
        return values.astype(np.int64).reshape(-1)
    if values.dtype == object:
        return np.fromiter((_check_i64(v, what) for v in values.reshape(-1).tolist()), np.int64)
    raise TypeError(f"{what}s must be integers, not {values.dtype}")


def _iterate(values: object) -> Iterable[SupportsIndex]:
    if isinstance(values, Iterable):
        return values
    raise TypeError(f"expected a sequence or an array, not {type(values).__name__}")
