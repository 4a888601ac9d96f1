"""A minimal HTML tree that parses exactly like ``BeautifulSoup(html, "html.parser")``.

Why not bs4: the tree stage spent most of its time in bs4's generic machinery
(``next_element`` linkage, filter objects, soupsieve), not in the rules.  Why not
lxml: libxml2 "repairs" ``<p>`` inside ``<p>`` (see ``tree.py``), and its names and
strings must be XML-valid, which mirror pages are not.  So this module drives the
same stdlib tokenizer bs4 uses and copies bs4's tree-building rules (whitespace-only
strings collapsed, void elements, ``_popToTag``, character references,
multi-valued attributes) onto plain ``Node`` objects.

It covers the markup articles carry.  ``<script>``/``<style>`` elements keep their
raw text (bs4's Script/Stylesheet string) in ``Node.raw``, outside ``children``: bs4's
``get_text`` of any other element skips those strings, so every walk over children
gives bs4's answer without looking for them.  What it does not model
(``<template>``/ruby strings, ``<pre>`` whitespace, ``<meta>`` charset substitution,
doctype/CDATA/processing instructions) raises :class:`Unsupported`, and the caller
falls back to the bs4 reference cleaner for that article.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

from bs4.builder import HTMLTreeBuilder
from bs4.builder._htmlparser import BeautifulSoupHTMLParser
from bs4.dammit import EntitySubstitution

from . import tokens

# bs4's own tables, so the two trees cannot drift apart on a bs4 upgrade.
VOID = frozenset(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS or ())
_LIST_ATTRS = {k: frozenset(v) for k, v in HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES.items()}
_LIST_ANY = _LIST_ATTRS.get("*", frozenset())
_ENTITIES = EntitySubstitution.HTML_ENTITY_TO_CHARACTER
# Tags whose strings bs4 types specially (Script, Stylesheet, RubyText…) or whose
# whitespace it preserves, and <meta> (bs4 rewrites its charset when printing).
_UNMODELLED = frozenset(
    (*HTMLTreeBuilder.DEFAULT_STRING_CONTAINERS, *HTMLTreeBuilder.DEFAULT_PRESERVE_WHITESPACE_TAGS)
) | {"meta"}
# Of those, the elements whose raw text is modelled (``Node.raw``).
RAW_TEXT = tokens.RAW_TEXT
_REFUSED = _UNMODELLED - RAW_TEXT  # start tags only the bs4 tree models
# A cheap pre-check for the rest, so most unsupported documents skip the parse.  A
# "<![endif]" is let through: it is mostly inside a conditional comment ("<!--[if IE]>
# …<![endif]-->"); where it is not, html.parser reports it and _Builder declines it.
UNSUPPORTED_MARKUP = re.compile(
    r"<(?:" + "|".join(sorted(_REFUSED)) + r")(?![a-z0-9])|<!(?!--|\[endif\])|<\?",
    re.I,
)
_VOID_OR_RAW = VOID | RAW_TEXT
_RAW_OR_ROOT = RAW_TEXT | {"[document]"}
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
_XML_SPECIAL = re.compile("[<>&]")
_XML_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_NOT_WS = re.compile(r"\S+")
_dereference = BeautifulSoupHTMLParser._dereference_numeric_character_reference


class Unsupported(Exception):
    """The markup uses something this tree does not model; use the bs4 cleaner."""


class Text(str):
    """A text node.  A subclass so every node is its own object: rules find a text
    node again by identity (``is``), which interned ``str`` values would defeat."""

    __slots__ = ()


AttrValue = str | list[str]


class Node:
    """An element (or the document root, named ``[document]``).

    ``raw``, set only on ``<script>``/``<style>`` elements (see :data:`RAW_TEXT`), is
    their raw text ("" for none); they never have children.  On the root it is set
    ("") when the tree holds such an element (see :func:`holds_raw`).
    """

    __slots__ = ("name", "attrs", "children", "parent", "dead", "raw")
    raw: str  # not set in __init__: most elements never have it

    def __init__(self, name: str, attrs: dict[str, AttrValue], parent: Node | None) -> None:
        self.name = name
        self.attrs = attrs
        self.children: list[Node | Text] = []
        self.parent = parent
        # bs4's ``decomposed``: set on a removed element and everything inside it
        self.dead = False

    def get(self, key: str, default: object = None) -> object:
        return self.attrs.get(key, default)


Child = Node | Text


# ------------------------------------------------------------------ parsing


class _Builder(HTMLParser):
    """``BeautifulSoupHTMLParser`` + ``BeautifulSoup``'s tree building, on ``Node``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # bs4 decodes references itself
        self.root = Node("[document]", {}, None)
        self.stack = [self.root]
        self.open: dict[str, int] = {}
        self.data: list[str] = []
        self.closed_void: list[str] = []

    def end_data(self) -> None:
        if self.data:
            s = "".join(self.data)
            self.data = []
            if not s.strip(_ASCII_SPACES):  # only ASCII whitespace (or nothing)
                s = "\n" if "\n" in s else " "
            top = self.stack[-1]
            if top.name in RAW_TEXT:  # the raw text of a <script>/<style>: one string
                if top.raw:
                    raise Unsupported("two strings in raw text")
                top.raw = s
            else:
                top.children.append(Text(s))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs, void_close=False)
        self.handle_endtag(tag, check_closed=False)

    def handle_starttag(
        self, tag: str, attrs: list[tuple[str, str | None]], void_close: bool = True
    ) -> None:
        if tag in _REFUSED:
            raise Unsupported(tag)
        raw: dict[str, str] = {}
        for key, value in attrs:
            raw[key] = "" if value is None else value  # a repeated attribute: last wins
        specific = _LIST_ATTRS.get(tag)
        values: dict[str, AttrValue] = {
            key: _NOT_WS.findall(value)
            if key in _LIST_ANY or (specific and key in specific)
            else value
            for key, value in raw.items()
        }
        self.end_data()
        parent = self.stack[-1]
        node = Node(tag, values, parent)
        if tag in RAW_TEXT:
            node.raw = self.root.raw = ""
        parent.children.append(node)
        self.stack.append(node)
        self.open[tag] = self.open.get(tag, 0) + 1
        if tag in VOID and void_close:
            self.handle_endtag(tag, check_closed=False)
            self.closed_void.append(tag)

    def handle_endtag(self, tag: str, check_closed: bool = True) -> None:
        if check_closed and tag in self.closed_void:
            self.closed_void.remove(tag)  # the "</br>" of a "<br>" already closed
            return
        self.end_data()
        # bs4's _popToTag: close up to the most recent open tag of that name, if any
        for _ in range(len(self.stack) - 1, 0, -1):
            if not self.open.get(tag):
                break
            popped = self.stack.pop()
            self.open[popped.name] -= 1
            if popped.name == tag:
                break

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    def handle_charref(self, name: str) -> None:
        dereferenced, _, extra = _dereference(name)
        self.data.append(dereferenced)
        self.data.append(extra)

    def handle_entityref(self, name: str) -> None:
        character = _ENTITIES.get(name)
        self.data.append(character if character is not None else f"&{name}")

    def handle_comment(self, data: str) -> None:
        # The cleaner drops comments first thing; the comment still ends the text
        # node before it, as it does in bs4.
        self.end_data()

    def handle_decl(self, decl: str) -> None:
        raise Unsupported("declaration")

    def unknown_decl(self, data: str) -> None:
        raise Unsupported("declaration")

    def handle_pi(self, data: str) -> None:
        raise Unsupported("processing instruction")


def parse(html: str) -> Node:
    """The tree bs4's html.parser builder would make (comments left out).

    Raises:
        Unsupported: the markup needs a feature only the bs4 tree models.
    """
    if UNSUPPORTED_MARKUP.search(html):
        raise Unsupported("markup")
    found = tokens.scan(html)
    if found is None:
        found = tokens.scan_raw(html)
    if found is not None:
        return _build(found)
    b = _Builder()  # markup the strict tokenizer does not model: html.parser's own loop
    try:
        b.feed(html)
        b.close()
    except AssertionError as exc:  # html.parser gave up (bs4: ParserRejectedMarkup)
        raise Unsupported("rejected markup") from exc
    b.end_data()
    return b.root


def holds_raw(root: Node) -> bool:
    """Does the tree ``parse`` made (or a copy of it) hold a ``<script>``/``<style>``?"""
    return getattr(root, "raw", None) is not None


_VALUES_SEEN: dict[tuple[str, str], tuple[tuple[str, str | tuple[str, ...]], ...]] = {}


def _attr_values(tag: str, attrs: str) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    """The attributes ``_Builder.handle_starttag`` gives a ``tag`` with the attribute
    string ``attrs`` (a repeated one: last wins; a multi-valued one split, as a tuple),
    remembered like ``tokens.attrs``."""
    key = (tag, attrs)
    found = _VALUES_SEEN.get(key)
    if found is not None:
        return found
    raw: dict[str, str] = {}
    for name, value in tokens.attrs(attrs):
        raw[name] = "" if value is None else value  # a repeated attribute: last wins
    specific = _LIST_ATTRS.get(tag)
    found = tuple(
        (name, tuple(_NOT_WS.findall(value)))
        if name in _LIST_ANY or (specific and name in specific)
        else (name, value)
        for name, value in raw.items()
    )
    if len(attrs) <= tokens.ATTRS_LONGEST:
        if len(_VALUES_SEEN) >= tokens.ATTRS_KEPT:
            _VALUES_SEEN.clear()
        _VALUES_SEEN[key] = found
    return found


def _raw_node(tag: str, attrs: str, text: str, parent: Node) -> Node:
    """A ``<script>``/``<style>`` element with the raw text ``text`` (bs4's endData:
    ASCII whitespace alone becomes one space or newline)."""
    values: dict[str, AttrValue] = {
        key: list(value) if type(value) is tuple else value  # type: ignore[misc]
        for key, value in _attr_values(tag, attrs)
    }
    node = Node(tag, values, parent)
    if text and not text.strip(_ASCII_SPACES):
        text = "\n" if "\n" in text else " "
    node.raw = text
    return node


def _build(found: list[tokens.Piece]) -> Node:
    """The tree ``_Builder`` makes of a document ``tokens.scan`` split into ``found``,
    with its handlers folded into one loop.

    A start tag that closes at once (``<x/>``, or a void element) is pushed and popped
    again by ``_Builder``: here it is only appended.  Everything else is the handler of
    the same event, step for step.
    """
    root = Node("[document]", {}, None)
    stack = [root]
    parent = root
    is_open: dict[str, int] = {}
    closed_void: list[str] = []
    data: list[str] = []
    for text, stag, tag, attrs, slash, etag, end, comment, cdata, ref, ent, num, amp in found:
        if text:
            data.append(text)
        if ref:
            if ent:
                character = _ENTITIES.get(ent)
                data.append(character if character is not None else f"&{ent}")
            else:
                dereferenced, _, extra = _dereference(num)
                data.append(dereferenced)
                data.append(extra)
            continue
        if amp:
            data.append("&")
            continue
        if etag:
            tag = end.lower()
            if tag in closed_void:
                closed_void.remove(tag)  # the "</br>" of a "<br>" already closed
                continue
        elif stag:
            tag = tag.lower()
            if tag in _REFUSED:
                raise Unsupported(tag)
        elif not comment:
            continue  # the text after the last construct
        # a tag or a comment: the text before it is one node (end_data)
        if data:
            s = "".join(data)
            data = []
            if not s.strip(_ASCII_SPACES):
                s = "\n" if "\n" in s else " "
            parent.children.append(Text(s))
        if stag:
            if tag in RAW_TEXT:
                # a <script>/<style> (``tokens.scan_raw``): its raw text is in ``cdata``
                node = _raw_node(tag, attrs, cdata, parent)
                root.raw = ""
                parent.children.append(node)
                if not slash:  # open until its end tag (the next piece, if any)
                    stack.append(node)
                    parent = node
                    is_open[tag] = is_open.get(tag, 0) + 1
                continue
            if attrs:
                # a fresh list per node for multi-valued attributes (rules may edit them)
                values: dict[str, AttrValue] = {
                    key: list(value) if type(value) is tuple else value  # type: ignore[misc]
                    for key, value in _attr_values(tag, attrs)
                }
            else:
                values = {}
            node = Node(tag, values, parent)
            parent.children.append(node)
            if slash:  # <x/>: opened and closed
                continue
            if tag in VOID:
                closed_void.append(tag)
                continue
            stack.append(node)
            parent = node
            is_open[tag] = is_open.get(tag, 0) + 1
        elif etag:
            # bs4's _popToTag: close up to the most recent open tag of that name, if any
            if is_open.get(tag):
                while len(stack) > 1:
                    popped = stack.pop()
                    is_open[popped.name] -= 1
                    if popped.name == tag:
                        break
                parent = stack[-1]
        # a comment leaves nothing in the tree
    if data:
        s = "".join(data)
        if not s.strip(_ASCII_SPACES):
            s = "\n" if "\n" in s else " "
        parent.children.append(Text(s))
    return root


# ------------------------------------------------------------------ reading


def elements(root: Node, names: frozenset[str] | None = None) -> list[Node]:
    """Descendant elements in document order (optionally only these names)."""
    out: list[Node] = []
    # a stack of what is still to visit, next on top: children go on reversed
    todo: list[Child] = root.children[::-1]
    pop, push = todo.pop, todo.extend
    if names is None:
        while todo:
            child = pop()
            if type(child) is Node:
                out.append(child)
                if child.children:
                    push(reversed(child.children))
    else:
        while todo:
            child = pop()
            if type(child) is Node:
                if child.name in names:
                    out.append(child)
                if child.children:
                    push(reversed(child.children))
    return out


def strings(root: Node) -> Iterator[tuple[Node, Text]]:
    """(parent, text node) of every text node under ``root``, in document order."""
    stack = [(root, iter(root.children))]
    while stack:
        parent, it = stack[-1]
        for child in it:
            if type(child) is Node:
                stack.append((child, iter(child.children)))
                break
            yield parent, child  # type: ignore[misc]
        else:
            stack.pop()


def text(node: Node) -> str:
    """bs4's ``get_text("")``: every text node under ``node``, joined (of a
    ``<script>``/``<style>``: its raw text, the only string it reads)."""
    if node.name in RAW_TEXT:
        return node.raw
    parts: list[str] = []
    stack = [iter(node.children)]
    while stack:
        for child in stack[-1]:
            if type(child) is Node:
                stack.append(iter(child.children))
                break
            parts.append(child)  # type: ignore[arg-type]
        else:
            stack.pop()
    return "".join(parts)


def has_text(node: Node) -> bool:
    """bs4's ``bool(get_text(strip=True))``."""
    if node.name in RAW_TEXT:
        return bool(node.raw.strip())
    return any(s.strip() for _, s in strings(node))


def find(node: Node, names: frozenset[str]) -> bool:
    """Is there a descendant element with one of these names?"""
    return any(el.name in names for el in elements(node))


def next_sibling_element(node: Node) -> Node | None:
    """bs4's ``find_next_sibling()``: the next sibling that is an element."""
    assert node.parent is not None
    siblings = node.parent.children
    i = index(siblings, node)
    for sib in siblings[i + 1 :]:
        if type(sib) is Node:
            return sib
    return None


def index(children: list[Child], child: Child) -> int:
    """Where ``child`` is in ``children``, by identity."""
    if type(child) is Node:
        # list.index compares with ==, which for a Node is identity (Node has no __eq__;
        # a Text compared with a Node is unequal): the same answer, in C
        return children.index(child)
    for i, c in enumerate(children):
        if c is child:
            return i
    raise ValueError("not a child")


# ------------------------------------------------------------------ changing


def decompose(node: Node) -> None:
    """Remove ``node`` and mark it and its subtree removed (bs4 ``decompose``)."""
    if node.parent is not None:
        siblings = node.parent.children
        del siblings[index(siblings, node)]
        node.parent = None
    node.dead = True
    for el in elements(node):
        el.dead = True
        # a removed subtree is never read upward again: cut its parent pointers so it is
        # freed by reference counting, not left to the cycle collector
        el.parent = None


def extract(parent: Node, child: Child) -> None:
    siblings = parent.children
    del siblings[index(siblings, child)]
    if type(child) is Node:
        child.parent = None


def unwrap(node: Node) -> None:
    """Replace ``node`` by its children (bs4 ``unwrap``)."""
    parent = node.parent
    if parent is None:
        return
    siblings = parent.children
    i = index(siblings, node)
    for child in node.children:
        if type(child) is Node:
            child.parent = parent
    siblings[i : i + 1] = node.children
    node.children = []
    node.parent = None


def smooth(node: Node) -> None:
    """Merge adjacent text nodes, everywhere below ``node`` (bs4 ``smooth``)."""
    after_text = False
    for child in node.children:
        if type(child) is Node:
            after_text = False
        elif after_text:
            break  # two text nodes in a row: merge below
        else:
            after_text = True
    else:
        # no two in a row here (the usual case): the list stays as it is
        for child in node.children:
            if type(child) is Node:
                smooth(child)
        return
    merged: list[Child] = []
    run: list[Text] = []
    for child in node.children:
        if isinstance(child, Node):
            if run:
                merged.append(Text("".join(run)) if len(run) > 1 else run[0])
                run = []
            smooth(child)
            merged.append(child)
        else:
            run.append(child)
    if run:
        merged.append(Text("".join(run)) if len(run) > 1 else run[0])
    node.children = merged


def copy(node: Node, parent: Node | None = None) -> Node:
    """A deep copy (text nodes are immutable and shared)."""
    new = Node(
        node.name, {k: v if isinstance(v, str) else list(v) for k, v in node.attrs.items()}, parent
    )
    new.children = [copy(c, new) if isinstance(c, Node) else c for c in node.children]
    if node.name in _RAW_OR_ROOT:
        raw = getattr(node, "raw", None)
        if raw is not None:
            new.raw = raw
    return new


# ------------------------------------------------------------------ printing


def _escape(s: str) -> str:
    return _XML_SPECIAL.sub(lambda m: _XML_ENTITY[m.group()], s) if _needs(s) else s


def _needs(s: str) -> bool:
    return "<" in s or ">" in s or "&" in s


def _quoted(value: str) -> str:
    if '"' in value:
        if "'" in value:
            return '"' + value.replace('"', "&quot;") + '"'
        return "'" + value + "'"
    return '"' + value + '"'


def serialize(root: Node, release: bool = False) -> str:
    """``str(soup)``: bs4's "minimal" formatter (attributes sorted, ``<br/>``).

    ``release``: the tree is not used again; its parent pointers are cut on the way,
    so it has no cycles left and is freed by reference counting when dropped (the
    cycle collector's full passes over live trees were a noticeable share of clean).
    """
    out: list[str] = []
    _write(root, out, release)
    return "".join(out)


def _write(node: Node, out: list[str], release: bool) -> None:
    for child in node.children:
        if type(child) is not Node:
            out.append(_escape(child))  # type: ignore[arg-type]
            continue
        if release:
            child.parent = None
        attrs = "".join(
            f" {k}={_quoted(_escape(v if isinstance(v, str) else ' '.join(v)))}"
            for k, v in sorted(child.attrs.items())
        )
        name = child.name
        if name in _VOID_OR_RAW:
            if name in RAW_TEXT:  # its text as it is (bs4: script and style hold CDATA)
                out.append(f"<{name}{attrs}>{child.raw}</{name}>")
                continue
            if not child.children:
                out.append(f"<{name}{attrs}/>")
                continue
        out.append(f"<{name}{attrs}>")
        _write(child, out, release)
        out.append(f"</{name}>")
