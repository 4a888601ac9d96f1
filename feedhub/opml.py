"""OPML 2.0: export the topic feeds (``/opml``), import feed sources (``feedhub import-opml``).

Import keeps the config file's comments: the new sources are inserted as text
at the end of the ``sources:`` block (in its indentation), and the result is
checked by parsing it — it must equal the old data plus the new sources and
validate as a config.  When the file's layout does not allow that (a flow-style
``sources: [...]``, no ``sources:`` key at the top level), the full config is
written to a new file next to it (``<name>.imported.yaml``, comments lost) and
the original is left untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from .config import Config, load_config, parse_config
from .errors import FeedhubError


class OpmlError(FeedhubError):
    pass


def export_opml(config: Config) -> bytes:
    """The topic feeds as OPML 2.0 (absolute URLs from ``base_url``)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "feedhub topics"
    body = ET.SubElement(root, "body")
    for t in config.topics:
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=t.title,
            title=t.title,
            xmlUrl=urljoin(config.base_url, f"{t.id}.atom"),
            htmlUrl=config.base_url,
        )
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    title: str
    url: str
    html_url: str | None = None


def read_opml(data: bytes, name: str = "<opml>") -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``, in document order (folders are flattened).

    Raises:
        OpmlError: not XML, or not OPML.
    """
    if b"<!ENTITY" in data[:65536].upper():
        raise OpmlError(f"{name}: declares XML entities; refusing to expand them")
    try:
        # expat fetches no external entities; entity declarations were refused above
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"{name}: not XML ({exc})") from None
    local = root.tag.rsplit("}", 1)[-1]
    if local.lower() != "opml":
        raise OpmlError(f"{name}: not OPML (root element <{local}>)")
    feeds = []
    for outline in root.iter():
        if outline.tag.rsplit("}", 1)[-1] != "outline":
            continue
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        title = (outline.get("title") or outline.get("text") or "").strip()
        feeds.append(OpmlFeed(title, url, outline.get("htmlUrl") or None))
    return feeds


def make_id(title: str, url: str, taken: set[str]) -> str:
    """A config id (``[a-z0-9][a-z0-9_-]*``) from the title, else the URL; unique in ``taken``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if not base:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        base = re.sub(r"[^a-z0-9]+", "-", f"{host} {parts.path}".lower()).strip("-")
    base = base[:56].strip("-") or "feed"
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


class _IndentedDumper(yaml.SafeDumper):
    """Indent nested lists under their key (``sources:\n  - a``), as the demo config does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def append_to_block(text: str, key: str, items: list[dict[str, Any]], comment: str = "") -> str:
    """Insert ``items`` as block-sequence entries at the end of the top-level ``key:`` list.

    Raises:
        ValueError: the file has no top-level ``key:`` block list to extend.
    """
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, ln in enumerate(lines) if re.match(rf"^{key}\s*:\s*(#.*)?$", ln.rstrip())),
        None,
    )
    if start is None:
        raise ValueError(f"no top-level block '{key}:' list")
    end = len(lines)
    for j in range(start + 1, len(lines)):
        ln = lines[j]
        if ln.strip() == "" or ln.startswith((" ", "\t", "#", "-")):
            continue
        end = j
        break
    last = end  # trailing blank lines and column-0 comments belong to what follows
    while last > start + 1 and (lines[last - 1].strip() == "" or lines[last - 1].startswith("#")):
        last -= 1
    indent = None
    for ln in lines[start + 1 : last]:
        m = re.match(r"^([ \t]*)-(\s|$)", ln)
        if m:
            indent = m.group(1)
            break
    if indent is None:
        raise ValueError(f"'{key}:' is not a block list")
    if lines[last - 1] and not lines[last - 1].endswith("\n"):
        lines[last - 1] += "\n"
    dumped = yaml.dump(
        items,
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    block = [indent + ln if ln.strip() else ln for ln in dumped.splitlines(keepends=True)]
    insert = ["\n"] + ([f"{indent}# {comment}\n"] if comment else []) + block
    lines[last:last] = insert
    return "".join(lines)


@dataclass
class ImportReport:
    added: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    written: Path | None = None
    comments_kept: bool = True


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_opml(
    config_path: Path,
    opml_path: Path,
    *,
    interval: str | None = None,
    topic: str | None = None,
    topic_title: str | None = None,
) -> ImportReport:
    """Add the OPML file's feeds (not already configured) as ``kind: feed`` sources.

    Raises:
        ConfigError: the config is invalid before, or would be after, the import.
        OpmlError: the OPML file is unreadable.
    """
    config = load_config(config_path)
    text = config_path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    try:
        feeds = read_opml(opml_path.read_bytes(), str(opml_path))
    except OSError as exc:
        raise OpmlError(f"{opml_path}: cannot read: {exc.strerror or exc}") from None
    report = ImportReport()
    known = {s.url for s in config.sources if s.url}
    taken = {s.id for s in config.sources}
    for f in feeds:
        if f.url in known:
            report.skipped.append(f"{f.url}: already configured")
            continue
        if urlsplit(f.url).scheme not in ("http", "https"):
            report.skipped.append(f"{f.url}: not an http(s) URL")
            continue
        known.add(f.url)
        item: dict[str, Any] = {"id": make_id(f.title, f.url, taken), "kind": "feed", "url": f.url}
        if f.title:
            item["title"] = f.title
        if interval:
            item["interval"] = interval
        report.added.append(item)
    if not report.added:
        return report
    if topic and any(t.id == topic for t in config.topics):
        raise OpmlError(f"topic {topic!r} already exists: choose a new topic id")
    new_topics = []
    if topic:
        ids = [i["id"] for i in report.added]
        new_topics.append({"id": topic, "title": topic_title or topic, "sources": ids})
    expected = dict(data)
    expected["sources"] = [*data["sources"], *report.added]
    if new_topics:
        expected["topics"] = [*data["topics"], *new_topics]
    # validate the outcome before writing anything (raises ConfigError)
    parse_config(expected, str(config_path), str(config_path.resolve().parent))
    try:
        new_text = append_to_block(text, "sources", report.added, f"imported from {opml_path.name}")
        if new_topics:
            new_text = append_to_block(new_text, "topics", new_topics)
        if yaml.safe_load(new_text) != expected:
            raise ValueError("the edited text does not parse to the expected data")
    except (ValueError, yaml.YAMLError):
        target = config_path.with_name(config_path.stem + ".imported.yaml")
        dumped = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=100)
        _write_atomic(target, dumped)
        report.written, report.comments_kept = target, False
        return report
    _write_atomic(config_path, new_text)
    report.written = config_path
    return report
