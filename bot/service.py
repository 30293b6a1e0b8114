"""The use cases every adapter calls, returning platform-neutral values from bot.models.

The lead's CommandRouter turns these values into Replies; nothing here knows a platform. Argument
problems raise UsageError (one line, shown to the user), unknown sources or chats NotFound, and a
source that cannot be read SourceError / BlockedAddressError with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chats import ChatRef
from bot.config import Config
from bot.errors import NotFound, UsageError
from bot.filters import compile_keywords, passes
from bot.ingest import (
    Fetcher,
    NearDuplicateIndex,
    OpmlOutline,
    SourceRead,
    parse_opml,
    read_source,
)
from bot.ingest import render_opml as render_outlines
from bot.models import (
    Article,
    Delivery,
    Filters,
    KeyQuote,
    QuoteEntry,
    Settings,
    Source,
    SourceHealth,
    SourceKind,
    SourceReport,
    Stats,
    StoryEntry,
    Subscription,
)
from bot.polling import save_items
from bot.store import Store
from bot.store.schedule import first_due_after, parse_at

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)
MAX_LENGTH = 30
MAX_KEYWORDS = 20
MAX_SOURCE_URL_CHARS = 2000
"""Longer source URLs are refused: PostgreSQL's unique index on them holds 2,704 bytes."""


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


class NewsService:
    """latest, quotes, search, digests, sources and subscriptions: what every adapter calls."""

    def __init__(
        self,
        store: Store,
        config: Config,
        fetcher: Fetcher | None = None,
        *,
        clock: Clock = utc_now,
        index: NearDuplicateIndex | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.fetcher = fetcher
        self.clock = clock
        self.index = index if index is not None else NearDuplicateIndex()

    async def latest(
        self, n: int = 5, source: Source | str | int | None = None, offset: int = 0
    ) -> list[StoryEntry]:
        """The newest articles, optionally from one source (found, or its id or part of its
        name)."""
        if isinstance(source, str | int):
            source = await self.find_source(source)
        source_id = None if source is None else source.id
        articles = await self.store.latest_articles(n, offset=offset, source_id=source_id)
        return _entries(articles)

    async def search(self, query: str, n: int = 10) -> list[StoryEntry]:
        """Articles matching every word of `query` in headlines, text, quotes or speakers."""
        if not query.strip():
            raise UsageError("/search needs words to look for")
        return _entries(await self.store.search_articles(query, n))

    async def quotes(self, query: str | None = None, n: int = 5) -> list[QuoteEntry]:
        """Recent key quotes, or quotes whose speaker or words match `query`."""
        if not query or not query.strip():
            ids = await self.store.latest_key_quote_article_ids(n)
            return (await self._quote_entries(ids, key_only=True))[:n]
        ids = await self.store.search_article_ids(query, max(n * 5, 25))
        wanted = query.casefold().split()
        found = [
            entry
            for entry in await self._quote_entries(ids, key_only=False)
            if _quote_matches(entry, wanted)
        ]
        return found[:n]

    async def _quote_entries(
        self, article_ids: Sequence[int], *, key_only: bool
    ) -> list[QuoteEntry]:
        articles = {a.id: a for a in await self.store.load_articles(article_ids)}
        quotes = await self.store.quotes_of(article_ids, key_only=key_only)
        return [
            QuoteEntry(
                text=quote.text,
                speaker=quote.speaker,
                headline=article.headline,
                url=article.url,
                source=article.source_title,
                published=article.published,
            )
            for article_id in article_ids
            if (article := articles.get(article_id)) is not None
            for quote in quotes.get(article_id, ())
        ]

    async def digest_for(self, chat: ChatRef, since: datetime | None = None) -> list[StoryEntry]:
        """The chat's digest: stories since its last digest, most important first, filtered."""
        settings = await self.settings(chat)
        stored = await self.store.get_chat(chat)
        if since is None:
            since = stored.last_digest_at if stored and stored.last_digest_at else None
        if since is None:
            since = self.clock() - timedelta(days=1)
        filters = settings.filters
        include, exclude = compile_keywords(filters.include), compile_keywords(filters.exclude)
        ranked = await self.store.story_ids_since(
            since, limit=max(200, filters.length * 20), source_ids=filters.sources
        )
        leads = await self.store.load_articles([article_id for _, article_id, _ in ranked])
        importance = {article_id: count for _, article_id, count in ranked}
        kept = [a for a in leads if passes(_filter_text(a), include, exclude)]
        entries = _entries(kept[: filters.length])
        return [replace(e, importance=importance.get(e.article_id, 1)) for e in entries]

    async def delivery_digest(self, delivery: Delivery) -> list[StoryEntry]:
        """The digest of a delivery's period: built at its first attempt, reused on retries."""
        if delivery.payload is not None:
            return entries_from_payload(delivery.payload)
        now = self.clock()
        entries = await self.digest_for(delivery.chat)
        stored = await self.store.set_delivery_payload(
            delivery.id, entries_to_payload(entries), digest_until=now
        )
        return entries_from_payload(stored)

    async def find_source(self, id_or_name: str | int) -> Source:
        """A source by id, URL, or part of its title; NotFound otherwise."""
        text = str(id_or_name).strip()
        if text.isdigit():
            found = await self.store.get_source(int(text))
            if found is not None:
                return found
        sources = await self.store.list_sources()
        for source in sources:
            if source.url == text:
                return source
        matches = [s for s in sources if text and text.casefold() in s.title.casefold()]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError(f"{text!r} matches several sources; use its id")
        raise NotFound(f"no source {text!r}")

    async def add_source(self, url: str, by: str) -> SourceReport:
        """Read a source once, then save it and its articles; report what was found."""
        if self.fetcher is None:
            raise UsageError("this bot cannot fetch sources")
        url = url.strip()
        if not url:
            raise UsageError("/addsource needs a URL")
        if not url.replace(" ", "-").isprintable():
            raise UsageError("/addsource needs a URL without control characters")
        if len(url) > MAX_SOURCE_URL_CHARS:
            raise UsageError(f"that URL is over {MAX_SOURCE_URL_CHARS:,} characters")
        existing = await self.store.get_source_by_url(url)
        if existing is not None:
            return await self._retry_source(self.fetcher, existing)
        read = await read_source(self.fetcher, url)
        if await self.store.get_source_by_url(read.url) is not None:
            raise UsageError(f"already a source: {read.url}")
        source = await self.store.add_source(
            url=read.url,
            kind=SourceKind(read.kind),
            title=read.title or read.url,
            interval_minutes=self.config.sources.interval_minutes,
            added_by=by,
            now=self.clock(),
        )
        return await self._save_read(source, read, resumed=False)

    async def _retry_source(self, fetcher: Fetcher, source: Source) -> SourceReport:
        """Adding a paused or failing source again reads it now; if it works, it is resumed.

        A paused source is never polled, so this is how an admin brings it back once its feed
        is fixed, keeping its articles (removing and adding it would delete them).
        """
        if not (source.paused or source.last_error):
            raise UsageError(f"already a source: {source.url}")
        known = await self.store.recent_guids(source.id)
        read = await read_source(fetcher, source.url, kind=source.kind.value, known_guids=known)
        return await self._save_read(source, read, resumed=True)

    async def _save_read(self, source: Source, read: SourceRead, *, resumed: bool) -> SourceReport:
        """Store what a read of `source` found, record the read as a success, and report."""
        now = self.clock()
        new = await save_items(self.store, source.id, read.items, now, index=self.index)
        await self.store.record_fetch_success(
            source.id,
            now=now,
            next_fetch_at=now + timedelta(minutes=source.interval_minutes),
            etag=read.etag,
            last_modified=read.last_modified,
        )
        saved = await self.store.get_source(source.id) or source
        return SourceReport(
            source=saved,
            kind=saved.kind,
            title=saved.title,
            items=len(read.items),
            new_articles=new,
            resumed=resumed,
        )

    async def remove_source(self, id_or_url: str | int) -> Source:
        """Delete a source and its articles; return what was removed."""
        source = await self.find_source(id_or_url)
        await self.store.remove_source(source.id)
        return source

    async def list_sources(self) -> list[SourceHealth]:
        """Every source with its health: last error, failing since, paused."""
        return [
            SourceHealth(
                source=s,
                healthy=s.last_error is None and not s.paused,
                article_count=s.article_count,
            )
            for s in await self.store.list_sources()
        ]

    async def subscribe(
        self,
        chat: ChatRef,
        at: str | None = None,
        tz: str | None = None,
        filters: Filters | None = None,
    ) -> Subscription:
        """Send this chat a daily digest at local `at` in `tz` (defaults from the config)."""
        at = at or self.config.digest.default_time
        tz = tz or (await self.settings(chat)).tz
        _check_schedule(at, tz)
        if filters is not None:
            _check_filters(filters)
        now = self.clock()
        await self._ensure_chat(chat)
        await self.store.update_chat(chat, at=at, tz=tz, filters=filters)
        await self.store.subscribe(chat, next_due_at=first_due_after(now, at, tz), now=now)
        subscription = await self.store.get_subscription(chat)
        assert subscription is not None
        return subscription

    async def move_chat(self, old: ChatRef, new: ChatRef) -> None:
        """The platform gave the chat a new id: its settings and subscription follow."""
        if not await self.store.move_chat(old, new):
            logger.warning("chat %s moved to %s, which was already known", old, new)

    async def unsubscribe(self, chat: ChatRef) -> bool:
        """Stop the chat's daily digest; False if it had none."""
        return await self.store.unsubscribe(chat)

    async def settings(self, chat: ChatRef) -> Settings:
        """The chat's settings (config defaults for a chat the bot has not stored)."""
        stored = await self.store.get_chat(chat)
        if stored is None:
            return Settings(
                chat=chat,
                at=self.config.digest.default_time,
                tz=self.config.digest.timezone,
                filters=Filters(length=self.config.digest.stories),
            )
        subscription = await self.store.get_subscription(chat)
        return Settings(
            chat=chat,
            at=stored.at,
            tz=stored.tz,
            filters=stored.filters,
            subscribed=subscription is not None,
            paused=bool(subscription and subscription.paused),
            paused_reason=subscription.paused_reason if subscription else None,
            next_due_at=subscription.next_due_at if subscription else None,
        )

    async def update_settings(
        self,
        chat: ChatRef,
        *,
        at: str | None = None,
        tz: str | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        sources: Sequence[str | int] | None = None,
        length: int | None = None,
    ) -> Settings:
        """Change some of the chat's settings; a subscription moves to the new time."""
        current = await self.settings(chat)
        new_at, new_tz = at or current.at, tz or current.tz
        _check_schedule(new_at, new_tz)
        filters = current.filters
        if include is not None:
            filters = replace(filters, include=tuple(include))
        if exclude is not None:
            filters = replace(filters, exclude=tuple(exclude))
        if sources is not None:
            ids = tuple([(await self.find_source(s)).id for s in sources])
            filters = replace(filters, sources=ids)
        if length is not None:
            filters = replace(filters, length=length)
        _check_filters(filters)
        await self._ensure_chat(chat)
        await self.store.update_chat(chat, at=new_at, tz=new_tz, filters=filters)
        if current.subscribed and (new_at, new_tz) != (current.at, current.tz):
            await self.store.set_next_due(chat, first_due_after(self.clock(), new_at, new_tz))
        return await self.settings(chat)

    async def _ensure_chat(self, chat: ChatRef) -> None:
        defaults = self.config.digest
        await self.store.ensure_chat(
            chat,
            at=defaults.default_time,
            tz=defaults.timezone,
            now=self.clock(),
            filters=Filters(length=defaults.stories),
        )

    async def import_opml(self, text: str, by: str) -> list[tuple[str, SourceReport | str]]:
        """Add every source of an OPML document, given as text or as the http(s) URL of one;
        each feed URL comes back with its report or why it failed."""
        if text.startswith(("http://", "https://")) and not any(c.isspace() for c in text):
            if self.fetcher is None:
                raise UsageError("this bot cannot fetch sources")
            fetched = await self.fetcher.fetch(text)
            text = fetched.content.decode("utf-8", errors="replace")
        outlines = parse_opml(text)
        if not outlines:
            raise UsageError("no feeds found in that OPML")
        results: list[tuple[str, SourceReport | str]] = []
        for outline in outlines:
            try:
                results.append((outline.url, await self.add_source(outline.url, by)))
            except (UsageError, NotFound) as exc:
                results.append((outline.url, str(exc)))
            except Exception as exc:  # one bad feed must not stop the import
                results.append((outline.url, getattr(exc, "reason", str(exc))))
        return results

    async def export_opml(self) -> str:
        """Every source as an OPML document."""
        outlines = [OpmlOutline(url=s.url, title=s.title) for s in await self.store.list_sources()]
        return render_outlines(outlines, "newsdigest sources")

    async def stats(self) -> Stats:
        """Counts for /stats."""
        return await self.store.stats()


def entries_to_payload(entries: Sequence[StoryEntry]) -> dict[str, Any]:
    """Story entries as JSON-ready data (a delivery's stored digest)."""
    return {
        "stories": [
            {
                "headline": e.headline,
                "url": e.url,
                "summary": list(e.summary),
                "key_quotes": [[q.text, q.speaker] for q in e.key_quotes],
                "sources": list(e.sources),
                "published": e.published.isoformat() if e.published else None,
                "importance": e.importance,
                "article_id": e.article_id,
                "story_id": e.story_id,
            }
            for e in entries
        ]
    }


def entries_from_payload(payload: Mapping[str, Any]) -> list[StoryEntry]:
    """Story entries back from a delivery's stored digest."""
    return [
        StoryEntry(
            headline=e["headline"],
            url=e["url"],
            summary=tuple(e["summary"]),
            key_quotes=tuple(KeyQuote(text=t, speaker=s) for t, s in e["key_quotes"]),
            sources=tuple(e["sources"]),
            published=datetime.fromisoformat(e["published"]) if e["published"] else None,
            importance=e["importance"],
            article_id=e["article_id"],
            story_id=e["story_id"],
        )
        for e in payload.get("stories", ())
    ]


def _check_schedule(at: str, tz: str) -> None:
    parse_at(at)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {tz!r} (try Europe/Berlin)") from exc


def _check_filters(filters: Filters) -> None:
    if not 1 <= filters.length <= MAX_LENGTH:
        raise UsageError(f"length must be between 1 and {MAX_LENGTH}")
    if len(filters.include) + len(filters.exclude) > MAX_KEYWORDS:
        raise UsageError(f"at most {MAX_KEYWORDS} keyword filters")
    compile_keywords(filters.include)
    compile_keywords(filters.exclude)


def _filter_text(article: Article) -> str:
    quotes = " ".join(q.text for q in article.key_quotes)
    return " ".join([article.headline, article.standfirst, *article.summary, quotes])


def _quote_matches(entry: QuoteEntry, words: Sequence[str]) -> bool:
    speaker = (entry.speaker or "").casefold()
    text = entry.text.casefold()
    return all(w in speaker for w in words) or all(w in text for w in words)


def _entries(articles: Sequence[Article]) -> list[StoryEntry]:
    """Articles as digest entries: their story's sources, or their own."""
    return [
        StoryEntry(
            headline=a.headline,
            url=a.url,
            summary=a.summary,
            key_quotes=tuple(KeyQuote(text=q.text, speaker=q.speaker) for q in a.key_quotes),
            sources=a.story_sources or (a.source_title,),
            published=a.published,
            importance=len(a.story_sources) or 1,
            article_id=a.id,
            story_id=a.story_id,
        )
        for a in articles
    ]
