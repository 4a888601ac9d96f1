"""Fingerprints and the duplicate decision, on pairs written for this project."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from simhash import Simhash

from feedhub.collect.feeds import parse_feed
from feedhub.collect.local import read_article
from feedhub.dedupe.assign import MAX_TERM_SHARE, FeatureCache, Settings, Side, StoryIndex, decide
from feedhub.dedupe.fingerprint import (
    distance,
    fingerprint,
    from_signed,
    normalize,
    reference_fingerprint,
    shingle_hash,
    shingle_set,
    shingles,
    to_signed,
)
from feedhub.dedupe.signals import Idf, script_normalize
from feedhub.pipeline import build_article
from feedhub.storage import Candidate
from feedhub.types import Article

from .conftest import DATA, ROOT

DEMO = ROOT / "config" / "demo"
THRESHOLD, MIN_OVERLAP = 24, 0.7
SETTINGS = Settings(THRESHOLD, MIN_OVERLAP, 0.55)


def side(a: Article) -> Side:
    return Side(a.text, a.title, a.id)


def demo_articles() -> dict[str, Article]:
    arts = {}
    for f in DEMO.glob("**/*.md"):
        arts[f.relative_to(DEMO).as_posix()] = build_article(read_article(f, key=f.name))
    for feed in ("feeds/world.rss", "feeds/science.atom"):
        for raw in parse_feed((DEMO / feed).read_bytes(), "x", feed):
            arts[f"{feed}#{raw.key}"] = build_article(raw)
    return arts


_ARTS = demo_articles()
# the IDF collection of the whole demo, as a run over all its sources has it
VECTORS = FeatureCache(Idf(a.text for a in _ARTS.values()))


@pytest.fixture(scope="module")
def arts() -> dict[str, Article]:
    return _ARTS


@pytest.fixture(scope="module")
def groups() -> dict[str, str]:
    manifest = yaml.safe_load((DATA / "demo_groups.yaml").read_text(encoding="utf-8"))
    return {m: g["name"] for g in manifest["groups"] for m in g["members"]}


def test_normalize_is_cjk_aware() -> None:
    # full-width digits/letters fold to ASCII; punctuation and spaces vanish
    assert normalize("Ａ１，台风 “青鸾”！") == "a1台风青鸾"
    assert shingles("台风登陆了") == ["台风登", "风登陆", "登陆了"]
    # one ideograph per token, Latin by word
    assert shingle_set("the storm hit the coast", 3) == {
        "the storm hit",
        "storm hit the",
        "hit the coast",
    }


def test_fingerprint_is_the_simhash_package_over_our_shingle_hash() -> None:
    text = "云港地铁9号线今天开通运营，全长二十八公里。"
    assert fingerprint(text) == Simhash(shingles(text), f=64, hashfunc=shingle_hash).value
    assert fingerprint("") == 0
    assert fingerprint("台风") == Simhash(["台风"], f=64, hashfunc=shingle_hash).value


@pytest.mark.parametrize("fp", [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1])
def test_signed_round_trip_for_sqlite(fp: int) -> None:
    assert -(1 << 63) <= to_signed(fp) < (1 << 63)
    assert from_signed(to_signed(fp)) == fp


def test_demo_duplicate_pairs_are_close_and_decided_duplicate(
    arts: dict[str, Article], groups: dict[str, str]
) -> None:
    pairs = [(a, b) for a, b in itertools.combinations(sorted(groups), 2) if groups[a] == groups[b]]
    assert len(pairs) == 8
    for a, b in pairs:
        d = distance(arts[a].fingerprint, arts[b].fingerprint)
        verdict = decide(side(arts[a]), side(arts[b]), d, SETTINGS, VECTORS)
        assert d <= THRESHOLD, (a, b, d)
        assert verdict.duplicate, (a, b, verdict)


def test_demo_different_stories_are_never_duplicates(
    arts: dict[str, Article], groups: dict[str, str]
) -> None:
    checked = 0
    for a, b in itertools.combinations(sorted(arts), 2):
        if a in groups and groups.get(a) == groups.get(b):
            continue
        d = distance(arts[a].fingerprint, arts[b].fingerprint)
        verdict = decide(side(arts[a]), side(arts[b]), d, SETTINGS, VECTORS)
        assert not verdict.duplicate, (a, b, verdict)
        checked += 1
    assert checked > 400


def test_light_edits_move_simhash_only_a_few_bits(arts: dict[str, Article]) -> None:
    text = arts["goodnews/dawn1/618203.md"].text
    edited = text.replace("台风", "颱風", 1).replace("。", "；", 2)
    assert distance(fingerprint(text), fingerprint(edited)) <= 6


def test_excerpt_inside_full_text_is_a_duplicate(arts: dict[str, Article]) -> None:
    full = arts["goodnews/kz3/1043562.md"].text
    excerpt = full[: len(full) // 3]
    d = distance(fingerprint(full), fingerprint(excerpt))
    assert decide(Side(excerpt), Side(full), d, Settings(64, MIN_OVERLAP)).duplicate


# Known false-positive cases (documented in feedhub/dedupe/assign.py) ---------------
def test_empty_texts_never_merge() -> None:
    assert not decide(Side(""), Side(""), 0, SETTINGS).duplicate
    assert not decide(Side("。。。"), Side("！！"), 0, SETTINGS).duplicate


def test_short_texts_need_near_total_overlap() -> None:
    a, b = "台风青鸾登陆云港。", "台风白鹭登陆云港。"
    d = distance(fingerprint(a), fingerprint(b))
    assert not decide(Side(a), Side(b), d, Settings(64, MIN_OVERLAP)).duplicate
    assert decide(Side(a), Side(a), 0, SETTINGS).duplicate


def test_shared_outlet_template_does_not_merge_two_stories(arts: dict[str, Article]) -> None:
    """Two same-outlet pages share nav, promos, footer: raw they look alike, cleaned not."""
    a = DEMO / "goodnews/dawn1/618203.md"
    b = DEMO / "goodnews/dawn1/618207.md"
    raw_a, raw_b = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    raw_overlap = decide(Side(raw_a), Side(raw_b), 0, SETTINGS).overlap
    ca, cb = arts["goodnews/dawn1/618203.md"], arts["goodnews/dawn1/618207.md"]
    verdict = decide(
        side(ca), side(cb), distance(ca.fingerprint, cb.fingerprint), SETTINGS, VECTORS
    )
    assert not verdict.duplicate
    assert verdict.overlap < raw_overlap


def test_traditional_and_simplified_copies_match() -> None:
    simplified = (
        "台风青鸾今晨登陆云港市，沿海地区紧急转移四万六千人，机场取消一百三十六架次航班。" * 2
    )
    traditional = (
        "颱風青鸞今晨登陸雲港市，沿海地區緊急轉移四萬六千人，機場取消一百三十六架次航班。" * 2
    )
    assert script_normalize(traditional) == script_normalize(simplified)
    assert fingerprint(traditional) == fingerprint(simplified)
    assert decide(Side(traditional), Side(simplified), 0, SETTINGS).duplicate


def test_english_texts_are_not_alike_because_the_collection_is_chinese() -> None:
    """IDF per script: in a Chinese collection common English words must not look rare."""
    chinese = [a.text for k, a in _ARTS.items() if not k.startswith("feeds/")] * 3
    english = [a for k, a in _ARTS.items() if k.startswith("feeds/")]
    vectors = FeatureCache(Idf(chinese + [a.text for a in english]))
    a, b = english[0], next(e for e in english[1:] if e.title != english[0].title)
    # too few English documents for a word IDF: only shared numbers can count
    verdict = decide(side(a), side(b), 0, SETTINGS, vectors)
    assert not verdict.duplicate
    assert verdict.cosine is None or verdict.cosine < 0.3, verdict


def test_rewrite_sharing_rare_terms_is_a_duplicate_by_cosine() -> None:
    names = "罗世谦 上海市委 副书记 逝世 享年八十五岁 浙江 宁波"
    corpus = [f"第{i}篇无关报道，讨论天气、交通与物价等日常话题，第{i}期。" * 4 for i in range(30)]
    a = f"据报道，前{names}，曾任上海市委副书记的罗世谦因病在上海逝世，享年八十五岁。他生于浙江宁波。"
    b = f"消息人士透露：上海市委原副书记罗世谦近日去世，终年85岁（享年八十五岁），浙江宁波人，{names}。"
    vectors = FeatureCache(Idf([*corpus, a, b]))
    verdict = decide(Side(a * 2, "", "a"), Side(b * 2, "", "b"), 10, SETTINGS, vectors)
    assert verdict.overlap < MIN_OVERLAP
    assert verdict.duplicate and verdict.rule.startswith("rare-term cosine"), verdict


def test_a_cosine_carried_by_one_shared_name_does_not_merge() -> None:
    """Two unrelated summaries from one town: every other word is common vocabulary, so
    the town's name alone carries a high cosine.  One shared name is not one story."""
    vocab = (
        "the council police market bridge report opened closed said would new old week "
        "officials residents plans road school budget water power"
    ).split()
    rest = [f"{w}{x}{y}" for w in ("alder", "birch") for x in "klmnpr" for y in "stv"]
    corpus = [" ".join([*vocab, rest[i]]) for i in range(30)]
    a = "The council opened the new market in Ashgate. Ashgate residents said the Ashgate plans would help Ashgate."
    b = "Police closed the old bridge near Ashgate. Ashgate officials said the Ashgate road would reopen in Ashgate next week."
    vectors = FeatureCache(Idf([*corpus, a, b]))
    sa, sb = Side(a, "Market opens", "a"), Side(b, "Bridge closes", "b")
    cos = vectors.cosine(sa, sb)
    assert cos is not None and cos >= SETTINGS.min_cosine  # the cosine rule alone would merge
    assert vectors.top_share(sa, sb) > MAX_TERM_SHARE
    verdict = decide(sa, sb, 10, SETTINGS, vectors)
    assert not verdict.duplicate
    assert "one shared term carries" in verdict.rule, verdict


def test_index_respects_window_and_prefers_the_closest() -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 11, 16, tzinfo=UTC)
    text = "云港地铁9号线今天开通运营，全长二十八公里，设站二十一座，连接机场与老城区。" * 3
    fp = fingerprint(text)
    index = StoryIndex(SETTINGS, timedelta(days=3))
    index.add(Candidate("old", "story-old", fp, t0 - timedelta(days=10), "s"))
    index.add(Candidate("far", "story-far", fp ^ 0b1111, t0, "s"))
    index.add(Candidate("near", "story-near", fp ^ 0b1, t0, "s"))
    match = index.match(fp, t0, Side(text), lambda _id: Side(text))
    assert match is not None and match.story_id == "story-near"
    assert index.match(fp, t0 + timedelta(days=20), Side(text), lambda _id: Side(text)) is None


def test_compare_cli_pairs_file(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    a = DEMO / "goodnews/dawn1/618203.md"
    b = DEMO / "goodnews/kz3/1043562.md"
    c = DEMO / "goodnews/dawn1/618207.md"
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{a}\t{b}\tdup\n{a}\t{c}\tdifferent\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "feedhub", "compare", "--pairs", str(pairs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["duplicate"] for r in rows] == [True, False]
    assert all(isinstance(r["distance"], int) and r["threshold"] == THRESHOLD for r in rows)
    single = subprocess.run(
        [sys.executable, "-m", "feedhub", "compare", str(a), str(b)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert json.loads(single)["distance"] == rows[0]["distance"]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("台风登陆云港市机场取消航班 the storm hit coast 0123,。"),
        max_size=400,
    )
)
def test_fast_fingerprint_is_bit_identical_to_the_simhash_package(text: str) -> None:
    assert fingerprint(text) == reference_fingerprint(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fingerprint_stream_equals_the_regex_normalisation(text: str) -> None:
    """The table-driven code point filter keeps exactly what ``normalize`` keeps, on
    any text (astral characters take the regex path)."""
    from feedhub.dedupe.fingerprint import stream_length

    try:
        expected = normalize(text)
    except UnicodeEncodeError:  # lone surrogates: OpenCC refuses them before we do
        return
    assert stream_length(text) == len(expected)
    assert fingerprint(text) == reference_fingerprint(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("台风登陆云港 the storm hit coast 12,。"), max_size=200),
    st.text(alphabet=st.sampled_from("台风登陆云港 the storm hit coast 12,。"), max_size=200),
)
def test_hashed_shingle_overlap_equals_the_string_sets(a: str, b: str) -> None:
    from feedhub.dedupe.fingerprint import containment, overlap, token_shingles

    for n in (3, 4):
        assert len(token_shingles(a, n)) == len(shingle_set(a, n))
        assert overlap(token_shingles(a, n), token_shingles(b, n)) == containment(
            shingle_set(a, n), shingle_set(b, n)
        )


def test_excerpt_is_compared_beyond_the_full_text_threshold() -> None:
    """A feed summary drifts 25-30 bits from its article as a whole text (measured on
    bench/run.py's planted excerpts); it must still be a candidate, and overlap decides."""
    from datetime import UTC, datetime, timedelta

    full = "\n".join(a.text for k, a in sorted(_ARTS.items()) if k.startswith("goodnews/kz3/"))
    excerpt = full[:180]
    t0 = datetime(2026, 11, 16, tzinfo=UTC)
    far = (1 << 28) - 1  # 28 bits: beyond the 24-bit threshold, within the excerpt distance
    index = StoryIndex(SETTINGS, timedelta(days=3))
    index.add(Candidate("full", "story-full", 0, t0, "s"), Side(full, "", "full"))
    sides = {"full": Side(full, "", "full")}
    match = index.match(far, t0, Side(excerpt, "", "ex"), sides.__getitem__)
    assert match is not None and match.story_id == "story-full", match
    assert match.decision.overlap >= MIN_OVERLAP
    # two full texts that far apart are never compared
    other = Side(full[::-1], "", "other")
    assert index.match(far, t0, other, sides.__getitem__) is None


def test_compare_pairs_file_with_header_and_paths_relative_to_the_corpus(tmp_path: Path) -> None:
    """The labelled-pairs layout: labels/pairs.tsv with a header, paths relative to the
    folder above it; one JSON line per data row, in input order."""
    import json
    import shutil
    import subprocess
    import sys

    corpus = tmp_path / "corpora"
    shutil.copytree(DEMO / "goodnews", corpus / "goodnews")
    (corpus / "labels").mkdir()
    rows = [
        ("goodnews/dawn1/618203.md", "goodnews/kz3/1043562.md", "dup"),
        ("goodnews/dawn1/618203.md", "goodnews/dawn1/618207.md", "different"),
    ]
    (corpus / "labels" / "pairs.tsv").write_text(
        "file_a\tfile_b\tlabel\n" + "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows),
        encoding="utf-8",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedhub",
            "compare",
            "--pairs",
            str(corpus / "labels" / "pairs.tsv"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
    ).stdout
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["duplicate"] for r in results] == [True, False]
    assert [Path(r["file_b"]).name for r in results] == ["1043562.md", "618207.md"]
