"""The line stage: rules on raw source lines, before Markdown is rendered.

Mirror templates are line-shaped (a nav line, promo headings, a share footer
appended after the article), so they are cheapest and safest to match as raw
lines: once Markdown has turned them into HTML their shape is gone.
"""

from __future__ import annotations

from ..types import Removal
from .rules import RulePack


def clean_lines(text: str, pack: RulePack) -> tuple[str, str | None, list[Removal]]:
    """Drop boilerplate lines; return the remaining text, the original link, the removals.

    Order matters: link patterns are read first (the ``原文地址`` URL sits inside
    the footer), then the footer is cut, then single lines are dropped.
    """
    lines = text.splitlines()
    link: str | None = None
    removed: list[Removal] = []
    kept_idx: list[int] = []
    for i, line in enumerate(lines):
        matched = False
        for name, pattern in pack.link_patterns:
            m = pattern.search(line)
            if m:
                link = link or m.group("url")
                removed.append(Removal(name, line.strip()))
                matched = True
                break
        if not matched:
            kept_idx.append(i)
    cut = len(lines)
    for i in kept_idx:
        hit = next((n for n, p in pack.footer_start if p.search(lines[i])), None)
        if hit:
            cut = i
            footer = "\n".join(lines[j].strip() for j in kept_idx if j >= i and lines[j].strip())
            removed.append(Removal(hit, footer))
            break
    out: list[str] = []
    for i in kept_idx:
        if i >= cut:
            break
        line = lines[i]
        hit = next((n for n, p in pack.line_patterns if p.search(line)), None)
        if hit:
            removed.append(Removal(hit, line.strip()))
            # keep a blank line so Markdown block structure around it is unchanged
            out.append("")
        else:
            out.append(line)
    return "\n".join(out), link, removed
