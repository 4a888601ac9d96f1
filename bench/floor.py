"""The library floor of feedhub's job, against the naive stack of ``bench/run.py``.

Issue 8 asks for 30x the naive stack end to end.  The naive stack's job is smaller
than feedhub's: it keeps ``get_text()`` of every article and publishes its raw HTML.
feedhub's job also has steps that the project's standards require and that only a
library call can do at C speed:

* **read** the sources: feed XML through lxml with entity expansion off, local
  posts' YAML front matter through PyYAML's C loader (feedparser's normalisation,
  Markdown conversion and date parsing are left out);
* **markdown**: local posts' bodies to HTML, through cmarkgfm (GitHub's C
  CommonMark) when it is installed, else the step is left out and says so
  (feedhub itself uses Python-Markdown, many times slower);
* **tree**: cleaning removes boilerplate *blocks*, so each article's HTML is parsed
  into one tree.  lxml is the fastest parser at hand: it measured 2x faster than
  selectolax/lexbor on these articles.  The input here is the *cleaned* HTML, which
  is shorter than what a cleaner really parses;
* **sanitize** every entry that goes out, with nh3 (ammonia).  Only one entry per
  story is counted, since duplicates are not published;
* **store** what was read, durably (state survives kill -9), in SQLite with WAL.
  Only the raw input, the ids and the fingerprint are stored: one row per article,
  one transaction per source.

Each step is timed alone: a comprehension over prepared inputs, with no feedhub code
and nothing in between.  The figure is a lower bound on any implementation of
feedhub's job with these libraries.  Left out entirely: the cleaning rules,
fingerprints, dedupe and rendering.  The naive stack runs in the same process,
interleaved with the steps, so the ratio holds on a loaded machine too.

The last line reads ``ceiling: X.Xx the baseline at most (...)``.  X is the baseline's
µs/article divided by the floor's: what feedhub could reach if all of its own code
cost nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import nh3
import yaml

try:
    import cmarkgfm  # type: ignore[import-not-found]
except ImportError:  # optional: the floor then leaves Markdown out
    cmarkgfm = None

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod  # noqa: E402
import run as bench_run  # noqa: E402

from feedhub import pipeline  # noqa: E402
from feedhub.storage import Storage  # noqa: E402

_FRONT = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_XML = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class Inputs:
    """What the steps read, prepared once, untimed: the corpus files and what a
    feedhub run stored for each article."""

    def __init__(self, c: corpus_mod.Corpus, work: Path) -> None:
        config = bench_run.make_config(c, work)
        storage = Storage(config.storage_path)
        pipeline.run_once(config, storage, bench_run.NOW)
        storage.close()
        db = sqlite3.connect(config.storage_path)
        rows = db.execute(
            "SELECT id, source_id, story_id, raw, html, fp FROM items ORDER BY source_id, id"
        ).fetchall()
        db.close()
        self.n = len(rows)
        if self.n != c.n:
            raise SystemExit(f"feedhub stored {self.n} of {c.n} articles; see its errors")
        self.by_source: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            self.by_source.setdefault(row[1], []).append((row[0], row[1], row[2], row[3], row[5]))
        self.html = [row[4] for row in rows]
        self.published = list({row[2]: row[4] for row in rows}.values())
        files = [p for p in c.root.rglob("*") if p.is_file() and p.name != "truth.json"]
        self.feeds = [p for p in files if p.suffix in (".rss", ".atom", ".xml")]
        self.posts = [p for p in files if p not in self.feeds]
        self.bodies = [
            text[m.end() :] if (m := _FRONT.match(text)) else text
            for text in (p.read_text(encoding="utf-8") for p in self.posts)
        ]


def step_read(inp: Inputs) -> None:
    for path in inp.feeds:
        root = lxml.etree.fromstring(path.read_bytes(), _XML)
        for el in root.iter():
            el.text  # noqa: B018  (the text of every element is read)
    for path in inp.posts:
        m = _FRONT.match(path.read_text(encoding="utf-8"))
        if m:
            yaml.load(m.group(1), Loader=yaml.CSafeLoader)


def step_markdown(inp: Inputs) -> None:
    for body in inp.bodies:
        cmarkgfm.markdown_to_html(body)


def step_tree(inp: Inputs) -> None:
    for html in inp.html:
        lxml.html.fragment_fromstring(html, create_parent="div")


def step_sanitize(inp: Inputs) -> None:
    for html in inp.published:
        nh3.clean(html)


def step_store(inp: Inputs, path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE items (id TEXT PRIMARY KEY, source_id TEXT NOT NULL, "
        "story_id TEXT NOT NULL, raw TEXT NOT NULL, fp INTEGER NOT NULL)"
    )
    for rows in inp.by_source.values():
        db.execute("BEGIN")
        db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")
    db.close()


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs (default 3)")
    parser.add_argument("--seed", type=int, default=corpus_mod.SEED)
    parser.add_argument("--lengths", choices=corpus_mod.LENGTHS, default="real")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {0})  # one core, as bench/run.py
        except OSError:
            pass
    with tempfile.TemporaryDirectory(prefix="feedhub-floor-") as tmp:
        base = Path(tmp)
        c = corpus_mod.generate(base / "corpus", args.articles, args.seed, args.lengths)
        (base / "prep").mkdir()
        inp = Inputs(c, base / "prep")
        steps: dict[str, Callable[[], object]] = {
            "read": lambda: step_read(inp),
            **({"markdown": lambda: step_markdown(inp)} if cmarkgfm else {}),
            "tree": lambda: step_tree(inp),
            "sanitize": lambda: step_sanitize(inp),
            "store": lambda: step_store(inp, base / "floor.sqlite"),
        }
        best = dict.fromkeys(["baseline", *steps], float("inf"))
        for r in range(args.repeat):
            work = base / f"baseline-{r}"
            work.mkdir()
            gc.collect()
            result = bench_run.run_baseline(c, work)
            best["baseline"] = min(best["baseline"], sum(result.stages.values()))
            for name, fn in steps.items():
                best[name] = min(best[name], timed(fn))
    n = inp.n
    us = {k: v / n * 1e6 for k, v in best.items()}
    floor = sum(us[k] for k in steps)
    print(
        f"feedhub floor: {n} articles ({len(inp.published)} stories published, "
        f"{len(inp.feeds)} feed files, {len(inp.posts)} local posts), "
        f"{args.lengths} lengths, best of {args.repeat}"
    )
    print(f"{'step':<10} {'µs/article':>11}  library")
    libs = {
        "read": "lxml.etree (feeds), yaml CSafeLoader (front matter)",
        "markdown": "cmarkgfm (local posts' bodies)",
        "tree": "lxml.html fragment_fromstring (cleaned HTML)",
        "sanitize": "nh3.clean (one entry per story)",
        "store": "sqlite3 WAL, raw input + ids + fp, one transaction per source",
    }
    for k in steps:
        print(f"{k:<10} {us[k]:>11.1f}  {libs[k]}")
    if cmarkgfm is None:
        print(f"{'markdown':<10} {'-':>11}  left out: pip install cmarkgfm to measure it")
    print(f"{'floor':<10} {floor:>11.1f}  sum of the steps (feedhub's own code: 0)")
    print(f"{'baseline':<10} {us['baseline']:>11.1f}  the naive stack of bench/run.py, same runs")
    print(f"30x the baseline needs at most {us['baseline'] / 30:.1f} µs/article")
    print(
        f"ceiling: {us['baseline'] / floor:.1f}x the baseline at most "
        f"(floor {floor:.0f} µs/article vs baseline {us['baseline']:.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
