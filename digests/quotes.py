"""Direct quotations and who said them.

`extract_quotes` pairs quotation marks paragraph by paragraph, following the journalistic
convention for long quotes (a paragraph that opens with a quote mark continues a quote left open at
the end of the previous one), and asks `digests.speakers` who said each quote. A quote that runs
over several paragraphs is one `Quote` per paragraph, so every quote's text is one run of the
cleaned text. Scare quotes and titles (a quoted phrase of one to three words) are dropped when
nobody could have said them, and otherwise kept with `kind="phrase"`: in annotated news (PolNeAR)
most such phrases are credited to the sentence's subject, but they never make a key quote.

Written by hand rather than with an NLP library: a spaCy parse costs ~250 ms an article and
textacy's rules over it score lower on political news than these rules (see benchmarks/quotes.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from digests.speakers import Attribution, attribute_quotes
from digests.text import Span

_MARK = re.compile(r"[“”\"]")
_WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*")
_SENTENCE_INSIDE = re.compile(r"[.!?]\W*\s+\W*[A-Z]")
_PHRASE_MAX_WORDS = 3
_LEAD_MAX = 8  # characters of blank space before a paragraph's opening mark
_KEY_MIN_WORDS = 6

QuoteKind = Literal["direct", "partial", "phrase"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation; offsets point into the cleaned text, quotation marks excluded.

    `kind` is "direct" for quoted sentences, "partial" for a quoted fragment inside a sentence
    and "phrase" for a short quoted phrase without a speech verb (possibly a scare quote).
    """

    text: str
    start: int
    end: int
    speaker: str | None
    speaker_mention: Span | None
    cue: str | None
    kind: QuoteKind = "direct"


@dataclass(frozen=True, slots=True)
class QuotedSpan:
    """Where a quotation's text lies, with the reach of its marks and how it was opened."""

    start: int
    end: int
    mark_start: int  # offset of the opening mark
    mark_end: int  # offset just after the closing mark (== end when left open)
    paragraph: int
    continues: bool  # opens a paragraph right after a quote left open
    closed: bool  # False when the paragraph ended before a closing mark


def extract_quotes(text: str, paragraphs: Sequence[Span]) -> tuple[Quote, ...]:
    """Every direct quotation in `text`, in order, with its speaker where one is credited."""
    spans = find_quoted_spans(text, paragraphs)
    attributions = attribute_quotes(text, paragraphs, spans)
    quotes = []
    for span, credit in zip(spans, attributions, strict=True):
        phrase = credit.cue is None and _is_phrase(text, span)
        if phrase and credit.mention is None:
            continue
        quotes.append(_quote(text, span, credit, phrase))
    return tuple(quotes)


def select_key_quotes(quotes: Sequence[Quote], n: int = 3) -> tuple[Quote, ...]:
    """The `n` most informative quotes with a named speaker, in article order."""
    named = [(i, q) for i, q in enumerate(quotes) if _is_key_candidate(q)]
    ranked = sorted(named, key=lambda item: _informativeness(item[1]), reverse=True)
    chosen: list[tuple[int, Quote]] = []
    speakers: set[str] = set()
    for distinct_only in (True, False):
        for index, quote in ranked:
            if len(chosen) >= n:
                break
            if (index, quote) in chosen or (distinct_only and quote.speaker in speakers):
                continue
            chosen.append((index, quote))
            speakers.add(quote.speaker or "")
    return tuple(quote for _, quote in sorted(chosen, key=lambda item: item[0]))


def find_quoted_spans(text: str, paragraphs: Sequence[Span]) -> list[QuotedSpan]:
    """Pair quotation marks within each paragraph; an open quote ends with its paragraph."""
    if '"' not in text and "“" not in text and "”" not in text:
        return []  # three substring searches cost less than one regex scan for marks
    spans: list[QuotedSpan] = []
    left_open = False
    for index, para in enumerate(paragraphs):
        found = _pair_marks(text, para, index, left_open)
        left_open = bool(found) and not found[-1].closed
        spans.extend(s for s in found if s.end > s.start)
    return spans


def _pair_marks(text: str, para: Span, index: int, left_open: bool) -> list[QuotedSpan]:
    found: list[QuotedSpan] = []
    opener = inner = ""
    opened = -1
    for match in _MARK.finditer(text, para.start, para.end):
        pos, mark = match.start(), match.group()
        if not opener:
            if mark != "”":
                opener, opened = mark, pos + 1
        elif inner:  # a quote of the other kind inside this one: `"… “Closed” …"`
            inner = "" if mark in (inner, "”") else inner
        elif _closes(text, pos, mark, opener):
            found.append(_span(text, para, opened, pos, index, left_open, closed=True))
            opener = ""
        elif mark == "“" and opener == "“":  # a new opening mark ends an unclosed quote
            found.append(_span(text, para, opened, pos, index, left_open, closed=False))
            opened = pos + 1
        elif mark != "”":
            inner = mark
    if opener:
        end = _trim_end(text, para)
        found.append(_span(text, para, opened, end, index, left_open, closed=False))
    return found


def _closes(text: str, pos: int, mark: str, opener: str) -> bool:
    """The matching mark, or a mixed or mistyped one (`"…”`, `“…“`) that looks closing."""
    if mark == opener == '"' or (mark == "”" and opener == "“"):
        return True
    return not text[pos - 1 : pos].isspace() and not text[pos + 1 : pos + 2].isalnum()


def _span(
    text: str, para: Span, opened: int, closed_at: int, index: int, left_open: bool, closed: bool
) -> QuotedSpan:
    continues = (
        left_open
        and opened - 1 - para.start < _LEAD_MAX
        and not text[para.start : opened - 1].strip()
    )
    start, end = opened, closed_at
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    mark_end = closed_at + 1 if closed else end
    return QuotedSpan(start, end, opened - 1, mark_end, index, continues, closed)


def _trim_end(text: str, para: Span) -> int:
    end = para.end
    while end > para.start and text[end - 1].isspace():
        end -= 1
    return end


def _is_phrase(text: str, span: QuotedSpan) -> bool:
    words = itertools.islice(_WORD.finditer(text, span.start, span.end), _PHRASE_MAX_WORDS + 1)
    return sum(1 for _ in words) <= _PHRASE_MAX_WORDS


def _quote(text: str, span: QuotedSpan, credit: Attribution, phrase: bool) -> Quote:
    kind: QuoteKind = "phrase" if phrase else "direct"
    if not phrase and text[span.start].islower():
        kind = "partial"
    return Quote(
        text=text[span.start : span.end],
        start=span.start,
        end=span.end,
        speaker=credit.speaker,
        speaker_mention=credit.mention,
        cue=credit.cue,
        kind=kind,
    )


def _is_key_candidate(quote: Quote) -> bool:
    """A named speaker (not a pronoun left unresolved, not `a source`) and a real statement."""
    named = (quote.speaker or "")[:1].isupper()
    return named and quote.kind != "phrase" and len(_WORD.findall(quote.text)) >= _KEY_MIN_WORDS


def _informativeness(quote: Quote) -> tuple[bool, int]:
    full_sentence = quote.text[:1].isupper() and quote.text.rstrip("”\"' ")[-1:] in ".!?"
    sentences = len(_SENTENCE_INSIDE.findall(quote.text)) + 1
    return full_sentence, min(len(_WORD.findall(quote.text)), 40) + 5 * min(sentences, 3)
