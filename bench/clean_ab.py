"""Cleaning stage, before and after: an older revision's ``feedhub.clean`` against this
tree's, in one process, on the same articles, interleaved.

    taskset -c 1 python bench/clean_ab.py                  # against BEFORE (below)
    taskset -c 1 python bench/clean_ab.py --rev HEAD~1 --articles 1000 --repeat 5
    taskset -c 1 python bench/clean_ab.py --rev main --pages ../shared/corpora/goodnews-md

``--pages DIR`` cleans the Markdown pages under a local folder (one batch, as a local
source with the built-in rules of ``--format``) instead of the generated corpus, and
also counts the articles each revision's tree stage takes on its fast path.

The older revision's ``feedhub`` package is exported with ``git archive`` into a temp
folder as ``feedhub_old`` (its imports are relative, so it runs on its own code) and
both clean the batches of ``bench/clean.py`` with ``clean_many`` as the pipeline calls
it.  Also timed alone: Markdown rendering (plain Python-Markdown, as the old revision
renders, against ``mdhtml.FastMarkdown``) and ``dom.parse`` (old against new) on the
same documents.  Prints µs per article (per document for the parts), the ratio, and
whether every ``Cleaned`` is equal (compared by ``repr``: the classes differ).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The last revision before the fast clean stage (tokens, mdhtml, deferred finishing).
BEFORE = "a97384e"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import clean as bench_clean  # noqa: E402
import markdown  # noqa: E402

from feedhub.clean import _prepare, clean_many, dom, lines  # noqa: E402
from feedhub.clean.learn import LearnSettings  # noqa: E402
from feedhub.clean.mdhtml import FastMarkdown  # noqa: E402
from feedhub.collect.local import collect_local  # noqa: E402
from feedhub.pipeline import pack_of  # noqa: E402


def load_old(rev: str, into: Path) -> Any:
    """``feedhub`` at ``rev``, importable as ``feedhub_old``."""
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "feedhub"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    (into / "feedhub").rename(into / "feedhub_old")
    sys.path.insert(0, str(into))
    return importlib.import_module("feedhub_old")


def batches(n: int, work: Path) -> tuple[list[bench_clean.Batch], list[Any]]:
    """``bench/clean.py``'s batches, and the configured source of each."""
    pairs = bench_clean.sourced_batches(n, work)
    return [b for b, _ in pairs], [s for _, s in pairs]


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default=BEFORE)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pages", type=Path, help="clean this folder's pages instead")
    parser.add_argument("--format", default="goodnews", help="the pages' format (--pages)")
    args = parser.parse_args()
    rev = args.rev
    with tempfile.TemporaryDirectory() as tmp:
        load_old(rev, Path(tmp) / "old")
        old_clean = importlib.import_module("feedhub_old.clean")
        old_dom = importlib.import_module("feedhub_old.clean.dom")
        old_pipeline = importlib.import_module("feedhub_old.pipeline")
        if args.pages:
            pages = collect_local("pages", args.pages, fmt=args.format).items
            work, sources = [(pages, pack_of(None), LearnSettings())], [None]
        else:
            work, sources = batches(args.articles, Path(tmp) / "work")
        n = sum(len(b[0]) for b in work)
        # the old code on its own rule packs (the same rule files, its own caches)
        old_work = [
            (raws, old_pipeline.pack_of(source), settings)
            for (raws, _, settings), source in zip(work, sources, strict=True)
        ]
        fast_old = sum(
            old_clean._prepare(r, p(r), False).fast is not None
            for raws, p, _ in old_work
            for r in raws
        )
        fast_new = sum(
            _prepare(r, p(r), False).fast is not None for raws, p, _ in work for r in raws
        )

        def run_old() -> list[Any]:
            out: list[Any] = []
            for raws, packs, settings in old_work:
                out += old_clean.clean_many(raws, packs, settings)
            return out

        def run_new() -> list[Any]:
            out: list[Any] = []
            for raws, packs, settings in work:
                out += clean_many(raws, packs, settings)
            return out

        # the parts, on the same documents
        docs = [
            lines.clean_lines(r.content, p(r))[0]
            for raws, p, _ in work
            for r in raws
            if r.content_type == "markdown"
        ]
        plain, fast = markdown.Markdown(output_format="html"), FastMarkdown()
        rendered = [plain.reset().convert(d) for d in docs]
        htmls = rendered + [
            r.content for raws, _, _ in work for r in raws if r.content_type != "markdown"
        ]
        # (what both revisions parse)
        htmls = [
            h
            for h in htmls
            if not dom.UNSUPPORTED_MARKUP.search(h) and not old_dom.UNSUPPORTED_MARKUP.search(h)
        ]
        rows = {
            "clean_many (µs/article)": (run_old, run_new, n),
            "markdown render (µs/doc)": (
                lambda: [plain.reset().convert(d) for d in docs],
                lambda: [fast.reset().convert(d) for d in docs],
                len(docs),
            ),
            "dom.parse (µs/doc)": (
                lambda: [old_dom.parse(h) for h in htmls],
                lambda: [dom.parse(h) for h in htmls],
                len(htmls),
            ),
        }
        timings: dict[str, list[float]] = {k: [1e9, 1e9] for k in rows}
        for _ in range(args.repeat):  # interleaved: old, new, old, new…
            for name, (old_fn, new_fn, _count) in rows.items():
                timings[name][0] = min(timings[name][0], best(old_fn, 1))
                timings[name][1] = min(timings[name][1], best(new_fn, 1))
        old_out, new_out = run_old(), run_new()
        same = sum(repr(a) == repr(b) for a, b in zip(old_out, new_out, strict=True))
        same_md = sum(fast.reset().convert(d) == r for d, r in zip(docs, rendered, strict=True))
    print(f"old = {rev[:12]}, new = this tree; {n} articles, {len(docs)} Markdown documents")
    print(f"best of {args.repeat}, interleaved:")
    for name, (old_t, new_t) in timings.items():
        count = rows[name][2]
        print(
            f"  {name:26} old {old_t / count * 1e6:8,.0f}   new {new_t / count * 1e6:8,.0f}"
            f"   {old_t / new_t:5.2f}x"
        )
    print(f"  identical Cleaned: {same}/{n}; identical Markdown: {same_md}/{len(docs)}")
    print(f"  fast tree stage: old {fast_old}/{n}, new {fast_new}/{n} articles")
    return 0 if same == n and same_md == len(docs) else 1


if __name__ == "__main__":
    sys.exit(main())
