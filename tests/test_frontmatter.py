"""feedhub/collect/frontmatter.py against ``yaml.load(text, Loader=yaml.CSafeLoader)``.

Equality gate: whenever ``frontmatter.load`` accepts a front matter it must equal the
C loader's mapping, types included (True is not 1, a date is not a string).  Inputs:
every front matter of the demo articles, tests/data, ../shared (when present) and the
benchmark corpus, hand-written edge cases, and random front matters built from line
pieces (hypothesis).  Then ``parse_article`` on every article file gives equal items
(or equal errors) with the fast reader on and off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.collect import frontmatter, local
from feedhub.errors import ParseError

from .conftest import DATA, ROOT, SHARED


def typed(value: Any) -> Any:
    """A comparable form that tells True from 1 and a date from a datetime."""
    if isinstance(value, dict):
        return ("dict", sorted((typed(k), typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def check(text: str) -> bool:
    """Equal whenever accepted; returns whether it was accepted."""
    fast = frontmatter.load(text)
    if fast is None:
        return False
    slow = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 (a safe loader)
    assert typed(fast) == typed(slow), text
    return True


def article_files(tmp: Path) -> Iterator[Path]:
    roots = [ROOT / "config" / "demo", DATA]
    if SHARED.is_dir():
        roots.append(SHARED)
    for root in roots:
        yield from sorted(p for p in root.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus as corpus_mod
    finally:
        sys.path.remove(str(ROOT / "bench"))
    c = corpus_mod.generate(tmp / "corpus", 200, corpus_mod.SEED)
    yield from sorted(c.root.rglob("*.md"))


def test_every_front_matter_we_have_equals_the_c_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = accepted = 0
    for path in article_files(tmp_path):
        text = path.read_bytes().decode("utf-8", "replace")
        m = local._FRONT_MATTER.match(text)
        if m:
            seen += 1
            accepted += check(m.group(1))
    with capsys.disabled():
        print(f"\nfrontmatter: accepted {accepted} of {seen} front matters")
    assert seen > 50 and accepted / seen > 0.8


def test_parse_article_is_equal_with_the_fast_reader_on_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in article_files(tmp_path):
        text = path.read_bytes().decode("utf-8", "replace")
        results = []
        for fast in (False, True):
            monkeypatch.setattr(local, "FAST_FRONT_MATTER", fast)
            for fmt in ("auto", "hexo", "jekyll"):
                try:
                    results.append(local.parse_article(text, source_id="s", key="k", fmt=fmt))
                except ParseError as exc:
                    results.append(exc.message)
        assert results[:3] == results[3:], path


EDGE = [
    "title: plain",
    "title: 'single ''quoted'' # not a comment'",
    'title: "double: quoted"',
    'title: "esc\\"aped"',
    "title: a # comment",
    "title: a: b",
    "title: a:b",
    "title: ends:",
    "date: 2026-11-06T21:27:42.000Z",
    "date: 2026-11-06",
    "date: 2026-11-06 21:27:42 +08:00",
    "date: Mon, 02 Nov 2026 11:26:55 GMT",
    "comments: false\nyes: no",
    "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: ~\ng: null\nh: Null",
    "n: 12\nm: -3\no: 0x1F\np: 1_000\nq: 1:20\nr: 012\ns: 3.14\nt: .inf\nu: .NaN\nv: 1e3",
    "tags: [ a, b ]\ncategories: []\nx: [ ]",
    "tags: [a, , b]",
    "tags: [a, b,]",
    "tags: [http://x]",
    "tags: [yes, 2026-01-01, 3]",
    "categories: \n - 新媒体\n - 东岸快讯\n - source",
    "categories:\n- a\n-\n- 'b'\n- \"c\"\n- [d]",
    "categories:\n - a\n  - b",
    "categories:\n - a\n\n - b\nnext: 1",
    "categories:\n - key: value",
    "categories:\n - - nested",
    "categories:\n - -5",
    "empty:\nnext: x",
    "empty:",
    "title: x\n  continued",
    "title:\n  on next line",
    "title: x\ntitle: y",
    "_under: x\nwith-dash: y\nCamel: z",
    "title: !!str 12",
    "title: &a x\nother: *a",
    "title: |\n  block",
    "title: >-\n  folded",
    "<<: {a: 1}",
    "title: =",
    "title: x\t",
    "title: x\r",
    "title: a\u2028b",
    "title: \ufeffx",
    "title: \x85",
    "title: [a, b] # c",
    "title: {a: 1}",
    "title: %x",
    "title: @x",
    "title: `x`",
    "title: -x",
    "title: ?x",
    "title: x ]",
    "title: 中文：标题【新】，逗号",
    "headimg: 'https://cors.example/?http://img.example/1.jpg'",
    "from: https://www.example/a/b.html?x=1&y=2#frag",
    "",
    "\n\n",
    "# comment\ntitle: x",
    "---\ntitle: x",
    "title: x\n...",
]


@pytest.mark.parametrize("text", EDGE)
def test_edge_cases_equal_the_c_loader(text: str) -> None:
    check(text)


_KEYS = st.sampled_from(["title", "date", "tags", "yes", "a_b", "x-y", "null", "On", "k"])
_VALUES = st.sampled_from(
    [
        "", " ", "plain", "two words", "中文", "'q'", "'it''s'", "'bad' x", '"d"', '"a\\"b"',
        "[a, b]", "[ ]", "[a,]", "[1, yes]", "[a: b]", "12", "1.5", "yes", "~", "null",
        "2026-11-06", "2026-11-06T21:27:42Z", "a # c", "a: b", "a:b", "x:", "-", "-1",
        "? q", "!t", "&a", "*a", "|", ">", "%", "@", "{a: 1}", "0x1f", "1:20", ".inf",
        "http://h/p?q=1", "a, b", "a [b]", "'", '"', "  spaced  ",
    ]
)  # fmt: skip
_LINES = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", _KEYS, _VALUES),
    st.builds(lambda k: f"{k}:", _KEYS),
    st.builds(lambda i, v: f"{i}- {v}", st.sampled_from(["", " ", "  "]), _VALUES),
    st.sampled_from(["", " ", "-", "# c", "  cont", "k :v", "k:v"]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_LINES, max_size=8))
def test_random_front_matters_equal_the_c_loader(lines: list[str]) -> None:
    check("\n".join(lines))
