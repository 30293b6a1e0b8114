"""build_digest(): the one entry point that composes cleaning, headline, quotes and summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digests.headline import extract_heading
from digests.quotes import Quote, extract_quotes, select_key_quotes
from digests.summary import extract_summary
from digests.text import Span, clean_text, split_sentences


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
    heading = extract_heading(text, title)
    cleaned = clean_text(heading.body)
    sentences = split_sentences(cleaned.text, cleaned.paragraphs)
    quotes = extract_quotes(cleaned.text, cleaned.paragraphs)
    summary = extract_summary(cleaned.text, sentences, headline=heading.headline)
    return Digest(
        headline=heading.headline,
        standfirst=heading.standfirst,
        text=cleaned.text,
        summary=summary,
        quotes=quotes,
        key_quotes=select_key_quotes(quotes),
        url=url,
        published=published,
    )
