"""Commands for serving and operating feedhub, added to the parser by :mod:`feedhub.cli`.

``serve``, ``daemon --serve``, ``sources``, ``config-schema`` and ``import-opml``.
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from .config import Config, load_config

SERVICE_COMMANDS = frozenset({"serve", "daemon"})


def log_level(args: argparse.Namespace) -> int:
    """DEBUG with -v; INFO (one line per event) for the long-running commands; else ERROR."""
    if getattr(args, "verbose", False):
        return logging.DEBUG
    if args.command in SERVICE_COMMANDS or (args.command == "run" and not args.once):
        return logging.INFO
    return logging.ERROR


def _address(args: argparse.Namespace, config: Config) -> tuple[str, int]:
    host = args.host if args.host is not None else config.serve.host
    port = args.port if args.port is not None else config.serve.port
    return host, port


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import run_server

    config = load_config(args.config)
    return run_server(config, *_address(args, config))


def cmd_daemon(args: argparse.Namespace) -> int:
    from .daemon import run_daemon

    config = load_config(args.config)
    serve = _address(args, config) if args.serve else None
    return run_daemon(config, args.tick, serve)


def cmd_sources(args: argparse.Namespace) -> int:
    from .status import format_table, rows_json, source_rows
    from .storage import Storage

    config = load_config(args.config)
    now = datetime.now(UTC)
    with Storage(config.storage_path) as storage:
        rows = source_rows(config, storage, now)
    if args.json:
        print(json.dumps(rows_json(rows), ensure_ascii=False, indent=2))
    else:
        print(format_table(rows, now))
    return 0


def cmd_config_schema(args: argparse.Namespace) -> int:
    from .schema import config_schema

    print(json.dumps(config_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    from .opml import import_opml

    report = import_opml(
        Path(args.config),
        Path(args.file),
        interval=args.interval,
        topic=args.topic,
        topic_title=args.topic_title,
    )
    for item in report.added:
        print(f"added {item['id']}: {item['url']}")
    for reason in report.skipped:
        print(f"skipped {reason}")
    if report.written is None:
        print("nothing to add: the config is unchanged")
    elif report.comments_kept:
        print(f"updated {report.written} ({len(report.added)} source(s) added, comments kept)")
    else:
        print(
            f"wrote {report.written}: {args.config} could not be edited in place "
            f"(its sources: list is not a block list), so the full config with the new "
            f"sources went to this new file, without comments; {args.config} is unchanged"
        )
    if report.added and not args.topic:
        print("note: add the new source ids to a topic's sources to publish them (or --topic)")
    return 0


def add_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    def address(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="address to listen on (default: serve.host, 127.0.0.1)")
        p.add_argument(
            "--port", type=int, help="port (default: serve.port, 8080; 0 = any free port)"
        )

    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the topic feeds over HTTP (ETag/304, gzip, /healthz, /metrics, /opml)",
    )
    address(serve)
    serve.set_defaults(func=cmd_serve)

    daemon = sub.choices["daemon"]
    daemon.add_argument(
        "--serve", action="store_true", help="also serve the feeds over HTTP from this process"
    )
    address(daemon)
    daemon.set_defaults(func=cmd_daemon)

    sources = sub.add_parser(
        "sources",
        parents=[common],
        help="print each source's schedule and health (last attempt, next due, errors…)",
    )
    sources.add_argument("--json", action="store_true", help="JSON instead of a table")
    sources.set_defaults(func=cmd_sources)

    schema = sub.add_parser(
        "config-schema", parents=[common], help="print the JSON Schema of the config file"
    )
    schema.set_defaults(func=cmd_config_schema)

    imp = sub.add_parser(
        "import-opml",
        parents=[common],
        help="add the feeds of an OPML file as sources of the config (comments kept)",
    )
    imp.add_argument("file", help="OPML file (e.g. a feed reader's export)")
    imp.add_argument("--interval", help="interval of the new sources (default: the config's 1h)")
    imp.add_argument("--topic", help="also add a new topic with this id, fed by the new sources")
    imp.add_argument("--topic-title", help="title of that topic (default: its id)")
    imp.set_defaults(func=cmd_import_opml)
