"""``feedhub sources``: each source's schedule and health, from the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .config import Config
from .storage import Storage

COLUMNS = ("id", "kind", "last attempt", "next due", "errors", "health", "items", "last error")


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    secs = (value - now).total_seconds()
    span = abs(secs)
    if span < 90:
        rel = f"{span:.0f}s"
    elif span < 5400:
        rel = f"{span / 60:.0f}m"
    elif span < 2 * 86400:
        rel = f"{span / 3600:.1f}h"
    else:
        rel = f"{span / 86400:.1f}d"
    rel = f"in {rel}" if secs > 0 else f"{rel} ago"
    return f"{value:%Y-%m-%d %H:%M:%S}Z ({rel})"


def health(errors: int, attempted: bool, unhealthy_after: int) -> str:
    if not attempted:
        return "new"
    if errors >= unhealthy_after:
        return "unhealthy"
    return "failing" if errors else "ok"


def source_rows(config: Config, storage: Storage, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for source in config.sources:
        st = storage.source_state(source.id)
        due = st.next_due
        rows.append(
            {
                "id": source.id,
                "kind": source.kind,
                "last_attempt": st.last_attempt,
                "last_success": st.last_success,
                "next_due": due,
                "due_now": due is None or due <= now,
                "due_reason": st.due_reason,
                "errors": st.error_count,
                "health": health(
                    st.error_count, st.last_attempt is not None, config.schedule.unhealthy_after
                ),
                "items": st.items,
                "last_status": st.last_status,
                "last_error": st.last_error,
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]], now: datetime, width: int = 60) -> str:
    cells = []
    for r in rows:
        due = "due now" if r["due_now"] else _when(r["next_due"], now)
        if r["due_reason"] and not r["due_now"]:
            due += f" [{r['due_reason']}]"
        err = " ".join((r["last_error"] or "").split())
        if len(err) > width:
            err = err[: width - 1] + "…"
        cells.append(
            (
                r["id"],
                r["kind"],
                _when(r["last_attempt"], now),
                due,
                str(r["errors"]),
                r["health"],
                str(r["items"]),
                err or "-",
            )
        )
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(COLUMNS)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(COLUMNS, widths, strict=True))]
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def rows_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows
    ]
