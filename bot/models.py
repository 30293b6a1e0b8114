"""The core's records: what the store keeps and what the service answers, as frozen dataclasses.

Everything here is platform-neutral: adapters (through the lead's CommandRouter) turn these values
into Replies. Times are timezone-aware UTC datetimes unless a field says it is local.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.chats import ChatRef


class SourceKind(StrEnum):
    """How a source is read."""

    FEED = "feed"
    PAGE = "page"
    FOLDER = "folder"


class DeliveryStatus(StrEnum):
    """Where a delivery stands in the ledger."""

    PENDING = "pending"  # planned, waiting for a sender (or for its retry time)
    CLAIMED = "claimed"  # leased to a sender, not sent yet: pending again if the lease runs out
    SENDING = "sending"  # its platform request started: unknown if the lease runs out
    SENT = "sent"  # the platform answered with a message id
    FAILED = "failed"  # permanently refused (blocked, chat gone)
    UNKNOWN = "unknown"  # the send may or may not have arrived: never resent
    SKIPPED = "skipped"  # the period was missed by more than the catch-up window


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A feed, page or folder the bot reads."""

    id: int
    url: str
    kind: SourceKind
    title: str
    interval_minutes: int
    etag: str | None = None
    last_modified: str | None = None
    next_fetch_at: datetime | None = None
    last_fetched_at: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    failures: int = 0
    paused: bool = False
    added_by: str = ""
    added_at: datetime | None = None
    article_count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteRow:
    """A stored quotation from an article, with who said it."""

    text: str
    speaker: str | None = None
    speaker_mention: str | None = None
    cue: str | None = None
    is_key: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NewArticle:
    """An article ready to store: its source, identity, and its digest."""

    source_id: int
    url: str
    canonical_url: str
    guid: str | None
    headline: str
    standfirst: str = ""
    text: str = ""
    summary: tuple[str, ...] = ()
    quotes: tuple[QuoteRow, ...] = ()
    published: datetime | None = None
    fetched_at: datetime
    content_hash: str
    signature: bytes | None = None

    @property
    def quote_text(self) -> str:
        """Its quotes' words, one quote a line (for full-text search)."""
        return "\n".join(quote.text for quote in self.quotes)

    @property
    def speaker_names(self) -> str:
        """Who its quotes are from, each once, sorted, one a line (for full-text search)."""
        return "\n".join(sorted({quote.speaker for quote in self.quotes if quote.speaker}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """A stored article with its digest."""

    id: int
    source_id: int
    url: str
    canonical_url: str
    guid: str | None
    headline: str
    standfirst: str
    summary: tuple[str, ...]
    key_quotes: tuple[QuoteRow, ...]
    published: datetime | None
    fetched_at: datetime
    story_id: int | None
    content_hash: str
    source_title: str = ""
    story_sources: tuple[str, ...] = ()
    """Titles of the sources that carried its story (its own among them), in the order the
    sources were added to the bot."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """Near-duplicate articles from several sources, grouped."""

    id: int
    headline: str
    source_count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """A chat's digest filters: keywords (plain words, or /regex/), sources and length."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()
    length: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Chat:
    """A chat the bot knows, with its digest settings."""

    id: int
    ref: ChatRef
    at: str
    tz: str
    filters: Filters
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A chat's daily digest: when (local HH:MM in tz) and with which filters."""

    id: int
    chat: ChatRef
    at: str
    tz: str
    filters: Filters
    paused: bool = False
    paused_reason: str | None = None
    next_due_at: datetime
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One subscription's digest for one period (the subscriber's local date)."""

    id: int
    subscription_id: int
    chat: ChatRef
    period: date
    status: DeliveryStatus
    attempts: int = 0
    not_before: datetime | None = None
    lease_until: datetime | None = None
    platform_message_id: str | None = None
    error: str | None = None
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceReport:
    """What add_source found and saved: the source, and how many items it had."""

    source: Source
    kind: SourceKind
    title: str
    items: int
    new_articles: int
    resumed: bool = False  # it was a paused or failing source, read again and working


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    """A source as /sources shows it: its last error and whether it is paused."""

    source: Source
    healthy: bool
    article_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyQuote:
    """A key quote of a story entry."""

    text: str
    speaker: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryEntry:
    """One story of a digest, a latest list or a search answer."""

    headline: str
    url: str
    summary: tuple[str, ...]
    key_quotes: tuple[KeyQuote, ...]
    sources: tuple[str, ...]
    published: datetime | None
    importance: int = 1
    article_id: int = 0
    story_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteEntry:
    """A quote found by /quotes, with the article it came from."""

    text: str
    speaker: str | None
    headline: str
    url: str
    source: str
    published: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    """Counts for /stats."""

    sources: int
    paused_sources: int
    failing_sources: int
    articles: int
    stories: int
    chats: int
    subscriptions: int
    deliveries_sent: int
    deliveries_failed: int
    deliveries_pending: int
    deliveries_in_flight: int = 0  # claimed or sending now
    deliveries_unknown: int = 0  # may or may not have arrived: never resent
    deliveries_skipped: int = 0  # missed by more than the catch-up window


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """A chat's digest settings, and whether it is subscribed."""

    chat: ChatRef
    at: str
    tz: str
    filters: Filters = field(default_factory=Filters)
    subscribed: bool = False
    paused: bool = False
    paused_reason: str | None = None
    next_due_at: datetime | None = None
