"""FingerprintIndex answers exactly what a brute-force scan answers, whatever it did before."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedhub.dedupe.fingerprint import distance, to_signed
from feedhub.dedupe.index import FingerprintIndex, popcount64, popcount64_lut

TOP = (1 << 64) - 1
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

u64 = st.one_of(st.integers(0, TOP), st.sampled_from([0, 1, TOP, TOP - 1, 1 << 63]))
# indexes that differ in how they search: default four 16-bit blocks, more and narrower
# blocks, scan only; "index" forces the tables even where the cost model would scan
Prefer = Literal["auto", "index", "scan"]
Config = tuple[int, int | None, Prefer]
configs: st.SearchStrategy[Config] = st.tuples(
    st.sampled_from([0, 1, 2, 3, 6, 12, 24, 64]),  # max_distance
    st.sampled_from([None, 5, 7, 16, 64, 0]),  # blocks
    st.sampled_from(["index", "auto", "scan"]),
)


def brute(
    rows: list[tuple[int, int, int]],
    q: int,
    k: int,
    ts_min: int | None = None,
    ts_max: int | None = None,
) -> list[tuple[int, int]]:
    """(id, distance) within k, closest first then by id: the reference answer."""
    hits = [
        (i, distance(fp, q))
        for fp, i, ts in rows
        if distance(fp, q) <= k
        and (ts_min is None or ts >= ts_min)
        and (ts_max is None or ts <= ts_max)
    ]
    return sorted(hits, key=lambda h: (h[1], h[0]))


@st.composite
def clustered(draw: st.DrawFn, max_size: int = 80) -> tuple[list[int], list[int]]:
    """(centres, fingerprints): each fingerprint a centre with 0-16 bits flipped, so queries
    near a centre have neighbours at every distance (random 64-bit values almost never do)."""
    centres = draw(st.lists(u64, min_size=1, max_size=4))
    specs = draw(
        st.lists(
            st.tuples(st.integers(0, len(centres) - 1), st.sets(st.integers(0, 63), max_size=16)),
            max_size=max_size,
        )
    )
    fps = []
    for c, bits in specs:
        fp = centres[c]
        for b in bits:
            fp ^= 1 << b
        fps.append(fp)
    return centres, fps


def queries_near(centres: list[int], rnd: random.Random, count: int = 6) -> list[int]:
    out = list(centres)
    for _ in range(count):
        q = rnd.choice(centres)
        for b in rnd.sample(range(64), rnd.randint(0, 12)):
            q ^= 1 << b
        out.append(q)
    return out + [rnd.getrandbits(64), 0, TOP]


def ks(max_distance: int) -> list[int]:
    return sorted({0, min(max_distance, 1), max_distance // 2, min(max_distance, 3), max_distance})


# --------------------------------------------------------------------- properties


@SETTINGS
@given(data=clustered(), config=configs, seed=st.integers(0, 2**32))
def test_query_equals_brute_force(
    data: tuple[list[int], list[int]], config: Config, seed: int
) -> None:
    centres, fps = data
    max_distance, blocks, prefer = config
    rnd = random.Random(seed)
    ids = [rnd.randrange(-(2**40), 2**40) for _ in fps]
    ts = [rnd.randrange(0, 100) for _ in fps]
    rows = list(zip(fps, ids, ts, strict=True))
    index = FingerprintIndex.from_arrays(
        fps, ids, ts, max_distance=max_distance, blocks=blocks, prefer=prefer
    )
    assert len(index) == len(fps)
    for q in queries_near(centres, rnd):
        for k in ks(max_distance):
            assert index.query(q, k) == brute(rows, q, k)
        assert index.query(q, max_distance, ts_min=20, ts_max=70) == brute(
            rows, q, max_distance, 20, 70
        )


@dataclass
class Model:
    """The reference: a plain list of live (fp, id, ts) rows."""

    rows: list[tuple[int, int, int]] = field(default_factory=list)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 40), st.booleans()),  # n, one by one?
        st.tuples(st.just("bulk"), st.integers(100, 700), st.booleans()),  # crosses the merge
        st.tuples(st.just("remove"), st.integers(1, 30), st.booleans()),  # n, as a list?
        st.tuples(st.just("evict"), st.integers(0, 100), st.booleans()),
        st.tuples(st.just("build"), st.just(0), st.booleans()),
    ),
    min_size=1,
    max_size=8,
)


@SETTINGS
@given(
    centres=st.lists(u64, min_size=1, max_size=3),
    steps=ops,
    config=configs,
    seed=st.integers(0, 2**32),
)
def test_after_adds_removals_and_eviction(
    centres: list[int], steps: list[tuple[str, int, bool]], config: Config, seed: int
) -> None:
    max_distance, blocks, prefer = config
    rnd = random.Random(seed)
    index = FingerprintIndex(max_distance, blocks=blocks, prefer=prefer)
    model = Model()
    next_id = 0

    def fresh(n: int) -> list[tuple[int, int, int]]:
        nonlocal next_id
        out = []
        for _ in range(n):
            fp = rnd.choice(centres)
            for b in rnd.sample(range(64), rnd.randint(0, 10)):
                fp ^= 1 << b
            # some ids repeat on purpose: remove(id) must drop every entry with it
            i = next_id if rnd.random() < 0.9 else rnd.randrange(max(next_id, 1))
            next_id += 1
            out.append((fp, i, rnd.randrange(0, 100)))
        return out

    for op, n, flag in steps:
        if op in ("add", "bulk"):
            batch = fresh(n)
            if flag and op == "add":
                for fp, i, ts in batch:
                    index.add(fp, i, ts)
            else:
                index.add_many([r[0] for r in batch], [r[1] for r in batch], [r[2] for r in batch])
            model.rows += batch
        elif op == "remove":
            known = sorted({r[1] for r in model.rows})
            gone = rnd.sample(known, min(n, len(known))) + [10**12]  # plus one never added
            expected = sum(r[1] in gone for r in model.rows)
            removed = index.remove(gone) if flag else sum(index.remove(i) for i in gone)
            assert removed == expected
            model.rows = [r for r in model.rows if r[1] not in gone]
        elif op == "evict":
            expected = sum(r[2] < n for r in model.rows)
            assert index.evict_before(n) == expected
            model.rows = [r for r in model.rows if r[2] >= n]
        else:
            index.build()
        assert len(index) == len(model.rows)
        for q in queries_near(centres, rnd, count=3):
            for k in ks(max_distance):
                assert index.query(q, k) == brute(model.rows, q, k)

    snap_fps, snap_ids, snap_ts = index.snapshot()
    live = zip(snap_fps.tolist(), snap_ids.tolist(), snap_ts.tolist(), strict=True)
    assert sorted(live) == sorted(model.rows)


@SETTINGS
@given(fp=u64, dup=st.integers(1, 60), k=st.integers(0, 64))
def test_duplicates_of_one_fingerprint(fp: int, dup: int, k: int) -> None:
    index = FingerprintIndex.from_arrays(
        [fp] * dup + [fp ^ TOP], list(range(dup + 1)), max_distance=64, prefer="index"
    )
    want = [(i, 0) for i in range(dup)] + ([(dup, 64)] if k == 64 else [])
    assert index.query(fp, k) == want


@SETTINGS
@given(values=st.lists(u64, max_size=50))
def test_popcount_implementations_agree(values: list[int]) -> None:
    arr = np.array(values, dtype=np.uint64)
    expected = [v.bit_count() for v in values]
    assert popcount64(arr).tolist() == expected
    assert popcount64_lut(arr).tolist() == expected


# --------------------------------------------------------------------- examples


def test_small_deterministic_cases() -> None:
    index = FingerprintIndex(max_distance=3, prefer="index")
    assert index.query(0, 3) == []
    index.add(0, 1)
    index.add(TOP, 2)
    index.add(0b111, 3)
    index.add(0b1, 4)
    assert index.query(0, 0) == [(1, 0)]
    assert index.query(0, 1) == [(1, 0), (4, 1)]
    assert index.query(0, 3) == [(1, 0), (4, 1), (3, 3)]
    assert index.query(TOP, 3) == [(2, 0)]
    assert index.query(TOP ^ 0b1010, 2) == [(2, 2)]
    index.build()
    assert index.query(0, 3) == [(1, 0), (4, 1), (3, 3)]
    assert index.remove(4) == 1
    assert index.query(0, 3) == [(1, 0), (3, 3)]
    assert len(index) == 3


def test_time_window_and_eviction() -> None:
    index = FingerprintIndex.from_arrays([5, 5, 5, 6], [10, 11, 12, 13], [100, 200, 300, 400])
    assert index.query(5, 2, ts_min=150) == [(11, 0), (12, 0), (13, 2)]
    assert index.query(5, 2, ts_max=250) == [(10, 0), (11, 0)]
    assert index.evict_before(250) == 2
    assert index.query(5, 2) == [(12, 0), (13, 2)]
    assert index.evict_before(250) == 0


def test_signed_sqlite_values_round_trip() -> None:
    fps = [0, 1 << 63, TOP, 12345]
    signed = np.array([to_signed(f) for f in fps], dtype=np.int64)
    index = FingerprintIndex.from_arrays(signed, np.arange(4))
    for i, fp in enumerate(fps):
        assert index.query(fp, 0) == [(i, 0)]
    assert index.query(TOP, 3) == [(2, 0)]


def test_planted_near_duplicates_use_the_tables() -> None:
    """Big enough for the cost model to choose the tables (and radius probes at k=6, 12)."""
    rng = np.random.default_rng(7)
    n = 40_000
    fps = rng.integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    src = rng.choice(n, 400, replace=False)
    for s in src.tolist():  # plant a neighbour 1-12 bits away next to each source
        v = int(fps[s])
        for b in rng.choice(64, int(rng.integers(1, 13)), replace=False).tolist():
            v ^= 1 << b
        fps[(s + 1) % n] = v
    ids = np.arange(n, dtype=np.int64) * 3
    index = FingerprintIndex.from_arrays(fps, ids, max_distance=24)
    assert index.strategy(3) == "index"
    assert index.strategy(6) == "index"
    assert index.strategy(24) == "scan"
    rows = list(zip(fps.tolist(), ids.tolist(), [0] * n, strict=True))
    sample = fps[src[:60]].tolist()
    for q in sample:
        for k in (0, 3, 6, 12, 24):
            d = popcount64(fps ^ np.uint64(q))
            hit = np.flatnonzero(d <= k)
            want = sorted(
                zip(ids[hit].tolist(), d[hit].tolist(), strict=True), key=lambda h: (h[1], h[0])
            )
            assert index.query(q, k) == want
    assert index.query(sample[0], 3) == brute(rows, sample[0], 3)


def test_interleaved_adds_cross_the_merge_threshold() -> None:
    rnd = random.Random(3)
    centre = rnd.getrandbits(64)
    rows = []
    index = FingerprintIndex(max_distance=6)
    for i in range(3000):
        fp = centre
        for b in rnd.sample(range(64), rnd.randint(0, 8)):
            fp ^= 1 << b
        index.add(fp, i, i)
        rows.append((fp, i, i))
        if i % 97 == 0:
            assert index.query(centre, 4) == brute(rows, centre, 4)
            assert index.query(fp, 6) == brute(rows, fp, 6)
        if i % 501 == 500:
            dropped = index.evict_before(i - 1000)
            assert dropped == sum(r[2] < i - 1000 for r in rows)
            rows = [r for r in rows if r[2] >= i - 1000]
    assert index.query(centre, 6) == brute(rows, centre, 6)


def test_memory_matches_the_documented_arithmetic() -> None:
    n = 100_000
    fps = np.random.default_rng(1).integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    index = FingerprintIndex.from_arrays(fps, np.arange(n))
    d = 15  # directory bits: bit_length(100_000) - 2
    assert index.nbytes == 25 * n + 4 * 4 * n + 4 * 4 * ((1 << d) + 1)
    assert FingerprintIndex.from_arrays(fps, np.arange(n), blocks=0).nbytes == 25 * n


def test_huge_radius_scans_and_stays_exact() -> None:
    n = 100_000
    fps = np.random.default_rng(2).integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    index = FingerprintIndex.from_arrays(fps, np.arange(n), max_distance=64)
    assert index.strategy(40) == "scan"  # > 65536 needles: not even planned
    q = int(fps[17])
    d = popcount64(fps ^ np.uint64(q))
    for k in (28, 40):
        got = index.query_arrays(q, k)
        assert got[0].size == int((d <= k).sum())
        assert sorted(got[0].tolist()) == np.flatnonzero(d <= k).tolist()


def test_oversized_bucket_falls_back_to_a_scan() -> None:
    """Skewed data: a third of the rows share q's blocks, so every bucket read is huge."""
    rng = np.random.default_rng(3)
    fps = rng.integers(0, 1 << 64, 60_000, dtype=np.uint64, endpoint=False)
    centre = int(fps[0])
    fps[:20_000] = centre
    fps[1] = centre ^ 0b110  # 3 bits from the query
    index = FingerprintIndex.from_arrays(fps, np.arange(60_000), max_distance=6)
    assert index.strategy(3) == index.strategy(6) == "index"  # judged on sizes alone
    ids, dist = index.query_arrays(centre ^ 1, 3)
    assert ids.size == 20_000 and set(dist.tolist()) == {1, 3}
    assert ids[0] == 0 and ids[-1] == 1
    d = popcount64(fps ^ np.uint64(centre ^ 1))
    ids, dist = index.query_arrays(centre ^ 1, 6)  # radius probes, same fallback
    assert sorted(ids.tolist()) == np.flatnonzero(d <= 6).tolist()


@pytest.mark.parametrize("blocks", [None, 0])
def test_compaction_after_most_rows_leave(blocks: int | None) -> None:
    rnd = random.Random(5)
    centre = rnd.getrandbits(64)
    rows = []
    for i in range(2000):
        fp = centre
        for b in rnd.sample(range(64), rnd.randint(0, 5)):
            fp ^= 1 << b
        rows.append((fp, i, i))
    index = FingerprintIndex.from_arrays(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], blocks=blocks
    )
    index.add(centre, 5000, 5000)  # pending, inside the later window
    assert index.evict_before(1950) == 1950
    rows = [r for r in rows if r[2] >= 1950] + [(centre, 5000, 5000)]
    assert index.query(centre, 3) == brute(rows, centre, 3)  # compacts, with a rebuild
    assert index.query(centre, 3, ts_min=1990) == brute(rows, centre, 3, 1990)
    assert index.remove(np.array([5000, 1999])) == 2
    assert index.remove([]) == 0
    rows = [r for r in rows if r[1] not in (5000, 1999)]
    index.build()
    assert index.query(centre, 3) == brute(rows, centre, 3)
    assert len(index) == len(rows) == 49


def test_rejects_bad_input() -> None:
    index = FingerprintIndex(max_distance=3)
    with pytest.raises(ValueError):
        index.add(-1, 1)
    with pytest.raises(ValueError):
        index.add(1 << 64, 1)
    with pytest.raises(ValueError):
        index.add(1, 1 << 63)
    with pytest.raises(ValueError):
        index.query(0, 4)
    with pytest.raises(ValueError):
        index.query(0, -1)
    with pytest.raises(ValueError):
        index.add_many([1, 2], [1])
    with pytest.raises(ValueError):
        index.add_many([-5], [1])  # signed values only as an int64 numpy array
    with pytest.raises(TypeError):
        index.add_many(np.array([1.5]), [1])
    with pytest.raises(ValueError):
        FingerprintIndex(blocks=2)
    with pytest.raises(ValueError):
        FingerprintIndex(max_distance=65)
    index.add_many([TOP, 1], [1, 2])  # a list mixing huge and small ints stays exact
    assert index.query(TOP, 0) == [(1, 0)]
