"""Sentence features for the extractive summary: cheap, lowercased, vectorized with numpy.

Each article's sentences become one row of numbers apiece: where the sentence sits, how long it is,
how much it shares with the lead, with its neighbours and with the whole article (TF-IDF cosines),
and a few surface cues (captions, bylines, quotes). Everything is lowercased first, so cased and
lowercased text give the same features.

Written here rather than with scikit-learn's vectorizers: those cost milliseconds per call and an
article has only a few hundred distinct words, so one dense per-article matrix and a handful of
numpy operations are both simpler and about ten times faster.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

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
    "is_short",
    "has_quote",
    "has_colon_early",
    "ends_properly",
    "has_caption_cue",
    "digit_share",
    "clean_position",
    "rank_sim_article",
    "rank_density",
    "rank_sim_lead",
    "relative_length",
)

_WORD = re.compile(r"[^\W_]+")
_COLON_EARLY = re.compile(r"^[^:]{1,60}:")
_CAPTION_CUE = re.compile(
    r"\b(?:pictured|scroll down|click here|read more|photo|picture|image|video|"
    r"getty|reuters|file photo|caption)\b"
)
_QUOTE_CHARS = frozenset('"“”«»')
_SHORT_WORDS = 5
_LEAD_SIZE = 3


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """Feature matrix of one article's sentences, plus each sentence's lowercased words."""

    matrix: FloatArray
    words: tuple[tuple[str, ...], ...]


def tokenize(text: str) -> list[str]:
    """The lowercased words of a text (letters and digits, punctuation dropped)."""
    return _WORD.findall(text.lower())


def extract_features(
    sentences: Sequence[str], idf: Mapping[str, float], unknown_idf: float
) -> SentenceFeatures:
    """One row of features per sentence; `idf` weighs words, `unknown_idf` those it lacks."""
    words = tuple(tuple(tokenize(s)) for s in sentences)
    n = len(sentences)
    if n == 0:
        return SentenceFeatures(np.zeros((0, len(FEATURE_NAMES))), words)
    counts, weights = _term_matrix(words, idf, unknown_idf)
    tfidf = counts * weights
    norms = np.sqrt((tfidf * tfidf).sum(axis=1))
    unit = tfidf / np.where(norms > 0.0, norms, 1.0)[:, None]
    gram = unit @ unit.T
    columns = [
        *_position_columns(words, n),
        *_similarity_columns(unit, gram, n),
        *_weight_columns(counts, weights, words),
        *_surface_columns(sentences, words),
    ]
    columns.extend(_article_relative_columns(columns))
    return SentenceFeatures(np.column_stack(columns), words)


def _article_relative_columns(columns: list[FloatArray]) -> list[FloatArray]:
    """Where each sentence stands within its own article (trees see one sentence at a time)."""
    named = dict(zip(FEATURE_NAMES, columns, strict=False))
    n = len(columns[0])
    junk = (named["is_short"] + named["has_colon_early"] + named["has_caption_cue"]) > 0
    clean_position: FloatArray = np.cumsum(~junk) - (~junk)
    lengths = named["word_count"]
    return [
        clean_position.astype(np.float64),
        _rank(named["sim_article"]) / n,
        _rank(named["tfidf_density"]) / n,
        _rank(named["sim_lead"]) / n,
        lengths / max(float(lengths.mean()), 1.0),
    ]


def _rank(values: FloatArray) -> FloatArray:
    """0 for the largest value, 1 for the next, and so on."""
    ranks = np.empty(len(values))
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def _term_matrix(
    words: Sequence[Sequence[str]], idf: Mapping[str, float], unknown_idf: float
) -> tuple[FloatArray, FloatArray]:
    """Sentence-by-word count matrix and the IDF weight of each column."""
    vocabulary: dict[str, int] = {}
    ids: list[int] = []
    rows: list[int] = []
    for row, sentence in enumerate(words):
        ids.extend(vocabulary.setdefault(w, len(vocabulary)) for w in sentence)
        rows.extend([row] * len(sentence))
    size = max(len(vocabulary), 1)
    flat = np.asarray(rows, dtype=np.int64) * size + np.asarray(ids, dtype=np.int64)
    counts = np.bincount(flat, minlength=len(words) * size).astype(np.float64)
    weights = np.fromiter(
        (idf.get(w, unknown_idf) for w in vocabulary), dtype=np.float64, count=len(vocabulary)
    )
    if not vocabulary:
        weights = np.zeros(1)
    return counts.reshape(len(words), size), weights


def _position_columns(words: Sequence[Sequence[str]], n: int) -> list[FloatArray]:
    position = np.arange(n, dtype=np.float64)
    lengths = np.fromiter((len(w) for w in words), dtype=np.float64, count=n)
    body = lengths >= _SHORT_WORDS
    body_position: FloatArray = np.cumsum(body) - body
    return [
        position,
        position / n,
        1.0 / (position + 1.0),
        body_position.astype(np.float64),
        np.full(n, float(n)),
        lengths,
        np.log1p(_char_lengths(words)),
    ]


def _similarity_columns(unit: FloatArray, gram: FloatArray, n: int) -> list[FloatArray]:
    lead = unit[:_LEAD_SIZE].sum(axis=0)
    lead_norm = float(np.linalg.norm(lead)) or 1.0
    article = unit.sum(axis=0)
    article_norm = float(np.linalg.norm(article)) or 1.0
    off = gram.copy()
    np.fill_diagonal(off, 0.0)
    earlier = np.tril(off)
    later = np.triu(off)
    padded = np.concatenate(([0.0], np.diagonal(gram, 1), [0.0]))
    scale = max(n - 1, 1)
    return [
        gram[:, 0].copy(),
        unit @ lead / lead_norm,
        padded[:-1],
        padded[1:],
        unit @ article / article_norm,
        earlier.max(axis=1),
        later.max(axis=1),
        later.sum(axis=1) / scale,
        earlier.sum(axis=1) / scale,
    ]


def _weight_columns(
    counts: FloatArray, weights: FloatArray, words: Sequence[Sequence[str]]
) -> list[FloatArray]:
    lengths = np.maximum(counts.sum(axis=1), 1.0)
    article_tf = counts.sum(axis=0)
    article_tf = article_tf / max(float(article_tf.sum()), 1.0)
    density = counts @ (article_tf * weights) / lengths
    mean_idf = counts @ weights / lengths
    short = np.fromiter((len(w) < _SHORT_WORDS for w in words), dtype=np.float64)
    return [density, mean_idf, short]


def _char_lengths(words: Sequence[Sequence[str]]) -> FloatArray:
    return np.fromiter((sum(map(len, w)) for w in words), dtype=np.float64, count=len(words))


def _surface_columns(sentences: Sequence[str], words: Sequence[Sequence[str]]) -> list[FloatArray]:
    n = len(sentences)
    lowered = [s.lower() for s in sentences]
    return [
        _flags((not _QUOTE_CHARS.isdisjoint(s)) for s in sentences),
        _flags(bool(_COLON_EARLY.match(s)) for s in lowered),
        _flags(s.rstrip("\"”’' )").endswith((".", "!", "?")) for s in sentences),
        _flags(bool(_CAPTION_CUE.search(s)) for s in lowered),
        np.fromiter(
            (sum(w.isdigit() for w in ws) / max(len(ws), 1) for ws in words),
            dtype=np.float64,
            count=n,
        ),
    ]


def _flags(values: Iterable[bool]) -> FloatArray:
    return np.fromiter(values, dtype=np.float64)


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
