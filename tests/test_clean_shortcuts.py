"""The shortcuts the cleaner takes for speed give what the plain code they replace gives:
``str.split`` for the ``\\s+`` regex, one alternation of a rule list before its rules
one by one, and ``html_to_text`` collapsing spaces over the whole text at once.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedhub.clean import builtin_pack
from feedhub.clean.learn import block_key
from feedhub.clean.prefilter import first_chars, may_search
from feedhub.clean.rules import _any_of, _merge
from feedhub.clean.sanitize import html_to_text, html_to_text_reference
from feedhub.clean.tree import norm_text

_WS = re.compile(r"\s+")
_SPACES = [chr(i) for i in range(sys.maxunicode + 1) if _WS.match(chr(i))]


def test_str_split_splits_on_exactly_regex_whitespace() -> None:
    # norm_text and block_key rely on it; were it ever to change, both would drift
    assert _SPACES == [chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()]


@given(st.text(alphabet=st.sampled_from(["a", "中", *_SPACES[:40], *_SPACES[-10:]])))
def test_norm_text_and_block_key_equal_the_regex(text: str) -> None:
    assert norm_text(text) == _WS.sub(" ", text).strip()
    assert block_key(text) == block_key(_WS.sub("", text))


def _one_by_one(rules: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    return next((name for name, p in rules if p.search(text)), None)


_KEYS = ("link_patterns", "footer_start", "line_patterns", "block_patterns")


@pytest.mark.parametrize("fmt", ["goodnews", "jekyll", "html"])
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "#### [首页](../README.md) &nbsp;|&nbsp; [热点](x.md)",
        "----",
        "<!-- 20240101120000 -->",
        "本文短网址：https://example.com/x",
        "（责任编辑：王五）",
        "原文地址：https://example.com/a.html",
        "手机上长按并复制下列链接或二维码分享本文章",
        "Mon, 1 Jan 2024 10:00:00 GMT",
        "版权所有 某某网站，转载请注明出处",
        "An ordinary paragraph of the story, 正文一段。",
    ],
)
def test_first_search_equals_rules_one_by_one(fmt: str, text: str) -> None:
    pack = builtin_pack(fmt)
    for key in _KEYS:
        found = pack.first_search(key, text)
        assert (found[0] if found else None) == _one_by_one(getattr(pack, key), text)


def test_first_search_keeps_rule_order_when_several_match() -> None:
    pack = _merge([("s", {"line_patterns": {"b": "x", "a": "^x", "c": "[xy]"}})])
    assert _any_of([p for _, p in pack.line_patterns]) is not None  # the joined path
    found = pack.first_search("line_patterns", "xy")
    assert found is not None and found[0] == "s.a"  # rules are sorted by name
    assert pack.first_search("line_patterns", "z") is None


@pytest.mark.parametrize(
    "patterns",
    [
        [r"(a)\1", "b"],  # a numbered back-reference would point at another rule's group
        ["(?P<url>a)", "(?P<url>b)"],  # one group name twice
        ["(?i)a", "b"],  # a global flag must lead the whole pattern
        ["a"],  # nothing to combine
    ],
)
def test_patterns_that_cannot_be_joined_are_asked_one_by_one(patterns: list[str]) -> None:
    assert _any_of([re.compile(p) for p in patterns]) is None
    pack = _merge([("s", {"line_patterns": patterns})])
    assert pack.first_search("line_patterns", "aa") is not None
    assert pack.first_search("line_patterns", "c") is None


@pytest.mark.parametrize(
    "html",
    [
        "<p>a  b</p><p>\tc\u3000 d </p>",
        "<p>a\x0bb\x0c c\r</p><br><p> x </p>",
        "<ul><li>one</li><li>t w  o</li></ul>",
        "<p>plain</p>",
        "<p>a &amp;  &lt;b&gt; &nbsp; c</p>",
    ],
)
def test_html_to_text_space_runs_equal_reference(html: str) -> None:
    assert html_to_text(html) == html_to_text_reference(html)


_LONG = "正文内容，很长的一句话。" * 40


@pytest.mark.parametrize("fmt", ["goodnews", "jekyll", "html"])
@pytest.mark.parametrize(
    "text",
    [
        _LONG,
        _LONG + "版权所有 某某网站，转载请注明出处",
        "责任编辑：王五 " + _LONG,
        "来源：中央社",
        _LONG + "禁止转载" + _LONG,
        "  获取更多RSS：" + _LONG,
        "【希望之声2021年6月16日】" + _LONG,
    ],
)
def test_first_search_on_long_texts_equals_rules_one_by_one(fmt: str, text: str) -> None:
    """Long texts skip the joined pattern and may skip patterns by their first characters."""
    pack = builtin_pack(fmt)
    for key in (*_KEYS, "outlet_patterns", "wire_patterns", "related_labels"):
        found = pack.first_search(key, text)
        assert (found[0] if found else None) == _one_by_one(getattr(pack, key), text)


# Regular expressions over a small alphabet, with what first_chars must see through
# (groups, alternations, repeats, classes) and what it must give up on (anchors,
# look-arounds, ".", "\s", negated classes, optional parts, inline flags).
_ATOMS = ["a", "b", "中", "文", "[ab]", "[a-c]", "[^a]", ".", r"\s", "^", "$", r"\b", "(?=a)"]


@st.composite
def _regex(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 5 if depth < 3 else 0))
        if kind == 0:
            part = draw(st.sampled_from(_ATOMS))
        elif kind == 1:
            part = f"({draw(_regex(depth + 1))})"
        elif kind == 2:
            part = f"(?:{draw(_regex(depth + 1))}|{draw(_regex(depth + 1))})"
        elif kind == 3:
            part = f"(?:{draw(_regex(depth + 1))}){draw(st.sampled_from(['*', '+', '?', '{2}', '{0,2}', '+?']))}"
        elif kind == 4:
            part = f"(?i:{draw(_regex(depth + 1))})"
        else:
            part = f"(?>{draw(_regex(depth + 1))})"
        parts.append(part)
    return "".join(parts)


@given(_regex(), st.text(alphabet=st.sampled_from(["a", "b", "c", "A", "中", "文", " ", "\n"])))
def test_first_chars_is_where_every_match_starts(pattern: str, text: str) -> None:
    compiled = re.compile(pattern)
    chars = first_chars(compiled)
    if chars is None:
        return
    for m in compiled.finditer(text):
        assert m.end() > m.start() and text[m.start()] in chars, (pattern, text)
    assert may_search(chars, text) or compiled.search(text) is None
