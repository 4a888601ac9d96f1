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
        found = pack.first_search("link_patterns", line)
        if found:
            name, _, m = found
            link = link or m.group("url")
            removed.append(Removal(name, line.strip()))
        else:
            kept_idx.append(i)
    cut = len(lines)
    for i in kept_idx:
        found = pack.first_search("footer_start", lines[i])
        if found:
            cut = i
            footer = "\n".join(lines[j].strip() for j in kept_idx if j >= i and lines[j].strip())
            removed.append(Removal(found[0], footer))
            break
    out: list[str] = []
    for i in kept_idx:
        if i >= cut:
            break
        line = lines[i]
        found = pack.first_search("line_patterns", line)
        if found:
            removed.append(Removal(found[0], line.strip()))
            # keep a blank line so Markdown block structure around it is unchanged
            out.append("")
        else:
            out.append(line)
    return "\n".join(out), link, removed
