"""Near-duplicate articles (the same wire story on several sites) with datasketch's MinHash LSH.

An article's text becomes the set of its lower-cased word 3-grams ("shingles"); two articles
whose sets overlap by about THRESHOLD (Jaccard) or more are found by the LSH index. The shingles
are hashed by numpy over the text's code points all at once (shingle_hashes): a regular
expression's list of words, then a bytes object and a hash call per shingle in Python, took
most of a signature's time (datasketch hashes what it is given one value at a time, with sha1
by default). The affine32 scheme mixes every input hash (murmur3's finalizer) before permuting
it, so a polynomial hash is enough. Each article's MinHash signature is
NUM_PERM 32-bit values, stored by the store as 256 bytes, so the index is rebuilt at start-up
from stored signatures without re-reading any text. Signatures only compare with signatures made
with the same NUM_PERM, SEED, SCHEME and shingle hash: changing one means recomputing them
(signatures stored before the polynomial hash replaced crc32 find no match among new ones, which
costs at most INDEX_WINDOW of story grouping after an upgrade).

The permutations are datasketch's, derived from SEED once per process; minhash_values() applies
them as datasketch's affine32 scheme does (a test holds the two equal), with the minimum taken
along rows: a third of the time of MinHash.update_batch.

content_hash() is the exact-duplicate key: sha256 of the text with case, punctuation and
whitespace normalized away.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Hashable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

THRESHOLD = 0.6
NUM_PERM = 64
SEED = 1
SCHEME = "affine32"
SHINGLE_WORDS = 3
MIN_SHINGLES = 8
"""Texts with fewer shingles (word 3-grams) than this are too short to compare with anything."""

_DTYPE = np.dtype("<u4")
_SPACE = ord(" ")
_HASH_BASE = 0x100000001B3  # FNV's 64-bit prime: odd, so it has an inverse modulo 2^64
_HASH_INVERSE = pow(_HASH_BASE, -1, 2**64)
_CACHED_POWERS = 1 << 16
"""Texts up to this many characters (most articles) reuse one table of powers (1 MiB)."""
_SHINGLE_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
"""Odd 64-bit constants (golden ratio, xxHash's prime 2) weighting the first two words."""
_FMIX32 = ((np.uint32(16), np.uint32(0x85EBCA6B)), (np.uint32(13), np.uint32(0xC2B2AE35)))
"""MurmurHash3's 32-bit finalizer (then a last xor-shift by 16), as datasketch's affine32."""


def content_hash(text: str) -> str:
    """The sha256 hex digest of the text with case, punctuation and spacing normalized.

    That is, of its NFKC-normalized, case-folded words (runs of what the regular expression \\w
    matches) joined by single spaces; the words are found with numpy, as for shingle_hashes.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    points = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    is_word = _word_characters(points)
    _, ends = _word_bounds(is_word)
    gaps = ends[:-1]  # the first character after each word but the last: becomes one space
    kept = points.copy()
    kept[gaps] = _SPACE
    is_word[gaps] = True
    words = kept[is_word].tobytes().decode("utf-32-le")
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def shingle_hashes(text: str) -> np.ndarray:
    """The 32-bit hashes of the text's shingles (lower-cased word 3-grams), in text order.

    Words are runs of word characters (what the regular expression \\w matches: letters,
    digits, underscore). A word's hash is sum(c[j] * B^(len - 1 - j)) mod 2^64 over its code
    points: with the prefix sums S[k] = sum(c[j] * B^-j, j < k), the word in [s, e) hashes to
    B^(e - 1) * (S[e] - S[s]); uint64 arithmetic wraps, which is the modulo. A shingle's hash is
    the top half of its three word hashes combined with odd multipliers.
    """
    points = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32)
    starts, ends = _word_bounds(_word_characters(points))
    if len(starts) < SHINGLE_WORDS:
        return np.empty(0, dtype=np.uint32)
    powers, inverse_powers = _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points * inverse_powers, out=prefix[1:])
    words = powers[ends - 1] * (prefix[ends] - prefix[starts])
    shingles = words[SHINGLE_WORDS - 1 :].copy()
    for offset, multiplier in enumerate(_SHINGLE_MULTIPLIERS):
        shingles += words[offset : len(words) - SHINGLE_WORDS + 1 + offset] * multiplier
    hashes: np.ndarray = (shingles >> np.uint64(32)).astype(np.uint32)
    return hashes


def _word_bounds(is_word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The start and end (exclusive) index of each run of word characters."""
    padded = np.zeros(len(is_word) + 2, dtype=np.bool_)
    padded[1:-1] = is_word
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def _word_characters(points: np.ndarray) -> np.ndarray:
    """Which code points are word characters (str.isalnum() or "_", as re's \\w)."""
    table = _basic_plane_word_characters()
    found = table.take(points, mode="clip")
    if len(points) and points.max() >= len(table):  # emoji and rarer scripts
        for index in np.flatnonzero(points >= len(table)):
            character = chr(int(points[index]))
            found[index] = character.isalnum() or character == "_"
    return found


@functools.cache
def _basic_plane_word_characters() -> np.ndarray:
    characters = [chr(point) for point in range(0x10000)]
    return np.array([c.isalnum() or c == "_" for c in characters], dtype=np.bool_)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B^k and B^-k modulo 2^64 for k < n (the first _CACHED_POWERS are computed once)."""
    if n > _CACHED_POWERS:
        return _power_table(_HASH_BASE, n), _power_table(_HASH_INVERSE, n)
    powers, inverse_powers = _cached_powers()
    return powers[:n], inverse_powers[:n]


@functools.cache
def _cached_powers() -> tuple[np.ndarray, np.ndarray]:
    return _power_table(_HASH_BASE, _CACHED_POWERS), _power_table(_HASH_INVERSE, _CACHED_POWERS)


def _power_table(base: int, n: int) -> np.ndarray:
    factors = np.full(n, base, dtype=np.uint64)
    factors[0] = 1
    return np.cumprod(factors, dtype=np.uint64)


def signature(text: str) -> bytes:
    """The text's MinHash signature as bytes (empty for a text too short to compare)."""
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return b""
    return minhash_values(hashes).astype(_DTYPE).tobytes()


def minhash_values(hashes: np.ndarray) -> np.ndarray:
    """The MinHash of 32-bit input hashes: what datasketch's MinHash(scheme="affine32") holds
    after update_batch(hashes), computed with the permutations as rows, so that the minimum
    runs along memory (three times faster than datasketch's column minimum)."""
    mixed = hashes.astype(np.uint32)
    for shift, multiplier in _FMIX32:
        mixed = (mixed ^ (mixed >> shift)) * multiplier
    mixed ^= mixed >> np.uint32(16)
    a, b = _permutations()
    values: np.ndarray = (a[:, None] * mixed[None, :] + b[:, None]).min(axis=1)
    return values


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations (a, b) every MinHash with NUM_PERM, SEED and SCHEME uses."""
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _minhash(signature_bytes: bytes) -> LeanMinHash | None:
    if len(signature_bytes) != NUM_PERM * _DTYPE.itemsize:
        return None
    values = np.frombuffer(signature_bytes, dtype=_DTYPE).astype(np.uint32)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """An in-memory LSH index of article signatures, keyed by the caller's article key."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)

    def __len__(self) -> int:
        return len(self._lsh.keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._lsh.keys

    def add(self, key: Hashable, text: str) -> bytes:
        """Index an article's text; return its signature for the store to keep."""
        found = signature(text)
        self.add_signature(key, found)
        return found

    def add_signature(self, key: Hashable, signature_bytes: bytes) -> None:
        """Index a stored signature (start-up rebuild); skip short texts and known keys."""
        minhash = _minhash(signature_bytes)
        if minhash is not None and key not in self:
            self._lsh.insert(key, minhash)

    def query(self, text: str) -> list[Hashable]:
        """Keys of indexed articles that are near-duplicates of `text`."""
        return self.query_signature(signature(text))

    def query_signature(self, signature_bytes: bytes) -> list[Hashable]:
        """Keys of indexed articles that are near-duplicates of a signature."""
        minhash = _minhash(signature_bytes)
        return [] if minhash is None else list(self._lsh.query(minhash))

    def add_and_find(self, key: Hashable, text: str) -> tuple[bytes, list[Hashable]]:
        """Find the near-duplicates of an article, then index it; return (signature, keys)."""
        found = signature(text)
        return found, self.find_and_add(key, found)

    def find_and_add(self, key: Hashable, signature_bytes: bytes) -> list[Hashable]:
        """Keys of the near-duplicates of a signature, which is then indexed under `key`."""
        minhash = _minhash(signature_bytes)
        if minhash is None:
            return []
        matches = [match for match in self._lsh.query(minhash) if match != key]
        if key not in self:
            self._lsh.insert(key, minhash)
        return matches

    def remove(self, key: Hashable) -> None:
        """Forget an article (e.g. when it is pruned from the store)."""
        if key in self:
            self._lsh.remove(key)
