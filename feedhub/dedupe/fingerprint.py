"""Text fingerprints: CJK-aware shingles and a 64-bit simhash.

Chinese has no spaces, so whitespace "words" would make a whole sentence one
token; we shingle *characters* instead.  The text is NFKC-normalised
(full-width → half-width), lower-cased and reduced to letters, digits and CJK
ideographs, so punctuation and spacing differences between outlets do not
move the hash.  Overlapping character n-grams (``SHINGLE``) of that stream are
the simhash features.

``FP_VERSION`` is stored beside every fingerprint: changing the normalisation
or the shingle size must bump it so stored values are recomputed, never
compared across versions.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import numpy as np
from simhash import Simhash

from .signals import script_normalize

FP_VERSION = 2  # 2: traditional Chinese folded to simplified before shingling
SHINGLE = 3
BITS = 64
_KEEP = re.compile(r"[^\w]|_", re.UNICODE)


def normalize(text: str) -> str:
    """The character stream shingles are taken from (script-normalised)."""
    return _KEEP.sub("", script_normalize(text))


def shingles(text: str, n: int = SHINGLE) -> list[str]:
    stream = normalize(text)
    if len(stream) <= n:
        return [stream] if stream else []
    return [stream[i : i + n] for i in range(len(stream) - n + 1)]


def fingerprint(text: str) -> int:
    """Unsigned 64-bit simhash of ``text`` (0 for empty text).

    Bit-identical to ``simhash.Simhash(shingles(text), f=64).value`` (a test
    checks it on random texts) but hashes each *distinct* shingle once and sums
    the bit columns in one numpy product instead of a Python loop per shingle.
    """
    features = shingles(text)
    if not features:
        return 0
    counts = Counter(features)
    # the simhash package keeps the last 8 bytes of each feature's md5 digest
    digests = b"".join(hashlib.md5(f.encode("utf-8")).digest()[-8:] for f in counts)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(counts), BITS)
    weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    sums = weights @ bits
    return int.from_bytes(np.packbits(sums > len(features) / 2).tobytes(), "big")


def reference_fingerprint(text: str) -> int:
    """The ``simhash`` package's own result, kept as the reference for tests/benchmarks."""
    features = shingles(text)
    return int(Simhash(features, f=BITS).value) if features else 0


def distance(a: int, b: int) -> int:
    """Hamming distance between two fingerprints."""
    return (a ^ b).bit_count()


def to_signed(fp: int) -> int:
    """SQLite INTEGER is signed 64-bit."""
    return fp - (1 << 64) if fp >= 1 << 63 else fp


def from_signed(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]|[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """CJK ideographs one per token, other scripts by word."""
    return _TOKEN.findall(script_normalize(text))


def shingle_set(text: str, n: int = 3) -> frozenset[str]:
    """Token n-grams for the verification step (3 CJK characters or 3 words)."""
    toks = tokens(text)
    if len(toks) <= n:
        return frozenset([" ".join(toks)]) if toks else frozenset()
    return frozenset(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the shorter text is inside the longer (excerpt
    vs full article), unlike Jaccard which punishes the length difference."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
