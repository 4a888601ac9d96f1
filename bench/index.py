"""Benchmark feedhub.dedupe.index.FingerprintIndex against simhash.SimhashIndex.

For each size N: N random uint64 fingerprints, ~1 % of them replaced by planted
near-duplicates (1-3 bits away from another stored fingerprint) so queries have hits.
Queries: half are stored fingerprints with 0-3 bits flipped (hits), half fresh random
values (usually no hit).  Measured, single core (thread env vars set to 1 before numpy):

* build time (``from_arrays``), memory per fingerprint (the index's numpy ``nbytes``, and
  the tracemalloc peak during the build), median/p90 query time for each k;
* the same for ``simhash.SimhashIndex(k=3)`` on the same data, up to ``--baseline-max``
  (its Python build is slow and large: memory is the tracemalloc growth of the index);
* a vectorised numpy brute-force scan per query, for reference;
* a sample of queries compared with that brute-force scan: the script fails unless the
  answers are identical (and checks SimhashIndex returns the same ids at k=3).

    python bench/index.py                       # 10k, 100k, 1M: ~15 s
    python bench/index.py --sizes 10000,100000  # ~10 s
    python bench/index.py --baseline-max 1000000  # SimhashIndex at 1M too: ~1.5 min, ~1 GB
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
from simhash import Simhash, SimhashIndex  # noqa: E402

from feedhub.dedupe.index import FingerprintIndex, popcount64  # noqa: E402

TARGET_BYTES = 80  # per fingerprint at 1M, k=3
TARGET_US = 50.0  # median query at 1M, k=3
BASELINE_K = 3


@dataclass
class Row:
    n: int
    impl: str
    build_s: float | None = None
    bytes_per_fp: float | None = None  # numpy nbytes (ours) or tracemalloc growth (baseline)
    peak_per_fp: float | None = None  # tracemalloc peak during the build
    query_us: dict[int, tuple[float, float]] = field(default_factory=dict)  # k -> median, p90
    strategy: dict[int, str] = field(default_factory=dict)
    note: str = ""


def make_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    fps = rng.integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    planted = max(1, n // 100)
    src = rng.choice(n, planted, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), planted, replace=False)
    fps[dst] = flip(fps[src], rng.integers(1, 4, planted), rng)
    ids = rng.permutation(n).astype(np.int64) * 7 + 1000  # non-dense ids, as from a database
    return fps, ids


def flip(fps: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each fingerprint with ``counts[i]`` distinct random bits flipped."""
    out = fps.copy()
    for i, c in enumerate(counts.tolist()):
        for bit in rng.choice(64, c, replace=False).tolist():
            out[i] ^= np.uint64(1 << bit)
    return out


def make_queries(fps: np.ndarray, count: int, rng: np.random.Generator) -> list[int]:
    half = count // 2
    near = flip(fps[rng.integers(0, fps.size, half)], rng.integers(0, 4, half), rng)
    far = rng.integers(0, 1 << 64, count - half, dtype=np.uint64, endpoint=False)
    mixed = np.concatenate((near, far))
    rng.shuffle(mixed)
    return [int(v) for v in mixed.tolist()]


def brute(fps: np.ndarray, ids: np.ndarray, q: int, k: int) -> list[tuple[int, int]]:
    d = popcount64(fps ^ np.uint64(q))
    hit = np.flatnonzero(d <= k)
    return sorted(zip(ids[hit].tolist(), d[hit].tolist(), strict=True), key=lambda r: (r[1], r[0]))


def per_query(call: Callable[[int], object], queries: list[int]) -> tuple[float, float]:
    """Median and p90 of the per-call wall time, µs (after a warm-up pass over 100)."""
    for q in queries[:100]:
        call(q)
    times = []
    clock = time.perf_counter
    for q in queries:
        t0 = clock()
        call(q)
        times.append(clock() - t0)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.9)] * 1e6


def query_k(index: FingerprintIndex, q: int, k: int) -> list[tuple[int, int]]:
    return index.query(q, k)


def traced(build: Callable[[], object]) -> tuple[object, int, int]:
    """Run ``build`` under tracemalloc: (result, bytes still held, peak bytes)."""
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = build()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, current - base, peak - base


def bench_ours(
    n: int, fps: np.ndarray, ids: np.ndarray, queries: list[int], ks: list[int], check: int
) -> tuple[Row, bool, int]:
    max_k = max(ks)

    def build() -> FingerprintIndex:
        return FingerprintIndex.from_arrays(fps, ids, max_distance=max_k)

    t0 = time.perf_counter()
    index = build()
    build_s = time.perf_counter() - t0
    del index
    index_t, _, peak = traced(build)
    assert isinstance(index_t, FingerprintIndex)
    index = index_t
    row = Row(n, "FingerprintIndex", build_s, index.nbytes / n, peak / n)
    for k in ks:
        row.query_us[k] = per_query(functools.partial(query_k, index, k=k), queries)
        row.strategy[k] = index.strategy(k)
    identical = True
    hits = 0
    for k in ks:
        for q in queries[:check]:
            expected = brute(fps, ids, q, k)
            hits += len(expected) if k == BASELINE_K else 0
            if index.query(q, k) != expected:
                identical = False
                print(f"  MISMATCH n={n} k={k} q={q:#018x}", file=sys.stderr)
    return row, identical, hits


def bench_scan(n: int, fps: np.ndarray, queries: list[int]) -> Row:
    row = Row(n, "numpy brute-force scan", bytes_per_fp=float(fps.itemsize))
    row.query_us[BASELINE_K] = per_query(
        lambda q: np.flatnonzero(popcount64(fps ^ np.uint64(q)) <= BASELINE_K), queries
    )
    return row


def bench_baseline(
    n: int, fps: np.ndarray, ids: np.ndarray, queries: list[int], check: int
) -> tuple[Row, bool]:
    pairs = zip(ids.tolist(), fps.tolist(), strict=True)
    objs = [(str(i), Simhash(int(f), f=64)) for i, f in pairs]
    gc.collect()
    t0 = time.perf_counter()
    index = SimhashIndex(objs, f=64, k=BASELINE_K)
    build_s = time.perf_counter() - t0
    del index
    index_t, held, peak = traced(lambda: SimhashIndex(objs, f=64, k=BASELINE_K))
    index = index_t
    assert isinstance(index, SimhashIndex)
    row = Row(n, f"simhash.SimhashIndex(k={BASELINE_K})", build_s, held / n, peak / n)
    hashes = {q: Simhash(q, f=64) for q in queries}
    row.query_us[BASELINE_K] = per_query(lambda q: index.get_near_dups(hashes[q]), queries)
    agree = True
    for q in queries[:check]:
        want = {i for i, _ in brute(fps, ids, q, BASELINE_K)}
        if {int(i) for i in index.get_near_dups(hashes[q])} != want:
            agree = False
    return row, agree


def bench_interleaved(fps: np.ndarray, ids: np.ndarray, rng: np.random.Generator) -> str:
    """The StoryIndex pattern: one add then one query, on top of an index of N - 5000."""
    n = fps.size
    m = min(5000, n // 2)
    index = FingerprintIndex.from_arrays(fps[: n - m], ids[: n - m])
    t0 = time.perf_counter()
    for f, i in zip(fps[n - m :].tolist(), ids[n - m :].tolist(), strict=True):
        index.query(f, BASELINE_K)
        index.add(f, i)
    per = (time.perf_counter() - t0) / m * 1e6
    ok = all(
        index.query(q, BASELINE_K) == brute(fps, ids, q, BASELINE_K)
        for q in make_queries(fps, 50, rng)
    )
    return f"{per:.1f} µs per query+add over {m} adds ({'identical' if ok else 'MISMATCH'})"


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=1000, help="timed queries per size")
    parser.add_argument("--ks", default="3,6,12", help="query radii (the first is the target)")
    parser.add_argument("--check", type=int, default=200, help="queries compared per k")
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="run SimhashIndex only for sizes up to this (default 100000)",
    )
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ks = [int(k) for k in args.ks.split(",")]
    if BASELINE_K not in ks:
        ks.insert(0, BASELINE_K)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, single thread; {args.queries} queries per size "
        "(half near a stored fingerprint, half random)"
    )
    rows: list[Row] = []
    all_identical = True
    extra: list[str] = []
    for n in sizes:
        rng = np.random.default_rng(args.seed + n)
        fps, ids = make_data(n, rng)
        queries = make_queries(fps, args.queries, rng)
        print(f"\nN = {n:,} ...", flush=True)
        ours, identical, hits = bench_ours(n, fps, ids, queries, ks, args.check)
        all_identical &= identical
        rows.append(ours)
        extra.append(
            f"N={n:,}: {hits} hits at k={BASELINE_K} in {min(args.check, len(queries))} checked "
            f"queries; interleaved: {bench_interleaved(fps, ids, rng)}"
        )
        rows.append(bench_scan(n, fps, queries))
        if n <= args.baseline_max:
            base, agree = bench_baseline(n, fps, ids, queries, args.check)
            rows.append(base)
            if not agree:
                all_identical = False
                print(f"  SimhashIndex disagrees with brute force at N={n}", file=sys.stderr)
        else:
            rows.append(
                Row(n, f"simhash.SimhashIndex(k={BASELINE_K})", note="skipped: N > --baseline-max")
            )

    report(rows, ks, extra)
    print(f"\nidentical to brute force: {'yes' if all_identical else 'no'}")
    targets(rows)
    assert all_identical, "index results differ from the brute-force scan"
    return 0


def report(rows: list[Row], ks: list[int], extra: list[str]) -> None:
    q_heads = "".join(f" {'k=' + str(k) + ' med/p90 µs':>19}" for k in ks)
    head = f"{'N':>9} {'implementation':<26} {'build s':>8} {'B/fp':>7} {'peak B/fp':>9}{q_heads}"
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        cells = ""
        for k in ks:
            if k in r.query_us:
                med, p90 = r.query_us[k]
                tag = f" ({r.strategy[k]})" if k in r.strategy else ""
                cells += f" {f'{med:.1f}/{p90:.1f}{tag}':>19}"
            else:
                cells += f" {'—':>19}"
        print(
            f"{r.n:>9,} {r.impl:<26} {fmt(r.build_s, '.3f'):>8} {fmt(r.bytes_per_fp, '.1f'):>7} "
            f"{fmt(r.peak_per_fp, '.1f'):>9}{cells}{'  ' + r.note if r.note else ''}"
        )
    print(
        "\nB/fp: FingerprintIndex.nbytes / N (all its numpy arrays: fps, ids, ts, alive,\n"
        "tables, directory); SimhashIndex: tracemalloc growth while building it.  peak B/fp:\n"
        "tracemalloc peak during the build, temporaries included.  (index)/(scan): the path\n"
        "FingerprintIndex chose for that k.  Query times: median/p90 over the timed queries."
    )
    print("\nRatios, SimhashIndex / FingerprintIndex (k=3):")
    by = {(r.n, r.impl.split("(")[0]): r for r in rows}
    for r in rows:
        if r.impl != "FingerprintIndex":
            continue
        base = by.get((r.n, "simhash.SimhashIndex"))
        if base is None or base.build_s is None:
            print(f"  N={r.n:>9,}: baseline skipped (N > --baseline-max)")
            continue
        assert r.build_s and r.bytes_per_fp and base.bytes_per_fp
        print(
            f"  N={r.n:>9,}: build {base.build_s / r.build_s:6.1f}x   "
            f"memory {base.bytes_per_fp / r.bytes_per_fp:6.1f}x   "
            f"query {base.query_us[BASELINE_K][0] / r.query_us[BASELINE_K][0]:6.1f}x"
        )
    print()
    for line in extra:
        print(line)


def targets(rows: list[Row]) -> None:
    at = [r for r in rows if r.impl == "FingerprintIndex" and r.n == 1_000_000]
    if not at:
        print("1M targets: not measured (add 1000000 to --sizes)")
        return
    r = at[0]
    assert r.bytes_per_fp is not None
    med = r.query_us[BASELINE_K][0]
    mem_ok = r.bytes_per_fp <= TARGET_BYTES
    q_ok = med <= TARGET_US
    print(
        f"1M targets (k={BASELINE_K}): {r.bytes_per_fp:.1f} B/fp <= {TARGET_BYTES}: "
        f"{'met' if mem_ok else 'MISSED'}; median query {med:.1f} µs <= {TARGET_US:.0f}: "
        f"{'met' if q_ok else 'MISSED'}"
    )


if __name__ == "__main__":
    sys.exit(main())
