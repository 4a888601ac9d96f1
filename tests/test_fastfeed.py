"""The lxml fast path for feeds (feedhub/collect/fastfeed.py) against feedparser.

Equality gate: for every feed we have -- feedparser's own test corpus (when
../shared/corpora is present), tests/data/feeds, tests/data/hostile, the benchmark
corpus's generated feeds and the small feeds written below -- ``parse_feed`` is run with
the fast path off and on.  Whenever the fast path accepts a document, the items must be
equal field for field; when feedparser's path raises ParseError the fast path must not
have produced items.  Accepted / declined counts are printed (``pytest -s``).
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from feedhub.collect import fastfeed
from feedhub.collect.feeds import parse_feed
from feedhub.errors import ParseError
from feedhub.types import RawItem

from .conftest import DATA, ROOT

CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser-tests"
HEADER_CT = re.compile(rb"^\s*Header:\s*Content-type:\s*(.*?)\s*$", re.M | re.I)


def slow_and_fast(
    body: bytes, url: str, ctype: str | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[RawItem] | str, list[RawItem] | str, bool]:
    """(feedparser's result, the fast path's result, whether the fast path accepted)."""

    def run() -> list[RawItem] | str:
        try:
            return parse_feed(body, "s", url, ctype)
        except ParseError:
            return "ParseError"

    monkeypatch.setattr(fastfeed, "ENABLED", False)
    slow = run()
    monkeypatch.setattr(fastfeed, "ENABLED", True)
    fast = run()
    headers = {"content-location": url}
    if ctype:
        headers["content-type"] = ctype
    # The private entry point: only a deliberate decline may stop it (parse() would
    # also swallow a bug, which would hide it from this test).
    try:
        accepted = fastfeed._parse(feed_body(body), headers) is not None
    except fastfeed._Decline:
        accepted = False
    return slow, fast, accepted


def feed_body(body: bytes) -> bytes:
    """What parse_feed hands on (it strips a DTD subset that declares entities)."""
    from feedhub.collect.feeds import _DTD_SUBSET, _ENTITY_DECL

    return _DTD_SUBSET.sub(b"", body, count=1) if _ENTITY_DECL.search(body[:65536]) else body


def describe(slow: list[RawItem] | str, fast: list[RawItem] | str) -> str:
    if isinstance(slow, str) or isinstance(fast, str) or len(slow) != len(fast):
        return f"feedparser: {str(slow)[:300]}\nfast path: {str(fast)[:300]}"
    for a, b in zip(slow, fast, strict=True):
        for name in a.__dataclass_fields__:
            if getattr(a, name) != getattr(b, name):
                return f"{name}: {getattr(a, name)!r:.300} != {getattr(b, name)!r:.300}"
    return "equal"


def check_all(
    bodies: Iterator[tuple[str, bytes, str | None]], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """Run the gate over (name, body, content type) for a local path and an http URL."""
    accepted = declined = 0
    diffs = []
    for name, body, ctype in bodies:
        for url, ct in (
            (f"/srv/feeds/{Path(name).name}", None),
            (f"https://x.example/{name}", ctype),
        ):
            slow, fast, ok = slow_and_fast(body, url, ct, monkeypatch)
            if ok:
                accepted += 1
                if slow == "ParseError":
                    diffs.append(f"{name} ({url}): feedparser raised, the fast path did not")
            else:
                declined += 1
            if slow != fast:
                diffs.append(f"{name} ({url}): {describe(slow, fast)}")
    assert not diffs, "\n".join(diffs[:20])
    return accepted, declined


def xml_files(folder: Path) -> Iterator[tuple[str, bytes, str | None]]:
    for p in sorted(folder.rglob("*")):
        if (
            p.is_file()
            and p.suffix not in (".json", ".md", ".dtd", ".tmpl")
            and p.name != "LICENSE"
        ):
            body = p.read_bytes()
            m = HEADER_CT.search(body[:4096])
            yield (
                str(p.relative_to(folder)),
                body,
                m.group(1).decode("latin-1") if m else "application/xml",
            )


def test_feedparser_corpus_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: the shared corpora are not beside the project")
    accepted, declined = check_all(xml_files(CORPUS), monkeypatch)
    print(f"\nfeedparser corpus: fast path accepted {accepted}, declined {declined} (file x URL)")
    assert accepted > 0


@pytest.mark.parametrize("folder", ["feeds", "hostile"])
def test_own_fixtures_equal(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    accepted, declined = check_all(xml_files(DATA / folder), monkeypatch)
    print(f"\ntests/data/{folder}: fast path accepted {accepted}, declined {declined}")


def test_bench_corpus_takes_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated benchmark feeds are what issue 8 measures: all must be accepted."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generated = corpus.generate(tmp_path / "c", 300)
    files = sorted(Path(p) for p in generated.feed_files.values())
    assert files
    bodies = ((p.name, p.read_bytes(), "application/xml") for p in files)
    accepted, declined = check_all(bodies, monkeypatch)
    assert (accepted, declined) == (2 * len(files), 0)


# --------------------------------------------------------------------------- own feeds

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:atom="http://www.w3.org/2005/Atom">
 <channel>
  <title>Quarry &amp; Mill Gazette</title>
  <link>https://gazette.example/</link>
  <atom:link href="https://gazette.example/rss" rel="self" type="application/rss+xml"/>
  <description>Notes from the valley</description>
  <image><url>https://gazette.example/logo.png</url><title>Logo</title><link>https://gazette.example/</link></image>
  <item>
   <title>Ferry timetable changes</title>
   <link>https://gazette.example/2026/ferry?a=1&amp;b=2</link>
   <guid isPermaLink="false">gazette-ferry-1</guid>
   <pubDate>Tue, 03 Nov 2026 08:15:00 +0100</pubDate>
   <dc:creator>Ada Brook</dc:creator>
   <category>Transport</category>
   <category domain="https://gazette.example/tags">Harbour</category>
   <description>Short version with a &lt;b&gt;bold&lt;/b&gt; word.</description>
   <content:encoded><![CDATA[<p>The long version, with <a href="/map">a map</a> and
     <img src="img/ferry.jpg" alt="ferry"> a photo.</p><br>]]></content:encoded>
   <media:thumbnail url="https://gazette.example/thumb.jpg" width="120"/>
   <comments>https://gazette.example/2026/ferry#comments</comments>
  </item>
  <item>
   <title>Caf\u00e9 reopens &#8211; \u201cfinally\u201d</title>
   <guid>https://gazette.example/2026/cafe</guid>
   <dc:date>2026-11-04T10:00:00Z</dc:date>
   <description><![CDATA[Plain words only]]></description>
   <enclosure url="https://gazette.example/cafe.JPG" type="Image/JPEG" length="1000"/>
  </item>
  <item>
   <description>No title, no link, no guid: keyed by a hash.</description>
  </item>
 </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
 <id>tag:lantern.example,2026:feed</id>
 <title type="html">Lantern &lt;i&gt;Science&lt;/i&gt;</title>
 <link rel="self" href="https://lantern.example/feed.atom"/>
 <link rel="alternate" type="text/html" href="https://lantern.example/"/>
 <updated>2026-11-05T09:00:00Z</updated>
 <author><name>Lantern desk</name></author>
 <entry>
  <id>tag:lantern.example,2026:one</id>
  <title>Comet seen twice</title>
  <link rel="alternate" type="text/html" href="https://lantern.example/comet"/>
  <link rel="enclosure" type="image/png" href="https://lantern.example/comet.png"/>
  <published>2026-11-05T08:00:00+02:00</published>
  <updated>2026-11-05T09:30:00Z</updated>
  <author><name>Iris Vale</name><email>iris@lantern.example</email></author>
  <category term="Space" label="space"/>
  <summary type="text">A comet, twice.</summary>
  <content type="html">&lt;p&gt;The comet was seen on &lt;a href="https://obs.example/"&gt;two nights&lt;/a&gt;.&lt;/p&gt;</content>
 </entry>
 <entry>
  <id>tag:lantern.example,2026:two</id>
  <title>Only a summary</title>
  <updated>2026-11-06T09:30:00Z</updated>
  <summary type="html">&lt;p&gt;Short &amp;amp; sweet&lt;/p&gt;</summary>
 </entry>
</feed>
"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://rdf.example/">
  <title>RDF Weekly</title>
  <link>https://rdf.example/</link>
  <description>Weekly notes</description>
  <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/a"/></rdf:Seq></items>
 </channel>
 <item rdf:about="https://rdf.example/a">
  <title>Orchard harvest</title>
  <link>https://rdf.example/a</link>
  <description>Apples &amp;amp; pears</description>
  <dc:date>2026-10-30T12:00:00+08:00</dc:date>
  <dc:subject>Farming</dc:subject>
  <dc:creator>Wen Li</dc:creator>
 </item>
</rdf:RDF>
"""


@pytest.mark.parametrize("text", [RSS20, ATOM, RDF], ids=["rss20", "atom10", "rdf"])
def test_own_feeds_accepted_and_equal(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = text.encode("utf-8")
    for url, ctype in (
        ("/srv/feeds/own.xml", None),
        ("https://own.example/feed", "text/xml; charset=utf-8"),
    ):
        slow, fast, accepted = slow_and_fast(body, url, ctype, monkeypatch)
        assert accepted, url
        assert slow == fast, describe(slow, fast)


def test_own_feed_values() -> None:
    """A few fields spelled out, so the fixtures above exercise what they claim to."""
    rss = parse_feed(RSS20.encode(), "s", "https://gazette.example/rss")
    assert [i.title for i in rss] == [
        "Ferry timetable changes",
        "Café reopens – “finally”",
        "(untitled)",
    ]
    assert rss[0].key == "gazette-ferry-1" and rss[0].content_type == "html"
    assert 'href="https://gazette.example/map"' in rss[0].content  # relative URI resolved
    assert rss[0].categories == ("Transport", "Harbour")
    assert rss[0].image == "https://gazette.example/thumb.jpg"
    assert rss[0].published == datetime(2026, 11, 3, 7, 15, tzinfo=UTC)
    assert rss[1].image == "https://gazette.example/cafe.JPG"
    assert rss[1].updated == datetime(2026, 11, 4, 10, tzinfo=UTC) == rss[1].published
    assert rss[2].key.startswith("hash:")
    atom = parse_feed(ATOM.encode(), "s", "https://lantern.example/feed.atom")
    assert atom[0].outlet == "Lantern Science"
    assert atom[0].author == "Iris Vale (iris@lantern.example)"
    assert atom[0].content.startswith("<p>The comet") and atom[0].image.endswith("comet.png")
    assert (
        atom[1].content == "<p>Short &amp; sweet</p>"
        and atom[1].link == "tag:lantern.example,2026:two"
    )
    rdf = parse_feed(RDF.encode(), "s", "https://rdf.example/index.rdf")
    assert rdf[0].key == "https://rdf.example/a" and rdf[0].categories == ("Farming",)
    assert rdf[0].published == datetime(2026, 10, 30, 4, tzinfo=UTC)


def test_declines_what_it_does_not_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """xml:base, an unknown namespace in an item, xhtml content: feedparser reads them."""
    cases = [
        RSS20.replace("<item>", '<item xml:base="https://elsewhere.example/">', 1),
        RSS20.replace("<comments>", '<x:note xmlns:x="urn:x">n</x:note><comments>', 1),
        ATOM.replace(
            '<content type="html">&lt;p&gt;',
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>',
            1,
        )
        .replace("&lt;/p&gt;</content>", "</p></div></content>", 1)
        .replace('&lt;a href="https://obs.example/"&gt;two nights&lt;/a&gt;', "two nights", 1),
    ]
    for text in cases:
        slow, fast, accepted = slow_and_fast(
            text.encode(), "https://own.example/f", None, monkeypatch
        )
        assert not accepted
        assert slow == fast


# --------------------------------------------------------------------------- mutations

MUTATION_TEXT = [
    "", "  ", "Café", "CafÃ©", "\u0085 odd \u0093q\u0094", "a &amp; b", "<b>bold</b>", "AT&amp;amp;T",
    "/rel/path", "rel/path?a=1&b=2", "https://abs.example/p?q=1&amp;r=2", "javascript:alert(1)",
    "2026-11-01T10:00:00+05:30", "Tue, 03 Nov 2026 08:15:00 GMT", "not a date",
    "ann@example.com (Ann)", "<p>para <a href='x.html'>l</a><img src=y.png></p>", "tag:x,2026:1",
    "\u3000全角\u3000", "<br/>text<hr>", "&#8211; dash &copy;", "Q&A", "1 < 2 > 0",
]  # fmt: skip
MUTATION_ATTRS = [
    ("type", ["html", "text", "xhtml", "TEXT", "application/octet-stream", ""]),
    ("isPermaLink", ["true", "false"]),
    ("rel", ["alternate", "enclosure", "self", "related"]),
    ("href", ["https://h.example/a", "rel/b", ""]),
    ("domain", ["d", ""]),
    ("term", ["t", ""]),
    ("url", ["https://h.example/i.jpg", "i.jpg"]),
    ("mode", ["base64"]),
    ("{http://www.w3.org/XML/1998/namespace}lang", ["fr", ""]),
]
MUTATION_NAMES = [
    "title", "link", "guid", "id", "description", "summary", "content", "author", "pubDate",
    "published", "updated", "category", "enclosure", "comments", "image", "date", "name",
    "{http://purl.org/rss/1.0/modules/content/}encoded", "{http://purl.org/dc/elements/1.1/}creator",
    "{http://purl.org/dc/elements/1.1/}date", "{http://purl.org/dc/elements/1.1/}subject",
    "{http://search.yahoo.com/mrss/}thumbnail", "{http://www.w3.org/2005/Atom}link",
    "{http://www.w3.org/2005/Atom}summary", "{urn:unknown}thing",
]  # fmt: skip


def mutate(rng: random.Random, body: bytes) -> bytes:
    """One to four random edits: text, duplicates, deletions, attributes, order, new elements."""
    root = etree.fromstring(body)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    ns = "" if "rdf-syntax" in ns else ns
    for _ in range(rng.randint(1, 4)):
        els = [e for e in root.iter() if e is not root]
        e = rng.choice(els)
        op = rng.randrange(7)
        if op == 0 and len(e) == 0:
            e.text = rng.choice(MUTATION_TEXT)
        elif op == 1:
            e.addnext(etree.fromstring(etree.tostring(e)))
        elif op == 2:
            e.getparent().remove(e)
        elif op == 3:
            key, values = rng.choice(MUTATION_ATTRS)
            e.set(key, rng.choice(values))
        elif op == 4:
            kids = list(e)
            rng.shuffle(kids)
            e[:] = kids
        else:
            parents = [
                p
                for p in root.iter()
                if etree.QName(p).localname in ("channel", "item", "entry", "feed", "author")
            ]
            name = rng.choice(MUTATION_NAMES)
            new = etree.Element(name if name.startswith("{") else ns + name)
            if rng.random() < 0.7:
                new.text = rng.choice(MUTATION_TEXT)
            rng.choice(parents).insert(0 if rng.random() < 0.5 else 10_000, new)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return data


def test_mutated_own_feeds_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random edits of the feeds above reach corners no fixture has (seeded, so repeatable);
    ~half the mutants stay on the fast path."""
    rng = random.Random(20261123)
    bases = [t.encode("utf-8") for t in (RSS20, ATOM, RDF)]
    bodies = ((f"mutant-{i}.xml", mutate(rng, rng.choice(bases)), None) for i in range(400))
    accepted, declined = check_all(bodies, monkeypatch)
    print(f"\nmutated own feeds: fast path accepted {accepted}, declined {declined}")
    assert accepted > 100
