"""Learned boilerplate: repeated blocks of a source go; real text, even repeated, stays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from feedhub.clean import LearnSettings, clean_many, pack_for
from feedhub.clean.learn import block_key, learn
from feedhub.types import RawItem

PROMO = "★ 订阅本站周末特刊，扫码加入读者群，抽奖赠送年度纪念册与定制帆布袋。"
BODIES = [
    "市图书馆新馆周六开放，馆内藏书一百二十万册，设有儿童阅览区和古籍修复工作室。",
    "南郊湿地公园完成生态修复，今年冬季观测到的候鸟数量比去年增加了三成以上。",
    "第三届城市马拉松报名人数突破五万，组委会决定增设一条十公里迷你跑线路。",
    "老城区二十条背街小巷完成雨污分流改造，汛期积水点由四十处减少到六处。",
    "本市首批氢能公交车投入运营，续航里程达到四百公里，加氢时间约十五分钟。",
]


def post(title: str, body: str, extra: str = "") -> str:
    return (
        f"---\ntitle: '{title}'\nauthor: 河畔日报\ndate: 2026-11-16T08:00:00Z\n---\n"
        f"<div><p>{body}</p><p>{body[::-1]}</p>{extra}<p>{PROMO}</p></div>\n"
    )


def write_folder(folder: Path, n: int = 5) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"post{i}.md"
        p.write_text(post(f"新闻{i}", BODIES[i]), encoding="utf-8")
        paths.append(p)
    return paths


def run_clean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedhub", "clean", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_new_promo_block_is_learned_and_explained(tmp_path: Path) -> None:
    paths = write_folder(tmp_path / "mirror")
    out = json.loads(run_clean(str(paths[0])).stdout)
    assert "订阅本站周末特刊" not in out["html"] and "订阅本站周末特刊" not in out["text"]
    assert BODIES[0] in out["text"]
    explain = run_clean(str(paths[0]), "--explain").stdout
    assert "learned: seen in 5 of 5 articles of source" in explain
    assert "订阅本站周末特刊" in explain
    # --no-learn: the rule packs alone do not know this promo
    raw = json.loads(run_clean(str(paths[0]), "--no-learn").stdout)
    assert "订阅本站周末特刊" in raw["text"]


def test_block_repeated_inside_one_article_survives(tmp_path: Path) -> None:
    paths = write_folder(tmp_path / "mirror")
    quote = "“我们会把每一本书都放回它该在的位置。”馆长在开馆仪式上这样说。"
    paths[0].write_text(post("新闻0", BODIES[0], f"<p>{quote}</p><p>{quote}</p>"), encoding="utf-8")
    out = json.loads(run_clean(str(paths[0])).stdout)
    assert out["text"].count(quote) == 2


def test_sentence_quoted_by_two_stories_survives(tmp_path: Path) -> None:
    paths = write_folder(tmp_path / "mirror")
    quote = "市长表示，城市更新要让老百姓看得见、摸得着、得实惠。"
    for p, i in ((paths[1], 1), (paths[2], 2)):
        p.write_text(post(f"新闻{i}", BODIES[i], f"<p>{quote}</p>"), encoding="utf-8")
    out = json.loads(run_clean(str(paths[1])).stdout)
    assert quote in out["text"]
    assert "订阅本站周末特刊" not in out["text"]


def pack_for_rss(raw: RawItem):  # type: ignore[no-untyped-def]
    return pack_for(raw.format)


def raw_item(i: int, published: str) -> RawItem:
    from feedhub.dates import parse_date

    return RawItem(
        source_id="feed",
        key=f"k{i}",
        format="rss",
        title=f"T{i}",
        content=f"<p>{BODIES[i]}</p><p>{PROMO}</p>",
        content_type="html",
        link=f"https://river.example/{i}",
        published=parse_date(published),
    )


def test_learning_is_incremental_for_feeds() -> None:
    """Stored articles count: the third feed article teaches the promo."""
    settings = LearnSettings(window=50, min_share=0.3, min_articles=3)
    history: list[tuple[str, tuple[str, ...]]] = []

    def hist(group: str, exclude: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
        return list(history)

    def pack(raw: RawItem):  # type: ignore[no-untyped-def]
        return pack_for(raw.format)

    seen = []
    for i in range(4):
        [c] = clean_many([raw_item(i, f"2026-11-1{i}T08:00:00Z")], pack, settings, hist)
        assert c is not None
        seen.append(PROMO in c.text)
        history.append((str(i), c.blocks))
    assert seen == [True, True, False, False]


def test_learn_counts_and_thresholds() -> None:
    promo, a, b = block_key("promo"), block_key("a"), block_key("b")
    articles = [(promo, a), (promo, b), (promo,), (a,), (b,), (a, a, a)]
    learned = learn("s/x", articles, LearnSettings(window=50, min_share=0.3, min_articles=3))
    # need max(3, ceil(0.3 * 6) = 2) = 3 articles: promo (3) yes; a (3 articles) yes; b (2) no
    assert learned.boilerplate == {promo, a}
    assert learned.reason(promo) == "learned: seen in 3 of 6 articles of source s/x"
    # the window keeps only the most recent articles
    recent = learn("s/x", articles, LearnSettings(window=3, min_share=0.3, min_articles=3))
    assert recent.boilerplate == frozenset()


def test_title_is_never_removed(tmp_path: Path) -> None:
    folder = tmp_path / "same-title"
    folder.mkdir()
    for i in range(4):
        (folder / f"p{i}.md").write_text(
            f"---\ntitle: '每日天气'\nauthor: 河畔日报\n---\n<div><p>{BODIES[i]}</p>"
            f"<h2>每日天气</h2><p>{BODIES[i][::-1]}</p></div>\n",
            encoding="utf-8",
        )
    out = json.loads(run_clean(str(folder / "p0.md")).stdout)
    assert "每日天气" in out["text"]  # in all 4 articles, but it is the title


def test_known_boilerplate_is_applied_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed item whose source history already teaches the promo is cleaned once, and
    comes out as the two-pass result would."""
    import feedhub.clean as clean_module

    settings = LearnSettings(window=50, min_share=0.3, min_articles=3)
    stored = [
        clean_many([raw_item(i, f"2026-11-1{i}T08:00:00Z")], pack_for_rss, settings)[0]
        for i in range(3)
    ]
    history = [(str(i), c.blocks) for i, c in enumerate(stored) if c is not None]
    calls = []
    real = clean_module.clean

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0].key)
        return real(*args, **kwargs)

    monkeypatch.setattr(clean_module, "clean", counting)
    [c] = clean_many(
        [raw_item(3, "2026-11-13T08:00:00Z")],
        pack_for_rss,
        settings,
        lambda group, exclude: list(history),
    )
    assert c is not None and PROMO not in c.text and BODIES[3] in c.text
    assert calls == ["k3"]
