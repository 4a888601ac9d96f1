"""fingerprint() (numpy, few calls) is bit-identical to the simhash package's algorithm.

Equality gate for the fingerprint rewrite (issue 8): every text we have -- the demo
articles, tests/data, the benchmark corpus's generated articles, their cleaned texts --
and their prefixes of every short length (1, 2, 3 characters: the padded single-feature
cases) must give exactly ``reference_fingerprint``'s value.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedhub.dedupe.fingerprint import (
    fingerprint,
    normalize,
    reference_fingerprint,
    stream_length,
)

from .conftest import DATA, ROOT


def corpus_texts(tmp: Path) -> Iterator[str]:
    for path in sorted((ROOT / "config" / "demo").rglob("*")):
        if path.is_file():
            yield path.read_text(encoding="utf-8", errors="replace")
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.stat().st_size < 400_000:
            yield path.read_bytes().decode("utf-8", "replace")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus as corpus_mod
    finally:
        sys.path.remove(str(ROOT / "bench"))
    c = corpus_mod.generate(tmp / "corpus", 150, corpus_mod.SEED)
    for path in sorted(c.root.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".rss", ".atom"):
            yield path.read_text(encoding="utf-8")


def test_fingerprint_equals_the_reference_on_every_corpus_text(tmp_path: Path) -> None:
    n = 0
    for text in corpus_texts(tmp_path):
        # lone surrogates (hostile fixtures decoded with "replace" have none, but be safe)
        text = text.encode("utf-8", "replace").decode("utf-8")
        for sample in (text, text[:1], text[:2], text[:3], text[:5], text[:4000]):
            assert fingerprint(sample) == reference_fingerprint(sample), sample[:80]
            assert stream_length(sample) == len(normalize(sample))
            n += 1
    assert n > 500


@pytest.mark.parametrize(
    "text",
    ["", "a", "ab", "abc", "台", "台风", "台风登", "，。", "Ａ１", "𠀋𠀋𠀋台风", "x" * 5000],
)
def test_fingerprint_equals_the_reference_on_edge_cases(text: str) -> None:
    assert fingerprint(text) == reference_fingerprint(text)
