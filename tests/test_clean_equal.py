"""The fast tree stage (``fasttree`` on ``dom``) must give exactly what the bs4 reference
(``tree.TreeCleaner``) gives: every field of ``Cleaned``, on real articles and on
generated markup.  Also the pieces it rests on: ``dom.parse`` + ``dom.serialize``
against ``str(BeautifulSoup(html, "html.parser"))``, and ``html_to_text`` against
its bs4 reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedhub.clean import _prepare, builtin_pack, clean, clean_many, dom, sanitize
from feedhub.clean.learn import LearnSettings
from feedhub.clean.sanitize import html_to_text, html_to_text_reference
from feedhub.collect.feeds import parse_feed
from feedhub.collect.local import read_article
from feedhub.config import load_config
from feedhub.pipeline import pack_of
from feedhub.types import RawItem

from .conftest import DATA, ROOT, SHARED

DEMO = ROOT / "config" / "demo"


def _both(raws: Sequence[RawItem], learn: bool = True) -> None:
    """clean_many fast and reference over one batch: identical, item by item."""
    s = LearnSettings(enabled=learn)
    fast = clean_many(raws, pack_of(None), s)
    ref = clean_many(raws, pack_of(None), s, reference=True)
    for raw, f, r in zip(raws, fast, ref, strict=True):
        assert f == r, raw.key


def _folder_batches(root: Path) -> list[list[RawItem]]:
    out: dict[Path, list[RawItem]] = {}
    for p in sorted(root.rglob("*.md")) + sorted(root.glob("*.txt")):
        out.setdefault(p.parent, []).append(read_article(p, source_id=f"f:{p.parent.name}"))
    return list(out.values())


def test_demo_articles_fast_equals_reference() -> None:
    batches = _folder_batches(DEMO)
    assert sum(map(len, batches)) >= 20
    for raws in batches:
        _both(raws)
        _both(raws, learn=False)
    # the comparison is only worth something if the fast path ran
    fast = [_prepare(r, None, False).fast is not None for b in batches for r in b]
    assert sum(fast) >= len(fast) - 2


def test_demo_feeds_fast_equals_reference() -> None:
    config = load_config(ROOT / "config" / "feedhub.yaml")
    items = []
    for p in sorted((DEMO / "feeds").iterdir()):
        items += parse_feed(p.read_bytes(), "feed", str(p))
    assert items
    for raw in items:
        pack = builtin_pack(raw.format)
        assert clean(raw, pack) == clean(raw, pack, reference=True), raw.key
    assert config.sources  # the feeds above are the demo config's


def test_feed_fixtures_fast_equals_reference() -> None:
    n = 0
    for p in sorted((DATA / "feeds").iterdir()) + sorted((DATA / "hostile").iterdir()):
        if p.suffix not in (".xml", ".rdf", ".rss", ".atom", ".json"):
            continue
        try:
            items = parse_feed(p.read_bytes(), "feed", str(p))
        except Exception:  # noqa: BLE001 - not a feed: nothing to clean
            continue
        for raw in items:
            n += 1
            pack = builtin_pack(raw.format)
            assert clean(raw, pack) == clean(raw, pack, reference=True), (p.name, raw.key)
    assert n > 10


@pytest.mark.parametrize("corpus", ["corpora/goodnews-md", "seeds"])
def test_shared_corpus_fast_equals_reference(corpus: str) -> None:
    root = SHARED / corpus
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared corpora are not beside the project")
    batches = _folder_batches(root)
    assert batches
    for raws in batches:
        _both(raws)


# ------------------------------------------------------------------ generated markup

_TAGS = ["p", "div", "span", "a", "ok", "li", "ul", "h2", "center", "section", "b", "td", "table"]
_ATTRS = [
    'class="adsbygoogle"',
    'class=" x  single_ad "',
    'id="div-gpt-ad-1"',
    'href="/x?utm_source=a&amp;n=1"',
    "href='http://a.example/b'",
    'style="display:none"',
    "hidden",
    'data-src="//img.example/a.jpg"',
    'src="http://x/ad/1.png"',
    'width="1"',
    'title="a&quot;b"',
    'class="meta-btm"',
]
_TEXTS = [
    "拜登",
    "正文内容，很长的一句话。",
    "相关报导：",
    "来源：中央社",
    "版权所有 转载请注明",
    "责任编辑：王",
    "Subscribe",
    "  ",
    "\n",
    "中\n文",
    "a &amp; b &lt; c",
    "&nbsp;",
    "&#20013;&#x6587;",
    "&bogus;",
    "x" * 30 + "本文短网址：http://t.cn/x。" + "y" * 400,
    "正文" * 220,  # a long block: a pattern in it removes only the matching run
    "本文短网址：http://t.cn/x",
    "【希望之声2021年6月16日】",
    "<!-- c -->",
    "<br>",
    "</br>",
    "<img src='http://a/b.jpg'>",
    "<hr/>",
    "</p>",
    "</div>",
    "<p/>",
]


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            attrs = draw(st.lists(st.sampled_from(_ATTRS), max_size=2))
            inner = draw(_markup(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))
            parts.append(f"<{tag}{''.join(' ' + a for a in attrs)}>{inner}{close}")
        else:
            parts.append(draw(st.sampled_from(_TEXTS)))
    return "".join(parts)


_FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


_BODY = "正文" * 160
CASES = [
    # a notice as a short run of a long block, ended by <br> / by a block
    f"<div>{_BODY}<br>版权所有 转载请注明<a href='/x'>本站</a> 后面<br>{_BODY}</div>",
    f"<div>版权所有 转载请注明 <b>x</b><p>{_BODY}</p></div>",
    # a long text node: only the matching sentence goes
    f"<p>{_BODY}。版权所有，转载请注明出处。{_BODY}</p>",
    # a comment splits a text node in two: each is matched on its own
    f"<p>{_BODY}<!-- c -->版权所有 转载请注明<br>{_BODY}</p>",
    # a run holding an element that holds a notice of its own
    f"<div>{_BODY}<br>转载请注明<span>来源：中央社 转载请注明</span></div>",
    # related list: label, then link-only blocks, then body
    "<p>相关报导：</p><p><a href='/a'>一</a></p><ul><li><a href='/b'>二</a></li></ul><p>正文</p>",
    "<div><p>其他报导：<a href='/a'>标题</a></p><p><span href='x'>三</span></p></div>",
    # title repeat, unwrapping, images, pixels, proxies, URLs
    "<h2>拜登</h2><p>说<ok href='/k'>拜登</ok>与<span href='/k'>普京</span>。</p>",
    "<p><img data-original=' http://a/b.jpg ' src='x.gif'><img src='http://a/p.gif' "
    "style='width: 1px'><img src='https://images.weserv.nl/?url=ssl:a.com/b.jpg&w=1'></p>",
    "<p><a href='javascript:alert(1)'>x</a><a href='/r?utm_source=a&amp;id=3#f'>y</a></p>",
    # prune: empty wrappers, media kept, hr dropped
    "<div><span> </span><p></p><figure><img src='http://a/i.png'></figure><hr></div><p>z</p>",
    # stray and missing end tags, void end tags, self-closed non-void
    "<div><p>a<p>b</div></span><br></br><p/>c<li>d",
    # selectors: rule attribution goes to the first rule (in name order) that matches
    "<div class='adsbygoogle taboola'>ad</div><p style='display: none'>h</p><p hidden>h</p>",
    "<p>【希望之声2021年6月16日】 正文</p><p>来源：中央社</p>",
]


@pytest.mark.parametrize("html", CASES)
@pytest.mark.parametrize("title", ["", "拜登"])
def test_handmade_html_fast_equals_reference(html: str, title: str) -> None:
    for fmt in ("rss", "goodnews"):
        raw = RawItem("s", "k", fmt, title, html, "html", link="http://a.example/p/1")
        fast = clean(raw)
        assert _prepare(raw, None, False).fast is not None
        assert fast == clean(raw, reference=True)


def test_learned_drops_fast_equals_reference() -> None:
    """A block repeated across a batch is learned and dropped on the second pass."""
    promo = "<p>订阅我们的频道，每天更新</p>"
    raws = [
        RawItem(
            "s", f"k{i}", "rss", f"t{i}", f"<p>第{i}篇正文。</p>{promo if i % 3 else ''}", "html"
        )
        for i in range(12)
    ]
    fast = clean_many(raws, pack_of(None))
    assert fast == clean_many(raws, pack_of(None), reference=True)
    assert any(r.rule.startswith("learned") for c in fast if c for r in c.removed)


@_FUZZ
@given(_markup(), st.sampled_from(["", "拜登", "正文内容，很长的一句话。"]))
def test_generated_html_fast_equals_reference(html: str, title: str) -> None:
    for fmt in ("rss", "goodnews"):
        raw = RawItem("s", "k", fmt, title, html, "html", link="http://a.example/p/1")
        assert clean(raw) == clean(raw, reference=True)


@_FUZZ
@given(_markup())
def test_dom_prints_what_bs4_prints(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    assert dom.serialize(dom.parse(html)) == str(soup)


@_FUZZ
@given(_markup())
def test_html_to_text_equals_reference(html: str) -> None:
    out = sanitize(html)
    assert html_to_text(out) == html_to_text_reference(out)


def test_unmodelled_markup_falls_back_to_reference() -> None:
    html = "<p>a</p><script>var x = '<p>';</script><pre>  b  </pre><p>来源：中央社</p>"
    raw = RawItem("s", "k", "rss", "", html, "html")
    assert _prepare(raw, None, False).fast is None
    assert clean(raw) == clean(raw, reference=True)
