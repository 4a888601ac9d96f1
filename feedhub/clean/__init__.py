"""Cleaning: raw article content → boilerplate-free, repaired, sanitized HTML and text.

Entry point :func:`clean`.  Stages, in order (each is its own module):

``lines`` (raw Markdown lines: nav, promo headings, share footer, 原文地址)
→ Markdown rendered to HTML → ``tree`` (selectors, patterns, unwrapping,
image/URL repair) → ``sanitize`` (always last).
"""

from __future__ import annotations

import html as htmllib

import markdown

from ..types import Cleaned, RawItem, Removal
from .lines import clean_lines
from .rules import RulePack, builtin_pack, pack_for
from .sanitize import html_to_text, sanitize, sanitize_text
from .tree import TreeCleaner, clean_url

__all__ = [
    "clean",
    "RulePack",
    "builtin_pack",
    "pack_for",
    "sanitize",
    "sanitize_text",
    "clean_url",
]


def _render(raw_text: str, content_type: str) -> str:
    if content_type == "markdown":
        return markdown.markdown(raw_text, output_format="html")
    if content_type == "html":
        return raw_text
    paragraphs = [p.strip() for p in raw_text.split("\n\n") if p.strip()]
    return "".join(f"<p>{htmllib.escape(p)}</p>" for p in paragraphs)


def clean(raw: RawItem, pack: RulePack | None = None) -> Cleaned:
    """Clean one raw item with its format's rules (or ``pack``)."""
    pack = pack or builtin_pack(raw.format)
    text = raw.content
    link: str | None = None
    removed: list[Removal] = []
    if raw.content_type == "markdown":
        text, link, removed = clean_lines(text, pack)
    base = raw.link or link
    cleaner = TreeCleaner(pack, raw.title, base)
    soup = cleaner.run(_render(text, raw.content_type))
    out = sanitize(str(soup))
    return Cleaned(
        html=out,
        text=html_to_text(out),
        link=clean_url(link, pack) if link else None,
        outlet=cleaner.outlet,
        wire=cleaner.wire,
        published=cleaner.date,
        removed=tuple(removed + cleaner.removed),
    )
