"""Articles with their digests: saving (deduplicated), grouping into stories, reading them back.

Dedup is the database's job: `articles` has UNIQUE canonical URL, UNIQUE content hash and
UNIQUE (source, feed GUID), and saving is `INSERT ... ON CONFLICT DO NOTHING`, so a race between
two pollers, or a feed whose GUIDs change on every fetch, cannot store an article twice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    func,
    select,
    text,
    type_coerce,
    union,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import RefusedByDatabase
from bot.models import Article, NewArticle, QuoteRow
from bot.store.base import StoreBase, chunks, insert_many
from bot.store.postgres_rows import insert_postgres_articles
from bot.store.schema import SEARCH_TABLE, articles, quotes, sources, story_sources
from bot.store.stories import assign_stories, credit_story_sources


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownArticle:
    """An article already stored that a new item matches (by GUID, canonical URL or hash)."""

    id: int
    source_id: int
    guid: str | None
    canonical_url: str
    content_hash: str
    story_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedArticle:
    """An article just stored, and the story it joined."""

    id: int
    canonical_url: str
    story_id: int


class ArticleQueries(StoreBase):
    """Saving and reading articles, stories and quotes."""

    async def find_known_articles(
        self,
        source_id: int,
        *,
        guids: Iterable[str],
        canonical_urls: Iterable[str],
        content_hashes: Iterable[str],
    ) -> list[KnownArticle]:
        """Stored articles matching any of these keys (GUIDs count within this source only).

        One indexed lookup per key, joined by UNION: PostgreSQL plans the OR of three IN lists
        as a scan of the whole table until statistics tell it otherwise.
        """
        columns = (
            articles.c.id,
            articles.c.source_id,
            articles.c.guid,
            articles.c.canonical_url,
            articles.c.content_hash,
            articles.c.story_id,
        )
        lookups = []
        for column, values in (
            (articles.c.canonical_url, set(canonical_urls)),
            (articles.c.content_hash, set(content_hashes)),
        ):
            if values:
                lookups.append(select(*columns).where(self.one_of(column, values)))
        guid_set = set(guids)
        if guid_set:
            lookups.append(
                select(*columns).where(
                    articles.c.source_id == source_id, self.one_of(articles.c.guid, guid_set)
                )
            )
        if not lookups:
            return []
        async with self.reading() as conn:
            rows = (await conn.execute(union(*lookups))).mappings().all()
        return [KnownArticle(**row) for row in rows]

    async def save_articles(
        self,
        items: Sequence[NewArticle],
        *,
        now: datetime,
        near_duplicate_of: Sequence[str | None] = (),
    ) -> list[SavedArticle]:
        """Store new articles with quotes and search text; each joins a story, or starts one.

        `near_duplicate_of[i]` is the canonical URL of an article that item i near-duplicates,
        stored or earlier in this batch: item i joins its story. Items that conflict with a
        stored article are skipped silently. A value the database cannot hold raises
        RefusedByDatabase, and nothing of the batch is stored.
        """
        urls = [item.canonical_url for item in items]
        duplicate_of = {
            url: target
            for url, target in zip(urls, near_duplicate_of, strict=False)
            if target and target != url
        }
        try:
            async with self.writing() as conn:
                story_ids, started = await assign_stories(conn, items, duplicate_of, now)
                ids = await self._insert_articles(conn, items, story_ids)
                fresh = _inserted(items, story_ids, ids)
                fresh_items = [item for item, _ in fresh]
                await credit_story_sources(conn, fresh_items, [s for _, s in fresh], started, now)
                await _insert_quotes(conn, fresh_items, ids)
                await self._index_for_search(conn, fresh_items, ids)
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
                raise
            raise RefusedByDatabase(str(exc.orig)) from exc
        return [
            SavedArticle(id=ids[item.canonical_url], canonical_url=item.canonical_url, story_id=s)
            for item, s in fresh
        ]

    async def _insert_articles(
        self, conn: AsyncConnection, items: Sequence[NewArticle], story_ids: Sequence[int]
    ) -> dict[str, int]:
        """Insert, skipping conflicts; on PostgreSQL the tsvector is computed in the INSERT."""
        rows = [
            _article_row(item, story_id) for item, story_id in zip(items, story_ids, strict=True)
        ]
        if self.is_postgresql:
            search = [{"quotes": i.quote_text, "speakers": i.speaker_names} for i in items]
            return await insert_postgres_articles(
                conn, [{**row, **texts} for row, texts in zip(rows, search, strict=True)]
            )
        statement = self.insert_ignoring_conflicts(articles).returning(
            articles.c.id, articles.c.canonical_url
        )
        ids: dict[str, int] = {}
        for batch in chunks(rows, 200):
            result = await conn.execute(statement, list(batch))
            ids.update((row.canonical_url, row.id) for row in result)
        return ids

    async def _index_for_search(
        self, conn: AsyncConnection, items: Sequence[NewArticle], ids: dict[str, int]
    ) -> None:
        if not items or self.is_postgresql:
            return
        rows = [
            {
                "id": ids[item.canonical_url],
                "headline": item.headline,
                "body": f"{item.standfirst}\n{item.text}",
                "quotes": item.quote_text,
                "speakers": item.speaker_names,
            }
            for item in items
        ]
        statement = text(
            f"INSERT INTO {SEARCH_TABLE} (rowid, headline, body, quotes, speakers) "
            "VALUES (:id, :headline, :body, :quotes, :speakers)"
        )
        await conn.execute(statement, rows)

    async def load_articles(self, ids: Sequence[int]) -> list[Article]:
        """The articles with these ids, in the order given, with key quotes and source title."""
        if not ids:
            return []
        async with self.reading_each_statement() as conn:
            return await _articles_by_id(conn, ids)

    async def latest_articles(
        self, n: int, *, offset: int = 0, source_id: int | None = None
    ) -> list[Article]:
        """The most recently fetched articles, newest first."""
        query = (
            _article_query(self.dialect)
            .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
            .limit(n)
            .offset(offset)
        )
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        async with self.reading_each_statement() as conn:
            return await _articles(conn, query)

    async def search_article_ids(self, query: str, n: int) -> list[int]:
        """Ids of the articles matching every word of `query`, best first.

        Relevance ranks the newest SEARCH_WINDOW matches only: ranking every match of a common
        word would cost time in proportion to the whole archive, and news readers want recent
        articles first anyway.
        """
        async with self.reading_each_statement() as conn:
            return await self._search(conn, query, n)

    async def search_articles(self, query: str, n: int) -> list[Article]:
        """The articles that best match `query`, best first."""
        async with self.reading_each_statement() as conn:
            return await _articles_by_id(conn, await self._search(conn, query, n))

    async def _search(self, conn: AsyncConnection, query: str, n: int) -> list[int]:
        """The best `n` of the newest SEARCH_WINDOW matches of every word of `query`.

        On PostgreSQL the server chooses the way to search and runs it, in one statement
        (article_search_ids, migration 0004). It finds the newest matches either by walking the
        primary key down and testing each row's search vector until it has SEARCH_WINDOW (fast
        for common words), or from the GIN index, which gives every match, each then fetched from
        the table to sort them by id (fast for rare words). The planner prices the first too low,
        as it does not count reading vectors from TOAST: on 100,000 real articles, two words
        found together in one article of 56 took 52 ms that way, and 6 ms from the index. Its
        estimate of the number of matches is good enough to choose (FILTER_COST, POSTING_COST),
        and the other way is switched off, with the scan of the whole table (which it preferred
        to the index on 10,000 articles: 168 ms instead of 6).

        From the index, fetching the matches costs most for words in one article of 10 to 50
        (thousands of matches, 10-15 ms), so the search first looks only above an id floor
        (FIRST_SPAN_WINDOWS, FIRST_SPAN_SHARE): the index's matches are then intersected with
        the newest ids' range of the primary key before any row is fetched, and only if that
        range holds fewer than SEARCH_WINDOW matches is the search run again over every id.
        Measured on 100,000 real articles, 300 two-word queries (warm, each the median of three
        runs): p95 23 ms before the floor, 14-16 after.
        """
        words = _search_words(query)
        if not words:
            return []
        if self.is_postgresql:
            found = await conn.execute(_POSTGRES_SEARCH, {"q": " ".join(words), "n": n, **_COSTS})
            return list(found.scalar_one())
        q = " ".join(f'"{w}"' for w in words)
        result = await conn.execute(_SQLITE_SEARCH, {"q": q, "n": n, "window": SEARCH_WINDOW})
        return [row[0] for row in result]

    async def quotes_of(
        self, article_ids: Sequence[int], *, key_only: bool = False
    ) -> dict[int, tuple[QuoteRow, ...]]:
        """Quotes of these articles, by article id, in article order."""
        async with self.reading() as conn:
            return await _article_quotes(conn, list(article_ids), key_only=key_only)

    async def latest_key_quote_article_ids(self, n: int) -> list[int]:
        """Ids of the newest articles that have a key quote with a speaker."""
        query = (
            select(quotes.c.article_id)
            .where(quotes.c.is_key.is_(True), quotes.c.speaker.is_not(None))
            .group_by(quotes.c.article_id)
            .order_by(quotes.c.article_id.desc())
            .limit(n)
        )
        async with self.reading() as conn:
            return list((await conn.scalars(query)).all())

    async def recent_guids(self, source_id: int, limit: int = 2000) -> set[str]:
        """Feed GUIDs of the source's newest articles (to skip known entries early)."""
        query = (
            select(articles.c.guid)
            .where(articles.c.source_id == source_id, articles.c.guid.is_not(None))
            .order_by(articles.c.id.desc())
            .limit(limit)
        )
        async with self.reading() as conn:
            return {guid for guid in (await conn.scalars(query)).all() if guid}

    async def canonical_urls_fetched(self, since: datetime, until: datetime) -> list[str]:
        """Canonical URLs of the articles fetched in [since, until)."""
        query = select(articles.c.canonical_url).where(
            articles.c.fetched_at >= since, articles.c.fetched_at < until
        )
        async with self.reading() as conn:
            return list((await conn.scalars(query)).all())

    async def recent_signatures(self, since: datetime) -> list[tuple[str, bytes]]:
        """(canonical URL, near-duplicate signature) of articles fetched since `since`."""
        query = (
            select(articles.c.canonical_url, articles.c.signature)
            .where(articles.c.fetched_at >= since, articles.c.signature.is_not(None))
            .order_by(articles.c.id)
        )
        async with self.reading() as conn:
            return [(row[0], row[1]) for row in await conn.execute(query)]


SEARCH_WINDOW = 200
FILTER_COST = 2.5
"""What testing one row's search vector costs, in fetches of one matching row from the index: the
vector (a few kilobytes) is read from TOAST, which the planner does not count. Measured on
100,000 real articles: 4.7-7 microseconds a row tested, 1.7-3.1 a match fetched."""
POSTING_COST = 0.1
"""What reading one match's entry from the GIN index's posting lists costs, in fetches (0.13-0.17
microseconds a posting, measured as above)."""
FIRST_SPAN_WINDOWS = 3
"""The newest ids searched first are expected to hold this many windows of matches."""
FIRST_SPAN_SHARE = 1 / 8
"""And they are at most this share of the ids: the estimate of the matches of several words
assumes the words independent, and can be 40 times too low for words found together (a name)."""
_COSTS = {
    "search_window": SEARCH_WINDOW,
    "filter_cost": FILTER_COST,
    "posting_cost": POSTING_COST,
    "span_windows": FIRST_SPAN_WINDOWS,
    "span_share": FIRST_SPAN_SHARE,
}
_POSTGRES_SEARCH = text(
    "SELECT article_search_ids(:q, :n, :search_window, :filter_cost, :posting_cost, "
    ":span_windows, :span_share)"
)
_SQLITE_SEARCH = text(
    f"SELECT rowid FROM (SELECT rowid, rank FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q "
    "ORDER BY rowid DESC LIMIT :window) ORDER BY rank, rowid DESC LIMIT :n"
)
_ARTICLE_COLUMNS = (
    articles.c.id,
    articles.c.source_id,
    articles.c.url,
    articles.c.canonical_url,
    articles.c.guid,
    articles.c.headline,
    articles.c.standfirst,
    articles.c.summary,
    articles.c.published,
    articles.c.fetched_at,
    articles.c.story_id,
    articles.c.content_hash,
)


@functools.cache
def _article_query(dialect: str) -> Select[Any]:
    """The articles' columns with their source's title, their key quotes and the sources that
    carried their story: one statement (three had cost PostgreSQL's `latest` and searches two
    round trips more). The quotes and the sources come as JSON arrays of [position, text,
    speaker, speaker mention, cue] and [source id, title], ordered when read (SQLite before
    3.44 cannot order within an aggregate).

    Made once per dialect (a select is immutable: `where` and `order_by` make new ones); making
    it took longer than PostgreSQL took to run it."""
    if dialect == "postgresql":
        json_array, json_group = func.json_build_array, func.json_agg
    else:
        json_array, json_group = func.json_array, func.json_group_array
    key_quotes = (
        select(
            json_group(
                json_array(
                    quotes.c.position,
                    quotes.c.text,
                    quotes.c.speaker,
                    quotes.c.speaker_mention,
                    quotes.c.cue,
                )
            )
        )
        .where(quotes.c.article_id == articles.c.id, quotes.c.is_key.is_(True))
        .scalar_subquery()
    )
    carrier = sources.alias("carrier")
    story_carriers = (
        select(json_group(json_array(carrier.c.id, carrier.c.title)))
        .select_from(story_sources.join(carrier, carrier.c.id == story_sources.c.source_id))
        .where(story_sources.c.story_id == articles.c.story_id)
        .scalar_subquery()
    )
    return select(
        *_ARTICLE_COLUMNS,
        sources.c.title.label("source_title"),
        _json(key_quotes).label("key_quotes"),
        _json(story_carriers).label("story_sources"),
    ).join(sources, sources.c.id == articles.c.source_id)


def _json(value: Any) -> ColumnElement[Any]:
    return type_coerce(value, JSON)


async def _articles(conn: AsyncConnection, query: Select[Any]) -> list[Article]:
    """The articles `query` (an _article_query) selects."""
    return [_article(row) for row in (await conn.execute(query)).mappings()]


async def _articles_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Article]:
    if not ids:
        return []
    query = _article_query(conn.dialect.name).where(articles.c.id.in_(list(ids)))
    by_id = {article.id: article for article in await _articles(conn, query)}
    return [by_id[i] for i in ids if i in by_id]


def _inserted(
    items: Sequence[NewArticle], story_ids: Sequence[int], ids: dict[str, int]
) -> list[tuple[NewArticle, int]]:
    """The items the insert stored, with their stories: of copies in one batch, the first."""
    stored: dict[str, tuple[NewArticle, int]] = {}
    for item, story in zip(items, story_ids, strict=True):
        if item.canonical_url in ids:
            stored.setdefault(item.canonical_url, (item, story))
    return list(stored.values())


def _article_row(item: NewArticle, story_id: int) -> dict[str, Any]:
    return {
        "source_id": item.source_id,
        "story_id": story_id,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "guid": item.guid,
        "headline": item.headline,
        "standfirst": item.standfirst,
        "text": item.text,
        "summary": list(item.summary),
        "published": item.published,
        "fetched_at": item.fetched_at,
        "content_hash": item.content_hash,
        "signature": item.signature,
    }


async def _insert_quotes(
    conn: AsyncConnection, items: Sequence[NewArticle], ids: dict[str, int]
) -> None:
    rows = [
        {
            "article_id": ids[item.canonical_url],
            "position": position,
            "text": quote.text,
            "speaker": quote.speaker,
            "speaker_mention": quote.speaker_mention,
            "cue": quote.cue,
            "is_key": quote.is_key,
        }
        for item in items
        for position, quote in enumerate(item.quotes)
    ]
    await insert_many(conn, quotes, rows)


async def _article_quotes(
    conn: AsyncConnection, article_ids: list[int], *, key_only: bool
) -> dict[int, tuple[QuoteRow, ...]]:
    if not article_ids:
        return {}
    query = (
        select(quotes)
        .where(quotes.c.article_id.in_(article_ids))
        .order_by(quotes.c.article_id, quotes.c.position)
    )
    if key_only:
        query = query.where(quotes.c.is_key.is_(True))
    found: dict[int, list[QuoteRow]] = {}
    for row in (await conn.execute(query)).mappings():
        found.setdefault(row["article_id"], []).append(
            QuoteRow(
                text=row["text"],
                speaker=row["speaker"],
                speaker_mention=row["speaker_mention"],
                cue=row["cue"],
                is_key=row["is_key"],
            )
        )
    return {key: tuple(value) for key, value in found.items()}


def _article(row: Any) -> Article:
    key_quotes = sorted(row["key_quotes"] or (), key=lambda quote: int(quote[0]))
    carriers = sorted(row["story_sources"] or (), key=lambda carrier: int(carrier[0]))
    return Article(
        id=row["id"],
        source_id=row["source_id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        guid=row["guid"],
        headline=row["headline"],
        standfirst=row["standfirst"],
        summary=tuple(row["summary"]),
        key_quotes=tuple(
            QuoteRow(text=said, speaker=speaker, speaker_mention=mention, cue=cue, is_key=True)
            for _, said, speaker, mention, cue in key_quotes
        ),
        published=row["published"],
        fetched_at=row["fetched_at"],
        story_id=row["story_id"],
        content_hash=row["content_hash"],
        source_title=row["source_title"],
        story_sources=tuple(title for _, title in carriers),
    )


def _search_words(query: str) -> list[str]:
    """The query's words, stripped of search syntax (FTS5 and tsquery operators), each once: a
    word repeated finds the same articles, and PostgreSQL's planner, taking the two for
    independent words, would expect it to find far fewer (its square)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "'’-" else " " for ch in query)
    words = [w.strip("'’-") for w in cleaned.split() if w.strip("'’-")]
    unique: dict[str, str] = {}
    for word in words:
        unique.setdefault(word.casefold(), word)
    return list(unique.values())[:12]
