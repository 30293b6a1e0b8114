"""Extractive summary: score every sentence with a small tree ensemble, keep the best few.

The scorer is a gradient-boosted ensemble (trained with LightGBM by `scripts/train_summary.py` on
greedy ROUGE-oracle labels from CNN/DailyMail) over the cheap features of `digests.features`. It
ships as plain arrays in `digests/data/summary_model.json`, with the IDF table it was trained with,
and is evaluated here with numpy, all sentences and trees at once: no LightGBM at run time (it is
a training extra only), and no predictor object with its own per-call set-up.

Selection walks the sentences from best score down and skips any sentence that shares a word
trigram with one already chosen (trigram blocking: DailyMail captions repeat body sentences), that
says the headline again, or that would break the character budget; the result is in article order.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from digests.features import FloatArray, extract_features, tokenize
from digests.text import Span

IntArray = npt.NDArray[np.int64]

# Features compare every pair of sentences; past this many, later sentences are not candidates,
# which keeps the time linear in the article's length (news puts what matters first).
MAX_CANDIDATES = 150
# A sentence whose words are (almost) all in the headline says the headline again.
_HEADLINE_SHARE = 0.8
_MODEL_FILE = "summary_model.json"


@dataclass(frozen=True, slots=True)
class SentenceScorer:
    """A tree ensemble as flat node arrays, plus the IDF table its features were trained with.

    Tree t's nodes sit at `roots[t]` onwards, breadth-first, so a node's right child directly
    follows its left child; a leaf is its own left child, with a threshold no feature exceeds.
    """

    roots: IntArray
    feature: IntArray
    threshold: FloatArray
    left: IntArray
    value: FloatArray
    depth: int
    idf: dict[str, float]
    unknown_idf: float

    def score(self, matrix: FloatArray) -> FloatArray:
        """Raw ensemble score of each row of a feature matrix (higher: more summary-worthy)."""
        rows = matrix.shape[0]
        cells = matrix.ravel()
        offsets = (np.arange(rows, dtype=np.int64) * matrix.shape[1])[:, None]
        # Every row starts at the roots, so the first step is one column pick per tree (a step
        # from a leaf stays on it, so this is right for any depth).
        roots = self.roots
        node = self.left[roots] + (matrix[:, self.feature[roots]] > self.threshold[roots])
        for _ in range(self.depth - 1):
            values = cells.take(offsets + self.feature.take(node))
            node = self.left.take(node) + (values > self.threshold.take(node))
        scores: FloatArray = self.value.take(node).sum(axis=1)
        return scores


def scorer_from_dict(data: Mapping[str, Any]) -> SentenceScorer:
    """Build a scorer from the shipped JSON model's contents."""
    trees = data["trees"]
    feature = np.asarray(trees["feature"], dtype=np.int64)
    width = feature.shape[1]
    roots = np.arange(feature.shape[0], dtype=np.int64) * width
    left = np.asarray(trees["left"], dtype=np.int64) + roots[:, None]
    return SentenceScorer(
        roots=roots,
        feature=feature.ravel(),
        threshold=np.asarray(trees["threshold"], dtype=np.float64).ravel(),
        left=left.ravel(),
        value=np.asarray(trees["value"], dtype=np.float64).ravel(),
        depth=int(trees["depth"]),
        idf={str(k): float(v) for k, v in data["idf"].items()},
        unknown_idf=float(data["unknown_idf"]),
    )


@functools.cache
def load_scorer() -> SentenceScorer:
    """The shipped sentence scorer (read once)."""
    raw = resources.files("digests").joinpath("data", _MODEL_FILE).read_text(encoding="utf-8")
    return scorer_from_dict(json.loads(raw))


def score_sentences(sentences: Sequence[str], scorer: SentenceScorer | None = None) -> FloatArray:
    """Summary-worthiness of each sentence of one article, in article order."""
    model = scorer or load_scorer()
    return model.score(extract_features(sentences, model.idf, model.unknown_idf))


def extract_summary(
    text: str,
    sentences: Sequence[Span],
    *,
    headline: str = "",
    max_sentences: int = 3,
    max_chars: int | None = None,
    avoid: Collection[int] = (),
) -> tuple[Span, ...]:
    """The summary sentences, chosen among `sentences` (never those whose index is in `avoid`),
    in article order."""
    del text  # the spans carry their text; the argument keeps the digest steps uniform
    candidates = [s.text for s in sentences[:MAX_CANDIDATES]]
    if not candidates or max_sentences <= 0:
        return ()
    order = np.argsort(-score_sentences(candidates), kind="stable")
    chosen = select_sentences(
        candidates,
        order.tolist(),
        headline=headline,
        max_sentences=max_sentences,
        max_chars=max_chars,
        avoid=avoid,
    )
    return tuple(sentences[i] for i in sorted(chosen))


def select_sentences(
    sentences: Sequence[str],
    order: Sequence[int],
    *,
    headline: str = "",
    max_sentences: int = 3,
    max_chars: int | None = None,
    avoid: Collection[int] = (),
) -> list[int]:
    """Best-first choice by `order`: trigram blocking, no headline repeat, within the budget."""
    headline_words = set(tokenize(headline)) if headline else set()
    chosen: list[int] = []
    seen: set[tuple[str, ...]] = set()
    used = 0
    for index in order:
        sentence = sentences[index]
        cost = len(sentence) + (1 if chosen else 0)
        # The cheap tests first: most sentences tried are never tokenized.
        if index in avoid or is_quote_fragment(sentence):
            continue
        if max_chars is not None and used + cost > max_chars:
            continue
        words = tokenize(sentence)
        grams = _trigrams(words)
        if not words or not seen.isdisjoint(grams) or _repeats_headline(words, headline_words):
            continue
        chosen.append(index)
        seen |= grams
        used += cost
        if len(chosen) >= max_sentences:
            break
    return chosen


def is_quote_fragment(sentence: str) -> bool:
    """Whether the sentence opens or closes a quotation it does not contain whole.

    A sentence cut from a quote of several sentences (`“NATO is a defense alliance.`) reads
    wrongly on its own, so the summary never shows one.
    """
    opening, closing = sentence.count("“"), sentence.count("”")
    return opening != closing or sentence.count('"') % 2 == 1


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {tuple(words)}
    return set(zip(words, words[1:], words[2:], strict=False))


def _repeats_headline(words: list[str], headline: set[str]) -> bool:
    if not headline:
        return False
    inside = sum(w in headline for w in words)
    return inside >= _HEADLINE_SHARE * len(words)
