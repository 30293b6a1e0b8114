"""CNN/DailyMail in its released form (PTB-tokenized, lowercased), converted for the product.

The released text reads `he said : `` it 's over . ''`; the product expects article text, so the
benchmark and the training script undo the tokenization here (never in the product):
`` and '' become ", -lrb- -rrb- (and the square/curly forms) become brackets, and the spaces PTB
put before punctuation and clitics ('s, n't) and after opening brackets are removed. Case is left
as released (lowercase): the summarizer lowercases everything anyway.

`split_released_sentences` cuts the released text at its sentence-final tokens (a standalone
. ! or ?, with a closing quote that follows it), which PTB tokenization makes unambiguous.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_BRACKETS = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
}
_BRACKET_TOKEN = re.compile(r"-[lr][rsc]b-")
_OPEN_QUOTE = re.compile(r"``\s*")
_CLOSE_QUOTE = re.compile(r"\s*''")
_SPACE_BEFORE = re.compile(r" (?=(?:[.,;:?!%)\]}]|'s|'re|'ve|'ll|'d|'m|n't)(?: |$))")
_SPACE_AFTER = re.compile(r"(?<=[(\[{$]) ")
_SENTENCE_END = re.compile(r"(?<= [.!?]) (?!'')|(?<= [.!?] '') ")


@dataclass(frozen=True, slots=True)
class Article:
    """One CNN/DailyMail article: released text and its reference highlights (one a line)."""

    id: str
    text: str
    summary: str


def load_articles(path: Path, limit: int | None = None) -> list[Article]:
    """Read a CNN/DailyMail JSONL file ({"id", "text", "summary"} a line)."""
    articles: list[Article] = []
    for article in _read(path):
        if limit is not None and len(articles) >= limit:
            break
        articles.append(article)
    return articles


def _read(path: Path) -> Iterator[Article]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                yield Article(row["id"], row["text"], row["summary"])


def detokenize(released: str) -> str:
    """Turn released PTB tokens into ordinary text (quotes, brackets, punctuation spacing)."""
    text = _BRACKET_TOKEN.sub(lambda m: _BRACKETS.get(m.group(), m.group()), released)
    text = _OPEN_QUOTE.sub('"', text)
    text = _SPACE_BEFORE.sub("", text)
    text = _CLOSE_QUOTE.sub('"', text)
    return _SPACE_AFTER.sub("", text).strip()


def split_released_sentences(released: str) -> list[str]:
    """The released text's sentences (still tokenized), cut at sentence-final tokens."""
    parts = _SENTENCE_END.split(" " + released.strip() + " ")
    return [p.strip() for p in parts if p.strip()]
