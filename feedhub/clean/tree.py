"""The tree stage: rules on the parsed HTML of one article.

The HTML is parsed once, with the stdlib ``html.parser`` builder on purpose:
lxml's HTML parser "repairs" the mirrors' ``<p>`` inside ``<p>`` by closing the
outer paragraph, which scatters a promo paragraph's text into its parent and
makes "remove the promo block" remove the article instead.  html.parser keeps
the nesting as written.

Order (each step relies on the one before):

1. repair images (lazy ``data-*`` → ``src``, image proxies unwrapped, pixels dropped)
2. read metadata (dateline outlet/date, ``来源:`` wire) while the text is whole
3. remove selector rules (ads, hidden elements, scripts)
4. remove related-link lists (label block + the link-only blocks after it)
5. remove text-pattern blocks, innermost first
6. unwrap keyword tags (``<ok href>拜登</ok>`` → ``拜登``)
7. drop a leading block that repeats the title
8. clean URLs (tracking params, relative → absolute) and prune empty elements
9. join the prettified text runs (no stray spaces between CJK characters)

Sanitizing is not a rule and always runs after this module (``sanitize.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import PageElement

from ..dates import parse_cjk_date
from ..types import Removal
from .learn import Learned, block_key
from .rules import RulePack

BLOCK_TAGS = frozenset(
    "p div li ul ol center section article blockquote figure figcaption h1 h2 h3 h4 h5 h6 "
    "td tr table tbody thead pre header footer aside dd dt dl main nav".split()
)
# A block longer than this is article, not boilerplate: a pattern inside it removes
# only the matching inline run, never the block.
MAX_BOILERPLATE_BLOCK = 400
LINKISH = ("a", "ok", "span")
_KEEP_EMPTY = frozenset(("img", "br", "hr", "video", "audio", "source", "picture"))
_WS = re.compile(r"\s+")
_CLAUSE_START = "。！？!?；;，,\n"
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s|$)")


def _cut_matches(text: str, pattern: re.Pattern[str]) -> tuple[str, str]:
    """Cut each match out of a long text, widened to whole clauses: from the clause
    where it starts to the end of the sentence where it ends.  Returns (kept, cut)."""
    kept, cut, pos = [], [], 0
    while (m := pattern.search(text, pos)) and m.end() > m.start():
        start = max(text.rfind(d, pos, m.start()) for d in _CLAUSE_START) + 1
        start = max(start, pos)
        end_m = _SENTENCE_END.search(text, m.end())
        end = end_m.end() if end_m else len(text)
        kept.append(text[pos:start])
        cut.append(text[start:end])
        pos = end
    kept.append(text[pos:])
    return "".join(kept), "".join(cut)


_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s*\n\s*(?=[{_CJK}])")
_LEAD_NL = re.compile(rf"^\s*\n\s*(?=[{_CJK}])")
_TRAIL_NL = re.compile(rf"(?<=[{_CJK}])\s*\n\s*$")


def _tags(root: Tag, names: frozenset[str] | None = None) -> list[Tag]:
    """Descendant tags in document order (optionally only these names).

    A plain walk over ``descendants``: bs4's ``find_all`` builds filter objects per
    call and per element, which made it a third of cleaning time.
    """
    return [
        el for el in root.descendants if isinstance(el, Tag) and (names is None or el.name in names)
    ]


def norm_text(text: str) -> str:
    """Whitespace runs → one space, trimmed (``_WS.sub(" ", text).strip()``: ``str.split``
    splits on exactly the characters ``\\s`` matches, and is several times faster)."""
    return " ".join(text.split())


def _text(el: Tag) -> str:
    return norm_text(el.get_text(""))


def _describe(el: Tag) -> str:
    text = _text(el)
    if text:
        return text[:200]
    attrs = " ".join(
        f'{k}="{v if isinstance(v, str) else " ".join(v)}"' for k, v in el.attrs.items()
    )
    return f"<{el.name} {attrs}>"[:200]


class _Attrs(Protocol):
    """An element whose attributes can be read: a bs4 ``Tag`` or a ``dom.Node``."""

    def get(self, key: str, default: Any = None) -> Any: ...


def find_dateline(pack: RulePack, text: str) -> tuple[str, datetime | None] | None:
    """The outlet and date of the first outlet pattern found in ``text``."""
    for _, pattern in pack.outlet_patterns:
        m = pattern.search(text)
        if m:
            return m.group("outlet"), parse_cjk_date(m.group("date"))
    return None


def find_wire(pack: RulePack, block_texts: Iterable[str]) -> str | None:
    """The wire service named in the first short block (≤ 40 characters) that a wire
    pattern matches; ``block_texts`` is read lazily, in document order."""
    for btext in block_texts:
        if len(btext) > 40:
            continue
        for _, pattern in pack.wire_patterns:
            m = pattern.search(btext)
            if m:
                return m.group("wire")
    return None


def mostly_linked(text: str, linked: str) -> bool:
    """Is ``text`` (a block) nothing but its ``linked`` text, spaces aside?"""
    return len(linked.replace(" ", "")) >= len(text.replace(" ", "")) * 0.9


def _is_pixel(img: _Attrs) -> bool:
    """1×1 or 0-size images are tracking beacons, not pictures."""

    def small(value: object) -> bool:
        m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$", str(value or ""))
        return m is not None and float(m.group(1)) <= 1

    declared = {}
    for decl in str(img.get("style") or "").split(";"):
        name, _, value = decl.partition(":")
        declared[name.strip().lower()] = value.strip().lower()
    w = img.get("width", declared.get("width"))
    h = img.get("height", declared.get("height"))
    return (w is not None and small(w)) or (h is not None and small(h))


def _unproxy(url: str, pack: RulePack) -> str:
    for _, pattern in pack.image_proxies:
        m = pattern.match(url)
        if m:
            inner = unquote(m.group("url"))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", inner, re.I):
                inner = "https://" + inner.lstrip("/")
            return inner
    return url


def clean_url(url: str, pack: RulePack, base: str | None = None) -> str | None:
    """Absolute http(s) URL without tracking params, or None when it cannot be one."""
    url = url.strip()
    if not url:
        return None
    if base:
        url = urljoin(base, url)
    elif url.startswith("//"):
        url = "https:" + url  # protocol-relative with nothing to resolve against
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Filter the raw "k=v" pieces rather than parse and re-encode: "?n1" stays "?n1",
    # and the percent-encoding the site chose is kept byte for byte.
    query = "&".join(
        piece
        for piece in parts.query.split("&")
        if piece and not pack.is_tracking_param(unquote(piece.partition("=")[0]))
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, query, parts.fragment))


class TreeCleaner:
    """Applies a :class:`RulePack` to one article's HTML; collects what it removed."""

    def __init__(
        self, pack: RulePack, title: str, base: str | None, learned: Learned | None = None
    ) -> None:
        self.pack = pack
        self.title = norm_text(title)
        self.base = base
        self.learned = learned
        self.block_keys: tuple[str, ...] = ()
        self.removed: list[Removal] = []
        self.outlet: str | None = None
        self.wire: str | None = None
        self.date: datetime | None = None

    def _drop(self, el: Tag, rule: str) -> None:
        self.removed.append(Removal(rule, _describe(el)))
        el.decompose()

    def run(self, html: str) -> BeautifulSoup:
        soup = BeautifulSoup(html, "html.parser")
        for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
            c.extract()
        self._images(soup)
        self._metadata(soup)
        # One walk for all remove selectors; each hit is then attributed to its rule.
        if self.pack.remove_selectors:
            named = [(n, self.pack.selector(css)) for n, css in self.pack.remove_selectors]
            combined = self.pack.selector(", ".join(css for _, css in self.pack.remove_selectors))
            for el in combined.select(soup):
                if not el.decomposed:
                    self._drop(el, next(n for n, sel in named if sel.match(el)))
        self._related_lists(soup)
        self._block_patterns(soup)
        if self.pack.unwrap_selectors:
            combined = self.pack.selector(", ".join(css for _, css in self.pack.unwrap_selectors))
            for el in combined.select(soup):
                el.unwrap()
        soup.smooth()
        self._title_repeat(soup)
        self._learned(soup)
        self._urls(soup)
        self._prune(soup)
        self._join_runs(soup)
        return soup

    # 1
    def _images(self, soup: BeautifulSoup) -> None:
        for img in soup.find_all("img"):
            for attr in self.pack.lazy_image_attrs:
                value = img.get(attr)
                if isinstance(value, str) and value.strip():
                    img["src"] = value.strip()
                    break
            src = img.get("src")
            if isinstance(src, str):
                img["src"] = _unproxy(src.strip(), self.pack)
            if _is_pixel(img):
                self._drop(img, "common.tracking-pixel")

    # 2
    def _metadata(self, soup: BeautifulSoup) -> None:
        found = find_dateline(self.pack, _text(soup))
        if found:
            self.outlet, self.date = found
        wire = find_wire(self.pack, (_text(b) for b in _tags(soup, BLOCK_TAGS)))
        if wire is not None:
            self.wire = wire

    # 4
    def _link_only(self, el: Tag, text: str | None = None) -> bool:
        """Is (the part ``text`` of) this block nothing but link text?"""
        text = _text(el) if text is None else text
        if not text:
            return False
        linked = "".join(
            _text(a) for a in el.find_all(LINKISH) if a.name != "span" or a.get("href")
        )
        return mostly_linked(text, linked)

    def _related_lists(self, soup: BeautifulSoup) -> None:
        for name, pattern in self.pack.related_labels:
            for block in _tags(soup, BLOCK_TAGS):
                if block.decomposed:
                    continue
                text = _text(block)
                m = pattern.match(text)
                if not m or len(text) > MAX_BOILERPLATE_BLOCK:
                    continue
                rest = text[m.end() :].strip()
                # "相关报导：<a>headline</a>" or a bare "其他报导：" label
                if rest and not self._link_only(block, rest):
                    continue
                sibling = block.find_next_sibling()
                self._drop(block, name)
                while (
                    isinstance(sibling, Tag)
                    and sibling.name in BLOCK_TAGS
                    and self._link_only(sibling)
                ):
                    nxt = sibling.find_next_sibling()
                    self._drop(sibling, name)
                    sibling = nxt

    # 5
    def _block_patterns(self, soup: BeautifulSoup) -> None:
        # Reverse document order visits descendants before ancestors, so the
        # innermost block that carries the boilerplate is the one removed.
        for block in reversed(_tags(soup, BLOCK_TAGS)):
            if block.decomposed:
                continue
            text = _text(block)
            for name, pattern in self.pack.block_patterns:
                if not pattern.search(text):
                    continue
                if len(text) <= MAX_BOILERPLATE_BLOCK:
                    self._drop(block, name)
                else:
                    self._drop_runs(block, name, pattern)
                break

    def _drop_runs(self, block: Tag, name: str, pattern: re.Pattern[str]) -> None:
        """Remove only the matching part of a long block.

        A short text node goes with its inline run (up to the next <br> or block:
        the mirrors put one notice per line).  In a long text node only the
        sentences that match go, so body text sharing the node survives.
        """
        for node in list(block.find_all(string=True)):
            text = str(node)
            if node.parent is None or not pattern.search(norm_text(text)):
                continue
            if len(text) > MAX_BOILERPLATE_BLOCK:
                kept, gone = _cut_matches(text, pattern)
                self.removed.append(Removal(name, norm_text(gone)[:200]))
                node.replace_with(kept)
                continue
            run: list[PageElement] = [node]
            sib = node.next_sibling
            while sib is not None and not (
                isinstance(sib, Tag) and sib.name in BLOCK_TAGS | {"br"}
            ):
                run.append(sib)
                sib = sib.next_sibling
            removed = norm_text(
                "".join(r.get_text("") if isinstance(r, Tag) else str(r) for r in run)
            )
            self.removed.append(Removal(name, removed[:200]))
            for r in run:
                r.extract()

    # 7
    def _title_repeat(self, soup: BeautifulSoup) -> None:
        if not self.title:
            return
        for el in soup.find_all(True):
            text = _text(el)
            if not text:
                continue
            if text == self.title and (el.name in BLOCK_TAGS or el.name == "a"):
                self._drop(el, "title-repeat")
            return  # only the very first element with text is considered

    # 7b
    def _learned(self, soup: BeautifulSoup) -> None:
        """Record every leaf block's key; drop the ones learned as this source's boilerplate.

        Keys are taken *before* anything is dropped here, so an article's keys do not
        depend on what was learned: counts stay stable from run to run.
        """
        keys: list[str] = []
        drop: list[tuple[Tag, str]] = []
        blocks = _tags(soup, BLOCK_TAGS)
        inner: set[int] = set()  # ids of blocks that contain another block
        for block in blocks:
            parent = block.parent
            while parent is not None and id(parent) not in inner:
                if parent.name in BLOCK_TAGS:
                    inner.add(id(parent))
                parent = parent.parent
        for block in blocks:
            if id(block) in inner:
                continue  # not a leaf: its leaf blocks are keyed instead
            text = _text(block)
            if not text:
                continue
            key = block_key(text)
            keys.append(key)
            if self.learned is not None and key in self.learned.boilerplate and text != self.title:
                drop.append((block, self.learned.reason(key)))
        self.block_keys = tuple(dict.fromkeys(keys))
        for block, reason in drop:
            if not block.decomposed:
                self._drop(block, reason)

    # 8
    def _urls(self, soup: BeautifulSoup) -> None:
        for el in soup.find_all(["a", "img"]):
            attr = "href" if el.name == "a" else "src"
            value = el.get(attr)
            if not isinstance(value, str):
                continue
            url = clean_url(value, self.pack, self.base)
            if url is None:
                del el[attr]
            else:
                el[attr] = url
        for img in soup.find_all("img"):
            if not img.get("src"):
                img.decompose()

    def _prune(self, soup: BeautifulSoup) -> None:
        # One pass in document order is enough: an element without text or media is
        # removed with its whole subtree before any of its children is visited.
        media = _KEEP_EMPTY - {"br", "hr"}
        for el in _tags(soup):
            if el.decomposed or el.name in _KEEP_EMPTY:
                continue
            if not el.get_text(strip=True) and not el.find(media):
                el.decompose()
        for hr in soup.find_all("hr"):
            hr.decompose()

    # 9
    def _join_runs(self, soup: BeautifulSoup) -> None:
        for node in list(soup.find_all(string=True)):
            text = str(node)
            if "\n" not in text:
                continue
            new = _CJK_GAP.sub("", text)
            new = _LEAD_NL.sub("", new)
            new = _TRAIL_NL.sub("", new)
            new = _WS.sub(" ", new)
            if new != text:
                node.replace_with(new)
