"""CSS selectors on ``dom.Node`` trees, with soupsieve's own semantics.

Rule packs use simple selectors (``ins.adsbygoogle``, ``[id^=div-gpt-ad]``,
``span[href]``).  Each is compiled by soupsieve, as before, and its parsed form is
evaluated here with soupsieve's patterns, so both cleaners match the same
elements.  A selector needing more (combinators, pseudo-classes, namespaces)
gets ``None`` from :func:`compile_simple`; the caller then uses the bs4 cleaner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import soupsieve
from soupsieve import util as sv_util

from .dom import Node

Matcher = Callable[[Node], bool]
_NOT_WS = re.compile(r"\S+")


def _simple(sel: Any) -> Matcher | None:
    """A matcher for one soupsieve ``Selector``, or None if it is not a plain compound."""
    if not hasattr(sel, "relation"):  # soupsieve's Null selector (inside :is())
        return None
    if (
        sel.relation
        or sel.selectors
        or sel.nth
        or sel.contains
        or sel.lang
        or sel.flags
        or (sel.tag is not None and sel.tag.prefix is not None)
        # soupsieve gives a plain attribute the prefix "" (no namespace)
        or any(a.prefix not in (None, "") or a.xml_type_pattern is not None for a in sel.attributes)
    ):
        return None
    name = sv_util.lower(sel.tag.name) if sel.tag is not None and sel.tag.name != "*" else None
    ids: tuple[str, ...] = tuple(sel.ids)
    classes: tuple[str, ...] = tuple(sel.classes)
    attributes = tuple(
        (sv_util.lower(a.attribute), a.pattern, a.ignore_case, a.inverse) for a in sel.attributes
    )

    def match(el: Node) -> bool:
        if name is not None and el.name != name:
            return False
        attrs = el.attrs
        for i in ids:
            if attrs.get("id", "") != i:
                return False
        if classes:
            have = attrs.get("class", [])
            if isinstance(have, str):
                have = _NOT_WS.findall(have)
            if any(c not in have for c in classes):
                return False
        for attr, pattern, ignore_case, inverse in attributes:
            value = attrs.get(attr)
            if value is None:
                if inverse:
                    continue
                return False
            if pattern is None:
                continue
            text = value if isinstance(value, str) else " ".join(value)
            if ignore_case:
                text = sv_util.ascii_lower(text)
            if pattern.search(text) is None:
                return False
        return True

    return match


# What an element must have for a compound to match it, so most (element, rule)
# pairs are never tried: ("tag", name), ("attr", name) or ("any", "").
Key = tuple[str, str]


def _key(sel: Any) -> Key:
    if sel.tag is not None and sel.tag.name != "*":
        return ("tag", sv_util.lower(sel.tag.name))
    if sel.classes:
        return ("attr", "class")
    if sel.ids and all(sel.ids):
        return ("attr", "id")
    for a in sel.attributes:
        if not a.inverse:
            return ("attr", sv_util.lower(a.attribute))
    return ("any", "")


@cache
def compile_simple(css: str) -> tuple[tuple[Key, Matcher], ...] | None:
    """Matchers for a selector list (``a, b``) made only of simple compounds, each
    with what an element needs to be worth trying; None if any part is not simple."""
    compiled = soupsieve.compile(css)
    selectors = compiled.selectors
    if selectors.is_not or selectors.is_html or not selectors:
        return None
    out: list[tuple[Key, Matcher]] = []
    for sel in selectors:
        m = _simple(sel)
        if m is None:
            return None
        out.append((_key(sel), m))
    return tuple(out)


class RuleIndex:
    """Named selector rules, looked up per element: :meth:`first` is the first rule
    (in rule order) matching it, as ``next(n for n, sel in rules if sel.match(el))``."""

    def __init__(self) -> None:
        self.by_tag: dict[str, list[tuple[int, Matcher]]] = {}
        self.by_attr: dict[str, list[tuple[int, Matcher]]] = {}
        self.always: list[tuple[int, Matcher]] = []
        self.names: list[str] = []

    def add(self, name: str, parts: tuple[tuple[Key, Matcher], ...]) -> None:
        i = len(self.names)
        self.names.append(name)
        for (kind, value), m in parts:
            if kind == "tag":
                self.by_tag.setdefault(value, []).append((i, m))
            elif kind == "attr":
                self.by_attr.setdefault(value, []).append((i, m))
            else:
                self.always.append((i, m))

    def first(self, el: Node) -> str | None:
        tried = self.by_tag.get(el.name, [])
        if el.attrs:
            for attr in el.attrs:
                more = self.by_attr.get(attr)
                if more:
                    tried = tried + more
        if self.always:
            tried = tried + self.always
        if not tried:
            return None
        best: int | None = None
        for i, m in tried:
            if (best is None or i < best) and m(el):
                best = i
        return None if best is None else self.names[best]
