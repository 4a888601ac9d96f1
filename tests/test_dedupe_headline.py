"""The corroborated-headline rule: rewrites under another wording, found at any
simhash distance through headline postings, and the cases it must refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import yaml

from feedhub.config import parse_config
from feedhub.dedupe.assign import FeatureCache, FeatureEntry, Settings, Side, StoryIndex, decide
from feedhub.dedupe.fingerprint import distance, fingerprint
from feedhub.dedupe.signals import Idf, series_part
from feedhub.errors import ConfigError
from feedhub.storage import Candidate

from .test_dedupe import _ARTS

# Two outlets' write-ups of one event: the facts (who, where, why, numbers) agree,
# the sentences do not.
A_TITLE = "云港市长周文博宣布辞职 称因健康原因"
A_TEXT = (
    "云港市政府今天上午召开临时记者会，市长周文博当众宣读辞职信，表示因健康原因无法继续履职。"
    "周文博现年五十八岁，二〇一九年起担任云港市长，任内主导了地铁九号线和滨海新区建设。"
    "市人大常委会将于下周二召开会议审议辞职请求，副市长林晓岚暂时主持市政府工作。"
    "多名市民在社交媒体上留言，对这位市长的突然离任表示意外。"
)
B_TITLE = "健康原因 云港市长周文博请辞"
B_TEXT = (
    "记者获悉，周文博以健康原因为由递交辞职信，结束了二〇一九年以来的云港市长任期。"
    "据悉，市人大常委会下周二审议此事，在此之前由副市长林晓岚代为主持工作。"
    "这位五十八岁的官员曾力推滨海新区开发，也是地铁九号线项目的主要推动者。"
    "分析人士认为，其去职或将影响新区后续招商计划。"
)


def vectors(*texts: str) -> FeatureCache:
    """The demo's articles as the IDF collection, plus the pair under test."""
    return FeatureCache(Idf([a.text for a in _ARTS.values()] + list(texts)))


def test_rewrite_under_another_headline_merges_by_headline_rule() -> None:
    cache = vectors(A_TEXT, B_TEXT)
    a, b = Side(A_TEXT, A_TITLE, "a"), Side(B_TEXT, B_TITLE, "b")
    d = distance(fingerprint(A_TEXT), fingerprint(B_TEXT))
    verdict = decide(a, b, d, Settings(), cache)
    assert verdict.overlap < Settings().min_overlap
    assert verdict.duplicate and verdict.rule.startswith("headline"), verdict
    # Without the headline rule the same pair stays apart: the rule is what decides.
    assert not decide(a, b, d, Settings(headline=()), cache).duplicate


def test_story_index_finds_headline_candidates_beyond_the_simhash_distance() -> None:
    """A rewrite's whole text sits at random simhash distance; the headline postings
    must still bring it to the decision."""
    cache = vectors(A_TEXT, B_TEXT)
    a, b = Side(A_TEXT, A_TITLE, "a"), Side(B_TEXT, B_TITLE, "b")
    fa, fb = fingerprint(A_TEXT), fingerprint(B_TEXT)
    narrow = Settings(threshold=min(3, distance(fa, fb) - 1))
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    index = StoryIndex(narrow, timedelta(days=3), cache)
    index.add(Candidate("a", "story-a", fa, t0, "s1"), a)
    match = index.match(fb, t0 + timedelta(hours=5), b, {"a": a, "b": b}.__getitem__)
    assert match is not None and match.story_id == "story-a", match
    assert match.decision.distance > narrow.threshold
    # Outside the window the headline route finds nothing either.
    assert index.match(fb, t0 + timedelta(days=9), b, {"a": a}.__getitem__) is None


def test_series_parts_never_merge_by_headline() -> None:
    intro = "本报推出系列报道，回顾云港老城区改造十年间的变迁，记录街坊邻里的真实故事。"
    part1 = intro + "第一篇讲述东门菜市场的搬迁，摊主们在新址重新开张，生意逐渐恢复。" * 2
    part2 = intro + "第二篇走进西关老戏院，修缮后的戏台迎来了第一批年轻观众，场场爆满。" * 2
    cache = vectors(part1, part2)
    a = Side(part1, "老城十年：街坊故事（1）", "p1")
    b = Side(part2, "老城十年：街坊故事（2）", "p2")
    verdict = decide(a, b, 40, Settings(), cache)
    assert verdict.headline_similarity == pytest.approx(1.0)
    assert not verdict.duplicate and "series" in verdict.rule, verdict


def test_same_headline_with_unrelated_bodies_does_not_merge() -> None:
    """A generic headline ("daily briefing") agrees fully; the bodies must corroborate."""
    day1 = "今日要闻：云港机场新航站楼启用，首日旅客吞吐量突破三万人次，值机柜台增加一倍。" * 2
    day2 = "今日要闻：澄州暴雨致两条河流超警戒水位，当地转移群众一千二百人，学校停课一天。" * 2
    cache = vectors(day1, day2)
    verdict = decide(
        Side(day1, "今日要闻", "d1"), Side(day2, "今日要闻", "d2"), 40, Settings(), cache
    )
    assert verdict.headline_similarity == pytest.approx(1.0)
    assert verdict.cosine is not None and verdict.cosine < 0.2
    assert not verdict.duplicate


@pytest.mark.parametrize(
    ("title", "part"),
    [
        ("迫害纪实 吉林千人遭难（1）", "1"),
        ("法轮功创造的医学奇迹(三)", "三"),
        ("老城十年之二", "二"),
        ("A long road home, Part 2", "2"),
        ("Ten years on [Part IV]", "iv"),
        ("川普下令解密通俄门调查所有文档", None),
        ("十一旅游收入暴跌逾3成(图)", None),
    ],
)
def test_series_part_markers(title: str, part: str | None) -> None:
    assert series_part(title) == part


def test_headline_floors_are_validated_in_config() -> None:
    base = "sources: [{id: a, kind: local, path: x}]\ntopics: [{id: t, title: T, sources: [a]}]\n"
    cfg = parse_config(yaml.safe_load(base + "dedupe: {headline: [[0.7, 0.3]]}\n"))
    assert cfg.dedupe.headline == ((0.7, 0.3),)
    with pytest.raises(ConfigError, match=r"dedupe\.headline"):
        parse_config(yaml.safe_load(base + "dedupe: {headline: [[1.5, 0.3]]}\n"))


def test_ambiguous_regex_is_a_config_error_not_a_warning() -> None:
    base = "sources: [{id: a, kind: local, path: x}]\n"
    text = base + "topics: [{id: t, title: T, sources: [a], include: {regex: ['[[a]']}}]\n"
    with pytest.raises(ConfigError, match="ambiguous regular expression"):
        parse_config(yaml.safe_load(text))


def test_short_headline_is_not_contained_through_one_place_name() -> None:
    """Two stories from one town: the short headline is mostly the town's name, so it
    sits "inside" the long one; the symmetric Dice guard keeps them apart."""
    metro = "澄州地铁二号线今天通车，全长二十公里，设站十六座，首日客流超过八万人次。" * 2
    rain = (
        "澄州昨夜遭遇暴雨，城区多处积水。刚通车的澄州地铁二号线十六座车站中有五座临时封闭，"
        "全长二十公里的二号线客流受到影响，无人员伤亡。"
    ) * 2
    cache = vectors(metro, rain)
    a = Side(metro, "澄州地铁二号线通车 首日客流超八万人次 市民点赞新线路", "m")
    b = Side(rain, "澄州地铁", "r")
    containment, dice = cache.headline(a, b)
    verdict = decide(a, b, 40, Settings(), cache, all_signals=True)
    assert containment >= Settings().min_headline > dice, (containment, dice)
    assert verdict.cosine is not None and verdict.cosine >= 0.2, verdict
    assert not verdict.duplicate and "Dice" in verdict.rule, verdict


def test_batched_cosines_equal_the_reference_dict_cosine() -> None:
    """The packed, vectorised cosines (one query against all its candidates) give the
    reference sparse-dict cosine's values, and equal a single pair's."""
    from feedhub.dedupe.signals import cosine

    sides = [Side(a.text, a.title, k) for k, a in _ARTS.items()]
    cache = vectors()
    assert cache.idf is not None
    compared = 0
    for q in sides:
        others = [o for o in sides if o is not q]
        for o, batched in zip(others, cache.cosines(q, others).tolist(), strict=True):
            reference = cosine(cache.idf.vector(q.text), cache.idf.vector(o.text))
            alone = cache.cosine(q, o)
            assert alone is not None
            assert batched == pytest.approx(reference, abs=1e-12)
            assert batched == pytest.approx(alone, abs=1e-12)
            compared += 1
    assert compared > 600


def test_array_idf_vectors_equal_the_reference_term_by_term_vectors() -> None:
    """Idf.packed (arrays over vocabulary ids) against Idf.vector (term by term), for
    the collection's own texts and for a text outside it with unseen terms."""
    texts = [a.text for a in _ARTS.values()]
    idf = Idf(texts)
    outsider = "全新词汇：翡翠湾隧道 Zephyrine quarry 2031 年通车。" * 3
    for text in [*texts, outsider]:
        reference = idf.vector(text)
        packed = idf.packed(text)
        assert packed is not None and reference
        from feedhub.dedupe.signals import _VOCAB

        names = _VOCAB.names()
        got = {names[int(i)]: float(w) for i, w in zip(*packed, strict=True)}
        assert got.keys() == reference.keys()
        assert all(got[g] == pytest.approx(w, rel=1e-12) for g, w in reference.items())


def test_cached_features_follow_an_updated_text_of_the_same_item() -> None:
    """Features are cached by item id across a run's batches; an item stored earlier
    and updated now must be judged on its new text and headline, not the old ones."""
    shared: dict[str, FeatureEntry] = {}
    old = Side("台风青鸾今晨登陆云港市，沿海地区紧急转移四万六千人。" * 3, "台风登陆云港", "x")
    new = Side(A_TEXT, A_TITLE, "x")
    first = FeatureCache(vectors().idf, shared)
    assert first.of(old).headline != first.of(new).headline
    later = FeatureCache(vectors(A_TEXT, B_TEXT).idf, shared)
    assert np.array_equal(later.of(new).hashes, FeatureCache(None).of(new).hashes)
    b = Side(B_TEXT, B_TITLE, "b")
    assert later.headline(old, b) != later.headline(new, b)
    assert later.cosine(old, b) != later.cosine(new, b)


def test_screen_never_refuses_a_pair_decide_merges() -> None:
    """The story index decides only the candidates the vectorised screen lets through:
    over every pair of demo articles, at their real distance and at distance 0, the
    screen must keep each pair decide() merges, and still refuse most pairs."""
    sides = [Side(a.text, a.title, k) for k, a in _ARTS.items()]
    fps = {k: a.fingerprint for k, a in _ARTS.items()}
    cache = vectors()
    settings = Settings()
    kept = merged = total = 0
    for q in sides:
        others = [o for o in sides if o is not q]
        for scale in (1, 0):
            cands = [(distance(fps[q.item_id], fps[o.item_id]) * scale, o) for o in others]
            slots = np.array([cache.slot(o) for _, o in cands])
            dists = np.array([d for d, _ in cands])
            screened = cache.screen(q, slots, dists, settings, others.__getitem__).tolist()
            for (d, o), possible in zip(cands, screened, strict=True):
                verdict = decide(q, o, d, settings, cache)
                assert possible or not verdict.duplicate, (q.item_id, o.item_id, verdict)
                kept += possible
                merged += verdict.duplicate
                total += 1
    assert merged > 20
    assert kept < total / 4, (kept, total)


def test_a_column_headline_repeated_by_its_source_does_not_merge_by_headline() -> None:
    """A source's recurring headline (a daily 今日要闻) names a column, not a story: two
    days' digests that share some vocabulary must not merge through the headline."""
    day1 = (
        "今日要闻：澄州地铁二号线今天通车，全长二十公里，设站十六座。"
        "云港市长周文博宣布辞职，副市长林晓岚主持工作。"
    ) * 2
    day2 = (
        "今日要闻：澄州地铁二号线通车次日客流回落，部分站点加开班次。"
        "云港市人大常委会审议周文博辞职请求，滨海新区招商计划暂缓。"
    ) * 2
    cache = vectors(day1, day2)
    a, b = Side(day2, "今日要闻", "d2"), Side(day1, "今日要闻", "d1")
    fa, fb = fingerprint(day2), fingerprint(day1)
    narrow = Settings(threshold=min(3, distance(fa, fb) - 1))
    # As a pair, the headline rule would merge them: the bodies share enough terms.
    assert decide(a, b, 40, narrow, cache).duplicate
    assert not decide(a, b, 40, narrow, cache, column=True).duplicate
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    index = StoryIndex(narrow, timedelta(days=3), cache)
    index.add(Candidate("d1", "story-1", fb, t0, "daily"), b)
    sides = {"d1": b, "d2": a}.__getitem__
    later = t0 + timedelta(days=1)
    assert index.match(fa, later, a, sides, source="daily") is None
    # Another outlet's article under that headline is not the source's column.
    assert index.match(fa, later, a, sides, source="other") is not None


def test_a_column_is_a_headline_repeated_inside_the_window_not_anywhere_in_the_index() -> None:
    """One index serves a whole run, so it can hold a source's article from weeks ago:
    that old use of a headline must not make a new article's headline a "column"
    (which would switch the headline rule off for it)."""
    cache = vectors(A_TEXT, B_TEXT)
    a, b = Side(A_TEXT, A_TITLE, "a"), Side(B_TEXT, B_TITLE, "b")
    old = Side("一篇旧文章的正文，讲的是另一件事。" * 6, B_TITLE, "old")
    fa, fb = fingerprint(A_TEXT), fingerprint(B_TEXT)
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    sides = {"a": a, "b": b, "old": old}
    index = StoryIndex(Settings(), timedelta(days=2), cache)
    index.add(
        Candidate("old", "story-old", fingerprint(old.text), t0 - timedelta(days=20), "s2"), old
    )
    index.add(Candidate("a", "story-a", fa, t0, "s1"), a)
    match = index.match(fb, t0, b, sides.__getitem__, source="s2")
    assert match is not None and match.story_id == "story-a", match
    # the same headline from s2 inside the window does make it a column
    index.add(
        Candidate("recent", "story-r", fingerprint(old.text), t0 - timedelta(days=1), "s2"), old
    )
    sides["recent"] = old
    assert index.match(fb, t0, b, sides.__getitem__, source="s2") is None


def test_a_redated_update_retires_its_old_row_and_unknown_rows_are_skipped() -> None:
    """An update that moves an item's date leaves one row, at the new date; a row whose
    item the batch cannot resolve is skipped, not a KeyError."""
    cache = vectors(A_TEXT, B_TEXT)
    a, b = Side(A_TEXT, A_TITLE, "a"), Side(B_TEXT, B_TITLE, "b")
    fa, fb = fingerprint(A_TEXT), fingerprint(B_TEXT)
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    index = StoryIndex(Settings(), timedelta(days=2), cache)
    index.add(Candidate("a", "story-a", fa, t0, "s1"), a)
    index.add(Candidate("a", "story-a", fa, t0 + timedelta(days=10), "s1"), a)
    assert index.match(fb, t0, b, {"b": b}.__getitem__) is None  # the old row is gone
    match = index.match(fb, t0 + timedelta(days=10), b, {"a": a, "b": b}.__getitem__)
    assert match is not None and match.item_id == "a"
    index.use(vectors(A_TEXT, B_TEXT))  # the next source's batch, whose texts lack "a"
    assert index.match(fb, t0 + timedelta(days=10), b, {"b": b}.__getitem__) is None
