"""Cleaning stage only: the fast tree stage against the bs4 reference, in one process.

    python bench/clean.py                 # 1000 generated articles, best of 3
    python bench/clean.py --articles 300 --repeat 5

Both runs clean the same batches (bench/corpus.py, the sources of bench/run.py) with
``clean_many`` exactly as the pipeline calls it: ``reference=True`` is the original
bs4 + soupsieve tree stage (and bs4 ``html_to_text``), the default is ``fasttree``.
It prints µs per article for each and the ratio, and checks the outputs are equal.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as corpus_mod  # noqa: E402
import run as bench_run  # noqa: E402

from feedhub.clean import LearnSettings, RulePack, clean_many  # noqa: E402
from feedhub.collect import HTTPCache  # noqa: E402
from feedhub.collect.feeds import collect_feed  # noqa: E402
from feedhub.collect.local import collect_local  # noqa: E402
from feedhub.config import SourceConfig  # noqa: E402
from feedhub.pipeline import learn_settings, limits_of, pack_of  # noqa: E402
from feedhub.types import Cleaned, RawItem  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=UTC)
Batch = tuple[list[RawItem], Callable[[RawItem], RulePack], LearnSettings]


def sourced_batches(n: int, work: Path) -> list[tuple[Batch, SourceConfig]]:
    """One batch per configured source of the bench corpus, with that source."""
    c = corpus_mod.generate(work / "corpus", n, corpus_mod.SEED)
    config = bench_run.make_config(c, work)
    out = []
    for source in config.sources:
        if source.kind == "local":
            assert source.path is not None
            res = collect_local(source.id, config.resolve(source.path), source.glob, source.format)
        else:
            assert source.url is not None
            res = collect_feed(
                source.id, source.url, HTTPCache(), limits_of(config), outlet=source.outlet
            )
        todo = sorted(res.items, key=lambda r: ((r.published or NOW).isoformat(), r.id))
        out.append(((todo, pack_of(source), learn_settings(config, source)), source))
    return out


def batches(n: int, work: Path) -> list[Batch]:
    return [batch for batch, _ in sourced_batches(n, work)]


def run_all(work: list[Batch], reference: bool) -> list[Cleaned | None]:
    out: list[Cleaned | None] = []
    for raws, packs, settings in work:
        out += clean_many(raws, packs, settings, reference=reference)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = batches(args.articles, Path(tmp))
        n = sum(len(b[0]) for b in work)
        best: dict[bool, float] = {}
        results: dict[bool, list[Cleaned | None]] = {}
        for _ in range(args.repeat):
            for reference in (True, False):
                t0 = time.perf_counter()
                results[reference] = run_all(work, reference)
                took = time.perf_counter() - t0
                best[reference] = min(best.get(reference, took), took)
    old, new = best[True] / n * 1e6, best[False] / n * 1e6
    same = results[True] == results[False]
    print(f"clean_many over {n} articles, best of {args.repeat}:")
    print(f"  reference (bs4 tree stage)   {old:8,.0f} µs/article")
    print(f"  fast (dom tree stage)        {new:8,.0f} µs/article")
    print(f"  speed-up {old / new:.2f}x, identical output: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
