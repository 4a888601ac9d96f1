"""Cleaning: raw article content → boilerplate-free, repaired, sanitized HTML and text.

Entry point :func:`clean`.  Stages, in order (each is its own module):

``lines`` (raw Markdown lines: nav, promo headings, share footer, 原文地址)
→ Markdown rendered to HTML → ``tree`` (selectors, patterns, unwrapping,
image/URL repair) → ``sanitize`` (always last).

The tree stage has two implementations of the same rules: ``fasttree`` (on the
small ``dom`` tree, used whenever it models the article's markup and the pack's
selectors) and ``tree`` (bs4, the reference, used for everything else and when
``reference=True``).  ``tests/test_clean_equal.py`` holds them to identical output.

Both the Markdown step and ``dom`` read HTML with ``tokens``, a strict regex
tokenizer that gives ``html.parser``'s events for the markup it models and declines
the rest (``html.parser`` then runs as before); ``mdhtml`` is Python-Markdown with
its raw-HTML step on it and placeholder-only pages serialized directly.
``tests/test_clean_tokens.py`` holds them to ``html.parser`` and plain
Python-Markdown, and to identical ``Cleaned`` results with all of them turned off.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..types import Cleaned, RawItem, Removal
from .dom import Unsupported
from .fasttree import FastTreeCleaner
from .gcpause import collector_paused
from .learn import Learned, LearnSettings, learn, learn_group
from .lines import clean_lines
from .mdhtml import fast_markdown
from .rules import RulePack, builtin_pack, pack_for
from .sanitize import html_to_text, html_to_text_reference, sanitize, sanitize_text
from .tree import TreeCleaner, clean_url

__all__ = [
    "clean",
    "clean_many",
    "Reuse",
    "group_of",
    "LearnSettings",
    "RulePack",
    "builtin_pack",
    "pack_for",
    "sanitize",
    "sanitize_text",
    "clean_url",
]


# Python-Markdown with the shortcuts of ``mdhtml`` (the raw-HTML step on the strict
# tokenizer, the serializing of placeholder-only pages; same output, the original
# code for anything they do not model).
_MARKDOWN = fast_markdown()


def _render(raw_text: str, content_type: str) -> str:
    if content_type == "markdown":
        # one converter, reset per document, instead of building one per call
        return _MARKDOWN.reset().convert(raw_text)
    if content_type == "html":
        return raw_text
    paragraphs = [p.strip() for p in raw_text.split("\n\n") if p.strip()]
    return "".join(f"<p>{htmllib.escape(p)}</p>" for p in paragraphs)


MAX_NESTING = 200
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def nesting_depth(html: str) -> int:
    """Deepest element nesting of ``html``, counted on its tags (linear, no tree)."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


@dataclass
class _Prepared:
    """One article up to the learned-boilerplate step, ready to be finished (maybe twice)."""

    raw: RawItem
    pack: RulePack
    base: str | None
    link: str | None
    removed: list[Removal]
    rendered: str
    fast: FastTreeCleaner | None  # None: the bs4 reference cleaner does the tree stage


def _prepare(raw: RawItem, pack: RulePack | None, reference: bool) -> _Prepared:
    pack = pack or builtin_pack(raw.format)
    text = raw.content
    link: str | None = None
    removed: list[Removal] = []
    if raw.content_type == "markdown":
        text, link, removed = clean_lines(text, pack)
    base = raw.link or link
    pack = pack.for_host(urlsplit(base).hostname if base else None)
    rendered = _render(text, raw.content_type)
    # Each level needs its own "<", so a document with few of them needs no count.
    if rendered.count("<") > MAX_NESTING and nesting_depth(rendered) > MAX_NESTING:
        # The tree stage recurses per level and slows quadratically with depth; no
        # article nests this deep, so keep its text only (the sanitizer is linear).
        rendered = _render(sanitize_text(rendered), "text")
        removed.append(Removal("too-deeply-nested", f"markup nested over {MAX_NESTING} levels"))
    fast: FastTreeCleaner | None = None
    if not reference:
        fast = FastTreeCleaner(pack, raw.title, base)
        try:
            if fast.supported:
                fast.prepare(rendered)
            else:
                fast = None
        except Unsupported:
            fast = None
    return _Prepared(raw, pack, base, link, removed, rendered, fast)


def _finish(prep: _Prepared, learned: Learned | None, keep: bool = False) -> Cleaned:
    """The rest of cleaning with ``learned``; ``keep`` lets ``prep`` be finished again."""
    pack, fast = prep.pack, prep.fast
    if fast is not None:
        tree_html, tree_removed = fast.finish(learned, keep)
        out = sanitize(tree_html)
        text = html_to_text(out)
        meta: FastTreeCleaner | TreeCleaner = fast
    else:
        cleaner = TreeCleaner(pack, prep.raw.title, prep.base, learned)
        out = sanitize(str(cleaner.run(prep.rendered)))
        text = html_to_text_reference(out)
        tree_removed, meta = cleaner.removed, cleaner
    return Cleaned(
        html=out,
        text=text,
        link=clean_url(prep.link, pack) if prep.link else None,
        outlet=meta.outlet,
        wire=meta.wire,
        published=meta.date,
        removed=tuple(prep.removed + tree_removed),
        blocks=meta.block_keys,
    )


class Reuse:
    """Carries one article's prepared tree from one :func:`clean` call to the next.

    The first call with a fresh ``Reuse`` parses and rule-cleans the article and keeps
    the result; a later call with the same ``Reuse`` (and the same raw item and pack)
    only redoes the learned drops and what follows them.  This is how
    ``clean_many``'s second pass avoids parsing an article again.
    """

    __slots__ = ("prepared", "final")

    def __init__(self) -> None:
        self.prepared: _Prepared | None = None
        # the next call is the last: it may finish the prepared tree itself, not a copy
        self.final = False


def clean(
    raw: RawItem,
    pack: RulePack | None = None,
    learned: Learned | None = None,
    *,
    reference: bool = False,
    reuse: Reuse | None = None,
) -> Cleaned:
    """Clean one raw item with its format's rules (or ``pack``) and, when given, the
    boilerplate learned for its source.  ``reference`` forces the bs4 tree stage
    (the slow original, kept to check the fast one against)."""
    if reuse is None:
        return _finish(_prepare(raw, pack, reference), learned)
    if reuse.prepared is None:
        reuse.prepared = _prepare(raw, pack, reference)
    if reuse.final:
        prepared, reuse.prepared = reuse.prepared, None
        return _finish(prepared, learned)
    return _finish(reuse.prepared, learned, keep=True)


DEFAULT_LEARN = LearnSettings()
History = Callable[[str, frozenset[str]], list[tuple[str, tuple[str, ...]]]]


def group_of(raw: RawItem, cleaned: Cleaned) -> str:
    return learn_group(raw.source_id, raw.link or cleaned.link, raw.outlet or cleaned.outlet)


def clean_many(
    raws: Sequence[RawItem],
    pack_of: Callable[[RawItem], RulePack],
    settings: LearnSettings = DEFAULT_LEARN,
    history: History | None = None,
    on_error: Callable[[RawItem, Exception], None] | None = None,
    *,
    reference: bool = False,
) -> list[Cleaned | None]:
    """Clean a batch of one source's items, learning its boilerplate (two passes).

    ``history(group, exclude_ids)`` returns the group's stored recent articles as
    ``(sort key, block keys)`` pairs, so feeds learn incrementally; a local
    folder's batch is all its files, so it learns on the first run.  An item
    whose cleaning raises is passed to ``on_error`` and comes back as None
    (the others go on); without ``on_error`` the exception propagates.

    Each article is parsed and rule-cleaned once: the second pass only redoes the
    learned drops and what follows them, on the first pass's prepared tree.  On the
    fast tree stage, learning is done between preparing and finishing, so each
    article is finished once (``_clean_many_deferred``; same results).

    The cycle collector is paused for the batch (``gcpause``: the trees it would scan
    are freed by reference counting).
    """
    with collector_paused():
        return _clean_many(raws, pack_of, settings, history, on_error, reference=reference)


def _clean_many(
    raws: Sequence[RawItem],
    pack_of: Callable[[RawItem], RulePack],
    settings: LearnSettings,
    history: History | None,
    on_error: Callable[[RawItem, Exception], None] | None,
    *,
    reference: bool,
) -> list[Cleaned | None]:
    if settings.enabled and not reference:
        try:
            return _clean_many_deferred(raws, pack_of, settings, history)
        except Exception:  # noqa: BLE001, S110 - redone below, which reports it as it should
            pass
    batch_ids = frozenset(r.id for r in raws)
    # What the stored history already teaches, for items whose group is known before
    # cleaning (a feed item's link or outlet): they are cleaned once with it, and only
    # cleaned again below if this batch changes what counts as boilerplate for them.
    prior: dict[str, Learned] = {}
    prior_of: list[Learned | None] = []
    for raw in raws:
        group = learn_group(raw.source_id, raw.link, raw.outlet) if raw.link or raw.outlet else ""
        if group and history and settings.enabled and group not in prior:
            prior[group] = learn(group, [k for _, k in sorted(history(group, batch_ids))], settings)
        prior_of.append(prior.get(group))
    first: list[Cleaned | None] = []
    reuse = [Reuse() if settings.enabled else None for _ in raws]
    for raw, known, again in zip(raws, prior_of, reuse, strict=True):
        try:
            first.append(clean(raw, pack_of(raw), known, reference=reference, reuse=again))
        except Exception as exc:  # a cleaner bug on one article must not stop the batch
            if on_error is None:
                raise
            on_error(raw, exc)
            first.append(None)
    if not settings.enabled:
        return first
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(first):
        if c is not None:
            groups.setdefault(group_of(raws[i], c), []).append(i)
    out = list(first)
    for group, idxs in groups.items():
        past = history(group, batch_ids) if history else []
        now = [(_sort_key(raws[i]), c.blocks) for i in idxs if (c := first[i]) is not None]
        recent = [keys for _, keys in sorted(past + now)]
        learned = learn(group, recent, settings)
        for i in idxs:
            c, known = first[i], prior_of[i]
            used = known.boilerplate if known is not None else frozenset()
            # clean again only where the final boilerplate differs from what was applied
            if c is not None and (learned.boilerplate ^ used).intersection(c.blocks):
                out[i] = clean(
                    raws[i], pack_of(raws[i]), learned, reference=reference, reuse=reuse[i]
                )
    return out


@dataclass
class _Deferred:
    """What learning reads of an article whose finishing is put off: its group's
    parts and its block keys (all known once the article is prepared)."""

    link: str | None
    outlet: str | None
    blocks: tuple[str, ...]


def _clean_many_deferred(
    raws: Sequence[RawItem],
    pack_of: Callable[[RawItem], RulePack],
    settings: LearnSettings,
    history: History | None,
) -> list[Cleaned | None]:
    """``clean_many``'s result, with each fast-path article finished once.

    The two-pass way finishes every article with what was known before the batch,
    learns from the batch, and finishes again the articles whose boilerplate changed
    (half of a fresh folder): the first finishing of those is thrown away.  Learning
    only reads an article's block keys, link and outlet, which are known after
    ``_prepare``, so here the articles are prepared, the batch is learned from, and
    each article is finished once, with what the two-pass way would have finished it
    with last.  Finishing a prepared tree is the same whether it is done on the tree
    or on a copy, so each result is the two-pass one.

    Any exception, anywhere, propagates: ``clean_many`` then cleans the batch the
    two-pass way, where a failing article is reported, and left out of learning, as it
    always was.
    """
    batch_ids = frozenset(r.id for r in raws)
    prior: dict[str, Learned] = {}
    prior_of: list[Learned | None] = []
    for raw in raws:
        group = learn_group(raw.source_id, raw.link, raw.outlet) if raw.link or raw.outlet else ""
        if group and history and group not in prior:
            prior[group] = learn(group, [k for _, k in sorted(history(group, batch_ids))], settings)
        prior_of.append(prior.get(group))
    reuse = [Reuse() for _ in raws]
    first: list[Cleaned | _Deferred] = []
    for raw, known, again in zip(raws, prior_of, reuse, strict=True):
        prep = again.prepared = _prepare(raw, pack_of(raw), False)
        if prep.fast is None:  # the bs4 tree stage reads the text only when finishing
            first.append(_finish(prep, known, keep=True))
        else:
            link = clean_url(prep.link, prep.pack) if prep.link else None
            first.append(_Deferred(link, prep.fast.outlet, prep.fast.block_keys))
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(first):
        raw = raws[i]
        group = learn_group(raw.source_id, raw.link or c.link, raw.outlet or c.outlet)
        groups.setdefault(group, []).append(i)
    final: list[Learned | None] = list(prior_of)  # what each article is finished with
    again_after: set[int] = set()  # finished once already, and again now
    for group, idxs in groups.items():
        past = history(group, batch_ids) if history else []
        now = [(_sort_key(raws[i]), first[i].blocks) for i in idxs]
        recent = [keys for _, keys in sorted(past + now)]
        learned = learn(group, recent, settings)
        for i in idxs:
            known = prior_of[i]
            used = known.boilerplate if known is not None else frozenset()
            if (learned.boilerplate ^ used).intersection(first[i].blocks):
                final[i] = learned
                again_after.add(i)
    out: list[Cleaned | None] = []
    for i, (raw, c) in enumerate(zip(raws, first, strict=True)):
        if isinstance(c, Cleaned) and i not in again_after:
            out.append(c)
            continue
        reuse[i].final = True
        out.append(clean(raw, pack_of(raw), final[i], reuse=reuse[i]))
    return out


def _sort_key(raw: RawItem) -> str:
    return f"{raw.published.isoformat() if raw.published else ''}\0{raw.id}"
