"""Date parsing for the formats we read; every result is timezone-aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# Chinese-language outlets date their datelines in Beijing time (新唐人 says so
# explicitly: 北京时间); a date-only dateline is taken as midnight there.
BEIJING = timezone(timedelta(hours=8))


def to_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (what YAML front matter with 'Z' gives)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(value: object) -> datetime | None:
    """Parse a front-matter or feed date: datetime, date, ISO 8601 or RFC 2822 text."""
    if value is None or value == "":
        return None
    try:  # OverflowError: 0001-01-01T00:00+01:00 and the like have no UTC equivalent
        if isinstance(value, datetime):
            return to_utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
    except OverflowError:
        return None
    text = str(value).strip()
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        pass
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_CJK_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def parse_cjk_date(text: str) -> datetime | None:
    """``2021年6月16日`` → 2021-06-16T00:00+08:00 in UTC."""
    m = _CJK_DATE.search(text)
    if not m:
        return None
    try:
        local = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=BEIJING)
    except ValueError:
        return None
    return local.astimezone(UTC)


def format_iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None
