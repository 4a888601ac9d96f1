"""Text fingerprints: CJK-aware shingles and a 64-bit simhash.

Chinese has no spaces, so whitespace "words" would make a whole sentence one
token; we shingle *characters* instead.  The text is NFKC-normalised
(full-width → half-width), lower-cased and reduced to letters, digits and CJK
ideographs, so punctuation and spacing differences between outlets do not
move the hash.  Overlapping character n-grams (``SHINGLE``) of that stream are
the simhash features.

``FP_VERSION`` is stored beside every fingerprint: changing the normalisation,
the shingle size or the hash must bump it, and opening a database recomputes
stored fingerprints of another version (``Storage``), never compares across them.

Version 3 hashes shingles with a 64-bit mixer in numpy instead of the ``simhash``
package's md5 per shingle (a Python call per shingle, then the digests' bits):
a shingle's three code points (21 bits each) pack losslessly into one integer and
the splitmix64 finaliser spreads it over 64 bits, so every shingle of an article
is hashed and its bit columns summed in a handful of array operations.  Simhash
needs each feature's bits well mixed and independent, which the finaliser gives
(it passes avalanche tests); it need not be cryptographic.  The decision rule is
the package's: bit i is set when more than half the shingles (with repeats) set it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
from simhash import Simhash

from .signals import script_normalize

FP_VERSION = 3  # 2: traditional folded to simplified; 3: splitmix64 shingle hash
SHINGLE = 3
BITS = 64
_KEEP = re.compile(r"[^\w]|_", re.UNICODE)
U64 = np.ndarray[Any, np.dtype[np.uint64]]
I64 = np.ndarray[Any, np.dtype[np.int64]]


def normalize(text: str) -> str:
    """The character stream shingles are taken from (script-normalised)."""
    return _KEEP.sub("", script_normalize(text))


def shingles(text: str, n: int = SHINGLE) -> list[str]:
    stream = normalize(text)
    if len(stream) <= n:
        return [stream] if stream else []
    return [stream[i : i + n] for i in range(len(stream) - n + 1)]


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix64(x: U64) -> U64:
    """splitmix64's finaliser (Steele, Lea & Flood 2014), elementwise, modulo 2**64.
    One new array, then in place: ``x`` itself is never written."""
    x = x ^ (x >> _S30)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


@cache
def _word_table() -> np.ndarray[Any, np.dtype[np.bool_]]:
    """For every BMP code point, whether :func:`normalize` keeps it: built from the
    same regular expression (about 10 ms, once), so both agree by construction."""
    plane = "".join(map(chr, range(1 << 16)))
    table = np.ones(1 << 16, np.bool_)
    table[[m.start() for m in _KEEP.finditer(plane)]] = False
    return table


def _points(text: str) -> U64:
    """The code points of ``normalize(text)``: a table lookup instead of a regular
    expression substitution, which cost as much as hashing all the shingles."""
    s = script_normalize(text)
    points = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), np.uint32)
    if len(points) and int(points.max()) >= 1 << 16:  # astral characters: the regex path
        s = _KEEP.sub("", s)
        return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    # take/compress: the same gather and mask as table[points] / points[mask], without
    # fancy indexing's generic setup (a third of this function's time on short texts)
    return points.compress(_word_table().take(points)).astype(np.uint64)


def stream_length(text: str) -> int:
    """``len(normalize(text))``."""
    return len(_points(text))


assert SHINGLE == 3, "shingle_hashes packs exactly three code points per key"
# mix64's constants as numpy scalars, made once (not on every call)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S21, _S42 = np.uint64(21), np.uint64(42)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


def shingle_hashes(text: str) -> U64:
    """One 64-bit hash per character shingle of ``normalize(text)``, in order.

    The values are :func:`mix64` of the packed shingle keys; written with in-place
    operations on one array (and one scratch array), because on an article's few
    hundred shingles numpy's per-call cost and temporaries outweigh the arithmetic."""
    points = _points(text)
    if not len(points):
        return np.zeros(0, np.uint64)
    if len(points) < SHINGLE:  # the whole stream is the one feature
        points = np.concatenate([points, np.zeros(SHINGLE - len(points), np.uint64)])
    # three code points (SHINGLE, asserted above), each < 2**21: the key is injective
    x = points[:-2] << _S42
    x |= points[1:-1] << _S21
    x |= points[2:]
    t = x >> _S30  # mix64, in place
    x ^= t
    x *= _M1
    np.right_shift(x, _S27, out=t)
    x ^= t
    x *= _M2
    np.right_shift(x, _S31, out=t)
    x ^= t
    return x


def fingerprint(text: str) -> int:
    """Unsigned 64-bit simhash of ``text`` (0 for empty text): bit i is set when more
    than half of the shingle hashes have it set.  The hashes' bits are unpacked
    little-endian (column 8 j + k is bit k of byte j, i.e. bit 8 j + k of the value)
    and each column summed: fewer numpy calls than byte histograms and a table
    product, which is what an article-sized input pays for."""
    hashes = shingle_hashes(text)
    if not len(hashes):
        return 0
    raw = hashes.astype("<u8", copy=False).view(np.uint8)  # no copy on little-endian
    ones = np.unpackbits(raw, bitorder="little").reshape(-1, BITS).sum(axis=0, dtype=np.int32)
    bits = np.packbits(2 * ones > len(hashes), bitorder="little")
    return int.from_bytes(bits.tobytes(), "little")


def shingle_hash(shingle: bytes) -> int:
    """One UTF-8 shingle's hash, as :func:`shingle_hashes` computes it for many,
    written out in plain integers (the package also probes it with b"test")."""
    mask = (1 << 64) - 1
    key = 0
    for ch in shingle.decode("utf-8").ljust(SHINGLE, "\0"):
        key = ((key << 21) | ord(ch)) & mask
    key ^= key >> 30
    key = (key * 0xBF58476D1CE4E5B9) & mask
    key ^= key >> 27
    key = (key * 0x94D049BB133111EB) & mask
    return key ^ (key >> 31)


def reference_fingerprint(text: str) -> int:
    """The ``simhash`` package's own algorithm over the same shingles and hash: the
    reference the vectorised :func:`fingerprint` is tested bit-identical to."""
    features = shingles(text)
    return int(Simhash(features, f=BITS, hashfunc=shingle_hash).value) if features else 0


def package_md5_fingerprint(text: str) -> int:
    """Version 2's value (the package's default md5 hash): what an older database
    holds, for the migration test."""
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
    """Token n-grams for the verification step (3 CJK characters or 3 words): the
    readable definition that :func:`token_shingles` hashes."""
    toks = tokens(text)
    if len(toks) <= n:
        return frozenset([" ".join(toks)]) if toks else frozenset()
    return frozenset(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))


def token_shingles(text: str, n: int = 3) -> I64:
    """:func:`shingle_set` as sorted, distinct 64-bit hashes (the tokens' ``hash``
    folded through :func:`mix64`): no joined string per shingle is built or kept,
    and two articles' overlap is one sorted intersection.  Equal to the string
    sets' containment but for 64-bit collisions (about 1e-14 per pair of
    articles).  Values depend on the process's string hash seed: never store them."""
    toks = tokens(text)
    if not toks:
        return np.zeros(0, np.int64)
    ids = np.fromiter(map(hash, toks), np.int64, len(toks)).view(np.uint64)
    width = max(1, len(ids) - n + 1)
    key = mix64(ids[:width])
    for i in range(1, min(n, len(ids))):
        key += ids[i : i + width]
        key = mix64(key)
    return _distinct(key.view(np.int64))


def _distinct(values: I64) -> I64:
    """``np.unique(values)`` (sorted, distinct) by a sort and a neighbour comparison:
    numpy 2's unique hashes first and sorts after, twice the time for these sizes."""
    values = np.sort(values)
    if len(values) > 1:
        keep = np.empty(len(values), np.bool_)
        keep[0] = True
        np.not_equal(values[1:], values[:-1], out=keep[1:])
        values = values[keep]
    return values


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the shorter text is inside the longer (excerpt
    vs full article), unlike Jaccard which punishes the length difference."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def overlap(a: I64, b: I64) -> float:
    """:func:`containment` of two :func:`token_shingles` arrays."""
    if not len(a) or not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / min(len(a), len(b))
