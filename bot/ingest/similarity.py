"""Near-duplicate articles (the same wire story on several sites) with datasketch's MinHash LSH.

An article's text becomes the set of its lower-cased word 3-grams ("shingles"); two articles
whose sets overlap by about THRESHOLD (Jaccard) or more are found by the LSH index. Shingles
are hashed with crc32, not datasketch's default sha1: half the time per article, and the
affine32 scheme mixes every input hash (murmur3's finalizer) before permuting it anyway. Each
article's MinHash signature is NUM_PERM 32-bit values, stored by the store as 256 bytes, so the
index is rebuilt at start-up from stored signatures without re-reading any text. Signatures only
compare with signatures made with the same NUM_PERM, SEED, SCHEME and shingle hash: changing
one means recomputing them.

The permutations, which datasketch derives from SEED in every new MinHash (a third of a
signature's time), are derived once per process and handed to each MinHash.

content_hash() is the exact-duplicate key: sha256 of the text with case, punctuation and
whitespace normalized away.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib
from collections.abc import Hashable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

THRESHOLD = 0.6
NUM_PERM = 64
SEED = 1
SCHEME = "affine32"
SHINGLE_WORDS = 3
MIN_SHINGLES = 8
"""Texts with fewer shingles than this are too short to call near-duplicates of anything."""

_WORD = re.compile(r"\w+")
_DTYPE = np.dtype("<u4")


def content_hash(text: str) -> str:
    """The sha256 hex digest of the text with case, punctuation and spacing normalized."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def _shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    grams = zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)
    return {" ".join(gram).encode("utf-8") for gram in grams}


def signature(text: str) -> bytes:
    """The text's MinHash signature as bytes (empty for a text too short to compare)."""
    shingles = _shingles(text)
    if len(shingles) < MIN_SHINGLES:
        return b""
    minhash = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        scheme=SCHEME,
        hashfunc=zlib.crc32,
        permutations=_permutations(),
    )
    minhash.update_batch(shingles)
    values: np.ndarray = minhash.hashvalues
    return values.astype(_DTYPE).tobytes()


@functools.cache
def _permutations() -> np.ndarray:
    """The affine permutations every MinHash with NUM_PERM, SEED and SCHEME uses."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return permutations


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
        matches = self.query_signature(found)
        self.add_signature(key, found)
        return found, [match for match in matches if match != key]

    def remove(self, key: Hashable) -> None:
        """Forget an article (e.g. when it is pruned from the store)."""
        if key in self:
            self._lsh.remove(key)
