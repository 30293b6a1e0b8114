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
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

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
    tokens: Sequence[list[str]], picked: list[int], ref: tuple[Counter[object], Counter[object]]
) -> float:
    words = [w for i in sorted(picked) for w in tokens[i]]
    unigrams: Counter[object] = Counter(words)
    bigrams: Counter[object] = Counter()
    for i in picked:
        bigrams.update(zip(tokens[i], tokens[i][1:], strict=False))
    return _f1(unigrams, ref[0]) + _f1(bigrams, ref[1])


def _f1(candidate: Counter[object], reference: Counter[object]) -> float:
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


def export_trees(booster: lgb.Booster) -> dict[str, object]:
    """The booster's trees as padded node arrays; a leaf points to itself and is never left."""
    trees = [_flatten(t["tree_structure"]) for t in booster.dump_model()["tree_info"]]
    width = max(len(t) for t in trees)
    depth = max(max(node[5] for node in t) for t in trees)
    columns: dict[str, list[list[float]]] = {
        "feature": [],
        "threshold": [],
        "left": [],
        "right": [],
        "value": [],
    }
    for tree in trees:
        padded = tree + [(0, 0.0, 0, 0, 0.0, 0)] * (width - len(tree))
        for key, position in (("feature", 0), ("threshold", 1), ("left", 2), ("right", 3)):
            columns[key].append([node[position] for node in padded])
        columns["value"].append([round(node[4], 6) for node in padded])
    return {**columns, "depth": depth}


def _flatten(root: dict[str, object]) -> list[tuple[int, float, int, int, float, int]]:
    """Nodes in breadth-first order: (feature, threshold, left, right, leaf value, depth)."""
    nodes: list[tuple[int, float, int, int, float, int]] = []
    queue: list[tuple[dict[str, object], int]] = [(root, 0)]
    while queue:
        node, depth = queue.pop(0)
        index = len(nodes)
        if "leaf_value" in node:
            nodes.append((0, 1.0e300, index, index, float(node["leaf_value"]), depth))
            continue
        first = index + len(queue) + 1
        assert node["decision_type"] == "<=", node
        nodes.append(
            (
                int(node["split_feature"]),
                float(node["threshold"]),
                first,
                first + 1,
                0.0,
                depth + 1,
            )
        )  # type: ignore[arg-type]
        queue.extend([(node["left_child"], depth + 1), (node["right_child"], depth + 1)])  # type: ignore[list-item]
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
