"""Web pages: the article in a page (trafilatura) and the feeds a page announces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura
from trafilatura.settings import Document

from bot.errors import SourceError
from bot.ingest.markup import extract_feed_links


@dataclass(frozen=True, slots=True, kw_only=True)
class PageArticle:
    """The article extracted from a web page."""

    url: str
    title: str | None
    text: str
    published: datetime | None


def extract_page(content: bytes, *, url: str) -> PageArticle:
    """Extract the main article of a page; raise SourceError when there is no article text."""
    document = trafilatura.bare_extraction(
        content, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (document.text or "").strip() if isinstance(document, Document) else ""
    if not isinstance(document, Document) or not text:
        raise SourceError(url, "no article text found in the page")
    return PageArticle(
        url=url,
        title=(document.title or "").strip() or None,
        text=text,
        published=_date(document.date),
    )


def discover_feeds(content: bytes, *, url: str) -> tuple[str, ...]:
    """Absolute URLs of the feeds a page links with <link rel="alternate" type="...+xml">."""
    # The links sit in <head>, in ASCII: a lenient UTF-8 decode finds them in any encoding
    # that is a superset of ASCII (all but UTF-16, which pages are practically never in).
    return extract_feed_links(content.decode("utf-8", errors="replace"), url=url)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
