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

import re
import unicodedata

from simhash import Simhash

FP_VERSION = 1
SHINGLE = 3
BITS = 64
_KEEP = re.compile(r"[^\w]|_", re.UNICODE)


def normalize(text: str) -> str:
    """The character stream shingles are taken from."""
    return _KEEP.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str, n: int = SHINGLE) -> list[str]:
    stream = normalize(text)
    if len(stream) <= n:
        return [stream] if stream else []
    return [stream[i : i + n] for i in range(len(stream) - n + 1)]


def fingerprint(text: str) -> int:
    """Unsigned 64-bit simhash of ``text`` (0 for empty text)."""
    features = shingles(text)
    if not features:
        return 0
    return int(Simhash(features, f=BITS).value)


def distance(a: int, b: int) -> int:
    """Hamming distance between two fingerprints."""
    return (a ^ b).bit_count()


def to_signed(fp: int) -> int:
    """SQLite INTEGER is signed 64-bit."""
    return fp - (1 << 64) if fp >= 1 << 63 else fp


def from_signed(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
