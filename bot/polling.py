"""Polling: one idempotent tick reads every due source, digests new items and stores them.

The database says which sources are due (`next_fetch_at`), so running a tick twice, or after a
crash, only reads what is due. Each due source is read with `read_source` (concurrency bounded by
`[sources] concurrency`); items already stored (same GUID in this source, same canonical URL or
same content hash anywhere) are dropped before their digest is built; the rest are digested with
`build_digest` off the event loop (CPU work: the loop keeps answering chats), saved, and grouped
into stories with the near-duplicate index. Digests are built in a worker thread by default, or
in the `executor` given, where feeds are parsed as well (a ProcessPoolExecutor puts the other
cores to work: in one process the GIL makes feed parsing, digesting and storing take turns on
one core).

A failure never stops the tick: it is recorded on its source with the error, the next attempt
backs off exponentially (interval x 2^failures, at most MAX_BACKOFF), and a source failing for
`[sources] pause_after_hours` is paused and flagged for admins.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import math
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Config
from bot.errors import RefusedByDatabase, SourceError
from bot.ingest import ArticleDraft, Fetcher, NearDuplicateIndex, SourceRead, read_source
from bot.ingest.similarity import content_hash, signature
from bot.models import NewArticle, QuoteRow, Source
from bot.store import Store
from digests.digest import Digest, build_digest

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
MAX_INTERVAL_MINUTES = 24 * 60
INDEX_WINDOW = timedelta(days=3)
"""Near-duplicates are looked for among articles fetched this recently."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PollReport:
    """What one tick did."""

    sources: int = 0
    new_articles: int = 0
    failed: tuple[int, ...] = ()
    paused: tuple[int, ...] = ()
    not_modified: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOutcome:
    """What reading one source did."""

    new_articles: int = 0
    failed: bool = False
    paused: bool = False
    not_modified: bool = False


async def load_near_duplicate_index(store: Store, now: datetime) -> NearDuplicateIndex:
    """The near-duplicate index rebuilt from the signatures of recently fetched articles."""
    index = NearDuplicateIndex()
    for url, stored in await store.recent_signatures(now - INDEX_WINDOW):
        index.add_signature(url, stored)
    return index


async def forget_old_articles(store: Store, index: NearDuplicateIndex, now: datetime) -> int:
    """Drop from the index the articles that left its window in the last two days.

    Run daily, it keeps the in-memory index to INDEX_WINDOW of articles in a long-running bot.
    """
    end = now - INDEX_WINDOW
    urls = await store.canonical_urls_fetched(end - timedelta(days=2), end)
    for url in urls:
        index.remove(url)
    return len(urls)


async def poll_due_sources(
    store: Store,
    fetcher: Fetcher,
    config: Config,
    now: datetime,
    *,
    index: NearDuplicateIndex | None = None,
    executor: Executor | None = None,
) -> PollReport:
    """Read every due source once; never raises for a source's failure."""
    due = await store.due_sources(now)
    if index is None:
        index = await load_near_duplicate_index(store, now)
    gate = asyncio.Semaphore(config.sources.concurrency)

    async def poll(source: Source) -> SourceOutcome:
        async with gate:
            try:
                return await poll_source(
                    store, fetcher, config, source, now, index=index, executor=executor
                )
            except BrokenExecutor:  # the tick's, not the source's: the caller replaces it
                raise
            except Exception:  # even recording the outcome failed (database down): next tick
                logger.exception("polling source %s failed", source.url)
                return SourceOutcome(failed=True)

    outcomes = await asyncio.gather(*(poll(source) for source in due))
    return PollReport(
        sources=len(due),
        new_articles=sum(o.new_articles for o in outcomes),
        failed=tuple(s.id for s, o in zip(due, outcomes, strict=True) if o.failed),
        paused=tuple(s.id for s, o in zip(due, outcomes, strict=True) if o.paused),
        not_modified=sum(o.not_modified for o in outcomes),
    )


async def poll_source(
    store: Store,
    fetcher: Fetcher,
    config: Config,
    source: Source,
    now: datetime,
    *,
    index: NearDuplicateIndex,
    executor: Executor | None = None,
) -> SourceOutcome:
    """Read one source, store what is new, and record how it went."""
    try:
        read = await read_source(
            fetcher,
            source.url,
            kind=source.kind.value,
            etag=source.etag,
            last_modified=source.last_modified,
            known_guids=await store.recent_guids(source.id),
            executor=executor,
        )
        saved = await save_items(store, source.id, read.items, now, index=index, executor=executor)
    except SourceError as exc:
        return await _record_failure(store, config, source, now, exc.reason)
    except BrokenExecutor:  # a digest process died: not this source's failure
        raise
    except Exception as exc:  # a bug or a library's surprise must not stop the tick
        logger.exception("polling source %s failed", source.url)
        return await _record_failure(store, config, source, now, f"internal error: {exc!r}")
    await store.record_fetch_success(
        source.id,
        now=now,
        next_fetch_at=now + timedelta(minutes=next_interval(source, read, config)),
        etag=read.etag,
        last_modified=read.last_modified,
        title=None if source.title else read.title,
    )
    return SourceOutcome(new_articles=saved, not_modified=read.not_modified)


def next_interval(source: Source, read: SourceRead, config: Config) -> int:
    """Minutes until the next read: the source's interval, or longer if the feed asks."""
    asked = [source.interval_minutes, config.sources.min_interval_minutes]
    if read.ttl_minutes:
        asked.append(read.ttl_minutes)
    if read.cache_max_age:
        asked.append(math.ceil(read.cache_max_age / 60))
    return min(max(asked), MAX_INTERVAL_MINUTES)


async def _record_failure(
    store: Store, config: Config, source: Source, now: datetime, reason: str
) -> SourceOutcome:
    failing_since = source.failing_since or now
    pause = now - failing_since >= timedelta(hours=config.sources.pause_after_hours)
    backoff = timedelta(minutes=source.interval_minutes) * (2 ** min(source.failures, 16))
    await store.record_fetch_failure(
        source.id,
        now=now,
        error=reason,
        next_fetch_at=now + min(backoff, MAX_BACKOFF),
        pause=pause,
    )
    if pause:
        logger.warning("source %s paused after failing since %s", source.url, failing_since)
    return SourceOutcome(failed=True, paused=pause)


async def save_items(
    store: Store,
    source_id: int,
    items: Sequence[ArticleDraft],
    now: datetime,
    *,
    index: NearDuplicateIndex,
    executor: Executor | None = None,
) -> int:
    """Digest and store the items not stored yet; return how many were new."""
    fresh = await _unknown_items(store, source_id, items, now)
    if not fresh:
        return 0
    drafts, hashes = [item for item, _ in fresh], [known for _, known in fresh]
    prepare = functools.partial(prepare_articles, source_id, drafts, now, content_hashes=hashes)
    if executor is None:
        prepared = await asyncio.to_thread(prepare)
    else:
        prepared = await asyncio.get_running_loop().run_in_executor(executor, prepare)
    return await _save(store, prepared, _near_duplicates(index, prepared), now)


async def _save(
    store: Store, prepared: Sequence[NewArticle], near: Sequence[str | None], now: datetime
) -> int:
    """Store the articles; return how many were new.

    If the database refuses a value in the batch, each article is stored on its own and only
    the refused ones are left out (and logged): one bad article must not stop its feed.
    """
    try:
        return len(await store.save_articles(prepared, now=now, near_duplicate_of=near))
    except RefusedByDatabase:
        pass
    saved = 0
    for article, target in zip(prepared, near, strict=True):
        try:
            saved += len(await store.save_articles([article], now=now, near_duplicate_of=[target]))
        except RefusedByDatabase as exc:
            logger.warning("article %s refused by the database: %s", article.url, exc)
    return saved


async def _unknown_items(
    store: Store, source_id: int, items: Sequence[ArticleDraft], now: datetime
) -> list[tuple[ArticleDraft, str]]:
    """The items not stored yet, each with its content hash."""
    unique: dict[str, ArticleDraft] = {}
    for item in items:
        unique.setdefault(_item_url(source_id, item), item)
    hashes = {url: content_hash(item.text) for url, item in unique.items()}
    known = await store.find_known_articles(
        source_id,
        guids=[item.guid for item in unique.values()],
        canonical_urls=list(unique),
        content_hashes=list(hashes.values()),
    )
    seen_urls = {k.canonical_url for k in known}
    seen_hashes = {k.content_hash for k in known}
    seen_guids = {k.guid for k in known if k.source_id == source_id}
    for other in {k.id for k in known if k.source_id != source_id}:
        await store.add_story_source(other, source_id, now=now)
    return [
        (item, hashes[url])
        for url, item in unique.items()
        if url not in seen_urls and hashes[url] not in seen_hashes and item.guid not in seen_guids
    ]


def _item_url(source_id: int, item: ArticleDraft) -> str:
    """An item's dedup key: its canonical URL, or its GUID in this source if it has no link."""
    return item.canonical_url or f"urn:newsdigest:{source_id}:{item.guid}"


def start_digest_process() -> None:
    """Run first in each digest process: load the digest engine, then freeze what it loaded.

    The engine's tables (names, word weights, the summary model) and the imported modules live
    as long as the process. Frozen (gc.freeze), they leave the collector's generations, whose
    full collections otherwise walk them all again every couple of thousand articles.
    """
    build_digest("Warm up. The engine loads its tables on first use.", title="Warm up")
    gc.collect()
    gc.freeze()


def prepare_articles(
    source_id: int,
    items: Sequence[ArticleDraft],
    now: datetime,
    *,
    content_hashes: Sequence[str] | None = None,
) -> list[NewArticle]:
    """Build the digest, content hash and near-duplicate signature of each item (CPU work).

    `content_hashes`, one per item, are the hashes the caller already has for its dedup check.
    """
    if content_hashes is None:
        content_hashes = [content_hash(item.text) for item in items]
    return [
        _new_article(source_id, item, now, known)
        for item, known in zip(items, content_hashes, strict=True)
    ]


def _new_article(source_id: int, item: ArticleDraft, now: datetime, item_hash: str) -> NewArticle:
    digest = build_digest(item.text, title=item.title or None, url=item.url)
    return NewArticle(
        source_id=source_id,
        url=item.url or "",
        canonical_url=_item_url(source_id, item),
        guid=item.guid,
        headline=digest.headline or item.title or "(untitled)",
        standfirst=digest.standfirst,
        text=digest.text,
        summary=tuple(span.text for span in digest.summary),
        quotes=_quotes(digest),
        published=item.published,
        fetched_at=now,
        content_hash=item_hash,
        signature=signature(digest.text) or None,
    )


def _quotes(digest: Digest) -> tuple[QuoteRow, ...]:
    key = {(q.start, q.end) for q in digest.key_quotes}
    return tuple(
        QuoteRow(
            text=q.text,
            speaker=q.speaker,
            speaker_mention=q.speaker_mention.text if q.speaker_mention else None,
            cue=q.cue,
            is_key=(q.start, q.end) in key,
        )
        for q in digest.quotes
    )


def _near_duplicates(
    index: NearDuplicateIndex, prepared: Sequence[NewArticle]
) -> list[str | None]:
    """For each article, a near-duplicate's canonical URL (stored, or earlier in this batch).

    Each article is indexed right after its query, so later items of the batch find it; an item
    the store then refuses as a duplicate stays indexed under its URL, which is harmless: a
    story is looked up by that URL and, when none is stored, the article starts its own.
    """
    found: list[str | None] = []
    for article in prepared:
        matches = index.find_and_add(article.canonical_url, article.signature or b"")
        found.append(min((m for m in matches if isinstance(m, str)), default=None))
    return found
