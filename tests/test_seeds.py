"""The five real seed articles in ../shared/seeds, cleaned by the real CLI.

Each seed must keep its article body and lose every kind of boilerplate the
format carries.  The boilerplate is identified by *kind* (text of the nav,
promo, footer, ad slots …), read from the seed itself, so the test holds for
any page of the same template, not for one labelled line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BOILERPLATE = [
    "[首页]",
    "💌",
    "🎬",
    "🔥",
    "翻墙必看",
    "禁书下载",
    "div-gpt-ad",
    "adsbygoogle",
    "AD_Embed",
    "荣誉会员",
    "本文短网址",
    "版权所有",
    "转载请注明",
    "相关报导：",
    "其他报导：",
    "责任编辑：",
    "hideid",
    "手机上长按并复制",
    "原文地址",
    ".md.png",
    "github.com/begood0513",
    "gfw-breaker",
    "获取更多RSS",
    "feedx.net",
    "cors.zfour.workers.dev",
    "images.weserv.nl",
    "width='0px'",
    "data-original",
    "<ok",
    "</ok>",
    "<span",
    "严禁建立镜像网站",
    "<script",
    "onclick",
    "kzg.io",
]


def clean(path: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "feedhub", "clean", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, str] = json.loads(result.stdout)
    return data


END_OF_BODY = re.compile(
    r"^\s*(来源[:：]|本文短网址|责任编辑|相关报导：|其他报导：|手机上长按|获取更多RSS)", re.M
)


def body_sentences(raw: str) -> list[str]:
    """Long CJK runs of the raw page before its first end-of-article marker, outside
    Markdown headings (the mirrors' nav and promo lines): the body."""
    m = END_OF_BODY.search(raw)
    region = raw[: m.start()] if m else raw
    region = "\n".join(line for line in region.splitlines() if not line.lstrip().startswith("#"))
    return re.findall(r"[\u4e00-\u9fff，。、“”：；（）《》？！0-9]{30,}", region)


@pytest.fixture(params=["000", "001", "002", "003", "004"])
def seed(request: pytest.FixtureRequest, shared: Path) -> Path:
    return next((shared / "seeds").glob(f"{request.param}_*.txt"))


def test_seed_keeps_body_and_drops_boilerplate(seed: Path) -> None:
    raw = seed.read_text(encoding="utf-8")
    out = clean(seed)
    html, text = out["html"], out["text"]
    for marker in BOILERPLATE:
        assert marker not in html, f"{seed.name}: boilerplate {marker!r} left in html"
        assert marker not in text, f"{seed.name}: boilerplate {marker!r} left in text"
    sentences = body_sentences(raw)
    assert len(sentences) >= 2
    flat = re.sub(r"\s+", "", text)
    missing = [s for s in sentences if s not in flat]
    assert not missing, f"{seed.name}: body lost: {missing[:3]}"
    assert out["title"] and out["published"]


EXPECTED_LINK = {
    "001": "https://www.soundofhope.org/post/",
    "002": "https://www.secretchina.com/news/gb/2022/02/06/",
    "003": "https://www.secretchina.com/news/gb/2021/06/17/",
    "004": "https://www.voachinese.com/a/",
}


def test_seed_link_outlet_and_images(seed: Path) -> None:
    prefix = seed.name[:3]
    raw = seed.read_text(encoding="utf-8")
    out = clean(seed)
    if prefix in EXPECTED_LINK:
        assert out["link"].startswith(EXPECTED_LINK[prefix])
        # the link is the original article named in the page (原文地址 / front matter from:)
        assert out["link"] in raw
    assert out["outlet"]
    for src in re.findall(r'<img[^>]*src="([^"]+)"', out["html"]):
        assert src.startswith(("http://", "https://"))
        assert "zfour" not in src and "weserv" not in src
    if prefix == "000":  # lazy images: the data-original URL becomes src
        originals = re.findall(r'data-original="([^"]+)"', raw)
        assert originals and all(o in out["html"] for o in originals)
    if prefix == "004":  # weserv proxy unwrapped to the original host
        assert 'src="https://gdb.voanews.com/' in out["html"]


def test_seed_outlets_and_wire(shared: Path) -> None:
    seeds = {p.name[:3]: clean(p) for p in sorted((shared / "seeds").glob("*.txt"))}
    assert seeds["000"]["outlet"] == "ZAKER"
    assert seeds["001"]["outlet"] == "希望之声"
    assert seeds["002"]["outlet"] == "看中国"
    assert seeds["003"]["wire"] == "中央社"
    assert seeds["004"]["outlet"] == "美国之音"
