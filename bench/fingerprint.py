"""Fingerprint version 3 (splitmix64 shingle hash in numpy) against version 2 (the simhash
package's md5 per shingle), on the cleaned texts of bench/run.py's generated corpus.

Speed: µs per text for both, in this process, and the ratio.  Quality: the simhash is the
candidate filter, so what matters is how planted duplicates and unrelated pairs spread
over distances under each hash: the share of planted pairs inside 24 and 32 bits (the
full-text and excerpt candidate distances) and of unrelated pairs (the cost of a query).

    python bench/fingerprint.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as corpus_mod  # noqa: E402
from run import NOW, make_config  # noqa: E402

from feedhub.dedupe.fingerprint import (  # noqa: E402
    distance,
    fingerprint,
    package_md5_fingerprint,
)
from feedhub.pipeline import run_once  # noqa: E402
from feedhub.storage import Storage  # noqa: E402


def texts_and_groups(n: int, seed: int, tmp: Path) -> tuple[list[str], list[str]]:
    """Cleaned texts (feedhub's pipeline) and each one's planted group."""
    c = corpus_mod.generate(tmp / "corpus", n, seed)
    config = make_config(c, tmp / "work")
    storage = Storage(config.storage_path)
    run_once(config, storage, NOW)
    storage.close()
    with sqlite3.connect(config.storage_path) as db:
        rows = db.execute("SELECT source_id, key, text FROM items ORDER BY id").fetchall()
    return [t for _, _, t in rows], [c.truth[(s, k)] for s, k, _ in rows]


def per_text_us(fn: Callable[[str], int], texts: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        best = min(best, time.perf_counter() - t0)
    return best / len(texts) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261118)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedhub-fp-") as tmp:
        texts, groups = texts_and_groups(args.articles, args.seed, Path(tmp))
    v2 = per_text_us(package_md5_fingerprint, texts)
    v3 = per_text_us(fingerprint, texts)
    print(f"{len(texts)} cleaned texts, mean {statistics.mean(map(len, texts)):.0f} characters")
    print(f"version 2 (simhash package, md5)   {v2:8.1f} µs/text")
    print(f"version 3 (splitmix64, numpy)      {v3:8.1f} µs/text   speed-up {v2 / v3:.1f}x")

    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    planted = [p for m in members.values() for p in combinations(m, 2)]
    rng = random.Random(args.seed)
    unrelated: list[tuple[int, int]] = []
    while len(unrelated) < 20000:
        a, b = rng.randrange(len(texts)), rng.randrange(len(texts))
        if groups[a] != groups[b]:
            unrelated.append((a, b))
    print(
        f"\n{'':34}{'planted ≤24':>12}{'planted ≤32':>12}{'unrelated ≤24':>15}"
        f"{'unrelated ≤32':>15}{'planted median':>16}"
    )
    for name, fn in (("version 2", package_md5_fingerprint), ("version 3", fingerprint)):
        fps = [fn(t) for t in texts]

        def share(pairs: list[tuple[int, int]], k: int, fps: list[int] = fps) -> float:
            return sum(distance(fps[a], fps[b]) <= k for a, b in pairs) / len(pairs)

        med = statistics.median(distance(fps[a], fps[b]) for a, b in planted)
        print(
            f"{name:34}{share(planted, 24):12.3f}{share(planted, 32):12.3f}"
            f"{share(unrelated, 24):15.3f}{share(unrelated, 32):15.3f}{med:16.1f}"
        )
    print(f"({len(planted)} planted pairs, {len(unrelated)} random unrelated pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
