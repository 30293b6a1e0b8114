"""Cleaning of scraped article text and sentence splitting.

Placeholder contract (to be filled in by the engine work): the types and signatures below are
what `quotes`, `summary` and `digest` rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the cleaned text: `text == cleaned[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class CleanText:
    """Cleaned article body: paragraphs separated by one blank line."""

    text: str
    paragraphs: tuple[Span, ...]
    crossheads: tuple[Span, ...]


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘A-Z0-9])")


def clean_text(raw: str) -> CleanText:
    """Clean scraped text into paragraphs (placeholder: whitespace only)."""
    parts = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(raw)]
    parts = [p for p in parts if p]
    text = "\n\n".join(parts)
    return CleanText(text=text, paragraphs=_spans_of(text, parts), crossheads=())


def split_sentences(text: str, paragraphs: tuple[Span, ...]) -> tuple[Span, ...]:
    """Split each paragraph into sentences (placeholder: naive punctuation split)."""
    sentences: list[Span] = []
    for para in paragraphs:
        start = para.start
        for match in _SENTENCE_END.finditer(para.text):
            end = para.start + match.start()
            sentences.append(Span(start, end, text[start:end]))
            start = para.start + match.end()
        if start < para.end:
            sentences.append(Span(start, para.end, text[start : para.end]))
    return tuple(sentences)


def _spans_of(text: str, parts: list[str]) -> tuple[Span, ...]:
    spans = []
    pos = 0
    for part in parts:
        start = text.index(part, pos)
        spans.append(Span(start, start + len(part), part))
        pos = start + len(part)
    return tuple(spans)
