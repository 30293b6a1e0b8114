"""Summary quality and speed on CNN/DailyMail: ours vs Lead-3, LexRank and TextRank, one run.

    .venv/bin/python benchmarks/summaries.py ../shared/eval/cnndm_dev.jsonl [--limit N]

Input: the released CNN/DailyMail form (PTB tokens, lowercased). Each article is first converted
to ordinary text by `cnndm.detokenize` (`` '' -> ", -lrb- -> ( ..., punctuation spacing undone);
that conversion is not timed. Then, per system, timed:
- ours: `clean_text` + `split_sentences` + `extract_summary` (3 sentences), the product's path;
- Lead-3: `clean_text` + `split_sentences`, the first 3 sentences (same splitter as ours);
- LexRank, TextRank: sumy 0.11+ over sentences split by nupunkt's bundled Punkt model (sumy's
  own tokenizer wants NLTK punkt data, which cannot be downloaded here), 3 sentences.

Speed: articles per second of this process's CPU time (`time.process_time`), one core: on a
shared machine wall-clock time measures the neighbours as much as the code.

Scoring: `rouge_score` ROUGE-1, ROUGE-2 and ROUGE-Lsum F1, use_stemmer=True, summary sentences
separated by newlines, averaged over articles, against the `summary` field as released
(lowercased tokens, one highlight a line). Every system's output is lowercased and, when the file
uses bracket tokens (-lrb-), brackets are turned back into them, so all systems are scored in the
reference's own form. The rouge tokenizer drops other punctuation, so the remaining
detokenization (quote marks, spacing) does not change scores.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import nupunkt
from cnndm import Article, detokenize, load_articles
from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from digests.summary import extract_summary
from digests.text import clean_text, split_sentences

SUMMARY_SENTENCES = 3
_SUMY_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-])*")
_BRACKETS_BACK = {"(": " -lrb- ", ")": " -rrb- ", "[": " -lsb- ", "]": " -rsb- "}

Summarize = Callable[[str], list[str]]


@dataclass
class Tally:
    """Running ROUGE sums and time of one system."""

    name: str
    scores: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0


class SumyWordTokenizer:
    """The word half of sumy's Tokenizer without NLTK data: sumy only calls `to_words`."""

    language = "english"

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Words of a sentence, as sumy's own word filter keeps them."""
        return tuple(_SUMY_WORD.findall(sentence))


def summarize_ours(text: str) -> list[str]:
    """The product's path: clean, split, extract."""
    cleaned = clean_text(text)
    sentences = split_sentences(cleaned.text, cleaned.paragraphs)
    return [s.text for s in extract_summary(cleaned.text, sentences)]


def summarize_lead(text: str) -> list[str]:
    """The first sentences by the product's splitter."""
    cleaned = clean_text(text)
    sentences = split_sentences(cleaned.text, cleaned.paragraphs)
    return [s.text for s in sentences[:SUMMARY_SENTENCES]]


def sumy_system(summarizer_class: type[LexRankSummarizer] | type[TextRankSummarizer]) -> Summarize:
    """A sumy summarizer fed nupunkt sentences."""
    summarizer = summarizer_class(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = SumyWordTokenizer()

    def summarize(text: str) -> list[str]:
        sentences = [Sentence(s, tokenizer) for s in nupunkt.sent_tokenize(text)]
        document = ObjectDocumentModel([Paragraph(sentences)])
        return [str(s) for s in summarizer(document, SUMMARY_SENTENCES)]

    return summarize


def released_form(sentences: Sequence[str], bracket_tokens: bool) -> str:
    """A system's output as the reference is written: lowercased, newline-separated."""
    text = "\n".join(s.lower() for s in sentences)
    if bracket_tokens:
        for bracket, token in _BRACKETS_BACK.items():
            text = text.replace(bracket, token)
    return text


def run(articles: Sequence[Article], systems: dict[str, Summarize]) -> list[Tally]:
    """Summarize every article with every system, timing each and scoring against references."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    bracket_tokens = any("-lrb-" in a.text for a in articles)
    texts = [detokenize(a.text) for a in articles]
    tallies = []
    for name, summarize in systems.items():
        tally = Tally(name)
        start = time.process_time()
        outputs = [summarize(text) for text in texts]
        tally.seconds = time.process_time() - start
        for article, output in zip(articles, outputs, strict=True):
            score = scorer.score(article.summary, released_form(output, bracket_tokens))
            tally.scores.append(
                np.array([score[k].fmeasure for k in ("rouge1", "rouge2", "rougeLsum")])
            )
        tallies.append(tally)
    return tallies


def print_table(tallies: Sequence[Tally], count: int) -> None:
    """ROUGE F1 (x100) and articles/s, one row a system."""
    print(f"{count} articles")
    print(f"{'system':<10} {'R1':>6} {'R2':>6} {'RLsum':>6} {'articles/s':>11}")
    for tally in tallies:
        r1, r2, rl = 100 * np.mean(tally.scores, axis=0)
        rate = count / tally.seconds if tally.seconds else float("inf")
        print(f"{tally.name:<10} {r1:6.2f} {r2:6.2f} {rl:6.2f} {rate:11.0f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run every system over a CNN/DailyMail JSONL file and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="CNN/DailyMail JSONL: id, text, summary")
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--no-sumy", action="store_true", help="skip LexRank and TextRank")
    args = parser.parse_args(argv)
    articles = load_articles(args.data, args.limit)
    systems: dict[str, Summarize] = {"ours": summarize_ours, "lead-3": summarize_lead}
    if not args.no_sumy:
        systems["lexrank"] = sumy_system(LexRankSummarizer)
        systems["textrank"] = sumy_system(TextRankSummarizer)
    print_table(run(articles, systems), len(articles))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
