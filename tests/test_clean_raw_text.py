"""``<script>``/``<style>`` on the fast tree stage: their raw text is read as html.parser
reads it (``tokens.scan_raw``, ``dom._Builder``), kept as bs4 keeps it (``Node.raw``:
a string no other element's text reads), and cleaned as the bs4 reference cleans it.

Checked against ``html.parser``'s events, ``str(BeautifulSoup(html, "html.parser"))``
and whole ``clean_many`` results with ``reference=True``, on generated documents that
mix raw text elements into the markup of ``test_clean_equal``/``test_clean_tokens``,
with the built-in packs (which remove every script and style first) and with a pack
that keeps them (so the later steps meet them: title repeat, block patterns, pruning,
unwrapping, the joining of line breaks).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedhub.clean import _prepare, clean_many, dom, pack_for, tokens
from feedhub.clean.learn import LearnSettings
from feedhub.clean.rules import RulePack, builtin_pack
from feedhub.collect.local import collect_local
from feedhub.config import RulesConfig
from feedhub.types import RawItem

from .conftest import SHARED
from .test_clean_equal import _ATTRS, _TAGS, _TEXTS
from .test_clean_tokens import _PIECES, _old_dom, _parser_events, _scan_events

_RAW = [
    "<script>var a = '<p>x</p>' && b < c;</script>",
    "<script src='http://x.example/a.js' async></script>",
    '<SCRIPT type="text/javascript">x = 1 &amp; 2 &nbsp;</SCRIPT>',
    "<script>a</scriptx>b</script>",
    "<script>a</scrip>b</script >",
    "<script>if (a --> b) { c <!-- d }</script>",
    "<script>x</ script>",
    "<script>x</script\n>",
    "<script>x</script foo>y</script>",
    "<script>\n  </script>",
    "<script> </script>",
    "<script></script>",
    "<script/>",
    "<script src='x'/>",
    "<script>正文内容，很长的一句话。</script>",
    "<script>拜登</script>",
    "<script>版权所有 转载请注明</script>",
    "<script>" + "正文" * 220 + "版权所有 转载请注明</script>",
    "<script>中\n文 \n x</script>",
    "<script>\n正文\n</script>",
    "<script>a</ſcript>b</script>",
    "<script>\na</script\u3000x>b</script>",
    "<script><!--<script></script>after</script>",
    "<script>document.write('</scr' + 'ipt>')</script>",
    "<script>&lt;&amp;</script>",
    "<style>p { color: red }</style>",
    '<style media="all">\n</style>',
    "<STYLE>a > b {}</Style>",
    "<style>x</ style>",
    "<style>拜登</style>",
    "<style>\n中\n文\n</style>",
    "<style/>",
    "<script>unclosed <p>text</p>",
    "<style>unclosed",
    "<script",
    "<script class='a' id='b' data-x=\"1\">x</script>",
    "<!--[if lt IE 9]><script>document.createElement('video');</script><![endif]-->",
    "<!--<![endif]-->",
    "<![endif]>",
]
_EVERYTHING = _TEXTS + _RAW
_NESTED = [*_TAGS, "head", "body", "html", "i"]


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 2))
        if kind == 0 and depth < 4:
            tag = draw(st.sampled_from(_NESTED))
            attrs = draw(st.lists(st.sampled_from(_ATTRS), max_size=2))
            inner = draw(_markup(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))
            parts.append(f"<{tag}{''.join(' ' + a for a in attrs)}>{inner}{close}")
        elif kind == 1:
            parts.append(draw(st.sampled_from(_RAW)))
        else:
            parts.append(draw(st.sampled_from(_EVERYTHING)))
    return "".join(parts)


_FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def _bs4(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    return str(soup)


def _merged(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Adjacent data events as one (bs4 joins them into one string)."""
    out: list[tuple[str, object]] = []
    for kind, value in events:
        if kind == "data" and out and out[-1][0] == "data":
            out[-1] = ("data", str(out[-1][1]) + str(value))
        else:
            out.append((kind, value))
    return out


def _raw_events(found: list[tokens.Piece]) -> list[tuple[str, object]]:
    """``_scan_events``, with a raw text start tag's text as the data after it."""
    out: list[tuple[str, object]] = []
    for piece in found:
        out += _scan_events([piece])
        if piece[1] and piece[8]:
            out.append(("data", piece[8]))
    return out


def _check_parse(html: str) -> bool:
    """Tokens, tree and printing against html.parser and bs4; True if ``scan_raw`` took
    the document."""
    want = _bs4(html)
    found = tokens.scan_raw(html)
    if found is not None:
        assert _merged(_raw_events(found)) == _merged(_parser_events(html))
    if not dom.UNSUPPORTED_MARKUP.search(html):
        try:
            assert _old_dom(html) == want  # html.parser's own loop
        except dom.Unsupported:
            assert found is None
        try:
            assert dom.serialize(dom.parse(html)) == want
        except dom.Unsupported:
            assert found is None
    return found is not None


# A pack that keeps scripts and styles, so every later step meets them.
_KEEPING = pack_for(
    "rss",
    "raw-text",
    RulesConfig(
        replace=True,
        remove_selectors=(".adsbygoogle", "[hidden]"),
        unwrap_selectors=("span, ok",),
        block_patterns=("版权所有", "转载请注明"),
    ),
)
# ... and one that unwraps them (declined when they hold text: not modelled)
_UNWRAPPING = pack_for(
    "rss", "raw-text-unwrap", RulesConfig(replace=True, unwrap_selectors=("script, style, i",))
)
_PACKS = [builtin_pack("rss"), builtin_pack("goodnews"), _KEEPING, _UNWRAPPING]


def _both(raws: Sequence[RawItem], pack: RulePack, learn: bool = True) -> None:
    s = LearnSettings(enabled=learn, min_articles=2)
    fast = clean_many(raws, lambda _: pack, s)
    ref = clean_many(raws, lambda _: pack, s, reference=True)
    for raw, f, r in zip(raws, fast, ref, strict=True):
        assert f == r, (raw.key, raw.content)


def _raws(docs: Sequence[str], title: str) -> list[RawItem]:
    return [
        RawItem("s", f"k{i}", "rss", title, html, "html", link="http://a.example/p/1")
        for i, html in enumerate(docs)
    ]


# ------------------------------------------------------------------ generated


@_FUZZ
@given(_markup())
def test_generated_raw_text_parses_as_bs4(html: str) -> None:
    _check_parse(html)


_TOKEN_PIECES = _PIECES + _RAW


@_FUZZ
@given(st.lists(st.sampled_from(_TOKEN_PIECES), max_size=30).map("".join))
def test_generated_raw_text_pieces_parse_as_bs4(html: str) -> None:
    _check_parse(html)


@_FUZZ
@given(
    st.lists(_markup(), min_size=1, max_size=4),
    st.sampled_from(["", "拜登", "正文内容，很长的一句话。"]),
    st.sampled_from(_PACKS),
)
def test_generated_raw_text_cleans_as_reference(
    docs: list[str], title: str, pack: RulePack
) -> None:
    # a batch, so a block repeated across its documents is learned and dropped
    _both(_raws(docs, title), pack)


# ------------------------------------------------------------------ handmade

_BODY = "正文" * 160
CASES = [
    "<head><script>var a = 1;</script><style>p{}</style></head><body><p>正文</p></body>",
    "<p>a<script>x < y && z</script>b</p><p>c<b>d<style>e</style></b></p>",
    "<p><script async='' src='https://platform.twitter.com/widgets.js'>\n  </script></p>",
    "<p>x</p><script>拜登</script><h2>拜登</h2>",
    # the first element with text is the script (not a block: nothing is dropped)
    "<script>\n拜登 </script><h2>拜登</h2><p>正文</p>",
    "<style>a</style><h2>a</h2>",
    "<div><script>\n</script></div><p><style></style></p><span><script>s</script></span>",
    f"<div>{_BODY}<br>版权所有<script>v</script> 后面<br>{_BODY}</div>",
    f"<div>{_BODY}<br>版权所有<script>转载请注明</script><br>{_BODY}</div>",
    # the pattern in a script's text: declined (the reference cleans it)
    f"<div>{_BODY}<br>版权所有<script>版权所有 x</script><br>{_BODY}</div>",
    f"<div>{_BODY}<script>{_BODY}版权所有。{_BODY}</script>版权所有<br>{_BODY}</div>",
    f"<p>{_BODY}<script>中\n文 \n x</script>{_BODY}</p>",
    "<p>a<script>\na</script\u3000x>b</script>c</p>",
    "<p>a<script><!--<script></script>after</script>c</p>",
    "<p><i>a</i><script></script><i>b</i></p>",
    "<p>a</p><SCRIPT>x</Script><p>b</p><script>unclosed <p>c</p>",
    "<div><!--[if lt IE 9]><script>x('video');</script><![endif]-->\n<p>v</p></div>",
]


@pytest.mark.parametrize("html", CASES)
@pytest.mark.parametrize("title", ["", "拜登", "a"])
@pytest.mark.parametrize("pack", range(len(_PACKS)))
def test_handmade_raw_text_cleans_as_reference(html: str, title: str, pack: int) -> None:
    raws = _raws([html, html.replace("a", "b"), html], title)
    _both(raws, _PACKS[pack])
    _both(raws, _PACKS[pack], learn=False)
    if _PACKS[pack] is not _UNWRAPPING and "版权所有 x" not in html and "。" not in html:
        # they are no longer a reason to leave the fast path
        assert all(_prepare(r, _PACKS[pack], False).fast is not None for r in raws)


def test_raw_text_is_read_like_html_parser() -> None:
    assert tokens.RAW_TEXT_MODELLED  # this Python's html.parser reads it as modelled
    for html in _RAW:
        _check_parse(html)
        _check_parse(f"<p>a{html}b</p>c")
    assert sum(_check_parse(f"<p>a{html}b</p>") for html in _RAW) > len(_RAW) * 2 // 3


# ------------------------------------------------------------------ real pages

_REAL = [
    "pages/nf4514/n12445645.md",
    "pages/prog202/a102954949.md",
    "pages/prog202/a102957890.md",
    "pages/prog203/a102955415.md",
    "pages/prog203/a102957659.md",
    "pages/prog204/a102955536.md",
    "pages/prog204/a102957469.md",
    "pages/prog204/a102959781.md",
]


def test_real_pages_with_scripts_take_the_fast_path() -> None:
    root = SHARED / "corpora" / "goodnews-md" / "zydd999__banned-news2"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared corpora are not beside the project")
    items = {i.key: i for i in collect_local("gn", Path(root), fmt="goodnews").items}
    raws = [items[k] for k in _REAL]
    for raw in raws:
        assert _prepare(raw, None, False).fast is not None, raw.key
    _both(raws, builtin_pack("goodnews"))
