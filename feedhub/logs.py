"""Logging: one line per event, as text or as JSON lines (``--log-format json``).

Code logs an event with its context in ``extra``::

    log.info("d: 2 new", extra={"event": "source_collected", "source": "d", "new": 2})
    log.warning("source_error", extra={"source": "d", "error": "HTTP 500"})

The text format prints the message followed by the context as ``key=value``;
the JSON format prints one object per line with ``ts``, ``level``, ``logger``,
``event`` (``extra["event"]``, else the message itself), ``msg`` and the context.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message", "taskName"}
)


def context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _iso(created: float) -> str:
    ms = int((created % 1) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{ms:03d}Z"


def _plain(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = context(record)
        ctx.pop("event", None)
        line = f"{_iso(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        if ctx:
            line += " " + " ".join(f"{k}={_plain(v)}" for k, v in ctx.items() if v is not None)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        ctx = context(record)
        out: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": ctx.pop("event", None) or msg,
            "msg": msg,
        }
        for k, v in ctx.items():
            out.setdefault(k, v)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """feedhub's own handler (so a second setup replaces it and nothing else)."""


def setup_logging(
    fmt: str = "text", level: int = logging.ERROR, stream: TextIO | None = None
) -> None:
    """Replace the root handlers with one that writes ``fmt`` lines to ``stream`` (stderr)."""
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _Handler):  # ours from an earlier call; leave others' handlers
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own startup chatter is noise next to our events; keep its warnings
    logging.getLogger("uvicorn").setLevel(max(level, logging.WARNING))
    logging.getLogger("uvicorn.error").setLevel(max(level, logging.WARNING))
    # apscheduler logs every job run at INFO
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("httpcore").setLevel(max(level, logging.WARNING))
