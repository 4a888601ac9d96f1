"""Read local article folders: Hexo posts, goodnews mirror pages, Jekyll ``_posts``.

The three formats, as news-mirror repositories publish them:

* **hexo** – YAML front matter (title, date, author, categories, headimg), HTML
  or Markdown body.
* **jekyll** – YAML front matter with ``layout``/``from`` (feedx): title, date,
  author, ``from`` = the original article URL, tags.
* **goodnews** – no front matter: ``### title`` on the first line and a
  ``-----`` underline, then a Markdown/HTML mix.  Link, outlet and date live in
  the body (``原文地址`` line, 【outlet date】 dateline); the cleaner's rules find
  them, so this module only splits title from body.

An item's key is its path relative to the source folder (POSIX separators), so
ids are the same on every machine that checks out the same mirror.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..dates import parse_date
from ..errors import ParseError, SourceError
from ..types import RawItem
from . import CollectResult, frontmatter

FORMATS = ("hexo", "goodnews", "jekyll")
# libyaml's safe loader parses front matter 7x faster than the pure-Python one
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Set to False to read all front matter with yaml.load (tests compare the two this way);
# frontmatter.load is checked equal to the C loader, so only used when that is the loader.
FAST_FRONT_MATTER = _YAML_LOADER is not yaml.SafeLoader
# Files larger than this are not articles (and would be slow to clean); skip with an error.
MAX_FILE_BYTES = 5_000_000

_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
_GOODNEWS_TITLE = re.compile(
    r"\A\s*###[ \t]+(.+?)[ \t]*\r?\n(?:[ \t]*-{3,}[ \t]*\r?\n)?(.*)\Z", re.S
)


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    return tuple(s.strip() for s in str(value).split(",") if s.strip())


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def detect_format(text: str) -> str | None:
    """Which of the three local formats ``text`` is in, or None."""
    m = _FRONT_MATTER.match(text)
    if m:
        head = m.group(1)
        if re.search(r"^(from|layout)\s*:", head, re.M):
            return "jekyll"
        return "hexo"
    if _GOODNEWS_TITLE.match(text):
        return "goodnews"
    return None


def parse_article(text: str, *, source_id: str, key: str, fmt: str = "auto") -> RawItem:
    """Parse one article file's text.

    Raises:
        ParseError: the text is in no known format, or its front matter is broken.
    """
    where = f"{key}"
    detected = detect_format(text)
    if fmt == "auto":
        if detected is None:
            raise ParseError(
                source_id,
                f"{where}: not a recognised article (no front matter and no '### title' line)",
            )
        fmt = detected
    if fmt == "goodnews":
        m = _GOODNEWS_TITLE.match(text)
        if not m:
            raise ParseError(source_id, f"{where}: goodnews page without a '### title' first line")
        return RawItem(
            source_id=source_id,
            key=key,
            format="goodnews",
            title=m.group(1).strip(),
            content=m.group(2),
            content_type="markdown",
        )
    m = _FRONT_MATTER.match(text)
    if not m:
        raise ParseError(source_id, f"{where}: {fmt} post without '---' front matter")
    try:
        # flat "key: value" front matter without PyYAML's per-scalar nodes (same result)
        meta = frontmatter.load(m.group(1)) if FAST_FRONT_MATTER else None
        if meta is None:
            meta = yaml.load(m.group(1), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ParseError(source_id, f"{where}:{line}: malformed front matter: {problem}") from None
    except ValueError as exc:
        # YAML's constructors raise plain ValueError for a scalar that matches a type but
        # cannot be built (date: 2026-02-30): one bad post, not a failed folder
        raise ParseError(source_id, f"{where}: malformed front matter: {exc}") from None
    if not isinstance(meta, dict):
        raise ParseError(source_id, f"{where}: front matter is not a mapping of keys")
    title = _str(meta.get("title"))
    if not title:
        raise ParseError(source_id, f"{where}: front matter has no title")
    date_value = meta.get("date")
    published = parse_date(date_value)
    if date_value not in (None, "") and published is None:
        raise ParseError(source_id, f"{where}: front matter date {date_value!r} is not a date")
    author = _str(meta.get("author"))
    link = _str(meta.get("from")) or _str(meta.get("link")) or _str(meta.get("url"))
    if link and not link.startswith(("http://", "https://")):
        link = None
    outlet = author or host_of(link)
    categories = _as_list(meta.get("categories")) + tuple(
        t for t in _as_list(meta.get("tags")) if t not in _as_list(meta.get("categories"))
    )
    return RawItem(
        source_id=source_id,
        key=key,
        format=fmt,
        title=title,
        content=m.group(2),
        content_type="markdown",
        link=link,
        author=author,
        outlet=outlet,
        published=published,
        updated=parse_date(meta.get("updated")),
        categories=categories,
        image=_str(meta.get("headimg")) or _str(meta.get("thumbnail")) or _str(meta.get("image")),
    )


def read_article(
    path: Path, *, source_id: str = "file", key: str | None = None, fmt: str = "auto"
) -> RawItem:
    """Read and parse one article file.

    Raises:
        ParseError: unreadable, too large, not UTF-8, or not an article.
    """
    key = key or path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(source_id, f"{path}: file is {size} bytes (limit {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(source_id, f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source_id, f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return parse_article(text, source_id=source_id, key=key, fmt=fmt)
    except ParseError as exc:
        raise ParseError(source_id, exc.message.replace(key, str(path), 1)) from None


# A file whose stat was recorded less than this after its modification time could
# change again within the file system's timestamp granularity (2 s on FAT) without
# its stat changing ("racily clean", as git calls it): it is read again.
RACY_NS = 2_000_000_000

# key → (mtime_ns, size, when that stat was taken (ns), how the folder was read)
FileStats = Mapping[str, tuple[int, int, int, str]]


def reading(root: Path, pattern: str, fmt: str) -> str:
    """What else decides a file's item: another folder, glob or format reads anew."""
    return f"{root.resolve()}|{pattern}|{fmt}"


def collect_local(
    source_id: str,
    root: Path,
    pattern: str = "**/*.md",
    fmt: str = "auto",
    known: FileStats | None = None,
) -> CollectResult:
    """Read every file under ``root`` matching ``pattern``.

    ``known``: the stats recorded when files were last stored; a file with the same
    modification time and size is not read again (a news-mirror folder holds
    thousands of posts, of which a run typically finds a handful new).
    A missing folder is one error for the source; a bad file is one error for
    that file and the others are still read.
    """
    if not root.is_dir():
        return CollectResult(
            source_id, errors=(SourceError(source_id, f"folder not found: {root}"),)
        )
    items: list[RawItem] = []
    errors: list[SourceError] = []
    files: list[tuple[str, int, int, int]] = []
    unchanged: list[str] = []
    how = reading(root, pattern, fmt)
    for path in sorted(root.glob(pattern)):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        key = path.relative_to(root).as_posix()
        taken = time.time_ns()  # before the stat: a later write must look newer
        try:
            st = path.stat()
        except OSError:
            st = None  # read_article reports it
        seen = known.get(key) if known and st else None
        if (
            st
            and seen
            and seen[:2] == (st.st_mtime_ns, st.st_size)
            and seen[2] - seen[0] > RACY_NS
            and seen[3] == how
        ):
            unchanged.append(key)
            continue
        try:
            items.append(read_article(path, source_id=source_id, key=key, fmt=fmt))
        except ParseError as exc:
            errors.append(exc)
            continue
        if st:
            files.append((key, st.st_mtime_ns, st.st_size, taken))
    return CollectResult(
        source_id,
        items=tuple(items),
        errors=tuple(errors),
        files=tuple(files),
        unchanged=tuple(unchanged),
        reading=how,
    )
