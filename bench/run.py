"""End-to-end benchmark: feedhub's pipeline against a naive baseline stack (issue 8, part 1).

Measurement only.  One generated corpus (``bench/corpus.py``, fixed seed: RSS 2.0 and
Atom feed files, hexo / goodnews / Jekyll-feedx local posts, Chinese and English, with
planted duplicate groups), processed in this one process, pinned to one core, by:

(a) the baseline: ``feedparser.parse`` per feed file (default options) and a front-matter
    split (regex + ``yaml.safe_load``) per local post; ``BeautifulSoup(html,
    "html.parser").get_text`` as the cleaner; ``simhash.Simhash(text)`` per article;
    ``simhash.SimhashIndex(k=3)`` (``get_near_dups`` then ``add`` per article; a hit joins
    the earliest hit's story); a plain ``sqlite3`` table, one ``executemany`` transaction
    per source; ``feedgen`` writing one Atom file per topic.
(b) feedhub: the real ``run_once`` against a real ``Storage`` in a temp dir (collect_local /
    collect_feed → parse_article / parse_feed, clean_many, make_article, make_index +
    StoryIndex.match inside store_result, put_items, publish_topics → render_atom).  Its
    stages are timed by wrapping those functions for the duration of the run:

    parse        collect_source (file read + parse_feed / parse_article)
    clean        clean_many (both learning passes)
    fingerprint  make_article (fingerprint() is most of it)
    dedupe       make_index (IDF collection) + StoryIndex.match + the window reads
                 (Storage.candidates / texts_of)
    store        the rest of store_result: content hashes, sort, put_items, transaction,
                 record_attempt
    render       publish_topics (select_stories, render_atom, write_atomic)

Stories: feedhub's (items grouped by story id) against the planted groups; ``same stories:
yes`` iff the partitions are equal.  Topics list every story (max_entries 10000) in both
stacks, so rendering scales with the corpus.

    python bench/run.py                     # 1000 articles, best of 3 (about 1-1.5 min)
    python bench/run.py --profile           # + cProfile top 25 of one more feedhub run
    python bench/run.py --tracemalloc       # + tracemalloc peak (one slow untimed run each)
    python bench/run.py --articles 300 --repeat 1 --keep /tmp/corpus

Timings on a shared machine are noisy: compare runs made back to back, and read the
feedhub detail lines (call counts are exact) rather than single percentages.
"""

from __future__ import annotations

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "RAYON_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from email.utils import parsedate_to_datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402, F401  (imported after the thread variables, as simhash does)
import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as corpus_mod  # noqa: E402
import feedparser  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from feedgen.feed import FeedGenerator  # noqa: E402
from simhash import Simhash, SimhashIndex  # noqa: E402

import feedhub.clean as fclean  # noqa: E402
from feedhub import pipeline  # noqa: E402
from feedhub.config import Config, parse_config  # noqa: E402
from feedhub.dedupe import assign  # noqa: E402
from feedhub.dedupe.assign import Settings, Side, decide  # noqa: E402
from feedhub.dedupe.fingerprint import distance  # noqa: E402
from feedhub.dedupe.signals import Idf  # noqa: E402
from feedhub.publish import atom  # noqa: E402
from feedhub.storage import Storage  # noqa: E402
from feedhub.types import stable_id  # noqa: E402

STAGES = ("parse", "clean", "fingerprint", "dedupe", "store", "render")
NOW = datetime(2026, 11, 20, tzinfo=UTC)
Member = tuple[str, str]  # (source_id, key)


# --------------------------------------------------------------------------- memory


def _status(field_name: str) -> int | None:
    """A /proc/self/status field in KiB (Linux), else None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset the peak-RSS mark (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakRss:
    """RSS high-water growth over a block: VmHWM after − VmRSS before (clear_refs reset);
    falls back to ru_maxrss growth, which only shows growth past the process's old peak."""

    def __enter__(self) -> PeakRss:
        gc.collect()
        self.exact = _reset_hwm()
        self.start = _status("VmRSS") or 0
        self.start_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def __exit__(self, *exc: object) -> None:
        if self.exact:
            self.kib = max(0, (_status("VmHWM") or 0) - self.start)
        else:
            self.kib = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.start_max)


# --------------------------------------------------------------------------- results


@dataclass
class RunResult:
    name: str
    n: int
    stages: dict[str, float]  # seconds
    detail: dict[str, float] = field(default_factory=dict)
    stories: list[frozenset[Member]] = field(default_factory=list)
    rss_kib: int = 0
    rss_exact: bool = True
    traced_peak: int | None = None
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0  # the whole run; total - sum(stages) is reported as "other"

    @property
    def total(self) -> float:
        return max(self.wall, sum(self.stages.values()))


# --------------------------------------------------------------------------- baseline

_FRONT = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
_TITLE = re.compile(r"\A\s*###[ \t]+(.+?)[ \t]*\r?\n(.*)\Z", re.S)


@dataclass
class BItem:
    source_id: str
    key: str
    title: str
    html: str
    link: str | None
    published: datetime | None
    text: str = ""
    simhash: Simhash | None = None
    story: str = ""


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return None


def _struct(value: Any) -> datetime | None:
    if not value:
        return None
    y, mo, d, h, mi, s = value[:6]
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def baseline_parse(c: corpus_mod.Corpus) -> list[BItem]:
    items: list[BItem] = []
    for src in c.sources:
        if src.kind == "feed":
            d = feedparser.parse(c.feed_files[src.id].read_bytes())
            for e in d.entries:
                content = e.get("content")
                body = content[0].value if content else e.get("summary", "")
                items.append(
                    BItem(
                        src.id,
                        e.get("id") or e.get("link"),
                        e.get("title", ""),
                        body,
                        e.get("link"),
                        _struct(e.get("published_parsed") or e.get("updated_parsed")),
                    )
                )
            continue
        root = c.local_dirs[src.id]
        for path in sorted(root.glob("**/*.md")):
            text = path.read_text(encoding="utf-8")
            key = path.relative_to(root).as_posix()
            m = _FRONT.match(text)
            if m:
                meta = yaml.safe_load(m.group(1)) or {}
                items.append(
                    BItem(
                        src.id,
                        key,
                        str(meta.get("title", "")),
                        m.group(2),
                        meta.get("from"),
                        _date(meta.get("date")),
                    )
                )
            elif t := _TITLE.match(text):
                items.append(BItem(src.id, key, t.group(1), t.group(2), None, None))
    return items


def _signed(h: Simhash | None) -> int | None:
    """SQLite INTEGER is signed 64-bit."""
    if h is None:
        return None
    value = int(h.value)
    return value - (1 << 64) if value >= 1 << 63 else value


def run_baseline(c: corpus_mod.Corpus, work: Path) -> RunResult:
    clock = time.perf_counter
    with PeakRss() as mem:
        t0 = clock()
        items = baseline_parse(c)
        t1 = clock()
        for it in items:
            it.text = BeautifulSoup(it.html, "html.parser").get_text(" ", strip=True)
        t2 = clock()
        for it in items:
            it.simhash = Simhash(it.text)
        t3 = clock()
        index = SimhashIndex([], k=3)
        order: dict[str, int] = {}
        story_of: dict[str, str] = {}
        for i, it in enumerate(items):
            oid = str(i)
            assert it.simhash is not None
            hits = index.get_near_dups(it.simhash)
            it.story = story_of[min(hits, key=order.__getitem__)] if hits else oid
            story_of[oid] = it.story
            order[oid] = i
            index.add(oid, it.simhash)
        t4 = clock()
        db = sqlite3.connect(work / "baseline.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE items (id TEXT PRIMARY KEY, source_id TEXT, key TEXT, story TEXT, "
            "title TEXT, link TEXT, published TEXT, html TEXT, text TEXT, fp INTEGER)"
        )
        for source_id, group in itertools.groupby(items, key=lambda it: it.source_id):
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"{it.source_id}\0{it.key}",
                        source_id,
                        it.key,
                        it.story,
                        it.title,
                        it.link,
                        it.published.isoformat() if it.published else None,
                        it.html,
                        it.text,
                        _signed(it.simhash),
                    )
                    for it in group
                ],
            )
            db.execute("COMMIT")
        db.close()
        t5 = clock()
        by_story: dict[str, list[BItem]] = defaultdict(list)
        for it in items:
            by_story[it.story].append(it)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        for topic_id, title, sources in c.topics:
            fg = FeedGenerator()
            fg.id(f"tag:baseline,2026:{topic_id}")
            fg.title(title)
            fg.link(href=f"http://localhost/{topic_id}.atom", rel="self")
            shown = [m for m in by_story.values() if any(i.source_id in sources for i in m)]
            shown.sort(key=lambda m: m[0].published or epoch)
            fg.updated(max((m[0].published or epoch for m in shown), default=epoch))
            for m in shown:
                rep = m[0]
                fe = fg.add_entry()
                fe.id(f"tag:baseline,2026:{rep.story}")
                fe.title(rep.title or "(untitled)")
                if rep.link:
                    fe.link(href=rep.link)
                fe.published(rep.published or epoch)
                fe.updated(rep.published or epoch)
                fe.content(rep.html, type="html")
            fg.atom_file(str(work / f"{topic_id}.atom"), pretty=True)
        t6 = clock()
    stages = dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True))
    stories = [frozenset((i.source_id, i.key) for i in m) for m in by_story.values()]
    return RunResult(
        "baseline",
        len(items),
        stages,
        stories=stories,
        rss_kib=mem.kib,
        rss_exact=mem.exact,
        wall=t6 - t0,
    )


# --------------------------------------------------------------------------- feedhub


def make_config(c: corpus_mod.Corpus, work: Path) -> Config:
    sources = c.source_entries()
    data = {
        "storage": str(work / "feedhub.sqlite"),
        "output_dir": str(work / "feeds"),
        "sources": sources,
        "topics": [
            {"id": tid, "title": title, "sources": list(srcs), "max_entries": 10000}
            for tid, title, srcs in c.topics
        ],
    }
    return parse_config(data, "<bench>", str(work))


class Timers:
    """Accumulated wall time per name; ``wrap`` times every call of a function."""

    def __init__(self) -> None:
        self.t: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.perf_counter

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.t[name] += clock() - t0
                self.calls[name] += 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


@contextmanager
def patched(targets: list[tuple[Any, str, str]], timers: Timers) -> Iterator[None]:
    """Replace ``obj.attr`` by a timed wrapper for the block (restored afterwards)."""
    saved = []
    for obj, attr, name in targets:
        original = getattr(obj, attr)
        saved.append((obj, attr, original))
        setattr(obj, attr, timers.wrap(name, original))
    try:
        yield
    finally:
        for obj, attr, original in reversed(saved):
            setattr(obj, attr, original)


def feedhub_stories(storage: Storage, c: corpus_mod.Corpus) -> list[frozenset[Member]]:
    by_id = {stable_id(s, k): (s, k) for s, k in c.truth}
    groups: dict[str, set[Member]] = defaultdict(set)
    for item_id, story in storage.story_assignment().items():
        groups[story].add(by_id.get(item_id, ("?", item_id)))
    return [frozenset(m) for m in groups.values()]


def run_feedhub(c: corpus_mod.Corpus, work: Path) -> RunResult:
    config = make_config(c, work)
    timers = Timers()
    storage = Storage(config.storage_path)
    targets: list[tuple[Any, str, str]] = [
        (pipeline, "collect_source", "parse"),
        (pipeline, "store_result", "store_result"),
        (pipeline, "clean_many", "clean"),
        # clean_many prepares every article once, learns, then finishes each once
        (fclean, "clean", "  clean() (finishing)"),
        (fclean, "_prepare", "  clean: parse + rules (_prepare)"),
        (pipeline, "make_article", "fingerprint"),
        (pipeline, "fingerprint", "  fingerprint()"),
        (pipeline, "make_index", "  make_index (IDF)"),
        (assign.StoryIndex, "match", "  StoryIndex.match"),
        (assign, "decide", "  decide() (pairs within threshold)"),
        (storage, "candidates", "  candidates read"),
        (storage, "texts_of", "  window texts read"),
        (storage, "put_item", "  put_item"),
        (storage, "put_items", "  put_items (batched put_item)"),
        (pipeline, "publish_topics", "render"),
        (atom, "select_stories", "  select_stories"),
        (atom, "render_atom", "  render_atom"),
        (atom, "write_atomic", "  write_atomic"),
    ]
    with PeakRss() as mem, patched(targets, timers):
        t0 = time.perf_counter()
        run = pipeline.run_once(config, storage, NOW)
        wall = time.perf_counter() - t0
    tt = timers.t
    dedupe = (
        tt["  make_index (IDF)"]
        + tt["  StoryIndex.match"]
        + tt["  candidates read"]
        + tt["  window texts read"]
    )
    stages = {
        "parse": tt["parse"],
        "clean": tt["clean"],
        "fingerprint": tt["fingerprint"],
        "dedupe": dedupe,
        "store": tt["store_result"] - tt["clean"] - tt["fingerprint"] - dedupe,
        "render": tt["render"],
    }
    detail = {
        f"{k.strip()} ({timers.calls[k]} calls)": v for k, v in tt.items() if k.startswith("  ")
    }
    stories = feedhub_stories(storage, c)
    n = sum(len(s) for s in stories)
    storage.close()
    return RunResult(
        "feedhub",
        n,
        stages,
        detail,
        stories,
        mem.kib,
        mem.exact,
        errors=run.errors,
        wall=wall,
    )


def profile_feedhub(c: corpus_mod.Corpus, work: Path, top: int = 25) -> str:
    config = make_config(c, work)
    storage = Storage(config.storage_path)
    prof = cProfile.Profile()
    prof.enable()
    pipeline.run_once(config, storage, NOW)
    prof.disable()
    storage.close()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs()
    out.write(f"--- cProfile of one feedhub run, top {top} by own time (tottime) ---\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write(f"--- top {top} by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def traced_peak(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


# --------------------------------------------------------------------------- stories


def pair_kind(kinds: dict[Member, str], a: Member, b: Member) -> str:
    ka, kb = sorted((kinds[a], kinds[b]))
    if ka == "base":
        return kb
    return f"{ka}~{kb}"


def pairs_of(parts: list[frozenset[Member]]) -> set[tuple[Member, Member]]:
    out = set()
    for p in parts:
        for a, b in itertools.combinations(sorted(p), 2):
            out.add((a, b))
    return out


def compare_stories(
    c: corpus_mod.Corpus,
    got: list[frozenset[Member]],
    detail: int,
    texts: dict[Member, tuple[str, str, int, str]] | None,
) -> tuple[bool, list[str]]:
    gold = [frozenset(m) for m in c.groups().values()]
    same = set(got) == set(gold)
    lines: list[str] = []
    gp, pp = pairs_of(gold), pairs_of(got)
    tp = len(gp & pp)
    prec = tp / len(pp) if pp else 1.0
    rec = tp / len(gp) if gp else 1.0
    missed = sorted(gp - pp)
    extra = sorted(pp - gp)
    by_kind_all = Counter(pair_kind(c.kinds, a, b) for a, b in gp)
    by_kind_missed = Counter(pair_kind(c.kinds, a, b) for a, b in missed)
    lines.append(
        f"  planted pairs {len(gp)}, found {tp} (recall {rec:.3f}); predicted pairs {len(pp)}, "
        f"of them wrong {len(extra)} (precision {prec:.3f})"
    )
    lines.append(
        "  missed pairs by kind: "
        + ", ".join(f"{k} {by_kind_missed[k]}/{v}" for k, v in sorted(by_kind_all.items()))
    )
    if extra:
        by_lang = Counter(c.langs[a] for a, _ in extra)
        lines.append(
            f"  over-merged pairs: {len(extra)} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(by_lang.items()))})"
        )
    if same or detail <= 0:
        return same, lines
    vectors = None
    if texts is not None:
        vectors = assign.FeatureCache(Idf(t[0] for t in texts.values()))
    settings = Settings()
    unfiltered = Settings(threshold=64)

    def why(a: Member, b: Member) -> tuple[str, str]:
        """(reason class, signals) for a missed pair."""
        if texts is None or a not in texts or b not in texts:
            return "not stored", ""
        ta, tb = texts[a], texts[b]
        sa, sb = Side(ta[0], ta[1], ta[3]), Side(tb[0], tb[1], tb[3])
        dist = distance(ta[2], tb[2])
        live = decide(sa, sb, dist, settings, vectors)
        if live.duplicate:
            return "pair verifies; split by assignment order", live.explain()
        free = decide(sa, sb, dist, unfiltered, vectors)
        if free.duplicate and dist > settings.threshold:
            return (
                "simhash distance > threshold (would verify)",
                f"{live.explain()}; unfiltered: {free.rule}",
            )
        return "signals below thresholds", free.explain()

    reasons: Counter[tuple[str, str]] = Counter()
    missed_lines = []
    for a, b in missed:
        reason, sig = why(a, b)
        reasons[(pair_kind(c.kinds, a, b), reason)] += 1
        missed_lines.append(
            f"  missed  {pair_kind(c.kinds, a, b):12} {a[0]}:{a[1]} ~ {b[0]}:{b[1]}\n"
            f"          {reason}: [{sig}]"
        )
    if missed:
        lines.append("  why missed (pair kind, reason: pairs):")
        for (kind, reason), k in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {kind:12} {reason}: {k}")
    split = [g for g, m in c.groups().items() if frozenset(m) not in set(got)]
    lines.append(f"  planted groups not reproduced exactly: {len(split)} of {len(c.planted())}")
    lines += missed_lines[:detail]
    if len(missed_lines) > detail:
        lines.append(f"  … {len(missed_lines) - detail} more missed pairs")
    for a, b in extra[:detail]:
        sig = ""
        if texts is not None and a in texts and b in texts:
            ta, tb = texts[a], texts[b]
            d = decide(
                Side(ta[0], ta[1], ta[3]),
                Side(tb[0], tb[1], tb[3]),
                distance(ta[2], tb[2]),
                settings,
                vectors,
            )
            sig = f" [{d.explain()}]"
        lines.append(f"  merged  {c.truth[a]}≠{c.truth[b]} {a[0]}:{a[1]} ~ {b[0]}:{b[1]}{sig}")
    if len(extra) > detail:
        lines.append(f"  … {len(extra) - detail} more over-merged pairs")
    return same, lines


def stored_texts(c: corpus_mod.Corpus, work: Path) -> dict[Member, tuple[str, str, int, str]]:
    """(text, title, fingerprint, id) of every stored article, read from a feedhub run's DB."""
    by_id = {stable_id(s, k): (s, k) for s, k in c.truth}
    db = sqlite3.connect(work / "feedhub.sqlite")
    out = {}
    for item_id, text, title, fp in db.execute("SELECT id, text, title, fp FROM items"):
        if item_id in by_id:
            out[by_id[item_id]] = (text, title, fp + (1 << 64) if fp < 0 else fp, item_id)
    db.close()
    return out


# --------------------------------------------------------------------------- report


def fmt_us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:,.0f}"


def _row(label: str, *cells: str) -> str:
    widths = (16, 15, 17, 17)
    return f"{label:<13}" + "".join(f" {c:>{w}}" for c, w in zip(cells, widths, strict=False))


def report(base: RunResult, fh: RunResult, header: str, rounds: int) -> list[str]:
    n = fh.n
    lines = [header, ""]
    head = _row(
        "stage", "baseline µs/art", "feedhub µs/art", "feedhub speed-up", "share of feedhub"
    )
    lines += [head, "-" * len(head)]
    for s in STAGES:
        b, f = base.stages[s], fh.stages[s]
        ratio = f"{b / f:.2f}x" if f > 0 else "—"
        share = f"{f / fh.total * 100:.1f}%"
        lines.append(_row(s, fmt_us(b, base.n), fmt_us(f, n), ratio, share))
    bo, fo = base.total - sum(base.stages.values()), fh.total - sum(fh.stages.values())
    lines.append(
        _row("other", fmt_us(bo, base.n), fmt_us(fo, n), "", f"{fo / fh.total * 100:.1f}%")
    )
    lines.append("-" * len(head))
    # per article, so a run that stored fewer articles is not flattered
    ratio = f"{(base.total / base.n) / (fh.total / n):.2f}x"
    lines.append(_row("total", fmt_us(base.total, base.n), fmt_us(fh.total, n), ratio, "100.0%"))
    b_rate, f_rate = base.n / base.total, n / fh.total
    lines.append(_row("articles/s", f"{b_rate:,.0f}", f"{f_rate:,.0f}", f"{f_rate / b_rate:.2f}x"))
    rss_ratio = f"{fh.rss_kib / base.rss_kib:.1f}x as much" if base.rss_kib else "—"
    rss = _row(
        "peak RSS Δ", f"{base.rss_kib / 1024:.1f} MiB", f"{fh.rss_kib / 1024:.1f} MiB", rss_ratio
    )
    if not (base.rss_exact and fh.rss_exact):
        rss += " (ru_maxrss growth: only above the old peak)"
    lines.append(rss)
    if base.traced_peak is not None and fh.traced_peak is not None:
        lines.append(
            _row(
                "tracemalloc",
                f"{base.traced_peak / 2**20:.1f} MiB",
                f"{fh.traced_peak / 2**20:.1f} MiB",
                f"{fh.traced_peak / base.traced_peak:.1f}x as much",
            )
        )
    lines.append("")
    lines.append(
        f"times: the fastest of {rounds} run(s) of each stack (whole run, all stages from "
        "that run); µs/art = stage time / articles; speed-up = baseline µs/art ÷ feedhub "
        "µs/art (above 1: feedhub is faster); memory rows: feedhub ÷ baseline."
    )
    lines.append(
        "other: time outside the timed stage functions (run loop, bookkeeping). "
        "peak RSS Δ: resident-set high-water mark during a run minus RSS at its start, the "
        "largest over the runs (freed memory the allocator keeps can hide growth in later runs)"
        + (
            "; tracemalloc: peak Python-heap allocation in a separate untimed run (C allocations "
            "of sqlite/lxml/nh3/OpenCC not included)."
            if fh.traced_peak is not None
            else "."
        )
    )
    lines.append("")
    lines.append("feedhub detail, µs/article (inside the stages above):")
    for k, v in sorted(fh.detail.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {k:<44} {fmt_us(v, n):>8}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="best of R runs per stack (default 3)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one extra feedhub run")
    parser.add_argument("--seed", type=int, default=corpus_mod.SEED)
    parser.add_argument(
        "--lengths",
        choices=corpus_mod.LENGTHS,
        default="real",
        help="article lengths: as the real mirror pages (default), or the short corpus of "
        "earlier sessions' figures",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure the tracemalloc peak (one extra, slow, untimed run per stack)",
    )
    parser.add_argument("--detail", type=int, default=15, help="story differences to print")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args(argv)

    cpu = "all cores"
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {0})
            cpu = "1 core (cpu 0)"
        except OSError as exc:
            cpu = f"not pinned ({exc})"

    tmp = Path(tempfile.mkdtemp(prefix="feedhub-bench-"))
    try:
        root = args.keep or tmp / "corpus"
        t0 = time.perf_counter()
        c = corpus_mod.generate(root, args.articles, args.seed, args.lengths)
        gen_s = time.perf_counter() - t0
        langs = Counter(c.langs.values())
        planted = c.planted()
        header = (
            f"feedhub bench: {c.n} articles ({langs['zh']} zh / {langs['en']} en; "
            f"{len(planted)} planted groups holding "
            f"{sum(len(m) for m in planted.values())} articles; "
            f"{len(c.sources)} sources), seed {args.seed}, {args.lengths} lengths, "
            f"corpus written in {gen_s:.1f}s\n"
            f"python {platform.python_version()}, {platform.machine()}, {cpu}; "
            f"feedparser {feedparser.__version__}, numpy {np.__version__}"
        )
        print(header.splitlines()[0], flush=True)

        best: dict[str, RunResult] = {}
        partitions: dict[str, set[frozenset[frozenset[Member]]]] = defaultdict(set)
        last_work: Path | None = None
        peak_rss: dict[str, int] = {}
        for r in range(args.repeat):
            for name, fn in (("baseline", run_baseline), ("feedhub", run_feedhub)):
                work = tmp / f"{name}-{r}"
                work.mkdir()
                gc.collect()
                res = fn(c, work)
                partitions[name].add(frozenset(res.stories))
                print(f"  run {r + 1}/{args.repeat} {name:<8} {res.total:6.2f}s", flush=True)
                peak_rss[name] = max(peak_rss.get(name, 0), res.rss_kib)
                if name not in best or res.total < best[name].total:
                    best[name] = res
                if name == "feedhub":
                    if last_work is not None:
                        shutil.rmtree(last_work, ignore_errors=True)
                    last_work = work
                else:
                    shutil.rmtree(work, ignore_errors=True)
        base, fh = best["baseline"], best["feedhub"]
        base.rss_kib, fh.rss_kib = peak_rss["baseline"], peak_rss["feedhub"]

        if args.tracemalloc:
            stacks: tuple[tuple[str, Callable[[corpus_mod.Corpus, Path], RunResult]], ...] = (
                ("baseline", run_baseline),
                ("feedhub", run_feedhub),
            )
            for name, stack in stacks:
                work = tmp / f"{name}-traced"
                work.mkdir()
                best[name].traced_peak = traced_peak(functools.partial(stack, c, work))
                shutil.rmtree(work, ignore_errors=True)
                print(f"  tracemalloc run {name} done", flush=True)

        profile_text = ""
        if args.profile:
            work = tmp / "profile"
            work.mkdir()
            profile_text = profile_feedhub(c, work)

        print()
        for line in report(base, fh, header, args.repeat):
            print(line)
        if fh.errors:
            print(f"\nfeedhub source errors ({len(fh.errors)}):")
            for e in fh.errors[:10]:
                print(f"  {e}")
        for name, parts in partitions.items():
            if len(parts) > 1:
                print(f"\nWARNING: {name} stories differ between repeats")

        print("\nstories (planted groups vs each stack's stories):")
        assert last_work is not None
        texts = stored_texts(c, last_work)
        b_same, b_lines = compare_stories(c, base.stories, 0, None)
        print(f" baseline: same stories: {'yes' if b_same else 'no'} ({len(base.stories)} stories)")
        for line in b_lines:
            print(line)
        same, lines = compare_stories(c, fh.stories, args.detail, texts)
        gold_n = len(c.groups())
        print(
            f" feedhub: same stories: {'yes' if same else 'no'} "
            f"({len(fh.stories)} stories for {gold_n} planted-or-single groups)"
        )
        for line in lines:
            print(line)
        if not same and args.detail:
            print(
                "  [signals: feedhub's decide() on the stored texts, IDF over the whole corpus — "
                "the live run's IDF is over each source's window, so cosines can differ slightly]"
            )

        if profile_text:
            print()
            print(profile_text.rstrip())

        # X = feedhub articles/s ÷ baseline articles/s: above 1 means feedhub is faster
        f_rate, b_rate = fh.n / fh.total, base.n / base.total
        print()
        print(
            f"end-to-end: {f_rate / b_rate:.2f}x the baseline ({f_rate:,.0f} articles/s vs "
            f"{b_rate:,.0f}), same stories: {'yes' if same else 'no'}"
        )
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
