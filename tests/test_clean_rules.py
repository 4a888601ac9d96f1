"""One focused test per cleaning rule (feedhub/clean/rules/*.yaml and tree.py's built-in steps).

Every test feeds a short synthetic article (fictional text, example.* domains) through
:func:`feedhub.clean.clean` and checks three things where they apply:

* the boilerplate is gone (its text / URL / id / class absent from ``html`` and ``text``),
* the neighbouring body text survives,
* ``cleaned.removed`` names the rule that removed it.

The shapes imitate the real mirror pages (goodnews markdown+HTML mix, feedx Jekyll
posts, Hexo HTML bodies) without copying their text.
"""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime

import pytest

from feedhub.clean import builtin_pack, clean, sanitize
from feedhub.clean.tree import TreeCleaner
from feedhub.collect.local import parse_article
from feedhub.types import Cleaned, RawItem

BODY_1 = "市图书馆今天宣布延长开放时间。"
BODY_2 = "馆方表示，新安排将从下月起实行。"


# ------------------------------ helpers


def item(
    content: str,
    *,
    fmt: str = "rss",
    content_type: str = "html",
    title: str = "示例标题",
    link: str | None = None,
) -> RawItem:
    return RawItem(
        source_id="t",
        key="k",
        format=fmt,
        title=title,
        content=content,
        content_type=content_type,
        link=link,
    )


def run(content: str, **kw: str | None) -> Cleaned:
    return clean(item(content, **kw))  # type: ignore[arg-type]


def body(snippet: str) -> str:
    """A snippet of boilerplate between two body paragraphs."""
    return f"<p>{BODY_1}</p>{snippet}<p>{BODY_2}</p>"


def rules(c: Cleaned) -> list[str]:
    return [r.rule for r in c.removed]


def assert_gone(c: Cleaned, *needles: str) -> None:
    for n in needles:
        assert n not in c.html, f"{n!r} still in html: {c.html}"
        assert n not in c.text, f"{n!r} still in text: {c.text}"


def assert_kept(c: Cleaned, *needles: str) -> None:
    html_text = re.sub(r"<[^>]*>", "", c.html)  # inline tags may sit inside a needle
    for n in needles:
        assert n in c.text, f"{n!r} missing from text: {c.text!r}"
        assert n in html_text, f"{n!r} missing from html: {c.html}"


def goodnews(body_md: str, title: str = "某市举办年度灯会") -> RawItem:
    """A goodnews mirror page: '### title' + underline, then the body."""
    page = f"### {title}\n------------------------\n\n{body_md}"
    return parse_article(page, source_id="t", key="pages/a/1.md", fmt="goodnews")


GN_BODY = "某市今晚举办年度灯会，数千市民到场观赏。\n\n主办方说，灯会将持续一周。\n"


def jekyll(body_md: str, title: str = "某地举办科技展览") -> RawItem:
    """A feedx Jekyll post: front matter with layout/from, then the body."""
    page = (
        "---\n"
        "layout: post\n"
        f'title: "{title}"\n'
        "date: 2026-11-16T08:00:00.000Z\n"
        "author: 示例之声\n"
        "from: https://news.example.org/a/123.html\n"
        "tags: [ 示例之声 ]\n"
        "categories: [ 示例之声 ]\n"
        "---\n"
        f"{body_md}"
    )
    return parse_article(page, source_id="t", key="_posts/2026-11-16-x.md", fmt="jekyll")


# ------------------------------ common.remove_selectors

AD_TEXT = "赞助商推广内容"

SELECTOR_CASES = [
    (
        "common.ad-adsbygoogle",
        f'<ins class="adsbygoogle" data-ad-slot="42">{AD_TEXT}</ins>',
        "adsbygoogle",
    ),
    ("common.ad-adsbygoogle", f'<div class="box adsbygoogle">{AD_TEXT}</div>', "adsbygoogle"),
    ("common.ad-embed", f'<div class="AD_Embed__Wrap-sc-x1 module">{AD_TEXT}</div>', "AD_Embed"),
    (
        "common.ad-gpt-slot",
        f'<div><center><div id="div-gpt-ad-1234567-0">{AD_TEXT}</div></center></div>',
        "div-gpt-ad",
    ),
    (
        "common.ad-image",
        '<p><img src="https://cdn.example.org/ad/banner-728.gif" alt="ad"></p>',
        "banner-728",
    ),
    (
        "common.ad-image",
        '<p><img src="https://cdn.example.org/ads/side.png" alt="ad"></p>',
        "side.png",
    ),
    (
        "common.ad-image",
        '<p><img src="https://cdn.example.org/img/join_membership.jpg"></p>',
        "join_membership",
    ),
    ("common.ad-single", f'<div class="single_ad">{AD_TEXT}</div>', "single_ad"),
    ("common.ad-single", f'<div class="sidebar-advertisement">{AD_TEXT}</div>', "advertisement"),
    ("common.ad-single", f'<div id="ad-slot-top">{AD_TEXT}</div>', "ad-slot-top"),
    ("common.ad-taboola", f'<div id="taboola-below-article">{AD_TEXT}</div>', "taboola"),
    ("common.ad-taboola", f'<div class="trc_taboola_feed">{AD_TEXT}</div>', "taboola"),
    ("common.ad-text-slot", f'<div id="txt-mid1-t21-2017">{AD_TEXT}</div>', "txt-mid1"),
    ("common.ad-text-slot", f'<div id="SC-21xx">{AD_TEXT}</div>', "SC-21xx"),
    (
        "common.hidden-element",
        f'<span id="hideid" style="color:red;display:none;">{AD_TEXT}</span>',
        "hideid",
    ),
    ("common.hidden-element", f'<div style="display: none">{AD_TEXT}</div>', "display"),
    ("common.hidden-element", f"<p hidden>{AD_TEXT}</p>", "hidden"),
]


@pytest.mark.parametrize(
    ("rule", "snippet", "marker"),
    SELECTOR_CASES,
    ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(SELECTOR_CASES)],
)
def test_remove_selector(rule: str, snippet: str, marker: str) -> None:
    c = run(body(snippet))
    assert rule in rules(c)
    assert_gone(c, AD_TEXT, marker)
    assert_kept(c, BODY_1, BODY_2)


SCRIPT_LIKE = [
    '<script>var tracker = "隐藏脚本";</script>',
    "<style>.x { color: red } /* 隐藏样式 */</style>",
    "<noscript>隐藏的无脚本提示</noscript>",
    "<template><p>隐藏的模板段落</p></template>",
    '<iframe src="https://widgets.example.net/frame.html">隐藏框架</iframe>',
    '<object data="https://widgets.example.net/player.swf">隐藏对象</object>',
    '<embed src="https://widgets.example.net/player.swf">',
    '<form action="https://widgets.example.net/submit"><p>隐藏的表单说明</p></form>',
    '<input type="text" value="https://s.example.net/short">',
    "<button>隐藏按钮</button>",
    "<select><option>隐藏选项</option></select>",
    "<textarea>隐藏文本框</textarea>",
]


def _tag_name(snippet: str) -> str:
    m = re.match(r"<(\w+)", snippet)
    return m.group(1) if m else snippet


@pytest.mark.parametrize("snippet", SCRIPT_LIKE, ids=_tag_name)
def test_remove_script_like(snippet: str) -> None:
    c = run(body(snippet))
    assert "common.script-like" in rules(c)
    assert_gone(c, "隐藏", "widgets.example.net", "s.example.net", "tracker", "color: red")
    assert_kept(c, BODY_1, BODY_2)


# ------------------------------ common.unwrap_selectors


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ('<ok href="/term/3365">拜登</ok>', "keyword-ok-tag"),
        ('<span href="/term/3365">拜登</span>', "keyword-span-href"),
    ],
)
def test_keyword_tag_unwrapped_keeps_inner_word(tag: str, rule: str) -> None:
    html = f"<p>美国总统{tag}今天发表讲话。</p>"
    # the tree stage on its own: the tag is gone, its word is not
    tree = str(TreeCleaner(builtin_pack("rss"), "", None).run(html))
    assert "<ok" not in tree and "<span" not in tree
    assert "/term/3365" not in tree
    assert "美国总统拜登今天发表讲话。" in tree
    # and end to end
    c = run(html)
    assert_gone(c, "/term/3365", "<ok", "<span")
    assert_kept(c, "美国总统拜登今天发表讲话。")
    assert f"common.{rule}" in dict(builtin_pack("rss").unwrap_selectors)


# ------------------------------ common.block_patterns

BLOCK_CASES = [
    ("common.copyright-notice", "<p>本站版权所有，未经授权不得转载或镜像。</p>", "版权所有"),
    ("common.copyright-notice", "<p>版權所有，如需轉載請聯繫本台。</p>", "版權所有"),
    ("common.copyright-notice", "<p>转载请注明出处及原文链接。</p>", "转载请注明"),
    ("common.copyright-notice", "<p>严禁建立镜像网站。</p>", "严禁"),
    ("common.copyright-notice", "<p>嚴禁轉載。</p>", "嚴禁"),
    ("common.editor-line", "<p>责任编辑：王小明</p>", "王小明"),
    ("common.editor-line", "<p>（責任編輯：李小華）</p>", "李小華"),
    (
        "common.feedx-footer",
        '<div>获取更多RSS：<br><a href="https://rss.example.net" style="color:orange">https://rss.example.net</a>'
        '<br><a href="https://rss.example.org">https://rss.example.org</a><br></div>',
        "rss.example",
    ),
    (
        "common.membership-promo",
        "<p>【诚征荣誉会员】每位会员每年只需支付一份订阅费用。</p>",
        "诚征",
    ),
    (
        "common.short-url",
        '<p>本文短网址: <input type="text" value="http://s.example/abc"> http://s.example/abc</p>',
        "s.example/abc",
    ),
    ("common.short-url", "<p>本文短網址：http://s.example/xyz</p>", "s.example/xyz"),
    ("common.wire-source", '<p>来源: <span href="/tag/x">某某社</span></p>', "某某社"),
    ("common.wire-source", "<p>來源：某某報</p>", "某某報"),
]


@pytest.mark.parametrize(
    ("rule", "snippet", "marker"),
    BLOCK_CASES,
    ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(BLOCK_CASES)],
)
def test_block_pattern(rule: str, snippet: str, marker: str) -> None:
    c = run(body(snippet))
    assert rule in rules(c)
    assert_gone(c, marker)
    assert_kept(c, BODY_1, BODY_2)


def test_copyright_notice_traditional_mirror_ban() -> None:
    c = run(body("<p>嚴禁建立鏡像網站。</p>"))
    assert "common.copyright-notice" in rules(c)
    assert_gone(c, "嚴禁")
    assert_kept(c, BODY_1, BODY_2)


@pytest.mark.parametrize(
    ("inner", "rule"),
    [
        ("<p>责任编辑：王小明</p>", "common.editor-line"),  # anchored pattern
        (
            "<p>转载请注明出处及原文链接。</p>",
            "common.copyright-notice",
        ),  # unanchored: outer div matches too
    ],
)
def test_block_pattern_removes_only_innermost_block(inner: str, rule: str) -> None:
    html = (
        f'<div class="article"><p>{BODY_1}</p><div class="meta">{inner}</div><p>{BODY_2}</p></div>'
    )
    c = run(html)
    hits = [r for r in c.removed if r.rule == rule]
    assert len(hits) == 1
    # only the short inner block went: its text is all the removal holds
    assert BODY_1 not in hits[0].text and BODY_2 not in hits[0].text
    assert_gone(c, "王小明", "转载请注明")
    assert_kept(c, BODY_1, BODY_2)


LONG = "这是一段很长的正文，" * 50  # > MAX_BOILERPLATE_BLOCK (400) characters


def test_long_block_drops_only_the_inline_run_after_br() -> None:
    html = f"<p>{LONG}<br>本站版权所有，未经授权禁止转载。<br>{BODY_2}</p>"
    c = run(html)
    assert "common.copyright-notice" in rules(c)
    assert_gone(c, "版权所有", "禁止转载")
    assert_kept(c, LONG.rstrip("，")[:60], BODY_2)
    assert LONG.strip() in c.text.replace("\n", "")


def test_long_block_keeps_its_other_text_when_phrase_shares_the_text_node() -> None:
    html = f"<p>{LONG}本站版权所有，未经授权禁止转载。{BODY_2}</p>"
    c = run(html)
    assert "common.copyright-notice" in rules(c)
    assert_gone(c, "版权所有")
    assert_kept(c, LONG[:60], BODY_2)


# ------------------------------ common.related_labels


def test_related_label_with_inline_link_is_removed() -> None:
    html = body('<p>相关报导：<ok href="https://news.example.org/post/9">示例相关标题</ok></p>')
    c = run(html)
    assert rules(c) == ["common.related-links"]
    assert_gone(c, "相关报导", "示例相关标题", "news.example.org/post/9")
    assert_kept(c, BODY_1, BODY_2)


@pytest.mark.parametrize(
    "links",
    [
        # one link per paragraph (the soundofhope shape)
        '<p><ok href="https://news.example.org/post/1">甲地新闻标题</ok></p>\n'
        '<p><a href="https://news.example.org/post/2">乙地新闻标题</a></p>',
        # a list of links
        '<ul><li><a href="https://news.example.org/post/1">甲地新闻标题</a></li>'
        '<li><a href="https://news.example.org/post/2">乙地新闻标题</a></li></ul>',
    ],
)
def test_related_label_and_following_link_only_blocks_are_removed(links: str) -> None:
    html = f"<p>{BODY_1}</p>\n<p>其他报导：</p>\n{links}\n<p>{BODY_2}</p>"
    c = run(html)
    assert set(rules(c)) == {"common.related-links"}
    assert_gone(c, "其他报导", "甲地新闻标题", "乙地新闻标题", "news.example.org")
    assert_kept(c, BODY_1, BODY_2)


def test_related_label_followed_by_normal_paragraph_keeps_it() -> None:
    para = (
        '这是普通的正文段落，其中提到<a href="https://news.example.org/post/3">一份报告</a>的结论。'
    )
    c = run(f"<p>{BODY_1}</p><p>延伸阅读：</p><p>{para}</p>")
    assert rules(c) == ["common.related-links"]
    assert_gone(c, "延伸阅读")
    assert_kept(c, BODY_1, "这是普通的正文段落，其中提到一份报告的结论。")
    assert 'href="https://news.example.org/post/3"' in c.html


def test_paragraph_starting_with_label_words_is_not_a_label() -> None:
    para = "相关报导被指夸大了事件的影响，多位学者对此提出质疑。"
    c = run(body(f"<p>{para}</p>"))
    assert "common.related-links" not in rules(c)
    assert_kept(c, BODY_1, para, BODY_2)


# ------------------------------ images


@pytest.mark.parametrize(
    "attrs",
    [
        'width="1" height="1"',
        'width="0px" height="0px"',
        'height="1"',
        'style="width:0;height:0"',
        'style="width:1px; height:1px"',
    ],
)
def test_tracking_pixel_is_dropped(attrs: str) -> None:
    c = run(body(f'<p><img src="https://pixel.example.net/p.gif?id=9" {attrs}></p>'))
    assert "common.tracking-pixel" in rules(c)
    assert_gone(c, "pixel.example.net", "<img")
    assert_kept(c, BODY_1, BODY_2)


def test_goodnews_bottom_pixel_is_dropped_from_markdown() -> None:
    # outside the share footer, so only the pixel rule can remove it
    md = (
        GN_BODY + "\n<img src='http://mirror.example.net/pages/a/1.md' width='0px' height='0px'/>\n"
    )
    c = clean(goodnews(md))
    assert "common.tracking-pixel" in rules(c)
    assert_gone(c, "mirror.example.net")
    assert_kept(c, "数千市民到场观赏", "灯会将持续一周")


def test_normal_image_is_not_a_pixel() -> None:
    c = run(
        body(
            '<p><img src="https://img.example.org/photo.jpg" width="600" height="400" '
            'style="height:400px; width:600px"></p>'
        )
    )
    assert "common.tracking-pixel" not in rules(c)
    assert 'src="https://img.example.org/photo.jpg"' in c.html


@pytest.mark.parametrize("style", ["border-width:0", "max-width:100%;min-height:0"])
def test_image_with_zero_border_is_not_a_pixel(style: str) -> None:
    c = run(body(f'<p><img src="https://img.example.org/photo.jpg" style="{style}"></p>'))
    assert "common.tracking-pixel" not in rules(c)
    assert 'src="https://img.example.org/photo.jpg"' in c.html


@pytest.mark.parametrize(
    "attr", ["data-original", "data-src", "data-lazy-src", "data-actualsrc", "data-echo"]
)
def test_lazy_image_attribute_becomes_src(attr: str) -> None:
    img = f'<img class="lazy" {attr}="https://img.example.org/real.jpg" src="https://img.example.org/placeholder.gif">'
    c = run(body(f"<p>{img}</p>"))
    assert 'src="https://img.example.org/real.jpg"' in c.html
    assert_gone(c, "placeholder.gif", attr)
    assert_kept(c, BODY_1, BODY_2)


def test_lazy_image_without_src_gets_one() -> None:
    c = run(body('<p><img data-src="https://img.example.org/real.jpg"></p>'))
    assert 'src="https://img.example.org/real.jpg"' in c.html


@pytest.mark.parametrize(
    ("proxied", "original"),
    [
        # common.cors-zfour
        (
            "https://cors.zfour.workers.dev/?http://zk.example.com/202611/abc_1024.jpg",
            "http://zk.example.com/202611/abc_1024.jpg",
        ),
        # common.weserv, scheme-less inner URL
        (
            "https://images.weserv.nl?url=gdb.example.com/ABC-123_w900.jpg",
            "https://gdb.example.com/ABC-123_w900.jpg",
        ),
        # common.weserv, other params first and an encoded inner URL
        (
            "https://images.weserv.nl/?w=800&url=https%3A%2F%2Fgdb.example.com%2Fx.jpg&h=600",
            "https://gdb.example.com/x.jpg",
        ),
    ],
)
def test_image_proxy_is_unwrapped(proxied: str, original: str) -> None:
    c = run(body(f'<p><img src="{proxied}" data-height="681"></p>'))
    assert f'src="{original}"' in c.html
    assert_gone(c, "zfour", "weserv")
    assert_kept(c, BODY_1, BODY_2)


def test_lazy_attribute_through_proxy() -> None:
    # the Hexo/ZAKER shape: data-original holds the real URL, src the proxied one
    img = (
        '<img class="lazy opacity_0" data-original="http://zk.example.com/a_1024.jpg" '
        'src="https://cors.zfour.workers.dev/?http://zk.example.com/a_1024.jpg" '
        'referrerpolicy="no-referrer">'
    )
    c = run(
        f'<div><p></p><div class="img_box" onclick>{img}</div>{BODY_1}<p></p></div>', fmt="hexo"
    )
    assert 'src="http://zk.example.com/a_1024.jpg"' in c.html
    assert_gone(c, "zfour", "onclick", "referrerpolicy")
    assert_kept(c, BODY_1)


# ------------------------------ URLs


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=mirror",
        "UTM_Medium=social",
        "utm_campaign=x",
        "spm=a2c.1",
        "from=singlemessage",
        "fbclid=IwAR0abc",
        "gclid=Cj0abc",
        "mc_cid=abc",
        "mc_eid=def",
        "igshid=xyz",
        "_hsenc=p2A",
        "_hsmi=123",
        "ref_src=twsrc",
        "yclid=777",
    ],
)
def test_tracking_param_is_removed(param: str) -> None:
    c = run(
        body(
            f'<p>见<a href="https://news.example.org/a?id=7&{param}">报告</a>及'
            f'<img src="https://img.example.org/p.jpg?{param}&w=600"></p>'
        )
    )
    name = param.split("=")[0]
    assert name not in c.html
    assert 'href="https://news.example.org/a?id=7"' in c.html
    assert 'src="https://img.example.org/p.jpg?w=600"' in c.html
    assert_kept(c, BODY_1, BODY_2, "见报告及")


def test_url_with_only_tracking_params_loses_its_query() -> None:
    c = run(body('<p><a href="https://news.example.org/a?utm_source=x&fbclid=y">报告</a></p>'))
    assert 'href="https://news.example.org/a"' in c.html


def test_relative_urls_resolve_against_item_link() -> None:
    html = body('<p>详见<a href="/news/2.html">上一篇</a>。<img src="pics/a.jpg"></p>')
    c = run(html, link="https://www.example.org/news/1.html")
    assert 'href="https://www.example.org/news/2.html"' in c.html
    assert 'src="https://www.example.org/news/pics/a.jpg"' in c.html
    assert_kept(c, BODY_1, BODY_2, "详见上一篇。")


def test_relative_urls_without_base_are_dropped_but_text_kept() -> None:
    c = run(body('<p>详见<a href="/news/2.html">上一篇</a>。<img src="pics/a.jpg"></p>'))
    assert_gone(c, "/news/2.html", "pics/a.jpg", "<img")
    assert_kept(c, BODY_1, BODY_2, "详见上一篇。")


def test_relative_urls_resolve_against_goodnews_original_link() -> None:
    md = (
        GN_BODY + '\n<p>详见<a href="/post/2">上一篇</a>。</p>\n\n'
        "原文地址（需翻墙访问）：https://news.example.org/post/1\n"
    )
    c = clean(goodnews(md))
    assert 'href="https://news.example.org/post/2"' in c.html


# ------------------------------ pruning, text joining


def test_empty_elements_are_pruned() -> None:
    html = (
        f"<div><p></p><p>{BODY_1}</p><div><span> </span><center>\n</center></div>"
        '<p><img src="https://img.example.org/a.jpg"></p><p><img></p><hr><ul><li> </li></ul>'
        f"<p>{BODY_2}</p></div>"
    )
    c = run(html)
    assert c.html == (
        f'<p>{BODY_1}</p><p><img src="https://img.example.org/a.jpg"></p><p>{BODY_2}</p>'
    )
    assert c.text == f"{BODY_1}\n{BODY_2}"


def test_cjk_runs_are_joined_without_spaces() -> None:
    # prettified HTML (one tag per line) around keyword tags, as the mirrors write it
    html = (
        '<p>\n  美国总统\n  <ok href="/term/1">\n   拜登\n  </ok>\n  与俄罗斯总统\n'
        '  <span href="/term/2">\n   普京\n  </span>\n  举行会谈。\n</p>\n'
        "<p>\n  The talks lasted\n  three hours.\n</p>"
    )
    c = run(html)
    assert_kept(c, "美国总统拜登与俄罗斯总统普京举行会谈。", "The talks lasted three hours.")
    assert "总统 拜登" not in c.text and "拜登 与" not in c.text


# ------------------------------ title-repeat


@pytest.mark.parametrize(
    "lead",
    [
        "<h2>示例标题</h2>",
        "<p>  示例标题\n</p>",
        '<p><a href="https://news.example.org/a/1.html">示例标题</a></p>',
    ],
)
def test_leading_title_repeat_is_dropped(lead: str) -> None:
    c = run(lead + body(""))
    assert "title-repeat" in rules(c)
    assert c.text == f"{BODY_1}\n{BODY_2}"


def test_title_later_in_body_is_kept() -> None:
    c = run(f"<p>{BODY_1}</p><p>示例标题</p>")
    assert "title-repeat" not in rules(c)
    assert_kept(c, BODY_1, "示例标题")


def test_leading_block_with_more_than_the_title_is_kept() -> None:
    c = run(f"<p>示例标题：{BODY_1}</p>")
    assert "title-repeat" not in rules(c)
    assert_kept(c, f"示例标题：{BODY_1}")


# ------------------------------ metadata


@pytest.mark.parametrize(
    "dateline", ["【某某网2026年11月16日讯】", "【某某网北京时间2026年11月16日讯】"]
)
def test_dateline_gives_outlet_and_date(dateline: str) -> None:
    md = (
        f"<div>\n <p>\n  {dateline}（记者综合报导）某市今晚举办年度灯会。\n </p>\n</div>\n\n"
        "主办方说，灯会将持续一周。\n"
    )
    c = clean(goodnews(md))
    assert c.outlet == "某某网"
    assert c.published == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)  # midnight in Beijing
    assert_kept(c, "某市今晚举办年度灯会。", "灯会将持续一周")


def test_wire_line_gives_wire_and_is_removed() -> None:
    c = run(body('<p>\n  来源:\n  <span href="/news/tag/x">\n   某某社\n  </span>\n</p>'))
    assert c.wire == "某某社"
    assert "common.wire-source" in rules(c)
    assert_gone(c, "来源", "某某社")
    assert_kept(c, BODY_1, BODY_2)


def test_wire_pattern_ignores_long_blocks() -> None:
    c = run(f"<p>来源：{BODY_1}{BODY_2}{BODY_1}</p>")
    assert c.wire is None


# ------------------------------ goodnews line rules

NAV = (
    "#### [首页](../../README.md)  &nbsp;&nbsp;|&nbsp;&nbsp; [本地新闻](../../indexes/L本地.md)   "
    "&nbsp;&nbsp;|&nbsp;&nbsp; [热点推荐](../../indexes/热点推荐.md)  &nbsp;&nbsp;|&nbsp;&nbsp; "
    "[使用教程](https://example.com/guides/blob/master/README.md?n1)"
)
PROMO = (
    "#### [ 💌 示例推广标题一](https://example.com/promo/1.md) &nbsp; | &nbsp;"
    "[示例推广标题二](https://example.com/promo/2.md) "
)


@pytest.mark.parametrize(
    ("line", "markers"),
    [
        (NAV, ("首页", "本地新闻", "README.md", "使用教程")),
        (
            PROMO,
            ("示例推广标题", "promo"),
        ),
        (
            "#### [ 🎬  示例纪录片（上集）](http://203.0.113.5:10000/videos/demo/)",
            ("示例纪录片", "203.0.113.5"),
        ),
        (
            "#### 💥 [《示例专题》](http://203.0.113.5:10000/videos/topic/)",
            ("示例专题", "203.0.113.5"),
        ),
    ],
)
def test_goodnews_link_only_heading(line: str, markers: tuple[str, ...]) -> None:
    c = clean(goodnews(f"{line}\n\n{GN_BODY}"))
    assert "goodnews.link-only-heading" in rules(c)
    assert_gone(c, *markers)
    assert_kept(c, "数千市民到场观赏", "灯会将持续一周")


def test_goodnews_heading_with_words_is_kept() -> None:
    c = clean(goodnews(f"#### 现场直击 [视频](https://video.example.org/1)\n\n{GN_BODY}"))
    assert "goodnews.link-only-heading" not in rules(c)
    assert_kept(c, "现场直击", "数千市民到场观赏")


def test_goodnews_link_heading_with_trailing_word_is_fast() -> None:
    if not hasattr(signal, "setitimer"):
        pytest.skip("needs SIGALRM")
    links = "  &nbsp;&nbsp;|&nbsp;&nbsp; ".join(
        f"[栏目{i}](../../indexes/{i}.md)" for i in range(6)
    )
    page = goodnews(f"#### {links}  更新说明\n\n{GN_BODY}")

    def timeout(*_: object) -> None:
        raise TimeoutError("clean() took longer than 1 s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        c = clean(page)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert_kept(c, "更新说明", "数千市民到场观赏")


@pytest.mark.parametrize(
    "line", ["#### 网站代理：示例代理入口一览", "## 翻墙工具下载 [入口](https://example.com/x)"]
)
def test_goodnews_proxy_heading(line: str) -> None:
    c = clean(goodnews(f"{line}\n\n{GN_BODY}"))
    assert "goodnews.proxy-heading" in rules(c)
    assert_gone(c, "代理", "翻墙", "example.com/x")
    assert_kept(c, "数千市民到场观赏", "灯会将持续一周")


def test_goodnews_qr_image_link() -> None:
    line = (
        "<a href='https://github.com/example/mirror/blob/master/pages/a/1.md'>"
        "<img src='https://cdn.example.net/gh/example/mirror/pages/a/1.md.png'/></a> <br/>"
    )
    c = clean(goodnews(f"{GN_BODY}\n{line}\n\n结尾正文段落。\n"))
    assert "goodnews.qr-image-link" in rules(c)
    assert_gone(c, "1.md.png", "github.com/example/mirror", "<img")
    assert_kept(c, "数千市民到场观赏", "结尾正文段落。")


def test_goodnews_self_link() -> None:
    line = "https://github.com/example/mirror/blob/master/pages/a/1.md <br/>"
    c = clean(goodnews(f"{GN_BODY}\n{line}\n\n结尾正文段落。\n"))
    assert "goodnews.self-link" in rules(c)
    assert_gone(c, "github.com/example/mirror", "1.md")
    assert_kept(c, "数千市民到场观赏", "结尾正文段落。")


def test_goodnews_separator() -> None:
    # without the rule "text\n---" would turn the paragraph into a setext <h2>
    c = clean(goodnews("某市今晚举办年度灯会。\n---\n\n主办方说，灯会将持续一周。\n"))
    assert "goodnews.separator" in rules(c)
    assert "<h2>" not in c.html and "<hr" not in c.html and "---" not in c.text
    assert_kept(c, "某市今晚举办年度灯会。", "灯会将持续一周")


FOOTER = (
    "<hr/>\n"
    "手机上长按并复制下列链接或二维码分享本文章：<br/>\n"
    "https://github.com/example/mirror/blob/master/pages/a/1.md <br/>\n"
    "<a href='https://github.com/example/mirror/blob/master/pages/a/1.md'>"
    "<img src='https://cdn.example.net/gh/example/mirror/pages/a/1.md.png'/></a> <br/>\n"
    "原文地址（需翻墙访问）：https://news.example.org/post/1?utm_source=mirror&id=5\n"
    "\n\n------------------------\n"
    f"{NAV}\n\n\n"
    "<img src='http://mirror.example.net/pages/a/1.md' width='0px' height='0px'/>"
)


def test_goodnews_original_url_becomes_link() -> None:
    c = clean(
        goodnews(
            GN_BODY
            + "\n原文地址（需翻墙访问）：https://news.example.org/post/1 <br/>\n\n结尾正文段落。\n"
        )
    )
    assert c.link == "https://news.example.org/post/1"
    assert "goodnews.original-url" in rules(c)
    assert_gone(c, "原文地址", "news.example.org")
    assert_kept(c, "数千市民到场观赏", "结尾正文段落。")


def test_goodnews_share_footer_is_cut_and_original_url_read_first() -> None:
    c = clean(goodnews(GN_BODY + FOOTER))
    assert c.link == "https://news.example.org/post/1?id=5"  # tracking param dropped
    assert {"goodnews.original-url", "goodnews.share-footer"} <= set(rules(c))
    footer = next(r for r in c.removed if r.rule == "goodnews.share-footer")
    assert footer.text.startswith("手机上长按并复制")
    assert_gone(
        c,
        "手机上长按",
        "github.com/example/mirror",
        "1.md.png",
        "原文地址",
        "首页",
        "mirror.example.net",
        "news.example.org",
    )
    assert_kept(c, "数千市民到场观赏", "灯会将持续一周")


def test_goodnews_full_page() -> None:
    md = (
        f"{NAV}\n\n\n\n"
        f"{PROMO}\n\n"
        '<div><div class="Content__Wrapper">\n <p class="meta-top">\n  <span class="meta">\n'
        "   【某某网2026年11月16日讯】（本台记者综合报导）\n  </span>\n  某市今晚举办\n"
        '  <ok href="/term/1">\n   年度灯会\n  </ok>\n  ，数千市民到场观赏。\n </p>\n'
        ' <div class="AD_Embed__Wrap-sc-1 module">\n  <div>\n  </div>\n </div>\n'
        ' <p>\n  相关报导：\n  <ok href="https://news.example.org/post/0">\n'
        "   去年灯会回顾\n  </ok>\n </p>\n"
        ' <p class="meta-btm">\n  责任编辑：王小明\n </p>\n'
        ' <p class="meta-btm">\n'
        "  本文章经某某网编辑制作，转载请注明某某网并包含原文标题及链接。\n </p>\n"
        "</div>\n</div>\n" + FOOTER
    )
    c = clean(goodnews(md))
    assert (
        c.text
        == "【某某网2026年11月16日讯】（本台记者综合报导）某市今晚举办年度灯会，数千市民到场观赏。"
    )
    assert c.outlet == "某某网"
    assert c.link == "https://news.example.org/post/1?id=5"
    assert {
        "goodnews.link-only-heading",
        "common.related-links",
        "common.editor-line",
        "common.copyright-notice",
        "goodnews.share-footer",
        "goodnews.original-url",
    } <= set(rules(c))


# ------------------------------ jekyll (feedx)


def test_jekyll_feedx_timestamp_comment() -> None:
    c = clean(jekyll(f"<!--1763280000000-->\n{BODY_1}\n\n{BODY_2}\n"))
    assert "jekyll.feedx-timestamp" in rules(c)
    assert_gone(c, "1763280000000", "<!--")
    assert_kept(c, BODY_1, BODY_2)


def test_jekyll_title_link_repeat_and_separator() -> None:
    md = (
        "<!--1763280000000-->\n"
        "[某地举办科技展览](https://news.example.org/a/123.html)\n------\n\n"
        f"<div>\n<p>{BODY_1}</p><p>{BODY_2}</p>\n</div>\n"
    )
    c = clean(jekyll(md))
    assert {"jekyll.feedx-timestamp", "jekyll.separator", "title-repeat"} <= set(rules(c))
    assert_gone(c, "某地举办科技展览", "news.example.org", "------")
    assert c.text == f"{BODY_1}\n{BODY_2}"


def test_jekyll_separator_after_paragraph() -> None:
    c = clean(jekyll(f"{BODY_1}\n------\n\n{BODY_2}\n"))
    assert "jekyll.separator" in rules(c)
    assert "<h2>" not in c.html
    assert_kept(c, BODY_1, BODY_2)


def test_jekyll_feedx_date_stamp() -> None:
    md = (
        f"<div>\n<div><i>Mon, 16 Nov 2026 08:00:00 GMT</i></div>"
        '<img src="https://images.weserv.nl?url=img.example.com/a.jpg" width="100%">'
        f"<p>{BODY_1}</p><p>{BODY_2}</p><br><hr>"
        "<div>获取更多RSS：<br>"
        '<a href="https://rss.example.net" style="color:orange" target="_blank">'
        "https://rss.example.net</a> <br></div>\n</div>\n"
    )
    c = clean(jekyll(md))
    assert "jekyll.feedx-date-stamp" in rules(c)
    assert "common.feedx-footer" in rules(c)
    assert_gone(c, "16 Nov 2026", "GMT", "获取更多RSS", "rss.example.net")
    assert 'src="https://img.example.com/a.jpg"' in c.html
    assert_kept(c, BODY_1, BODY_2)


def test_jekyll_italic_word_inside_div_text_is_kept() -> None:
    c = clean(jekyll("<div>展览的主题是<i>未来城市</i>，共有百家机构参展。</div>\n"))
    assert "jekyll.feedx-date-stamp" not in rules(c)
    assert_kept(c, "展览的主题是未来城市，共有百家机构参展。")


# ------------------------------ sanitizer


SANITIZE_CASES = [
    ('<p>正文<script>alert("x")</script></p>', ("<script", "alert")),
    ('<p onclick="steal()" onmouseover="steal()">正文</p>', ("onclick", "onmouseover", "steal")),
    (
        '<p>正文<img src="https://img.example.org/a.jpg" onerror="steal()"></p>',
        ("onerror", "steal"),
    ),
    ('<p>正文<a href="javascript:alert(1)">链接</a></p>', ("javascript", "alert")),
    ('<p>正文<a href="JaVaScRiPt:alert(1)">链接</a></p>', ("alert",)),
    ('<p>正文<img src="data:image/png;base64,iVBORw0KGgo="></p>', ("data:", "base64")),
    ('<p>正文<a href="data:text/html;base64,PHNjcmlwdD4=">链接</a></p>', ("data:", "base64")),
    ('<p style="color:red;font-size:40px">正文</p>', ("style", "color:red")),
    (
        '<p>正文<iframe src="https://widgets.example.net/f.html"></iframe></p>',
        ("iframe", "widgets.example.net"),
    ),
]


@pytest.mark.parametrize(("html", "forbidden"), SANITIZE_CASES)
def test_sanitize_removes_dangerous_markup(html: str, forbidden: tuple[str, ...]) -> None:
    # the sanitizer on its own
    out = sanitize(html)
    for f in forbidden:
        assert f.lower() not in out.lower(), out
    assert "正文" in out
    # and as the last step of clean()
    c = run(html)
    for f in forbidden:
        assert f.lower() not in c.html.lower(), c.html
    assert "正文" in c.text


def test_plain_http_link_survives_with_rel() -> None:
    html = (
        '<p>正文见<a href="http://news.example.org/a/1.html" target="_blank" rel="opener">'
        "此处</a>。</p>"
    )
    expected = (
        '<a href="http://news.example.org/a/1.html" rel="noopener noreferrer nofollow">此处</a>'
    )
    assert expected in sanitize(html)
    c = run(html)
    assert expected in c.html
    assert "target" not in c.html
    assert c.text == "正文见此处。"


# --------------------------------------------------------------------------- per-site packs
@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://www.soundofhope.org/post/1", False),  # the site's pack applies
        ("https://news.soundofhope.org/post/1", False),  # ... to its subdomains too
        ("https://www.example.org/post/1", True),  # and to no other site
    ],
)
def test_domain_pack_applies_only_to_its_site(link: str, kept: bool) -> None:
    raw = RawItem(
        source_id="t",
        key="k",
        format="rss",
        title="标题",
        content="<p>正文第一段，讲述本地新闻的经过与细节。</p>"
        '<p class="meta-btm">本台编辑部整理</p>',
        content_type="html",
        link=link,
    )
    out = clean(raw)
    assert "正文第一段" in out.text
    assert ("本台编辑部整理" in out.text) is kept
    if not kept:
        assert any(r.rule == "soundofhope.org.meta-bottom" for r in out.removed)
