"""Extractive summary: score every sentence with a small tree ensemble, keep the best few.

The scorer is a gradient-boosted ensemble (trained with LightGBM by `scripts/train_summary.py` on
greedy ROUGE-oracle labels from CNN/DailyMail) over the cheap features of `digests.features`. It
ships as plain arrays in `digests/data/summary_model.json`, with the IDF table it was trained with,
and is evaluated here with numpy, all sentences and trees at once: no LightGBM at run time, and no
per-call library overhead (calling LightGBM's predictor costs more than the whole feature step).

Selection walks the sentences from best score down and skips any sentence that shares a word
trigram with one already chosen (trigram blocking: DailyMail captions repeat body sentences), that
says the headline again, or that would break the character budget; the result is in article order.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
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
    """A tree ensemble as arrays: row t of each array describes the nodes of tree t."""

    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    value: FloatArray
    depth: int
    idf: dict[str, float]
    unknown_idf: float

    def score(self, matrix: FloatArray) -> FloatArray:
        """Raw ensemble score of each row of a feature matrix (higher: more summary-worthy)."""
        trees = np.arange(self.feature.shape[0])[None, :]
        node = np.zeros((matrix.shape[0], self.feature.shape[0]), dtype=np.int64)
        rows = np.arange(matrix.shape[0])[:, None]
        for _ in range(self.depth):
            goes_left = matrix[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            node = np.where(goes_left, self.left[trees, node], self.right[trees, node])
        scores: FloatArray = self.value[trees, node].sum(axis=1)
        return scores


def scorer_from_dict(data: Mapping[str, Any]) -> SentenceScorer:
    """Build a scorer from the shipped JSON model's contents."""
    trees = data["trees"]
    idf = data["idf"]
    return SentenceScorer(
        feature=np.asarray(trees["feature"], dtype=np.int64),
        threshold=np.asarray(trees["threshold"], dtype=np.float64),
        left=np.asarray(trees["left"], dtype=np.int64),
        right=np.asarray(trees["right"], dtype=np.int64),
        value=np.asarray(trees["value"], dtype=np.float64),
        depth=int(trees["depth"]),
        idf={str(k): float(v) for k, v in idf.items()},
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
    features = extract_features(sentences, model.idf, model.unknown_idf)
    if not sentences:
        return np.zeros(0)
    return model.score(features.matrix)


def extract_summary(
    text: str,
    sentences: Sequence[Span],
    *,
    headline: str = "",
    max_sentences: int = 3,
    max_chars: int | None = None,
) -> tuple[Span, ...]:
    """The summary sentences, chosen among `sentences`, in article order."""
    del text  # the spans carry their text; the argument keeps the digest steps uniform
    candidates = list(sentences[:MAX_CANDIDATES])
    if not candidates or max_sentences <= 0:
        return ()
    scorer = load_scorer()
    features = extract_features([s.text for s in candidates], scorer.idf, scorer.unknown_idf)
    order = np.argsort(-scorer.score(features.matrix), kind="stable")
    chosen = _select(
        [int(i) for i in order],
        [(features.words[i], len(candidates[i].text)) for i in range(len(candidates))],
        set(tokenize(headline)),
        max_sentences,
        max_chars,
    )
    return tuple(candidates[i] for i in sorted(chosen))


def _select(
    order: list[int],
    sentences: list[tuple[tuple[str, ...], int]],
    headline: set[str],
    max_sentences: int,
    max_chars: int | None,
) -> list[int]:
    """Best-first choice with trigram blocking, headline repeats skipped, within the budget."""
    chosen: list[int] = []
    seen: set[tuple[str, ...]] = set()
    used = 0
    for index in order:
        words, length = sentences[index]
        grams = _trigrams(words)
        cost = length + (1 if chosen else 0)
        if not words or seen & grams or _repeats_headline(words, headline):
            continue
        if max_chars is not None and used + cost > max_chars:
            continue
        chosen.append(index)
        seen |= grams
        used += cost
        if len(chosen) >= max_sentences:
            break
    return chosen


def _trigrams(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {words}
    return set(zip(words, words[1:], words[2:], strict=False))


def _repeats_headline(words: tuple[str, ...], headline: set[str]) -> bool:
    if not headline:
        return False
    inside = sum(w in headline for w in words)
    return inside >= _HEADLINE_SHARE * len(words)
