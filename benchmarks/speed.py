"""Speed of the whole digest on one core, side by side with sentence splitters.

Usage: python benchmarks/speed.py DATA.jsonl [--limit N] [--batch 3000] [--pysbd-limit 100]

DATA.jsonl has one article a line ({"id", "text", "title"?}), e.g. ../shared/eval/cnndm_dev.jsonl.
The CNN/DailyMail text there is PTB-tokenized (`` '' -lrb- -rrb-); the tokens are turned back
into ordinary punctuation here, never in the product. Measured, in the same run, on one core:

Rates are in CPU time (user + system), which a busy shared machine disturbs less than wall
time; the batch rows also show wall time.

- build_digest (cleaning, sentences, quotes, summary) in this process, articles/s;
- NLTK's untrained punkt (PunktSentenceTokenizer()) merely splitting the same articles;
- pysbd splitting the first --pysbd-limit articles (it is about 40 times slower);
- import plus first digest in a fresh interpreter (target < 0.5 s);
- `newsdigest digest --input X --format jsonl` over --batch articles, start-up included, and
  punkt over the same articles in a fresh interpreter, start-up included;
- time per MB of one 0.5 MB and one 5 MB text (the digest must stay linear).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_TOKENS = {
    "``": "“",
    "''": "”",
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
    "-LRB-": "(",
    "-RRB-": ")",
}
_FIRST_DIGEST = """
import sys, time
start = time.perf_counter()
from digests import build_digest
build_digest(sys.stdin.read())
print(time.perf_counter() - start)
"""
_PUNKT_BATCH = """
import json, sys
from nltk.tokenize.punkt import PunktSentenceTokenizer
splitter = PunktSentenceTokenizer()
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        splitter.tokenize(json.loads(line)["text"])
"""


def detokenize(text: str) -> str:
    """Turn CNN/DailyMail's PTB tokens back into punctuation (benchmark-side only)."""
    for token, mark in _TOKENS.items():
        text = text.replace(token, mark)
    return text


def load_articles(path: Path, limit: int | None) -> list[dict[str, str]]:
    """Articles of a JSONL file, tokens converted."""
    articles: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            articles.append({"id": str(record.get("id", len(articles))), **_texts(record)})
            if limit is not None and len(articles) >= limit:
                break
    return articles


def _texts(record: dict[str, object]) -> dict[str, str]:
    texts = {"text": detokenize(str(record.get("text") or ""))}
    if isinstance(record.get("title"), str):
        texts["title"] = str(record["title"])
    return texts


def pin_to_one_core() -> str:
    """Run this process (and its children) on one CPU, with single-threaded numeric libraries."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def articles_per_second(work: Callable[[str], object], texts: Sequence[str]) -> float:
    """Throughput of `work` over `texts` in CPU time of this process, after a short warm-up."""
    for text in texts[:10]:
        work(text)
    start = time.process_time()
    for text in texts:
        work(text)
    return len(texts) / (time.process_time() - start)


def first_digest_seconds(text: str, runs: int = 5) -> tuple[float, float]:
    """Median (inside the interpreter, whole process wall time) of import plus first digest."""
    inside, wall = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _FIRST_DIGEST],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        )
        wall.append(time.perf_counter() - start)
        inside.append(float(result.stdout))
    return statistics.median(inside), statistics.median(wall)


def batch_seconds(
    articles: Sequence[dict[str, str]], size: int
) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """(wall, CPU) seconds of the digest command and of punkt on one batch, start-up included."""
    batch = [articles[i % len(articles)] | {"id": str(i)} for i in range(size)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        path.write_text("".join(json.dumps(a) + "\n" for a in batch), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "bot",
            "digest",
            "--input",
            str(path),
            "--format",
            "jsonl",
        ]
        ours = _timed_run(command)
        punkt = _timed_run([sys.executable, "-c", _PUNKT_BATCH, str(path)])
    return len(batch), ours, punkt


def _timed_run(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def seconds_per_megabyte(texts: Sequence[str], size: int) -> float:
    """build_digest's time per MB on one text of about `size` characters."""
    from digests import build_digest

    joined = "\n\n".join(texts)
    text = (joined * (size // max(len(joined), 1) + 1))[:size]
    start = time.perf_counter()
    build_digest(text)
    return (time.perf_counter() - start) / (size / 1e6)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a JSONL file of articles")
    parser.add_argument("--limit", type=int, default=None, help="articles for in-process runs")
    parser.add_argument("--batch", type=int, default=3000, help="articles for the batch runs")
    parser.add_argument("--pysbd-limit", type=int, default=100, help="articles for pysbd")
    args = parser.parse_args(argv)

    print(pin_to_one_core())
    articles = load_articles(args.data, args.limit)
    texts = [a["text"] for a in articles]
    print(f"{len(texts)} articles, {statistics.mean(map(len, texts)):.0f} characters on average")
    _print_rows(_in_process_rows(texts, args.pysbd_limit))
    inside, wall = first_digest_seconds(texts[0])
    size, ours, punkt = batch_seconds(articles, args.batch)
    _print_rows(
        [
            ("import + first digest (in interpreter)", f"{inside:.3f} s", "target < 0.5 s"),
            ("import + first digest (whole process)", f"{wall:.3f} s", ""),
            _batch_row(f"digest command, {size} articles", size, ours),
            _batch_row(f"punkt process, {size} articles", size, punkt),
            (
                "digest time per MB, 0.5 MB text",
                f"{seconds_per_megabyte(texts, 500_000):.3f} s",
                "",
            ),
            (
                "digest time per MB, 5 MB text",
                f"{seconds_per_megabyte(texts, 5_000_000):.3f} s",
                "",
            ),
        ]
    )
    return 0


def _batch_row(name: str, size: int, seconds: tuple[float, float]) -> tuple[str, str, str]:
    wall, cpu = seconds
    return (
        name,
        f"{size / cpu:.0f} /s",
        f"CPU {cpu:.2f} s, wall {wall:.2f} s ({size / wall:.0f} /s)",
    )


def _in_process_rows(texts: Sequence[str], pysbd_limit: int) -> list[tuple[str, str, str]]:
    import pysbd
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    from digests import build_digest
    from digests.text import clean_text, split_sentences

    def clean_and_split(text: str) -> object:
        cleaned = clean_text(text)
        return split_sentences(cleaned.text, cleaned.paragraphs)

    segmenter = pysbd.Segmenter(language="en", clean=False)
    rows = [
        ("build_digest (whole digest)", build_digest),
        ("clean_text + split_sentences", clean_and_split),
        ("punkt, untrained (split only)", PunktSentenceTokenizer().tokenize),
    ]
    table = [(name, f"{articles_per_second(work, texts):.0f} /s", "") for name, work in rows]
    subset = texts[:pysbd_limit]
    rate = articles_per_second(segmenter.segment, subset)
    table.append(("pysbd (split only)", f"{rate:.0f} /s", f"first {len(subset)} articles"))
    return table


def _print_rows(rows: Sequence[tuple[str, str, str]]) -> None:
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    print()


if __name__ == "__main__":
    sys.exit(main())
