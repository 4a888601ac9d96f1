"""A run that brings a few new posts against a large stored window (the daemon's steady
state when sources do publish): what one new item costs once thousands are stored.

Fills a store with bench/run.py's generated corpus (``--articles``, default 3000), then
adds one new post to every local source and times ``run_once`` over all sources (the
feeds answer with what is already stored), ``--repeat`` times.

    python bench/tick.py [--articles 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as corpus_mod  # noqa: E402
from run import NOW, make_config  # noqa: E402

from feedhub.pipeline import run_once  # noqa: E402
from feedhub.storage import Storage  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261118)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedhub-tick-") as tmp:
        c = corpus_mod.generate(Path(tmp) / "corpus", args.articles, args.seed)
        config = make_config(c, Path(tmp) / "work")
        storage = Storage(config.storage_path)
        t0 = time.perf_counter()
        run_once(config, storage, NOW)
        fill = time.perf_counter() - t0
        print(f"store filled with {args.articles} articles in {fill:.1f}s")
        local = [s for s in config.sources if s.kind == "local"]
        for r in range(args.repeat):
            for s in local:
                folder = config.resolve(s.path or "")
                sample = next(p for p in sorted(folder.rglob("*.md")) if p.is_file())
                new = sample.with_name(f"zz-tick{r}-{sample.name}")
                text = sample.read_text(encoding="utf-8")
                new.write_text(text.replace("。", f"。补{r}", 2).replace(". ", f". r{r} ", 2))
            t0 = time.perf_counter()
            run = run_once(config, storage, NOW)
            took = time.perf_counter() - t0
            new_items = sum(x.new for x in run.sources)
            print(
                f"run {r + 1}: {len(config.sources)} sources, {new_items} new items: "
                f"{took:.2f}s ({took / max(new_items, 1) * 1000:.0f} ms per new item)"
            )
        storage.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
