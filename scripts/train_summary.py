"""Rebuild digests/data/summary_model.json from CNN/DailyMail training articles.

    .venv/bin/python scripts/train_summary.py /path/to/cnndm_train.jsonl

Labels come from a greedy ROUGE oracle (up to 3 sentences maximizing ROUGE-1 + ROUGE-2 F1 against
the reference highlights); the scorer is LightGBM (a bench/training extra, pinned seed) over the
features of `digests.features`; its trees are exported to plain arrays that `digests.summary`
evaluates with numpy. The IDF table is fitted on the same articles (top words only).
Sentences come from the released tokenization (unambiguous sentence ends), so the model does not
depend on the product splitter of the day; `--splitter product` trains on the product's instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import lightgbm as lgb
import numpy as np
from rouge_score import tokenizers

from digests.features import FEATURE_NAMES, extract_features, fit_idf, tokenize
from digests.summary import MAX_CANDIDATES
from digests.text import clean_text, split_sentences

# The CNN/DailyMail conversion lives with the benchmarks (a sibling folder, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cnndm import Article, detokenize, load_articles, split_released_sentences

SEED = 20260527
MODEL_PATH = Path(__file__).resolve().parents[1] / "digests" / "data" / "summary_model.json"
IDF_WORDS = 4000
ORACLE_SIZE = 3
PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "max_depth": 5,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": SEED,
    "deterministic": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 100

_ROUGE_TOKENIZER = tokenizers.DefaultTokenizer(use_stemmer=True)


def article_sentences(article: Article, splitter: str) -> list[str]:
    """The article's sentences as the product would see them (detokenized)."""
    if splitter == "product":
        cleaned = clean_text(detokenize(article.text))
        return [s.text for s in split_sentences(cleaned.text, cleaned.paragraphs)]
    return [detokenize(s) for s in split_released_sentences(article.text)]


def oracle_labels(sentences: Sequence[str], reference: str, size: int = ORACLE_SIZE) -> list[int]:
    """1 for each sentence of the greedy ROUGE-1+2 oracle summary, else 0."""
    ref = _ROUGE_TOKENIZER.tokenize(reference)
    ref_grams = (Counter(ref), Counter(itertools.pairwise(ref)))
    tokens = [_ROUGE_TOKENIZER.tokenize(s) for s in sentences]
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < size:
        candidates = [
            (_oracle_gain(tokens, [*chosen, i], ref_grams), i)
            for i in range(len(sentences))
            if i not in chosen
        ]
        if not candidates:
            break
        gain, index = max(candidates)
        if gain <= best:
            break
        best = gain
        chosen.append(index)
    return [int(i in chosen) for i in range(len(sentences))]


def _oracle_gain(
    tokens: Sequence[list[str]], picked: list[int], ref: tuple[Counter[Any], Counter[Any]]
) -> float:
    words = [w for i in sorted(picked) for w in tokens[i]]
    unigrams: Counter[Any] = Counter(words)
    bigrams: Counter[Any] = Counter()
    for i in picked:
        bigrams.update(zip(tokens[i], tokens[i][1:], strict=False))
    return _f1(unigrams, ref[0]) + _f1(bigrams, ref[1])


def _f1(candidate: Counter[Any], reference: Counter[Any]) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(candidate.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def build_dataset(
    articles: Sequence[list[str]],
    references: Sequence[str],
    idf: dict[str, float],
    unknown_idf: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and oracle labels of every candidate sentence of every article."""
    rows, labels = [], []
    for sentences, reference in zip(articles, references, strict=True):
        candidates = sentences[:MAX_CANDIDATES]
        if not candidates:
            continue
        rows.append(extract_features(candidates, idf, unknown_idf))
        labels.extend(oracle_labels(candidates, reference))
    return np.vstack(rows), np.asarray(labels, dtype=np.float64)


class Node(NamedTuple):
    """One exported tree node; a leaf is its own left child, with a threshold nothing exceeds."""

    feature: int
    threshold: float
    left: int
    value: float
    depth: int


_LEAF_THRESHOLD = 1.0e300


def export_trees(booster: lgb.Booster) -> dict[str, object]:
    """The booster's trees as padded breadth-first node arrays (a right child follows its left)."""
    trees = [_flatten(t["tree_structure"]) for t in booster.dump_model()["tree_info"]]
    width = max(len(t) for t in trees)
    padded = [t + [Node(0, _LEAF_THRESHOLD, 0, 0.0, 0)] * (width - len(t)) for t in trees]
    return {
        "feature": [[node.feature for node in tree] for tree in padded],
        "threshold": [[node.threshold for node in tree] for tree in padded],
        "left": [[node.left for node in tree] for tree in padded],
        "value": [[round(node.value, 6) for node in tree] for tree in padded],
        "depth": max(node.depth for tree in trees for node in tree),
    }


def _flatten(root: dict[str, Any]) -> list[Node]:
    """A LightGBM tree dump's nodes, breadth-first, children numbered as they will be placed."""
    nodes: list[Node] = []
    queue: deque[tuple[dict[str, Any], int]] = deque([(root, 0)])
    while queue:
        node, depth = queue.popleft()
        index = len(nodes)
        if "leaf_value" in node:
            nodes.append(Node(0, _LEAF_THRESHOLD, index, float(node["leaf_value"]), depth))
            continue
        if node["decision_type"] != "<=":
            raise ValueError(f"unsupported split {node['decision_type']!r}")
        left = index + len(queue) + 1
        nodes.append(Node(int(node["split_feature"]), float(node["threshold"]), left, 0.0, depth))
        queue.extend([(node["left_child"], depth + 1), (node["right_child"], depth + 1)])
    return nodes


def train_model(
    articles: Sequence[Article], splitter: str, rounds: int = ROUNDS
) -> dict[str, object]:
    """Fit IDF and the tree ensemble on articles; the model file's contents."""
    sentences = [article_sentences(a, splitter) for a in articles]
    idf, unknown_idf = fit_idf([tokenize(" ".join(s)) for s in sentences], IDF_WORDS)
    features, labels = build_dataset(sentences, [a.summary for a in articles], idf, unknown_idf)
    data = lgb.Dataset(features, labels, feature_name=list(FEATURE_NAMES), free_raw_data=True)
    booster = lgb.train(PARAMS, data, num_boost_round=rounds)
    return {
        "features": list(FEATURE_NAMES),
        "idf": idf,
        "unknown_idf": unknown_idf,
        "trees": export_trees(booster),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train on a CNN/DailyMail JSONL file and write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="cnndm_train.jsonl")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--splitter", choices=("released", "product"), default="released")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    model = train_model(load_articles(args.data, args.limit), args.splitter)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.output} ({args.output.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
