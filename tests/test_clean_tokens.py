"""The strict tokenizer (``clean.tokens``) and what is built on it give what the
``html.parser`` loop they replace gives:

* ``tokens.scan`` + replay: the same events as ``html.parser`` (``convert_charrefs=False``);
* ``dom.parse``: the same tree as with ``html.parser``'s own loop;
* Python-Markdown with ``mdhtml``'s preprocessor: the same HTML as plain Python-Markdown;

on generated markup and on every corpus (where ``scan`` must also accept most documents,
or the comparison would be empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown.preprocessors import HtmlBlockPreprocessor

from feedhub.clean import clean_many, dom, lines, pack_for, tokens
from feedhub.clean.mdhtml import extract, fast_markdown
from feedhub.collect.feeds import parse_feed
from feedhub.collect.local import read_article
from feedhub.pipeline import pack_of
from feedhub.types import RawItem

from .conftest import DATA, ROOT, SHARED

Event = tuple[str, object]


class _Recorder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.events: list[Event] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", (tag, attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("startend", (tag, attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("data", data))

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment", data))

    def handle_entityref(self, name: str) -> None:
        self.events.append(("entity", name))

    def handle_charref(self, name: str) -> None:
        self.events.append(("charref", name))

    def handle_decl(self, decl: str) -> None:
        self.events.append(("decl", decl))

    def handle_pi(self, data: str) -> None:
        self.events.append(("pi", data))

    def unknown_decl(self, data: str) -> None:
        self.events.append(("unknown", data))


def _parser_events(html: str) -> list[Event]:
    r = _Recorder()
    r.feed(html)
    r.close()
    return r.events


def _scan_events(found: list[tokens.Piece]) -> list[Event]:
    out: list[Event] = []
    for text, stag, tag, attrs, slash, etag, end, comment, cdata, _ref, ent, num, amp in found:
        if text:
            out.append(("data", text))
        if stag:
            kind = "startend" if slash else "start"
            out.append((kind, (tag.lower(), list(tokens.attrs(attrs)))))
        elif etag:
            out.append(("end", end.lower()))
        elif comment:
            out.append(("comment", cdata))
        elif ent:
            out.append(("entity", ent))
        elif num:
            out.append(("charref", num))
        elif amp:
            out.append(("data", "&"))
    return out


def _old_dom(html: str) -> str:
    b = dom._Builder()
    b.feed(html)
    b.close()
    b.end_data()
    return dom.serialize(b.root)


_REFERENCE_MD = markdown.Markdown(output_format="html")
_FAST_MD = fast_markdown()


def _check_html(html: str) -> bool:
    """Compare on one document; True if the fast path took it."""
    found = tokens.scan(html)
    if found is None:
        return False
    assert _scan_events(found) == _parser_events(html)
    if not dom.UNSUPPORTED_MARKUP.search(html):
        assert dom.serialize(dom.parse(html)) == _old_dom(html)
    return True


def _check_markdown(text: str) -> bool:
    assert _FAST_MD.reset().convert(text) == _REFERENCE_MD.reset().convert(text)
    return tokens.scan(text) is not None


# ------------------------------------------------------------------ generated markup

_PIECES = [
    "<p>",
    "</p>",
    "<P CLASS='a'>",
    '<div class="x  y" id=a>',
    "</div>",
    "</DIV>",
    "<br>",
    "<br/>",
    "<br />",
    "</br>",
    "<hr/>",
    "<img src='http://a/b.jpg?x=1&amp;y=2' alt=\"&quot;q&quot;\"/>",
    "<img src=x/>",
    "<a href=/x?a=1&b=2>",
    '<a href="">',
    "<a hidden>",
    "<a\nhref='x'\n>",
    "<a href = 'x' >",
    "<a href=='x'>",
    "<a href='x'title='y'>",
    "<a href=`x`>",
    "<a\u3000href='x'>",
    "<a\x0bhref='x'>",
    "<ok href='/t/1'>",
    "</ok>",
    "<span>",
    "</span>",
    "< p>",
    "</ p>",
    "</>",
    "<",
    ">",
    "<!-- c -->",
    "<!---->",
    "<!--->",
    "<!-- a -- b -->",
    "<!-- <p> -->",
    "<!DOCTYPE html>",
    "<?php x ?>",
    "<![CDATA[x]]>",
    "<script>var a = '<p>';</script>",
    "<style>p{}</style>",
    "&amp;",
    "&nbsp;",
    "&bogus;",
    "&amp",
    "&#20013;",
    "&#x6587;",
    "&#12a;",
    "&#;",
    "& ",
    "&",
    "a &b=2",
    "text",
    "中文",
    " ",
    "\n",
    "\n\n",
    "   ",
    "\t",
    "`code`",
    "[a](http://x/y)",
    "### h",
    "* item",
    "> q",
    "    indented",
    "-----",
    "\x02wzxhzdk:0\x03",
]


_FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


# Pieces the strict tokenizer models (or that are plain text): documents made only of
# these exercise the fast path; the others check that everything else is declined.
_MODELLED = [p for p in _PIECES if tokens.scan(p + " ") is not None]


@_FUZZ
@given(
    st.one_of(
        st.lists(st.sampled_from(_MODELLED), max_size=30),
        st.lists(st.sampled_from(_PIECES), max_size=30),
    ).map("".join)
)
def test_generated_markup_equals_html_parser(html: str) -> None:
    _check_html(html)


def test_modelled_pieces_are_most_pieces() -> None:
    assert len(_MODELLED) > 40


_LINES = [
    "",
    "",
    "",
    "<div>",
    "<div class='a'>",
    "  <div>",
    "    <div>",
    "</div>",
    "<p>",
    "</p>",
    "<p>text</p>",
    "<p>a</p> tail",
    "<hr/>",
    "<hr>",
    "<br/>",
    "text line",
    "中文 <b>粗</b> 字",
    "text <span>inline",
    "</span> more",
    "<img src='x'/>",
    "<!-- c -->",
    "a <!-- c --> b",
    "&nbsp;&amp;",
    "### heading",
    "heading",
    "-----",
    "=====",
    "[link](http://a.example/x)",
    "* item",
    "1. item",
    "> quote",
    "    code",
    "<table><tr><td>x</td></tr></table>",
    "<ok href='/t/1'>",
    "</ok>",
    "<section>",
    "</section>",
    "<div><p>x</p></div> <p>",
    "\x02wzxhzdk:0\x03",
    " ",
    "  ",
    "<p>a</p> ",
    "<br/> ",
    "[a b](http://a.example/x?y=1)",
    "[a](b) [c](d)",
    "[*a*](b)",
    "text  ",
    # text lines, modelled by mdhtml._paragraph, and their near misses
    "</div>",
    "</span>",
    " (plain text) ",
    "text with <b>bold</b> and <a href='/x_y'>a</a> tags",
    "a <br/> b",
    "&nbsp;|&nbsp; [a b](http://a.example/x) &nbsp;|&nbsp; [c](http://a.example/y)  ",
    "#### [nav](http://a.example/) | [more](http://a.example/m)",
    "x [a](http://a.example/x)y) (z",
    "x ![a](http://a.example/i.png) y",
    "x [a] [b][c] y",
    'x [a](http://a.example/x "title") y',
    "x [a](<http://a.example/x>) y",
    "[a](http://a.example/x)  ",
    "<!-- c -->text",
    "&nbsp;text&nbsp;",
    "a &amp; b & c &#38; &#x26; &#X26; &copy &bogus; AT&T",
    "a < b > c",
    "a <b",
    "c>",
    "<b\nc>",
    "<http://a.example/x>",
    "<me@a.example>",
    "a@b <i>x@y</i>",
    "*em* and **strong**",
    "un*balanced",
    "snake_case_word",
    "_under_",
    "#no space",
    "# heading #",
    "## heading ##  ",
    "####### seven",
    "#",
    "#  ",
    "# [link](http://a.example/x)",
    "## a#b ##",
    "###### six #######",
    "#<b>x</b> &amp; y",
    "### 中文 *em*",
    "text ###",
    "a \\ b \\* c",
    "`code` span",
    "text  ",
    "text   ",
    "a  b  ",
    "&nbsp;  ",
    "<b>x</b>  ",
    "</div>  ",
    "<b  ",
    "x>  ",
    "\ttabbed text",
    "   three spaces",
    "    four spaces",
    "> quote",
    ">no space",
    "- item",
    "-dash",
    "+ plus",
    "1. one",
    "1.5 number",
    "2024 year",
    "***",
    "___",
    "   ---",
    "- - -",
    "* * *  ",
    "    ---",
    "__ __ __",
    "--",
    "</div>    ",
    "<hr/>     ",
    "= = =",
    "!bang [x] ![y](z)",
    "[a]: http://a.example/",
    "text \x02wzxhzdk:0\x03",
    "中文 (括号) 「引号」",
]


@_FUZZ
@given(st.lists(st.sampled_from(_LINES), max_size=25).map("\n".join))
def test_generated_markdown_equals_python_markdown(text: str) -> None:
    _check_markdown(text)


# ------------------------------------------------------------------ corpora


def _raws() -> Iterator[RawItem]:
    for p in sorted((ROOT / "config" / "demo").rglob("*.md")):
        yield read_article(p, source_id="demo")
    for folder in (ROOT / "config" / "demo" / "feeds", DATA / "feeds", DATA / "hostile"):
        for p in sorted(folder.iterdir()):
            try:
                yield from parse_feed(p.read_bytes(), "feed", str(p))
            except Exception:  # noqa: BLE001 - not a feed: nothing to compare
                continue


def _bench_raws(tmp: Path) -> Iterator[RawItem]:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    c = corpus.generate(tmp / "corpus", 60, 7)
    for p in sorted(c.root.rglob("*")):
        if p.suffix == ".md":
            yield read_article(p, source_id=p.parent.name)
        elif p.suffix in (".rss", ".atom", ".xml"):
            yield from parse_feed(p.read_bytes(), "feed", str(p))


def _check_raws(raws: Iterator[RawItem]) -> tuple[int, int]:
    n = took = 0
    for raw in raws:
        n += 1
        text = raw.content
        if raw.content_type == "markdown":
            text, _, _ = lines.clean_lines(text, pack_for(raw.format))
            took += _check_markdown(text)
            text = _REFERENCE_MD.reset().convert(text)
        else:
            took += tokens.scan(text) is not None
        _check_html(text)
    return n, took


def test_project_corpora_equal() -> None:
    n, took = _check_raws(_raws())
    assert n > 40 and took > n // 2


def test_bench_corpus_equal(tmp_path: Path) -> None:
    n, took = _check_raws(_bench_raws(tmp_path))
    assert n > 40 and took > n * 0.9


@pytest.mark.parametrize("corpus", ["corpora/goodnews-md", "seeds"])
def test_shared_corpora_equal(corpus: str) -> None:
    root = SHARED / corpus
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared corpora are not beside the project")
    files = sorted(root.rglob("*.md")) + sorted(root.glob("*.txt"))
    n, took = _check_raws(read_article(p, source_id=p.parent.name) for p in files)
    assert n and took > n // 2


def test_real_mirror_pages_take_the_fast_markdown_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mirror pages (after the line stage) are rendered by ``serialize_simple``, not by
    starting again through plain Python-Markdown: pages that ``tokens.scan`` declines
    aside, at least nine in ten of them."""
    root = SHARED / "corpora/goodnews-md"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared corpora are not beside the project")
    full: list[str] = []
    convert = markdown.Markdown.convert

    def counting(self: markdown.Markdown, source: str) -> str:
        full.append(source)
        return convert(self, source)

    n = fast = 0
    for p in sorted(root.rglob("*.md")):
        raw = read_article(p, source_id=p.parent.name)
        if raw.content_type != "markdown":
            continue
        text, _, _ = lines.clean_lines(raw.content, pack_for(raw.format))
        if tokens.scan(text) is None:
            continue
        full.clear()
        with monkeypatch.context() as m:
            m.setattr(markdown.Markdown, "convert", counting)
            _FAST_MD.reset().convert(text)
        n += 1
        fast += not full
    assert n > 100 and fast > n * 0.9, (fast, n)


# ------------------------------------------------------------------ whole cleaning


def _batches(raws: Iterator[RawItem]) -> list[list[RawItem]]:
    out: dict[str, list[RawItem]] = {}
    for raw in raws:
        out.setdefault(raw.source_id, []).append(raw)
    return list(out.values())


def _cleaned_equal(batches: list[list[RawItem]], monkeypatch: pytest.MonkeyPatch) -> int:
    """``clean_many`` on the fast paths and with them all off (``scan`` declining every
    document: html.parser and plain Python-Markdown, the code they replace)."""
    fast = [clean_many(b, pack_of(None)) for b in batches]
    with monkeypatch.context() as m:
        m.setattr(tokens, "scan", lambda html: None)
        m.setattr(tokens, "scan_raw", lambda html: None)
        slow = [clean_many(b, pack_of(None)) for b in batches]
    n = 0
    for batch, f, s in zip(batches, fast, slow, strict=True):
        for raw, a, b in zip(batch, f, s, strict=True):
            assert a == b, raw.key
            n += 1
    return n


def test_cleaned_equal_without_fast_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batches = _batches(_raws()) + _batches(_bench_raws(tmp_path))
    for corpus in ("corpora/goodnews-md", "seeds"):
        root = SHARED / corpus
        if root.is_dir():
            files = sorted(root.rglob("*.md")) + sorted(root.glob("*.txt"))
            batches += _batches(read_article(p, source_id=p.parent.name) for p in files)
    assert _cleaned_equal(batches, monkeypatch) > 100


@_FUZZ
@given(st.lists(st.sampled_from(_LINES), max_size=25).map("\n".join))
def test_generated_extract_equals_html_block_preprocessor(text: str) -> None:
    reference = HtmlBlockPreprocessor(_REFERENCE_MD.reset())
    want = reference.run(text.split("\n")), list(_REFERENCE_MD.htmlStash.rawHtmlBlocks)
    got = extract(_FAST_MD.reset(), text)
    if got is not None:
        assert (got, _FAST_MD.htmlStash.rawHtmlBlocks) == want
