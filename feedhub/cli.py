"""The ``feedhub`` command line: a thin layer over the pipeline.

Exit codes: 0 success; 1 a runtime failure (storage, output); 2 a usage or
configuration error (every config problem is listed, each with its dotted path).
Per-source problems (a missing folder, a feed answering 500) are reported on
stderr, one line each, and do not change the exit code: the other sources were
collected and the feeds were written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .config import DEFAULT_CONFIG, Config, DedupeConfig, load_config
from .dates import format_iso
from .dedupe.assign import decide
from .dedupe.fingerprint import distance
from .errors import ConfigError, FeedhubError, ParseError
from .types import Article

log = logging.getLogger("feedhub")


def _now() -> datetime:
    return datetime.now(UTC)


def _load(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def _dedupe_settings(args: argparse.Namespace) -> DedupeConfig:
    """clean/compare work without a config; use its dedupe settings when there is one."""
    explicit = args.config != str(DEFAULT_CONFIG)
    if explicit or Path(args.config).exists():
        return load_config(args.config).dedupe
    return DedupeConfig()


# -- commands ----------------------------------------------------------------
def cmd_check_config(args: argparse.Namespace) -> int:
    config = _load(args)
    print(f"{args.config}: OK ({len(config.sources)} sources, {len(config.topics)} topics)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args)
    if not args.once:
        from .daemon import TICK_SECONDS, run_daemon

        return run_daemon(config, TICK_SECONDS)
    from .pipeline import SourceSummary, run_once
    from .storage import Storage

    with Storage(config.storage_path) as storage:
        if sys.stderr.isatty() and not args.quiet:
            from rich.progress import Progress

            with Progress(transient=True) as progress:
                task = progress.add_task("collecting", total=len(config.sources))

                def step(s: SourceSummary) -> None:
                    progress.advance(task)
                    progress.console.print(s.line(), highlight=False)

                summary = run_once(config, storage, _now(), on_source=step)
        else:
            summary = run_once(config, storage, _now(), on_source=lambda s: print(s.line()))
        items, stories = storage.counts()
    for err in summary.errors:
        print(f"error: {err}", file=sys.stderr)
    for path in summary.written:
        print(f"wrote {path}")
    print(
        f"{items} items in {stories} stories; {len(summary.written)} feed(s) written, "
        f"{len(summary.unchanged_outputs)} unchanged"
    )
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from .publish.atom import entry_id
    from .publish.select import select_stories
    from .storage import Storage

    config = _load(args)
    topics = [t for t in config.topics if args.topic in (None, t.id)]
    if not topics:
        raise UsageError(
            f"no topic {args.topic!r} (topics: {', '.join(t.id for t in config.topics)})"
        )
    with Storage(config.storage_path) as storage:
        for topic in topics:
            views = select_stories(storage, topic, config.dedupe.prefer_outlets)
            print(f"topic {topic.id}: {len(views)} stories")
            for v in views:
                copies = (v.representative, *v.others)
                print(f"  {entry_id(v.id)}  {format_iso(v.published)}  {v.representative.title}")
                for a in copies:
                    mark = "*" if a is v.representative else " "
                    print(f"    {mark} {a.outlet or '?'} [{a.source_id}] {a.link or a.key}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from .rebuild import rebuild
    from .storage import Storage

    config = _load(args)
    with Storage(config.storage_path) as storage:
        changes = rebuild(config, storage, _now(), dry_run=args.dry_run)
    for change in changes:
        print("\n".join(change.lines()))
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def cmd_daemon(args: argparse.Namespace) -> int:
    from .daemon import run_daemon

    return run_daemon(_load(args), args.tick)


def _article(path: str) -> Article:
    from .pipeline import clean_files

    return clean_files([Path(path)])[Path(path)][0]


def _article_json(a: Article) -> dict[str, object]:
    return {
        "title": a.title,
        "link": a.link,
        "outlet": a.outlet,
        "author": a.author,
        "wire": a.wire,
        "published": format_iso(a.published),
        "format": a.format,
        "categories": list(a.categories),
        "html": a.html,
        "text": a.text,
    }


def cmd_clean(args: argparse.Namespace) -> int:
    from .pipeline import clean_files

    path = Path(args.path)
    article, cleaned = clean_files([path], learn=not args.no_learn)[path]
    if args.explain:
        print(f"{args.path}: removed {len(cleaned.removed)} block(s)")
        for r in cleaned.removed:
            text = " ".join(r.text.split())
            print(f"  [{r.rule}] {text[:160]}")
        return 0
    print(json.dumps(_article_json(article), ensure_ascii=False, indent=2))
    return 0


def compare_files(pairs: list[tuple[Path, Path]], dedupe: DedupeConfig) -> list[dict[str, object]]:
    """Decide each pair; the IDF collection is every article of the files' folders."""
    from .collect.local import read_article
    from .dedupe.assign import FeatureCache, Side
    from .dedupe.signals import Idf
    from .pipeline import clean_files, dedupe_settings_of

    bad: dict[Path, str] = {}
    for p in {p for pair in pairs for p in pair}:
        try:
            read_article(p)
        except ParseError as exc:
            bad[p] = exc.message
    good = sorted({p for pair in pairs for p in pair} - bad.keys())
    arts = {p: a for p, (a, _) in clean_files(good, neighbours=True).items()}
    vectors = FeatureCache(Idf(a.text for a in arts.values()))
    settings = dedupe_settings_of(dedupe)
    out: list[dict[str, object]] = []
    for pa, pb in pairs:
        if pa in bad or pb in bad:
            out.append({"error": bad.get(pa) or bad[pb]})
            continue
        a, b = arts[pa], arts[pb]
        d = distance(a.fingerprint, b.fingerprint)
        v = decide(
            Side(a.text, a.title, str(pa)),
            Side(b.text, b.title, str(pb)),
            d,
            settings,
            vectors,
            all_signals=True,
        )
        out.append(
            {
                "duplicate": v.duplicate,
                "distance": d,
                "threshold": dedupe.threshold,
                "overlap": round(v.overlap, 3),
                "min_overlap": dedupe.min_overlap,
                "cosine": None if v.cosine is None else round(v.cosine, 3),
                "min_cosine": dedupe.min_cosine,
                "headline_similarity": round(v.headline_similarity, 3),
                "headline_floors": [list(f) for f in dedupe.headline],
                "rule": v.rule,
                "a": {
                    "title": a.title,
                    "outlet": a.outlet,
                    "published": format_iso(a.published),
                    "link": a.link,
                },
                "b": {
                    "title": b.title,
                    "outlet": b.outlet,
                    "published": format_iso(b.published),
                    "link": b.link,
                },
            }
        )
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    dedupe = _dedupe_settings(args)
    if args.pairs:
        base = Path(args.pairs).resolve().parent
        # Relative paths: as given (from here), else from the pairs file's folder or the
        # one above it (a labels/ folder beside the corpus it describes).
        roots = (Path("."), base, base.parent)

        def locate(p: str) -> Path:
            found = (r / p for r in roots if (r / p).exists())
            return Path(p) if Path(p).is_absolute() else next(found, base / p)

        pairs: list[tuple[Path, Path]] = []
        try:
            lines = Path(args.pairs).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{args.pairs}: cannot read: {exc}") from None
        for n, line in enumerate(lines):
            cols = line.split("\t")
            if len(cols) < 2 or not cols[0].strip() or line.startswith("#"):
                continue
            a, b = locate(cols[0]), locate(cols[1])
            if n == 0 and not a.exists() and not b.exists():
                continue  # a header row (file_a, file_b, ...)
            pairs.append((a, b))
        for (a, b), result in zip(pairs, compare_files(pairs, dedupe), strict=True):
            print(
                json.dumps({"file_a": str(a), "file_b": str(b), **result}, ensure_ascii=False),
                flush=True,
            )
        return 0
    if not args.paths or len(args.paths) != 2:
        raise UsageError("compare needs two paths, or --pairs FILE")
    [result] = compare_files([(Path(args.paths[0]), Path(args.paths[1]))], dedupe)
    if "error" in result:
        raise ParseError("compare", str(result["error"]))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


class UsageError(FeedhubError):
    pass


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        default=str(DEFAULT_CONFIG),
        help=f"config file (default: {DEFAULT_CONFIG})",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text (default) or JSON objects, one per line",
    )
    p = argparse.ArgumentParser(
        prog="feedhub",
        description="Collect news mirrors and feeds, strip boilerplate, merge near-duplicate "
        "stories, publish one Atom feed per topic.",
    )
    p.add_argument("--version", action="version", version=f"feedhub {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="collect, dedupe and write feeds")
    run.add_argument(
        "--once",
        action="store_true",
        help="run every source once and exit (without it: run as a daemon)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)

    daemon = sub.add_parser(
        "daemon", parents=[common], help="run due sources on a schedule until SIGTERM/SIGINT"
    )
    daemon.add_argument(
        "--tick",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often to look for due sources (default 5)",
    )
    daemon.set_defaults(func=cmd_daemon)

    stories = sub.add_parser(
        "stories",
        parents=[common],
        help="list each topic's stories with their copies (* = representative) and outlets",
    )
    stories.add_argument("--topic", help="only this topic")
    stories.set_defaults(func=cmd_stories)

    rebuild = sub.add_parser(
        "rebuild",
        parents=[common],
        help="re-clean, re-fingerprint, re-assign and re-render from the stored raw items",
    )
    rebuild.add_argument(
        "--dry-run", action="store_true", help="print what would change per topic; write nothing"
    )
    rebuild.set_defaults(func=cmd_rebuild)

    check = sub.add_parser("check-config", parents=[common], help="validate the config and exit")
    check.set_defaults(func=cmd_check_config)

    clean = sub.add_parser(
        "clean",
        parents=[common],
        help="print one local article, cleaned, as JSON (no config needed)",
        description="Print one local article, cleaned, as a JSON object. The other articles in "
        "PATH's folder are treated as its source's recent articles: blocks that repeat across "
        "them are learned as boilerplate and removed (--no-learn turns this off).",
    )
    clean.add_argument("path", help="a Hexo, goodnews or Jekyll article file")
    clean.add_argument(
        "--no-learn",
        action="store_true",
        help="use the rule packs only, not boilerplate learned from the folder",
    )
    clean.add_argument(
        "--explain",
        action="store_true",
        help="list each removed block and the rule (or learned count) that removed it, "
        "instead of the JSON",
    )
    clean.set_defaults(func=cmd_clean)

    compare = sub.add_parser(
        "compare",
        parents=[common],
        help="are two local articles near-duplicates? prints JSON (no config needed)",
    )
    compare.add_argument("paths", nargs="*", metavar="PATH", help="two article files")
    compare.add_argument(
        "--pairs",
        metavar="FILE",
        help="tab-separated file: the first two columns are paths; "
        "prints one JSON object per line, in input order",
    )
    compare.set_defaults(func=cmd_compare)
    from .commands import add_commands

    add_commands(sub, common)  # serve, daemon --serve, sources, config-schema, import-opml
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from .commands import log_level
    from .logs import setup_logging

    args = build_parser().parse_args(argv)
    setup_logging(args.log_format, log_level(args))
    try:
        code: int = args.func(args)
        return code
    except (ConfigError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ParseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except FeedhubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `feedhub compare --pairs … | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
