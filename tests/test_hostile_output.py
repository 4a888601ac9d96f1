"""Output safety: XSS vectors (tests/data/hostile/xss_vectors.json) in the titles, content
and links of feeds served locally (RSS, Atom with a hostile xml:base, JSON Feed) and of a
local Hexo folder; after ``feedhub run --once`` the Atom (and JSON Feed) output must hold
nothing executable.

Checks: the Atom parses with lxml; each entry's content HTML, parsed with lxml.html, has
no script/iframe/object/embed/svg/math/style/meta/base/form/... element, no on*
attribute, no style/srcdoc/formaction/srcset attribute, every href/src is http(s); no
``javascript:``/``vbscript:``/``data:text/html`` anywhere in the document after
unescaping; titles are text (no child elements, no markup left in them); entry links
(alternate and related) are http(s) only.
"""

from __future__ import annotations

import html
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from .conftest import DATA, FeedServer, Route

VECTORS: dict[str, list[str]] = json.loads(
    (DATA / "hostile" / "xss_vectors.json").read_text(encoding="utf-8")
)
A = "{http://www.w3.org/2005/Atom}"
FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "link", "meta", "base", "form", "input", "button", "textarea", "select",
    "option", "isindex", "template", "noscript", "video", "audio", "source", "track",
    "marquee", "details", "body", "html", "head", "title", "xmp", "plaintext", "portal",
}  # fmt: skip
FORBIDDEN_ATTRS = {"style", "srcdoc", "formaction", "action", "srcset", "background", "dynsrc"}
URL_ATTRS = {"href", "src", "cite", "action", "formaction", "poster", "data", "xlink:href"}
BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html")
WORDS = (
    "river council museum ferry harbour bridge orchard lantern signal meadow quarry tunnel "
    "glacier canyon market railway festival library theatre stadium garden airport"
).split()


def filler(i: int) -> str:
    """A unique paragraph per item, so no two vectors merge into one story."""
    r = random.Random(i)
    return " ".join(f"{r.choice(WORDS)}{r.randint(0, 999)}" for _ in range(40))


def items() -> list[dict[str, str]]:
    out = []
    for n, v in enumerate(VECTORS["content"]):
        out.append({"title": f"Content vector {n}", "link": f"https://news.example/c{n}",
                    "html": f"<p>{filler(n)}</p>{v}"})  # fmt: skip
    for n, t in enumerate(VECTORS["titles"], start=100):
        out.append(
            {"title": t, "link": f"https://news.example/t{n}", "html": f"<p>{filler(n)}</p>"}
        )
    for n, link in enumerate(VECTORS["links"], start=200):
        out.append({"title": f"Link vector {n}", "link": link, "html": f"<p>{filler(n)}</p>"})
    return out


def rss(entries: list[dict[str, str]]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Evil &lt;b&gt;Outlet&lt;/b&gt;</title><link>https://news.example/</link>"
        "<description>d</description>"
    ]
    for i, e in enumerate(entries):
        parts.append(
            f"<item><title>{html.escape(e['title'])}</title>"
            f"<link>{html.escape(e['link'])}</link>"
            f'<guid isPermaLink="false">g{i}</guid>'
            f"<pubDate>Mon, 16 Nov 2026 09:{i % 60:02d}:00 +0000</pubDate>"
            f"<description>{html.escape(e['html'].replace(chr(0), ''))}</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode("utf-8")


def atom(entries: list[dict[str, str]]) -> bytes:
    """Atom with a javascript: xml:base, relative links and images in the content."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//">'
        "<title>Atom &lt;script&gt;alert(1)&lt;/script&gt;</title><id>urn:evil</id>"
        "<updated>2026-11-16T09:00:00Z</updated>"
    ]
    for i, e in enumerate(entries):
        body = e["html"].replace(chr(0), "") + '<a href="relative/page">rel</a><img src="pic.png">'
        parts.append(
            f'<entry><id>urn:evil:{i}</id><title type="html">{html.escape(e["title"])}</title>'
            f'<link rel="alternate" href="{html.escape(e["link"])}"/>'
            f"<updated>2026-11-16T10:{i % 60:02d}:00Z</updated>"
            f'<content type="html" xml:base="vbscript:msgbox(1)//">{html.escape(body)}</content>'
            f"<author><name>{html.escape('<img src=x onerror=alert(1)>Mallory')}</name></author>"
            f'<category term="{html.escape("<script>alert(1)</script>tag")}"/></entry>'
        )
    return ("".join(parts) + "</feed>").encode("utf-8")


def json_feed(entries: list[dict[str, str]]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "<script>alert(1)</script>JSON outlet",
            "items": [
                {
                    "id": f"j{i}",
                    "url": e["link"],
                    "title": e["title"],
                    "content_html": e["html"],
                    "image": "javascript:alert(1)",
                    "date_published": f"2026-11-16T11:{i % 60:02d}:00Z",
                }
                for i, e in enumerate(entries)
            ],
        }
    ).encode("utf-8")


def hexo_posts(folder: Path) -> None:
    folder.mkdir()
    for n, v in enumerate(VECTORS["content"][:20]):
        title = json.dumps(VECTORS["titles"][n % len(VECTORS["titles"])])
        (folder / f"post-{n}.md").write_text(
            f"---\ntitle: {title}\ndate: 2026-11-16 12:{n:02d}:00\nauthor: Mallory\n"
            f"link: javascript:alert({n})\n---\n\n{filler(300 + n)}\n\n{v}\n\n"
            f"[md link](javascript:alert(1)) ![md img](javascript:alert(2))\n",
            encoding="utf-8",
        )


# --------------------------------------------------------------------------- checks


def normalise_url(value: str) -> str:
    """What a browser acts on: leading/trailing C0 and spaces stripped, tab/LF/CR removed."""
    return re.sub(
        r"[\t\n\r]",
        "",
        value.strip(
            "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
        ),
    )


def is_web_url(value: str, base: str) -> bool:
    return urlsplit(urljoin(base, normalise_url(value))).scheme.lower() in ("http", "https")


def fully_unescaped(text: str) -> str:
    """Entities decoded (repeatedly), http(s) URLs taken out, then whitespace and
    controls: what is left must not name a script scheme.  (An http URL can hold the
    text: feedparser resolves ``jav&#x09;ascript:x`` against the feed URL, giving the
    harmless ``http://feed.host/javascript:x``.)"""
    for _ in range(5):
        text = html.unescape(text)
    text = re.sub(r"https?://[^\s\"'<>]*", "", text, flags=re.I)
    return re.sub(r"[\x00-\x20]", "", text).lower()


def html_problems(fragment: str, base: str, where: str) -> list[str]:
    problems = []
    if not fragment.strip():
        return problems
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in FORBIDDEN_TAGS:
            problems.append(f"{where}: <{tag}> element")
        for name, value in el.attrib.items():
            low = name.rsplit("}", 1)[-1].lower()
            if low.startswith("on") or low in FORBIDDEN_ATTRS:
                problems.append(f"{where}: <{tag} {name}=...>")
            if low in URL_ATTRS or name.lower() in URL_ATTRS:
                if not is_web_url(value, base):
                    problems.append(f"{where}: <{tag} {name}={value!r}>")
    flat = fully_unescaped(fragment)
    problems += [f"{where}: {s!r} in the content" for s in BAD_SCHEMES if s in flat]
    return problems


def atom_problems(path: Path) -> tuple[list[str], list[str]]:
    """All safety problems of one Atom file, and its entry titles."""
    raw = path.read_bytes()
    root = etree.fromstring(raw)  # parses, or raises
    assert root.tag == A + "feed"
    problems: list[str] = []
    titles: list[str] = []
    doc = fully_unescaped(raw.decode("utf-8"))
    problems += [f"{path.name}: {s!r} in the document" for s in BAD_SCHEMES if s in doc]
    for entry in root.iter(A + "entry"):
        eid = entry.findtext(A + "id")
        title = entry.find(A + "title")
        assert title is not None
        if len(title) or title.get("type", "text") != "text":
            problems.append(f"{eid}: title is not plain text")
        text = title.text or ""
        titles.append(text)
        if re.search(r"<\s*/?\s*(script|img|svg|a|b|i)\b", text, re.I):
            problems.append(f"{eid}: markup left in title {text!r}")
        base = "https://base.invalid/"
        for link in entry.iter(A + "link"):
            href = link.get("href", "")
            scheme = urlsplit(normalise_url(href)).scheme.lower()
            if scheme not in ("http", "https"):
                problems.append(f"{eid}: link rel={link.get('rel')} href={href!r}")
            elif link.get("rel", "alternate") == "alternate":
                base = href
        content = entry.find(A + "content")
        if content is not None:
            if content.get("type") not in ("html", None):
                problems.append(f"{eid}: content type {content.get('type')}")
            problems += html_problems(content.text or "", base, str(eid))
        for el in entry.iter():
            if any(k.rsplit("}", 1)[-1] == "base" for k in el.attrib):
                problems.append(f"{eid}: xml:base on <{el.tag}>")
    return problems, titles


def json_problems(path: Path) -> list[str]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for item in data["items"]:
        where = str(item["id"])
        for key in ("url", "image", "external_url"):
            if key in item and not is_web_url(item[key], "https://base.invalid/"):
                problems.append(f"{where}: {key} {item[key]!r}")
        for rel in item.get("_feedhub", {}).get("related", []):
            if not is_web_url(rel["url"], "https://base.invalid/"):
                problems.append(f"{where}: related {rel['url']!r}")
        problems += html_problems(item.get("content_html", ""), item.get("url", ""), where)
        if re.search(r"<\s*/?\s*(script|img|svg)\b", item["title"], re.I):
            problems.append(f"{where}: markup in title {item['title']!r}")
    return problems


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `feedhub run --once` over all hostile sources; returns the output folder."""
    from http.server import ThreadingHTTPServer
    from threading import Thread

    from .conftest import _handler

    tmp = tmp_path_factory.mktemp("xss")
    server = FeedServer("", {}, [])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        entries = items()
        server.routes["/evil.rss"] = Route(rss(entries))
        server.routes["/evil.atom"] = Route(atom(entries))
        server.routes["/evil.json"] = Route(
            json_feed(entries), headers={"Content-Type": "application/feed+json"}
        )
        hexo_posts(tmp / "posts")
        (tmp / "feedhub.yaml").write_text(
            f"""
storage: state.sqlite
output_dir: out
json_feed: true
sources:
  - {{id: rss, kind: feed, url: "{server.url("/evil.rss")}"}}
  - {{id: atom, kind: feed, url: "{server.url("/evil.atom")}"}}
  - {{id: json, kind: feed, url: "{server.url("/evil.json")}"}}
  - {{id: posts, kind: local, path: posts, format: hexo}}
topics:
  - {{id: all, title: "All <script>alert(1)</script>", sources: [rss, atom, json, posts], max_entries: 10000}}
  - {{id: rss-only, title: RSS, sources: [rss], max_entries: 10000}}
  - {{id: json-only, title: JSON, sources: [json], max_entries: 10000}}
""",
            encoding="utf-8",
        )
        result = subprocess.run(
            [sys.executable, "-m", "feedhub", "run", "--once", "-c", str(tmp / "feedhub.yaml")],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "error:" not in result.stderr, result.stderr[-3000:]
    return tmp / "out"


@pytest.mark.parametrize("topic", ["all", "rss-only", "json-only"])
def test_atom_output_holds_nothing_executable(output: Path, topic: str) -> None:
    problems, titles = atom_problems(output / f"{topic}.atom")
    n_vectors = sum(len(v) for v in VECTORS.values())
    print(
        f"\n{topic}.atom: {len(titles)} entries from {n_vectors} vectors, {len(problems)} problems"
    )
    assert problems == [], "\n".join(problems[:40])
    assert len(titles) >= len(items()), "vectors were lost or merged"


def test_titles_are_plain_text_escaped_once(output: Path) -> None:
    _, titles = atom_problems(output / "rss-only.atom")
    expected = {
        "Script title",
        "Image title",
        "Bold title with link",
        "SVG title",
        "Escaped title",
        "Q&A: AT&T wins \u201cquotes\u201d",
    }
    missing = expected - set(titles)
    assert not missing, (
        f"missing {missing}; titles with vectors: {[t for t in titles if 'vector' not in t]}"
    )
    assert not any("&amp;" in t or "&lt;" in t for t in titles), [t for t in titles if "&" in t]


def test_json_feed_output_holds_nothing_executable(output: Path) -> None:
    problems = []
    for name in ("all.json", "rss-only.json", "json-only.json"):
        problems += json_problems(output / name)
    assert problems == [], "\n".join(problems[:40])


def test_hostile_link_entries_are_kept_with_web_links_only(output: Path) -> None:
    """The link vectors' entries exist; their link is gone or an http(s) URL (feedparser
    resolves some against the feed URL), never the hostile one."""
    root = etree.parse(str(output / "rss-only.atom")).getroot()
    by_title = {e.findtext(A + "title"): e for e in root.iter(A + "entry")}
    for n in range(200, 200 + len(VECTORS["links"])):
        entry = by_title[f"Link vector {n}"]
        for link in entry.iter(A + "link"):
            assert urlsplit(link.get("href", "")).scheme in ("http", "https"), link.attrib
