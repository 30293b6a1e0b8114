"""build_digest(): the one entry point that composes cleaning, headline, quotes and summary."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from digests.headline import comparable, extract_heading
from digests.quotes import Quote, extract_quotes, select_key_quotes
from digests.summary import extract_summary
from digests.text import CleanText, Span, clean_text, split_sentences

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_FALLBACK_SUMMARY_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class Digest:
    """An article's digest; every offset points into `text`, the cleaned body."""

    headline: str
    standfirst: str
    text: str
    summary: tuple[Span, ...]
    quotes: tuple[Quote, ...]
    key_quotes: tuple[Quote, ...]
    url: str | None = None
    published: datetime | None = None


def build_digest(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: datetime | None = None,
) -> Digest:
    """Build the digest of one article; any input gives a valid Digest."""
    try:
        return _compose(str(text or ""), title=title, url=url, published=published)
    except Exception:  # a bug in one step must not cost the caller the whole article
        _log.exception("build_digest failed; returning the cleaned text only")
        return Digest("", "", _safe_clean(text), (), (), (), url=url, published=published)


def _compose(
    text: str, *, title: str | None, url: str | None, published: datetime | None
) -> Digest:
    heading = extract_heading(clean_text(text), title if isinstance(title, str) else None)
    body = heading.body
    sentences = _summary_candidates(body, (heading.headline, heading.standfirst))
    quotes: tuple[Quote, ...] = _attempt(lambda: extract_quotes(body.text, body.paragraphs), ())
    inside = _inside_quotations(sentences, quotes)
    summary: tuple[Span, ...] = _attempt(
        lambda: extract_summary(body.text, sentences, headline=heading.headline, avoid=inside),
        sentences[:_FALLBACK_SUMMARY_SENTENCES],
    )
    return Digest(
        headline=heading.headline,
        standfirst=heading.standfirst,
        text=body.text,
        summary=summary,
        quotes=quotes,
        key_quotes=_attempt(lambda: select_key_quotes(quotes), quotes[:0]),
        url=url,
        published=published,
    )


def _inside_quotations(sentences: Sequence[Span], quotes: Sequence[Quote]) -> frozenset[int]:
    """Sentences that start or end inside a quotation of several sentences.

    Such a sentence ("We have one mission: to ensure the safety of all 30 countries." from the
    middle of a longer quote) reads as the reporter's own words when shown alone.
    """
    spans = sorted((q.start, q.end) for q in quotes if q.end - q.start > 0)
    if not spans:
        return frozenset()
    starts = [start for start, _ in spans]
    inside = set()
    for index, sentence in enumerate(sentences):
        for edge in (sentence.start, sentence.end):
            at = bisect.bisect_right(starts, edge - 1) - 1
            if at >= 0 and spans[at][0] < edge < spans[at][1]:
                inside.add(index)
    return frozenset(inside)


def _attempt(step: Callable[[], _T], fallback: _T) -> _T:
    """Run one step; a bug in it costs that part of the digest only, never the whole article."""
    try:
        return step()
    except Exception:
        _log.exception("digest step failed; using its fallback")
        return fallback


def _summary_candidates(body: CleanText, heading: tuple[str, ...]) -> tuple[Span, ...]:
    """Body sentences, without any that repeats the headline or the standfirst."""
    sentences = split_sentences(body.text, body.paragraphs)
    repeated = {comparable(line) for line in heading if line}
    if not repeated:
        return sentences
    return tuple(s for s in sentences if comparable(s.text) not in repeated)


def _safe_clean(text: object) -> str:
    try:
        return clean_text(str(text or "")).text
    except Exception:
        _log.exception("clean_text failed")
        return ""


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """The digest as JSON-ready data, the shape `newsdigest digest --format json` prints."""
    return {
        "headline": digest.headline,
        "standfirst": digest.standfirst,
        "text": digest.text,
        "summary": [_span_to_dict(s) for s in digest.summary],
        "quotes": [quote_to_dict(q) for q in digest.quotes],
        "key_quotes": [quote_to_dict(q) for q in digest.key_quotes],
    }


def quote_to_dict(quote: Quote) -> dict[str, Any]:
    """One quote as JSON-ready data; `speaker_mention` is null when nobody is credited."""
    mention = quote.speaker_mention
    return {
        "text": quote.text,
        "start": quote.start,
        "end": quote.end,
        "speaker": quote.speaker,
        "speaker_mention": _span_to_dict(mention) if mention is not None else None,
        "cue": quote.cue,
    }


def _span_to_dict(span: Span) -> dict[str, Any]:
    return {"text": span.text, "start": span.start, "end": span.end}
