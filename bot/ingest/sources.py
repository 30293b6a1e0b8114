"""Reading one source: the call the poller and add_source make, whatever kind the source is.

read_source() fetches a URL and decides what it is: a feed (parsed with feedparser), a page that
announces a feed (the feed is read instead, and SourceRead.url is the feed's URL), a page with no
feed (one article), or a local folder (`file://` URL or path, only inside a folder listed in
`[sources] folders`). Feed entries that carry only a snippet get their full text fetched from
their link and extracted with trafilatura; a failed full-text fetch keeps the snippet.

Parsing and extraction are CPU work in synchronous libraries, so they run in a worker thread
(asyncio.to_thread) to keep the event loop answering chats meanwhile. Given an `executor` (the
poller's process pool), feeds are parsed there instead: a thread of the polling process takes
turns with the event loop for the GIL, a process runs on another core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import SourcesConfig
from bot.errors import BlockedAddressError, SourceError
from bot.ingest.feeds import FeedEntry, ParsedFeed, parse_feed
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.folders import LocalArticle, scan_folder
from bot.ingest.pages import discover_feeds, extract_page
from bot.ingest.urls import canonical_url

FULL_TEXT_CONCURRENCY = 4
"""Full-text fetches in flight per source read (the fetcher bounds them per host as well)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleDraft:
    """An article as read from a source, before its digest is built and it is stored.

    `url` and `canonical_url` are None for a feed entry without a link.
    """

    url: str | None
    canonical_url: str | None
    guid: str
    title: str
    text: str
    published: datetime | None
    is_full_text: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRead:
    """What one read of a source found; `items` is empty when the source was not modified."""

    url: str
    kind: str
    title: str
    ttl_minutes: int | None
    cache_max_age: int | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    items: tuple[ArticleDraft, ...]


async def read_source(
    fetcher: Fetcher,
    url: str,
    *,
    kind: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    known_guids: Collection[str] = (),
    full_text: bool = True,
    executor: Executor | None = None,
) -> SourceRead:
    """Read a source; entries whose GUID is in `known_guids` are skipped (no full-text fetch).

    Feeds are parsed in `executor` if one is given, else in a worker thread.
    """
    if kind == "folder" or is_local_source(url):
        return await _read_folder(fetcher.config, url, known_guids)
    fetched = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
    if fetched.not_modified:
        return _unchanged(fetched, kind or "feed")
    if kind == "page":
        return await _read_page(fetched)
    feed = await _feed_or_none(fetched, executor)
    if feed is None and kind == "feed":
        raise SourceError(fetched.url, "not a feed")
    if feed is None:
        discovered = discover_feeds(fetched.content, url=fetched.url)
        if not discovered:
            return await _read_page(fetched)
        fetched = await fetcher.fetch(discovered[0])
        feed = await _feed_or_none(fetched, executor)
        if feed is None:
            raise SourceError(fetched.url, "not a feed")
    return await _read_feed(fetcher, fetched, feed, known_guids, full_text=full_text)


def is_local_source(url: str) -> bool:
    """Whether `url` names a local folder (a file:// URL or a filesystem path)."""
    return url.startswith(("file:", "/", "~", "./"))


async def _feed_or_none(fetched: FetchResult, executor: Executor | None) -> ParsedFeed | None:
    if executor is None:
        return await asyncio.to_thread(_parse_or_none, fetched)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, _parse_or_none, fetched)


def _parse_or_none(fetched: FetchResult) -> ParsedFeed | None:
    """The parsed feed, or None: returned, not raised, as SourceError does not unpickle."""
    try:
        return parse_feed(fetched.content, url=fetched.url, content_type=fetched.content_type)
    except SourceError:
        return None


def _unchanged(fetched: FetchResult, kind: str) -> SourceRead:
    return SourceRead(
        url=fetched.url,
        kind=kind,
        title="",
        ttl_minutes=None,
        cache_max_age=fetched.cache_max_age,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        not_modified=True,
        items=(),
    )


async def _read_feed(
    fetcher: Fetcher,
    fetched: FetchResult,
    feed: ParsedFeed,
    known_guids: Collection[str],
    *,
    full_text: bool,
) -> SourceRead:
    entries = [entry for entry in feed.entries if entry.guid not in known_guids]
    drafts = [_entry_draft(entry) for entry in entries]
    if full_text:
        drafts = await _with_full_text(fetcher, entries, drafts)
    return SourceRead(
        url=fetched.url,
        kind="feed",
        title=feed.title,
        ttl_minutes=feed.ttl_minutes,
        cache_max_age=fetched.cache_max_age,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        not_modified=False,
        items=tuple(drafts),
    )


def _entry_draft(entry: FeedEntry) -> ArticleDraft:
    return ArticleDraft(
        url=entry.url,
        canonical_url=canonical_url(entry.url) if entry.url else None,
        guid=entry.guid,
        title=entry.title,
        text=entry.text,
        published=entry.published,
        is_full_text=not entry.is_snippet,
    )


async def _with_full_text(
    fetcher: Fetcher, entries: Sequence[FeedEntry], drafts: list[ArticleDraft]
) -> list[ArticleDraft]:
    """The drafts, each snippet's replaced by its page's full text (a task per snippet only)."""
    gate = asyncio.Semaphore(FULL_TEXT_CONCURRENCY)

    async def complete(url: str, draft: ArticleDraft) -> ArticleDraft:
        async with gate:
            return await _fetch_full_text(fetcher, url, draft)

    snippets = {
        i: (entry.url, draft)
        for i, (entry, draft) in enumerate(zip(entries, drafts, strict=True))
        if entry.is_snippet and entry.url
    }
    completed = await asyncio.gather(*(complete(url, draft) for url, draft in snippets.values()))
    found = dict(zip(snippets, completed, strict=True))
    return [found.get(i, draft) for i, draft in enumerate(drafts)]


async def _fetch_full_text(fetcher: Fetcher, url: str, draft: ArticleDraft) -> ArticleDraft:
    """The draft with its page's full text; the snippet draft if the page fails or says less."""
    try:
        fetched = await fetcher.fetch(url)
        page = await asyncio.to_thread(extract_page, fetched.content, url=fetched.url)
    except SourceError:
        return draft
    if len(page.text) <= len(draft.text):
        return draft
    return replace(
        draft,
        url=fetched.url,
        canonical_url=canonical_url(fetched.url),
        title=draft.title or page.title or "",
        text=page.text,
        published=draft.published or page.published,
        is_full_text=True,
    )


async def _read_page(fetched: FetchResult) -> SourceRead:
    page = await asyncio.to_thread(extract_page, fetched.content, url=fetched.url)
    canonical = canonical_url(fetched.url)
    draft = ArticleDraft(
        url=fetched.url,
        canonical_url=canonical,
        guid=canonical,
        title=page.title or "",
        text=page.text,
        published=page.published,
        is_full_text=True,
    )
    return SourceRead(
        url=fetched.url,
        kind="page",
        title=page.title or fetched.url,
        ttl_minutes=None,
        cache_max_age=fetched.cache_max_age,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        not_modified=False,
        items=(draft,),
    )


async def _read_folder(
    config: SourcesConfig, url: str, known_guids: Collection[str]
) -> SourceRead:
    folder = _allowed_folder(config, url)
    articles = await asyncio.to_thread(scan_folder, folder, max_bytes=config.max_bytes)
    return SourceRead(
        url=folder.as_uri(),
        kind="folder",
        title=folder.name or str(folder),
        ttl_minutes=None,
        cache_max_age=None,
        etag=None,
        last_modified=None,
        not_modified=False,
        items=tuple(_file_draft(a) for a in articles if a.url not in known_guids),
    )


def _allowed_folder(config: SourcesConfig, url: str) -> Path:
    """The folder `url` names, if it lies inside one of the folders the config allows."""
    try:
        path = Path(unquote(urlsplit(url).path)) if url.startswith("file:") else Path(url)
    except ValueError as exc:  # "Invalid IPv6 URL"
        raise SourceError(url, "invalid URL") from exc
    folder = path.expanduser().resolve()
    for allowed in config.folders:
        if folder.is_relative_to(Path(allowed).expanduser().resolve()):
            return folder
    raise BlockedAddressError(url, "local folders must be listed in [sources] folders")


def _file_draft(article: LocalArticle) -> ArticleDraft:
    return ArticleDraft(
        url=article.url,
        canonical_url=article.url,
        guid=article.url,
        title=article.title or "",
        text=article.text,
        published=article.modified,
        is_full_text=True,
    )
