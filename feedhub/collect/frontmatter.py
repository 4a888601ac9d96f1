"""Front matter in its common shape, read without building a YAML node graph (issue 8).

libyaml parses quickly, but PyYAML then builds and constructs a node per scalar in
Python: that was three quarters of reading a Hexo or Jekyll post.  Posts' front matter
is nearly always flat ``key: value`` lines, values being a plain, single- or
double-quoted scalar, a one-line flow list (``[ a, b ]``) or a block list of scalars
under an empty value.

:func:`load` reads exactly that subset and returns None for anything else -- comments,
tabs, carriage returns, multi-line or escaped scalars, nested collections, anchors,
tags, quoted keys, characters YAML forbids or treats as line breaks -- so the caller
falls back to ``yaml.load``.  Plain scalars are typed the way the loader types them:
by PyYAML's own resolver (the implicit-tag regular expressions libyaml's loader uses)
and PyYAML's own constructors (bool, int, float, null, timestamp), so ``2026-11-06``
is a date and ``yes`` is True here too.  ``tests/test_frontmatter.py`` holds the result
equal to ``yaml.load(text, Loader=CSafeLoader)`` on every accepted input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

# the loader's implicit typing of a plain scalar: its tag (untyped in the stubs)
_resolve: Callable[[type[ScalarNode], str, tuple[bool, bool]], str] = Resolver().resolve
_CONSTRUCTOR = SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_TYPED: dict[str, Callable[[Any, ScalarNode], Any]] = {
    tag: SafeConstructor.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    )
}

# Only characters YAML reads as themselves: no tab, CR, NEL, BOM, U+2028/9 (YAML 1.1
# line breaks), nothing the reader rejects.
_PLAIN_TEXT = re.compile(
    "[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
_ITEM_LINE = re.compile(r"( *)-(?: +(.*))?")
# A plain scalar may not start with an indicator, contain ": " or " #", or end in ":".
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _plain(text: str, flow: bool) -> tuple[bool, Any]:
    """(accepted, value) of a plain scalar as the loader would type it."""
    if (
        not text
        or text[0] in _INDICATORS
        or ": " in text
        or " #" in text
        or text.endswith(":")
        # flow context: no flow indicators, and no ":" at all (PyYAML's own scanner
        # and older libyaml reject one inside a flow plain scalar)
        or (flow and any(c in text for c in ",[]{}:"))
    ):
        return False, None
    tag = _resolve(ScalarNode, text, (True, False))
    if tag == _STR:
        return True, text
    construct = _TYPED.get(tag)
    if construct is None:  # merge keys, "=" and the like
        return False, None
    return True, construct(_CONSTRUCTOR, ScalarNode(tag, text))


def _scalar(text: str) -> tuple[bool, Any]:
    """A block-context value: quoted or plain (or a one-line flow list)."""
    text = text.rstrip(" ")
    if text[:1] == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return False, None
        return True, inner.replace("''", "'")
    if text[:1] == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            return False, None
        return True, inner
    if text[:1] == "[":
        if text[-1] != "]":
            return False, None
        inner = text[1:-1].strip(" ")
        if not inner:
            return True, []
        items = []
        for part in inner.split(","):
            ok, value = _plain(part.strip(" "), flow=True)
            if not ok:  # also an empty item: "[a, , b]" or a trailing comma
                return False, None
            items.append(value)
        return True, items
    return _plain(text, flow=False)


def load(text: str) -> dict[str, Any] | None:
    """The mapping ``yaml.load(text, Loader=yaml.CSafeLoader)`` gives, or None when
    ``text`` is not in the simple shape (see the module docstring)."""
    if _PLAIN_TEXT.fullmatch(text) is None:
        return None
    out: dict[str, Any] = {}
    lines = text.split("\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if not line.strip(" "):
            continue
        m = _KEY_LINE.fullmatch(line)
        if m is None:
            return None
        key, rest = m.group(1), m.group(2)
        if _resolve(ScalarNode, key, (True, False)) != _STR:
            return None  # "yes:", "null:" ... are not string keys
        if rest is not None and rest.strip(" "):
            ok, value = _scalar(rest)
            if not ok:
                return None
            out[key] = value
            continue
        # an empty value: null, or a block list of scalars on the next lines
        items: list[Any] = []
        indent: str | None = None
        while i < n:
            item = _ITEM_LINE.fullmatch(lines[i])
            if item is None:
                if lines[i].strip(" "):
                    break
                i += 1  # a blank line inside the list
                continue
            if indent is None:
                indent = item.group(1)
            elif item.group(1) != indent:
                return None
            body = item.group(2)
            if body is None or not body.strip(" "):
                items.append(None)
            else:
                if body.lstrip(" ")[:1] in ("-", "[", "{") and body.strip(" ") != "-":
                    return None  # nested collections
                ok, value = _scalar(body)
                if not ok:
                    return None
                items.append(value)
            i += 1
        out[key] = items if indent is not None else None
    return out or None
