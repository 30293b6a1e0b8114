"""Sentence features for the extractive summary: cheap, lowercased, vectorized with numpy.

Each article's sentences become one row of numbers apiece: where the sentence sits (also among
real body sentences, skipping short lines and "label: caption" lines), how long it is, how much it
shares with the first sentence, the lead, its neighbours and the whole article (TF-IDF cosines
over content words), how dense it is in the article's weighty words, and a few surface cues.
Everything is lowercased first, so cased and lowercased text give the same features.

Written here rather than with scikit-learn's vectorizers: those cost milliseconds per call, while
an article has a few hundred distinct words. Words are not even Python strings here: numpy finds
them among the characters and hashes them with prefix sums, so an article is a few dozen numpy
operations, with no per-word Python (a regex pass and a dict of words cost more than all the
rest). Two words sharing a 64-bit hash would count as one: vanishingly rare, and harmless.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
WordHashes = npt.NDArray[np.uint64]

FEATURE_NAMES: tuple[str, ...] = (
    "position",
    "relative_position",
    "inverse_position",
    "body_position",
    "sentence_count",
    "word_count",
    "log_char_count",
    "sim_first",
    "sim_lead",
    "sim_previous",
    "sim_next",
    "sim_article",
    "max_sim_earlier",
    "max_sim_later",
    "centrality_forward",
    "centrality_backward",
    "tfidf_density",
    "mean_idf",
    "has_colon_early",
    "digit_share",
    "clean_position",
    "rank_sim_article",
    "rank_density",
    "rank_sim_lead",
    "relative_length",
    "has_quote",
    "previous_colon_early",
    "next_colon_early",
    "previous_word_count",
    "next_word_count",
    "long_position",
    "has_caption_cue",
    "ends_properly",
)

_WORD = re.compile(r"\w+")
# Sentences are joined with a NUL (not a word character) for one pass over the article.
_SEPARATOR = "\x00"
_SHORT_WORDS = 5
_LABEL_CHARS = 60
_LONG_WORDS = 10
_CAPTION_CUES = ("pictured", "photo", "image", "video", "scroll down", "click here")
_QUOTE_MARKS = ('"', "“", "”")
_LEAD_SIZE = 3
_CONTENT_IDF = 2.0
_ONE_THREAD_PRODUCT = 200_000
# A "sentence" longer than this (an unpunctuated dump) is read only this far: it bounds the cost.
_SENTENCE_CHARS = 2000
_HASH_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_OTHER_CHARACTER, _WORD_CHARACTER, _DIGIT_CHARACTER = 1, 2, 3
# Class of every code point, 0 until first seen (a lazily filled table: zeros cost no memory).
_CLASSES = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
_POWERS: tuple[WordHashes, WordHashes] = (np.ones(0, dtype=np.uint64),) * 2
_WEIGHT_TABLES: dict[tuple[int, float], tuple[Mapping[str, float], _WordWeights]] = {}
_WEIGHT_TABLE_CACHE = 8
_WORD_VALUES = 4
_TRIANGLE_CACHE = 256
_RANKED = ("sim_article", "tfidf_density", "sim_lead")
_RANK_NAMES = ("rank_sim_article", "rank_density", "rank_sim_lead")


def tokenize(text: str) -> list[str]:
    """The lowercased words of a text (letters and digits, punctuation dropped)."""
    return _WORD.findall(text.lower())


def extract_features(
    sentences: Sequence[str], idf: Mapping[str, float], unknown_idf: float
) -> FloatArray:
    """One row of features per sentence; `idf` weighs words, `unknown_idf` those it lacks."""
    n = len(sentences)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    lowered = [s[:_SENTENCE_CHARS].lower().replace(_SEPARATOR, " ") for s in sentences]
    joined = _SEPARATOR.join(lowered)
    chars = np.fromiter(map(len, lowered), dtype=np.int64, count=n)
    ends = np.cumsum(chars + 1)
    terms = _term_matrix(joined, ends - chars - 1, idf, unknown_idf)
    # Cosines over content words: the hundred commonest words (the, said, after...) say nothing
    # about what two sentences share, and leaving them out makes the pair sums several times
    # cheaper.
    content = np.where(terms.weights >= _CONTENT_IDF, terms.weights, 0.0)
    tfidf = terms.counts * content
    norms = np.sqrt((tfidf * tfidf).sum(axis=1))
    # Only a word used more than once can be in two sentences and add to a pair's cosine.
    shared = tfidf[:, (content > 0.0) & (terms.word_totals > 1.0)]
    unit = shared / np.where(norms > 0.0, norms, 1.0)[:, None]
    columns = _word_columns(chars, terms)
    columns.update(_similarity_columns(_gram(unit, norms > 0.0), n))
    columns.update(_surface_columns(lowered, joined, ends))
    columns.update(_position_columns(columns, n))
    columns.update(_article_relative_columns(columns, n))
    return np.ascontiguousarray(np.array([columns[name] for name in FEATURE_NAMES]).T)


@dataclass(frozen=True, slots=True)
class _Terms:
    """Sentence-by-word counts of one article, and per-sentence sums of word values."""

    counts: FloatArray
    weights: FloatArray
    word_totals: FloatArray
    sentence_sums: FloatArray  # rows: words, all-digit words, IDF, density


def _term_matrix(
    joined: str, starts: IntArray, idf: Mapping[str, float], unknown_idf: float
) -> _Terms:
    """Counts from the article's word hashes: numpy over the characters, no per-word Python."""
    n = len(starts)
    words = hash_words(joined)
    rows = np.searchsorted(starts, words.starts, side="right") - 1
    vocabulary, ids = np.unique(words.hashes, return_inverse=True)
    size = max(len(vocabulary), 1)
    counts = np.bincount(rows * size + ids.reshape(-1), minlength=n * size).reshape(n, size)
    per_word = np.zeros((_WORD_VALUES, size))
    per_word[0] = 1.0
    per_word[1, ids] = words.all_digits
    per_word[2, : len(vocabulary)] = _word_weights(idf, unknown_idf).lookup(vocabulary)
    matrix = counts.astype(np.float64)
    totals = matrix.sum(axis=0)
    per_word[3] = per_word[2] * totals / max(len(ids), 1)
    # Per-sentence sums (words, digits, IDF, density) by BLAS, in single-thread-sized blocks.
    step = max(1, _ONE_THREAD_PRODUCT // (_WORD_VALUES * size))
    sums = np.concatenate([matrix[i : i + step] @ per_word.T for i in range(0, n, step)]).T
    return _Terms(matrix, per_word[2], totals, sums)


@dataclass(frozen=True, slots=True)
class _Words:
    """Where each word (a run of `\\w` characters) starts, its hash, whether it is all digits."""

    starts: IntArray
    hashes: WordHashes
    all_digits: npt.NDArray[np.bool_]


def hash_words(text: str) -> _Words:
    """The words of `text` as numbers: what `\\w+` finds, without a Python string per word.

    A word's hash is the sum of its characters' code points times powers of an odd base,
    modulo 2**64 (numpy's unsigned overflow), taken from prefix sums of the whole text.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _character_classes(codes)
    edges = np.flatnonzero(np.diff(classes >= _WORD_CHARACTER, prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]
    up, down = _powers(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes * up[: len(codes)], out=prefix[1:])
    digits = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(classes == _DIGIT_CHARACTER, out=digits[1:])
    return _Words(
        starts=starts,
        hashes=(prefix[ends] - prefix[starts]) * down[starts],
        all_digits=(digits[ends] - digits[starts]) == (ends - starts),
    )


def _character_classes(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """Each character's class (other, word, digit), from a table filled in as characters come."""
    classes = _CLASSES.take(codes)
    if not classes.all():
        for code in np.unique(codes[classes == 0]).tolist():
            _CLASSES[code] = _character_class(chr(code))
        classes = _CLASSES.take(codes)
    return classes


def _character_class(character: str) -> int:
    """What `\\w` and `str.isdigit` say of one character (a digit is a word character too)."""
    if character.isdigit():
        return _DIGIT_CHARACTER
    if character.isalnum() or character == "_":
        return _WORD_CHARACTER
    return _OTHER_CHARACTER


def _powers(size: int) -> tuple[WordHashes, WordHashes]:
    """The hash base's powers and its inverse's powers modulo 2**64, at least `size` of each."""
    global _POWERS
    if len(_POWERS[0]) < size:
        size = max(size, 2 * len(_POWERS[0]))
        inverse = pow(_HASH_BASE, -1, 2**64)
        bases = [np.full(size, base, dtype=np.uint64) for base in (_HASH_BASE, inverse)]
        for column in bases:
            column[0] = 1
        _POWERS = (np.cumprod(bases[0]), np.cumprod(bases[1]))
    return _POWERS


@dataclass(frozen=True, slots=True)
class _WordWeights:
    """An IDF table keyed by word hash: sorted hashes and their weights."""

    hashes: WordHashes
    weights: FloatArray
    unknown: float

    def lookup(self, hashes: WordHashes) -> FloatArray:
        """The weight of each hashed word; `unknown` for words the table lacks."""
        at = np.searchsorted(self.hashes, hashes)
        return np.where(self.hashes[at] == hashes, self.weights[at], self.unknown)


def _word_weights(idf: Mapping[str, float], unknown_idf: float) -> _WordWeights:
    """The hashed form of an IDF table, made once per table (tables are never changed)."""
    key = (id(idf), unknown_idf)
    cached = _WEIGHT_TABLES.get(key)
    if cached is not None and cached[0] is idf:
        return cached[1]
    words = [w for w in idf if _WORD.fullmatch(w)]
    hashed = hash_words(_SEPARATOR.join(words)).hashes
    order = np.argsort(hashed, kind="stable")
    values = np.fromiter(map(idf.__getitem__, words), dtype=np.float64, count=len(words))
    # A last entry no word's hash passes keeps every search inside the table.
    table = _WordWeights(
        np.append(hashed[order], np.uint64(2**64 - 1)),
        np.append(values[order], unknown_idf),
        unknown_idf,
    )
    if len(_WEIGHT_TABLES) >= _WEIGHT_TABLE_CACHE:
        _WEIGHT_TABLES.clear()
    _WEIGHT_TABLES[key] = (idf, table)
    return table


Columns = dict[str, FloatArray]


def _word_columns(chars: IntArray, terms: _Terms) -> Columns:
    words = terms.sentence_sums[0]
    shares = terms.sentence_sums[1:] / np.maximum(words, 1.0)  # digits, IDF, density
    return {
        "word_count": words,
        "log_char_count": np.log1p(chars.astype(np.float64)),
        "digit_share": shares[0],
        "mean_idf": shares[1],
        "tfidf_density": shares[2],
    }


def _position_columns(columns: Columns, n: int) -> Columns:
    """Positions (also among body, clean and long sentences) and the neighbours' cues."""
    lengths, colon = columns["word_count"], columns["has_colon_early"]
    position = np.arange(n, dtype=np.float64)
    body = lengths >= _SHORT_WORDS
    # Clean: a body sentence that is not a "label: caption" line.
    counted = np.array([body, body & (colon <= 0.0), lengths >= _LONG_WORDS])
    before = np.cumsum(counted, axis=1, dtype=np.float64) - counted
    cues = np.array([colon, lengths])
    previous, following = np.zeros((2, n)), np.zeros((2, n))
    previous[:, 1:] = cues[:, :-1]
    following[:, :-1] = cues[:, 1:]
    return {
        "position": position,
        "relative_position": position / n,
        "inverse_position": 1.0 / (position + 1.0),
        "sentence_count": np.full(n, float(n)),
        "body_position": before[0],
        "clean_position": before[1],
        "long_position": before[2],
        "previous_colon_early": previous[0],
        "next_colon_early": following[0],
        "previous_word_count": previous[1],
        "next_word_count": following[1],
    }


def _similarity_columns(gram: FloatArray, n: int) -> Columns:
    lead_norm = float(np.sqrt(gram[:_LEAD_SIZE, :_LEAD_SIZE].sum())) or 1.0
    totals = gram.sum(axis=1)
    article_norm = float(np.sqrt(totals.sum())) or 1.0
    # Earlier and later sentences at once: the pair matrix under two triangular masks.
    sides = gram * _triangles(n)
    largest, sums = sides.max(axis=2), sides.sum(axis=2) / max(n - 1, 1)
    neighbours = np.zeros(n + 1)
    neighbours[1:-1] = np.diagonal(gram, 1)
    return {
        "sim_first": gram[:, 0],
        "sim_lead": gram[:, :_LEAD_SIZE].sum(axis=1) / lead_norm,
        "sim_previous": neighbours[:-1],
        "sim_next": neighbours[1:],
        "sim_article": totals / article_norm,
        "max_sim_earlier": largest[0],
        "max_sim_later": largest[1],
        "centrality_forward": sums[1],
        "centrality_backward": sums[0],
    }


@functools.lru_cache(maxsize=_TRIANGLE_CACHE)
def _triangles(n: int) -> FloatArray:
    """Masks of the pairs (i, j) with j before i, and with j after i, as 0.0 and 1.0."""
    earlier = np.tri(n, k=-1)
    return np.stack((earlier, earlier.T))


def _gram(unit: FloatArray, has_words: npt.NDArray[np.bool_]) -> FloatArray:
    """Cosines of every pair of sentences (each sentence's own: 1, or 0 when it has no words).

    `unit` holds the unit vectors' shared words only (a word in one sentence adds only to its
    own cosine). The product runs in row blocks small enough that OpenBLAS keeps each on one
    thread: it starts threads above ~262k multiply-adds, and on a busy machine waking them
    costs 20-40 times the arithmetic of matrices this size.
    """
    n = unit.shape[0]
    step = max(1, _ONE_THREAD_PRODUCT // max(n * unit.shape[1], 1))
    gram = np.concatenate([unit[i : i + step] @ unit.T for i in range(0, n, step)])
    np.fill_diagonal(gram, has_words)
    return gram


def _surface_columns(lowered: Sequence[str], joined: str, ends: IntArray) -> Columns:
    # "bone dry: a farmer surveys his land" - DailyMail captions open with a label and a colon.
    label = itertools.repeat(_LABEL_CHARS)
    colon = map(str.find, lowered, itertools.repeat(":"), itertools.repeat(0), label)
    stripped = map(str.rstrip, lowered, itertools.repeat("\"”’' )"))
    closed = map(str.endswith, stripped, itertools.repeat((".", "!", "?")))
    return {
        "has_colon_early": (np.fromiter(colon, np.int64, len(lowered)) > 0).astype(np.float64),
        "has_quote": _sentences_containing(joined, ends, _QUOTE_MARKS),
        "has_caption_cue": _sentences_containing(joined, ends, _CAPTION_CUES),
        "ends_properly": np.fromiter(closed, dtype=np.float64, count=len(lowered)),
    }


def _sentences_containing(joined: str, ends: IntArray, needles: Sequence[str]) -> FloatArray:
    """1.0 for each sentence holding a needle: `str.find` over the article, not per sentence."""
    found: list[int] = []
    for needle in needles:
        start = joined.find(needle)
        while start >= 0:
            found.append(start)
            start = joined.find(needle, start + 1)
    flags = np.zeros(len(ends))
    flags[np.searchsorted(ends, found, side="right")] = 1.0
    return flags


def _article_relative_columns(columns: Columns, n: int) -> Columns:
    """Where each sentence stands within its own article (trees see one sentence at a time)."""
    lengths = columns["word_count"]
    ranks = _ranks(np.array([columns[name] for name in _RANKED])) / n
    return {
        **dict(zip(_RANK_NAMES, ranks, strict=True)),
        "relative_length": lengths / max(float(lengths.sum()) / n, 1.0),
    }


def _ranks(rows: FloatArray) -> FloatArray:
    """Per row: 0 for the largest value, 1 for the next, and so on (ties in order)."""
    ranks = np.empty(rows.shape)
    order = np.argsort(-rows, axis=1, kind="stable")
    ranks[np.arange(len(rows))[:, None], order] = np.arange(rows.shape[1])
    return ranks


def fit_idf(documents: Sequence[Sequence[str]], top: int) -> tuple[dict[str, float], float]:
    """IDF of the `top` most frequent words over tokenized documents, and the IDF of the rest."""
    frequency: dict[str, int] = {}
    for document in documents:
        for word in set(document):
            frequency[word] = frequency.get(word, 0) + 1
    ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:top]
    total = len(documents)
    idf = {w: round(math.log((1 + total) / (1 + df)) + 1.0, 4) for w, df in ranked}
    floor = ranked[-1][1] if ranked else 1
    return idf, round(math.log((1 + total) / (1 + floor)) + 1.0, 4)
