"""sanitize_text's plain-text shortcut equals the nh3 round trip it skips.

Equality gate: every code point alone and between letters (so each one the shortcut
accepts is shown to pass nh3 unchanged), random text from a mixed alphabet (markup,
references, whitespace of every kind, controls), and every title of the demo and the
benchmark corpus.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st

from feedhub.clean.sanitize import _MARKUP, sanitize_text

from .conftest import ROOT

_WS = re.compile(r"\s+")


def reference(text: str) -> str:
    """sanitize_text without its shortcut: nh3 until nothing changes."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    for _ in range(4):
        plain = html.unescape(nh3.clean(text, tags=set()))
        if plain == text:
            break
        text = plain
    return _WS.sub(" ", text).strip()


def test_every_code_point_alone_and_in_context() -> None:
    accepted = 0
    points = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 61)]
    for i in range(0, len(points), 64):
        chunk = "".join(map(chr, points[i : i + 64]))
        for text in (chunk, f"a {chunk} b", f"  {chunk}\n"):
            assert sanitize_text(text) == reference(text), ascii(text)
        for c in chunk:
            text = f"x{c}y"
            if _MARKUP.search(text) is None:
                accepted += 1
            assert sanitize_text(text) == reference(text), ascii(text)
    assert accepted > 60_000


_ALPHABET = st.sampled_from(
    ["a", "Z", "中", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028",
     "\u3000", "&", "&amp;", "&lt;b&gt;", "<b>", "</b>", "<script>x</script>", "<", ">",
     "\x00", "\x07", "\ud800", "\ufffe", "\ufdd0", "\U0001f600", "é", "e\u0301", '"', "'"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_random_text_equals_the_reference(text: str) -> None:
    assert sanitize_text(text) == reference(text)


def test_corpus_titles_equal_the_reference(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus as corpus_mod
    finally:
        sys.path.remove(str(ROOT / "bench"))
    c = corpus_mod.generate(tmp_path / "corpus", 200, corpus_mod.SEED)
    paths = sorted(c.root.rglob("*")) + sorted((ROOT / "config" / "demo").rglob("*"))
    n = 0
    for path in paths:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            for text in (line, line.partition(":")[2], line.strip("#- ")):
                assert sanitize_text(text) == reference(text)
                n += 1
    assert n > 1000
