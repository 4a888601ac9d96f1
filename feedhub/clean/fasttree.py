"""The tree stage on ``dom.Node`` trees: the same rules, in the same order, as ``tree.py``.

``tree.TreeCleaner`` (bs4) stays the reference: every step here mirrors its
method of the same name, and ``tests/test_clean_equal.py`` checks the two give
identical output.  The work is split in two so learning can reuse it:

* :meth:`FastTreeCleaner.prepare` runs steps 1–7 and takes the leaf-block keys
  (which never depend on what was learned);
* :meth:`FastTreeCleaner.finish` drops the learned boilerplate and runs steps
  8–9.  With ``keep=True`` it works on a copy, so ``clean_many``'s second pass
  finishes the same prepared tree again instead of parsing the article again.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..types import Removal
from . import dom
from .dom import Node, Text
from .learn import Learned, block_key
from .rules import RulePack
from .select import RuleIndex, compile_simple
from .tree import (
    _CJK_GAP,
    _KEEP_EMPTY,
    _LEAD_NL,
    _TRAIL_NL,
    _WS,
    BLOCK_TAGS,
    LINKISH,
    MAX_BOILERPLATE_BLOCK,
    _cut_matches,
    _is_pixel,
    _unproxy,
    clean_url,
    find_dateline,
    find_wire,
    mostly_linked,
    norm_text,
)

_BLOCK_OR_BR = BLOCK_TAGS | {"br"}
_LINKISH = frozenset(LINKISH)
_IMG = frozenset(("img",))
_A_IMG = frozenset(("a", "img"))
_MEDIA = _KEEP_EMPTY - {"br", "hr"}
_RAW_TEXT = dom.RAW_TEXT


def _describe(el: Node, text: str) -> str:
    """``tree._describe`` for a ``Node`` whose normalized text is ``text``."""
    if text:
        return text[:200]
    attrs = " ".join(
        f'{k}="{v if isinstance(v, str) else " ".join(v)}"' for k, v in el.attrs.items()
    )
    return f"<{el.name} {attrs}>"[:200]


class Selectors:
    """A pack's remove/unwrap selectors as ``Node`` matchers (``ok`` False: not all
    of them are simple enough, the bs4 cleaner must run)."""

    def __init__(self, pack: RulePack) -> None:
        self.remove = RuleIndex()
        self.unwrap = RuleIndex()
        self.ok = True
        for rules, index in (
            (pack.remove_selectors, self.remove),
            (pack.unwrap_selectors, self.unwrap),
        ):
            for name, css in rules:
                parts = compile_simple(css)
                if parts is None:
                    self.ok = False
                    return
                index.add(name, parts)


def selectors_of(pack: RulePack) -> Selectors:
    """The pack's compiled matchers, cached on the pack (packs are themselves cached)."""
    cached = pack._compiled.get("<fast selectors>")
    if not isinstance(cached, Selectors):
        cached = pack._compiled["<fast selectors>"] = Selectors(pack)
    return cached


class FastTreeCleaner:
    """Applies a :class:`RulePack` to one article's HTML; collects what it removed."""

    def __init__(self, pack: RulePack, title: str, base: str | None) -> None:
        self.pack = pack
        self.title = norm_text(title)
        self.base = base
        self.selectors = selectors_of(pack)
        self.block_keys: tuple[str, ...] = ()
        self.removed: list[Removal] = []
        self.outlet: str | None = None
        self.wire: str | None = None
        self.date: datetime | None = None
        self.root = Node("[document]", {}, None)
        self._leaves: list[tuple[Node, str, str]] = []  # (leaf block, key, text)
        # Normalized text per element: steps 2, 4, 5, 7 and the keys each read every
        # block's text, which rarely changes in between (see _forget).
        self._texts: dict[Node, str] = {}
        # Raw (unnormalized) text per element, built from its children's: the root's
        # text, read first, fills it for every element in one pass, where reading
        # each block's text on its own walks nested blocks again and again.
        self._raws: dict[Node, str] = {}
        # All elements of ``self.root`` in document order, while its structure is
        # unchanged: most steps walk the tree for some tag names and most articles
        # lose no element between two of them, so the walk is done once and filtered.
        # Anything that adds, moves or takes out an element of the tree sets it to
        # None (_drop, _drop_runs, the unwrapping, _urls, _prune); text and attribute
        # changes leave it.
        self._all: list[Node] | None = None

    @property
    def supported(self) -> bool:
        return self.selectors.ok

    def _text(self, el: Node) -> str:
        text = self._texts.get(el)
        if text is None:
            # a <script>/<style> reads its raw text; ``_raw`` gives what it adds to the
            # text of the elements around it: nothing (bs4 skips Script strings there)
            raw = el.raw if el.name in _RAW_TEXT else self._raw(el)
            text = self._texts[el] = norm_text(raw)
        return text

    def _raw(self, el: Node) -> str:
        """``dom.text(el)``, from the cached raw texts of the elements inside it."""
        raws = self._raws
        raw = raws.get(el)
        if raw is not None:
            return raw
        todo = [el]  # post-order without recursion: an element after its children
        while todo:
            node = todo[-1]
            missing = [c for c in node.children if type(c) is Node and c not in raws]
            if missing:
                todo.extend(missing)
                continue
            todo.pop()
            raws[node] = "".join([raws[c] if isinstance(c, Node) else c for c in node.children])
        return raws[el]

    def _elements(self, root: Node, names: frozenset[str] | None = None) -> list[Node]:
        """``dom.elements(root, names)``, from the cached walk when ``root`` is the tree's.

        A fresh list each call, as ``dom.elements`` gives (callers iterate it while
        taking elements out).
        """
        if root is not self.root:
            return dom.elements(root, names)
        every = self._all
        if every is None:
            every = self._all = dom.elements(root)
        if names is None:
            return every[:]
        return [el for el in every if el.name in names]

    def _forget(self, el: Node | None) -> None:
        """The text inside ``el`` changed: drop the cached text of it and its ancestors
        (only they hold that text; unwrapping and smoothing change no element's text)."""
        while el is not None:
            self._texts.pop(el, None)
            self._raws.pop(el, None)
            el = el.parent

    def _drop(self, el: Node, rule: str, removed: list[Removal]) -> None:
        removed.append(Removal(rule, _describe(el, self._text(el))))
        self._forget(el)
        self._all = None
        dom.decompose(el)

    def prepare(self, html: str) -> None:
        """Steps 1–7 and the leaf-block keys.

        Raises:
            dom.Unsupported: use ``tree.TreeCleaner`` for this article.
        """
        root = self.root = dom.parse(html)
        self._images(root)
        self._metadata(root)
        if self.selectors.remove.names:
            first = self.selectors.remove.first
            for el in self._elements(root):
                if el.dead:
                    continue
                hit = first(el)
                if hit is not None:
                    self._drop(el, hit, self.removed)
        self._related_lists(root)
        self._block_patterns(root)
        if self.selectors.unwrap.names:
            first = self.selectors.unwrap.first
            wrapped = [el for el in self._elements(root) if first(el) is not None]
            for el in wrapped:
                if el.name in _RAW_TEXT and el.raw:
                    # bs4 would move the Script string out into an element that does
                    # not read it as text and prints it escaped: not modelled
                    raise dom.Unsupported("unwrapped raw text")
            if wrapped:
                self._all = None
            for el in wrapped:
                dom.unwrap(el)
        dom.smooth(root)
        self._title_repeat(root)
        self._keys(root)
        self._texts = {}  # the prepared tree is kept for finish: keep only what it needs
        self._raws = {}

    def finish(self, learned: Learned | None, keep: bool = False) -> tuple[str, list[Removal]]:
        """Learned drops and steps 8–9: (serialized HTML, all removals).

        ``keep`` leaves the prepared tree as it is (the work is done on a copy).
        """
        removed = list(self.removed)
        root, leaves = self.root, self._leaves
        drop = [
            (block, learned.reason(key))
            for block, key, text in leaves
            if learned is not None and key in learned.boilerplate and text != self.title
        ]
        if keep:
            new_root = dom.copy(root)
            if drop:
                twin = dict(zip(map(id, dom.elements(root)), dom.elements(new_root), strict=True))
                drop = [(twin[id(block)], reason) for block, reason in drop]
            root = new_root
        for block, reason in drop:
            if not block.dead:
                self._drop(block, reason, removed)
        self._texts = {}  # filled by the learned drops' descriptions, on this copy only
        self._raws = {}
        self._urls(root)
        self._prune(root)
        self._join_runs(root)
        # ``root`` is this call's own: the prepared tree itself, or (``keep``) its copy
        return dom.serialize(root, release=True), removed

    # 1
    def _images(self, root: Node) -> None:
        for img in self._elements(root, _IMG):
            attrs = img.attrs
            for attr in self.pack.lazy_image_attrs:
                value = attrs.get(attr)
                if isinstance(value, str) and value.strip():
                    attrs["src"] = value.strip()
                    break
            src = attrs.get("src")
            if isinstance(src, str):
                attrs["src"] = _unproxy(src.strip(), self.pack)
            if _is_pixel(img):
                self._drop(img, "common.tracking-pixel", self.removed)

    # 2
    def _metadata(self, root: Node) -> None:
        found = find_dateline(self.pack, self._text(root))
        if found:
            self.outlet, self.date = found
        if not self.pack.wire_patterns:
            return
        wire = find_wire(self.pack, (self._text(b) for b in self._elements(root, BLOCK_TAGS)))
        if wire is not None:
            self.wire = wire

    # 4
    def _link_only(self, el: Node, text: str | None = None) -> bool:
        text = self._text(el) if text is None else text
        if not text:
            return False
        linked = "".join(
            self._text(a)
            for a in dom.elements(el, _LINKISH)
            if a.name != "span" or a.attrs.get("href")
        )
        return mostly_linked(text, linked)

    def _related_lists(self, root: Node) -> None:
        for name, pattern in self.pack.related_labels:
            for block in self._elements(root, BLOCK_TAGS):
                if block.dead:
                    continue
                text = self._text(block)
                m = pattern.match(text)
                if not m or len(text) > MAX_BOILERPLATE_BLOCK:
                    continue
                rest = text[m.end() :].strip()
                if rest and not self._link_only(block, rest):
                    continue
                sibling = dom.next_sibling_element(block)
                self._drop(block, name, self.removed)
                while (
                    sibling is not None and sibling.name in BLOCK_TAGS and self._link_only(sibling)
                ):
                    nxt = dom.next_sibling_element(sibling)
                    self._drop(sibling, name, self.removed)
                    sibling = nxt

    # 5
    def _block_patterns(self, root: Node) -> None:
        if not self.pack.block_patterns:
            return
        for block in reversed(self._elements(root, BLOCK_TAGS)):
            if block.dead:
                continue
            text = self._text(block)
            found = self.pack.first_search("block_patterns", text)
            if found is None:
                continue
            name, pattern, _ = found
            if len(text) <= MAX_BOILERPLATE_BLOCK:
                self._drop(block, name, self.removed)
            else:
                self._drop_runs(block, name, pattern)

    def _drop_runs(self, block: Node, name: str, pattern: re.Pattern[str]) -> None:
        # A text node taken out here is skipped later (bs4: its parent is None); one
        # inside an element taken out keeps its parent and is still looked at.
        # bs4 looks at the raw text of a <script>/<style> too; where the pattern finds
        # something in one, what it does with it is not modelled.
        if dom.holds_raw(self.root):
            for el in dom.elements(block, _RAW_TEXT):
                if el.raw and pattern.search(norm_text(el.raw)):
                    raise dom.Unsupported("pattern in raw text")
        gone: set[int] = set()
        for parent, node in list(dom.strings(block)):
            if id(node) in gone or not pattern.search(norm_text(node)):
                continue
            siblings = parent.children
            self._forget(parent)
            if len(node) > MAX_BOILERPLATE_BLOCK:
                kept, cut = _cut_matches(node, pattern)
                self.removed.append(Removal(name, norm_text(cut)[:200]))
                siblings[dom.index(siblings, node)] = Text(kept)
                gone.add(id(node))
                continue
            i = dom.index(siblings, node)
            j = i + 1
            while j < len(siblings):
                sib = siblings[j]
                if type(sib) is Node and sib.name in _BLOCK_OR_BR:
                    break
                j += 1
            run = siblings[i:j]
            removed = norm_text("".join(dom.text(r) if isinstance(r, Node) else r for r in run))
            self.removed.append(Removal(name, removed[:200]))
            del siblings[i:j]
            self._all = None
            for r in run:
                if type(r) is Node:
                    r.parent = None
                else:
                    gone.add(id(r))

    # 7
    def _title_repeat(self, root: Node) -> None:
        if not self.title:
            return
        for el in self._elements(root):
            text = self._text(el)
            if not text:
                continue
            if text == self.title and (el.name in BLOCK_TAGS or el.name == "a"):
                self._drop(el, "title-repeat", self.removed)
            return

    # 7b (the keys; the drops are in finish)
    def _keys(self, root: Node) -> None:
        blocks = self._elements(root, BLOCK_TAGS)
        inner: set[int] = set()
        for block in blocks:
            parent = block.parent
            while parent is not None and id(parent) not in inner:
                if parent.name in BLOCK_TAGS:
                    inner.add(id(parent))
                parent = parent.parent
        keys: list[str] = []
        for block in blocks:
            if id(block) in inner:
                continue
            text = self._text(block)
            if not text:
                continue
            key = block_key(text)
            keys.append(key)
            self._leaves.append((block, key, text))
        self.block_keys = tuple(dict.fromkeys(keys))

    # 8
    def _urls(self, root: Node) -> None:
        for el in self._elements(root, _A_IMG):
            attr = "href" if el.name == "a" else "src"
            value = el.attrs.get(attr)
            if isinstance(value, str):
                url = clean_url(value, self.pack, self.base)
                if url is None:
                    del el.attrs[attr]
                else:
                    el.attrs[attr] = url
            # in the same walk (tree.py takes two): an <img> has no children, so taking
            # it out changes no other element of the walk
            if attr == "src" and not el.attrs.get("src"):
                self._all = None
                dom.decompose(el)

    def _prune(self, root: Node) -> None:
        # Whether an element has text or media does not change when an empty
        # element inside it goes, so both are computed once, bottom-up.
        full: set[int] = set()
        _mark_full(root, full)
        for el in self._elements(root):
            if el.dead:
                continue
            # every <hr> goes; an element is only taken out before its descendants are
            # visited, so this walk sees each live one
            if (
                el.name == "hr"
                or el.name not in _KEEP_EMPTY
                and id(el) not in full
                # a <script>/<style> has text of its own (which its ancestors do not read)
                and not (el.name in _RAW_TEXT and el.raw.strip())
            ):
                self._all = None
                dom.decompose(el)

    # 9
    def _join_runs(self, root: Node) -> None:
        for parent, node in list(dom.strings(root)):
            if "\n" not in node:
                continue
            new = _joined(node)
            if new != node:
                siblings = parent.children
                siblings[dom.index(siblings, node)] = Text(new)
        if dom.holds_raw(root):
            # bs4 joins the Script/Stylesheet strings too (the sanitizer drops them,
            # but where html5ever ends a script can depend on its whitespace)
            for el in dom.elements(root, _RAW_TEXT):
                if "\n" in el.raw:
                    el.raw = _joined(el.raw)


def _joined(text: str) -> str:
    """``tree._join_runs`` on one text with a line break in it."""
    new = _CJK_GAP.sub("", text)
    # both need whitespace at that end (``\s`` is ``str.isspace``, see
    # test_clean_shortcuts): most text nodes have none, so skip the regex call
    if new[:1].isspace():
        new = _LEAD_NL.sub("", new)
    if new[-1:].isspace():
        new = _TRAIL_NL.sub("", new)
    return _WS.sub(" ", new)


def _mark_full(node: Node, full: set[int]) -> bool:
    """Add to ``full`` every element with non-blank text or a media element inside;
    return whether ``node`` is one."""
    found = False
    for child in node.children:
        if isinstance(child, Node):
            if _mark_full(child, full) or child.name in _MEDIA:
                found = True
        elif not found and child.strip():
            found = True
    if found:
        full.add(id(node))
    return found
