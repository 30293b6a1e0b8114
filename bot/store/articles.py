"""Articles with their digests: saving (deduplicated), grouping into stories, reading them back.

Dedup is the database's job: `articles` has UNIQUE canonical URL, UNIQUE content hash and
UNIQUE (source, feed GUID), and saving is `INSERT ... ON CONFLICT DO NOTHING`, so a race between
two pollers, or a feed whose GUIDs change on every fetch, cannot store an article twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Article, NewArticle, QuoteRow
from bot.store.base import StoreBase, chunks, insert_ignoring_conflicts
from bot.store.schema import SEARCH_TABLE, articles, quotes, sources, stories, story_sources


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
        """Stored articles matching any of these keys (GUIDs count within this source only)."""
        conditions: list[ColumnElement[bool]] = []
        for column, values in (
            (articles.c.canonical_url, set(canonical_urls)),
            (articles.c.content_hash, set(content_hashes)),
        ):
            if values:
                conditions.append(column.in_(values))
        guid_set = set(guids)
        if guid_set:
            conditions.append((articles.c.source_id == source_id) & articles.c.guid.in_(guid_set))
        if not conditions:
            return []
        query = select(
            articles.c.id,
            articles.c.source_id,
            articles.c.guid,
            articles.c.canonical_url,
            articles.c.content_hash,
            articles.c.story_id,
        ).where(or_(*conditions))
        async with self.reading() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [KnownArticle(**row) for row in rows]

    async def save_articles(
        self,
        items: Sequence[NewArticle],
        *,
        now: datetime,
        join_story: Sequence[int | None] = (),
        join_earlier: Sequence[int | None] = (),
    ) -> list[SavedArticle]:
        """Store new articles with quotes and search text; each joins a story, or starts one.

        `join_story[i]` is the id of a stored article that item i near-duplicates (its story
        is joined); `join_earlier[i]` the position of an earlier item of this batch that it
        near-duplicates. Items that conflict with a stored article are skipped silently.
        """
        urls = [item.canonical_url for item in items]
        joins = dict(zip(urls, join_story, strict=False))
        earlier = {
            urls[i]: urls[j]
            for i, j in enumerate(join_earlier)
            if j is not None and j < i and urls[j] != urls[i]
        }
        async with self.writing() as conn:
            ids = await self._insert_articles(conn, items)
            fresh = [item for item in items if item.canonical_url in ids]
            await _insert_quotes(conn, fresh, ids)
            await self._index_for_search(conn, fresh, ids)
            story_ids = await _group_into_stories(conn, fresh, ids, joins, earlier, now)
        return [
            SavedArticle(id=ids[item.canonical_url], canonical_url=item.canonical_url, story_id=s)
            for item, s in zip(fresh, story_ids, strict=True)
        ]

    async def _insert_articles(
        self, conn: AsyncConnection, items: Sequence[NewArticle]
    ) -> dict[str, int]:
        rows = [_article_row(item) for item in items]
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
        if not items:
            return
        rows = [_search_row(item, ids[item.canonical_url]) for item in items]
        if self.is_postgresql:
            statement = text(
                "UPDATE articles SET search_vector = "
                "setweight(to_tsvector('english', :headline), 'A') || "
                "setweight(to_tsvector('simple', :speakers), 'B') || "
                "setweight(to_tsvector('english', :quotes), 'C') || "
                "to_tsvector('english', :body) WHERE id = :id"
            )
        else:
            statement = text(
                f"INSERT INTO {SEARCH_TABLE} (rowid, headline, body, quotes, speakers) "
                "VALUES (:id, :headline, :body, :quotes, :speakers)"
            )
        await conn.execute(statement, rows)

    async def add_story_source(self, article_id: int, source_id: int, *, now: datetime) -> None:
        """Record that `source_id` also carried the story of a stored article."""
        async with self.writing() as conn:
            story_id = await conn.scalar(
                select(articles.c.story_id).where(articles.c.id == article_id)
            )
            if story_id is not None:
                await _add_story_sources(conn, [(story_id, source_id)], now)

    async def load_articles(self, ids: Sequence[int]) -> list[Article]:
        """The articles with these ids, in the order given, with key quotes and source title."""
        if not ids:
            return []
        query = (
            select(*_ARTICLE_COLUMNS, sources.c.title.label("source_title"))
            .join(sources, sources.c.id == articles.c.source_id)
            .where(articles.c.id.in_(list(ids)))
        )
        async with self.reading() as conn:
            rows = (await conn.execute(query)).mappings().all()
            key_quotes = await _key_quotes(conn, list(ids))
        by_id = {row["id"]: _article(row, key_quotes.get(row["id"], ())) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def latest_article_ids(
        self, n: int, *, offset: int = 0, source_id: int | None = None
    ) -> list[int]:
        """Ids of the most recently fetched articles, newest first."""
        query = select(articles.c.id).order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        async with self.reading() as conn:
            return list((await conn.scalars(query.limit(n).offset(offset))).all())

    async def latest_articles(
        self, n: int, *, offset: int = 0, source_id: int | None = None
    ) -> list[Article]:
        """The most recently fetched articles, newest first."""
        ids = await self.latest_article_ids(n, offset=offset, source_id=source_id)
        return await self.load_articles(ids)

    async def search_article_ids(
        self, query: str, n: int, *, column: str | None = None
    ) -> list[int]:
        """Ids of the articles that best match the words of `query` (all of them)."""
        words = _search_words(query)
        if not words:
            return []
        async with self.reading() as conn:
            if self.is_postgresql:
                statement = text(
                    "SELECT id FROM articles, plainto_tsquery('english', :q) AS q "
                    "WHERE search_vector @@ q "
                    "ORDER BY ts_rank(search_vector, q) DESC, id DESC LIMIT :n"
                )
                result = await conn.execute(statement, {"q": " ".join(words), "n": n})
            else:
                match = " ".join(f'"{w}"' for w in words)
                if column:
                    match = f"{column}: ({match})"
                statement = text(
                    f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q "
                    "ORDER BY rank LIMIT :n"
                )
                result = await conn.execute(statement, {"q": match, "n": n})
            return [row[0] for row in result]

    async def search_articles(self, query: str, n: int) -> list[Article]:
        """The articles that best match `query`, best first."""
        return await self.load_articles(await self.search_article_ids(query, n))

    async def quotes_of(
        self, article_ids: Sequence[int], *, key_only: bool = False
    ) -> dict[int, tuple[QuoteRow, ...]]:
        """Quotes of these articles, by article id, in article order."""
        async with self.reading() as conn:
            return await _key_quotes(conn, list(article_ids), key_only=key_only)

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

    async def story_ids_since(
        self, since: datetime | None, *, limit: int, source_ids: Sequence[int] = ()
    ) -> list[tuple[int, int, int]]:
        """(story id, lead article id, source count) of stories seen since `since`, by rank."""
        lead = select(
            articles.c.story_id.label("story_id"), func.min(articles.c.id).label("article_id")
        ).group_by(articles.c.story_id)
        if source_ids:
            lead = lead.where(articles.c.source_id.in_(list(source_ids)))
        leads = lead.subquery()
        query = (
            select(stories.c.id, leads.c.article_id, stories.c.source_count)
            .join(leads, leads.c.story_id == stories.c.id)
            .order_by(stories.c.source_count.desc(), stories.c.last_seen.desc(), stories.c.id)
            .limit(limit)
        )
        if since is not None:
            query = query.where(stories.c.last_seen > since)
        async with self.reading() as conn:
            return [(row[0], row[1], row[2]) for row in await conn.execute(query)]

    async def story_source_titles(self, story_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The titles of the sources that carried each story."""
        query = (
            select(story_sources.c.story_id, sources.c.title)
            .join(sources, sources.c.id == story_sources.c.source_id)
            .where(story_sources.c.story_id.in_(list(story_ids)))
            .order_by(story_sources.c.story_id, sources.c.id)
        )
        titles: dict[int, list[str]] = {}
        async with self.reading() as conn:
            for story_id, title in await conn.execute(query):
                titles.setdefault(story_id, []).append(title)
        return {key: tuple(value) for key, value in titles.items()}

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

    async def recent_signatures(self, since: datetime) -> list[tuple[int, bytes]]:
        """(article id, near-duplicate signature) of articles fetched since `since`."""
        query = (
            select(articles.c.id, articles.c.signature)
            .where(articles.c.fetched_at >= since, articles.c.signature.is_not(None))
            .order_by(articles.c.id)
        )
        async with self.reading() as conn:
            return [(row[0], row[1]) for row in await conn.execute(query)]


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


def _article_row(item: NewArticle) -> dict[str, Any]:
    return {
        "source_id": item.source_id,
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


def _search_row(item: NewArticle, article_id: int) -> dict[str, Any]:
    return {
        "id": article_id,
        "headline": item.headline,
        "body": f"{item.standfirst}\n{item.text}",
        "quotes": "\n".join(q.text for q in item.quotes),
        "speakers": "\n".join(sorted({q.speaker for q in item.quotes if q.speaker})),
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
    for batch in chunks(rows):
        await conn.execute(insert(quotes), list(batch))


async def _group_into_stories(
    conn: AsyncConnection,
    items: Sequence[NewArticle],
    ids: dict[str, int],
    joins: dict[str, int | None],
    earlier: dict[str, str],
    now: datetime,
) -> list[int]:
    joined = [j for j in joins.values() if j is not None]
    stored: dict[int, int] = {}
    if joined:
        query = select(articles.c.id, articles.c.story_id).where(articles.c.id.in_(joined))
        stored = {row[0]: row[1] for row in await conn.execute(query) if row[1]}
    story_of: dict[str, int] = {}
    for item in items:
        if (story_id := stored.get(joins.get(item.canonical_url) or 0)) is not None:
            story_of[item.canonical_url] = story_id
    starting = [
        item
        for item in items
        if item.canonical_url not in story_of and earlier.get(item.canonical_url) not in ids
    ]
    new_ids = await _insert_stories(conn, starting, now)
    story_of.update(zip((item.canonical_url for item in starting), new_ids, strict=True))
    for item in items:  # an item joining an earlier item of the batch: that story is known
        if item.canonical_url not in story_of:
            story_of[item.canonical_url] = story_of[earlier[item.canonical_url]]
    story_ids = [story_of[item.canonical_url] for item in items]
    await _set_article_stories(conn, [ids[i.canonical_url] for i in items], story_ids)
    pairs = [(s, item.source_id) for s, item in zip(story_ids, items, strict=True)]
    await _add_story_sources(conn, pairs, now)
    return story_ids


async def _insert_stories(
    conn: AsyncConnection, items: Sequence[NewArticle], now: datetime
) -> list[int]:
    if not items:
        return []
    rows = [
        {"headline": item.headline, "source_count": 0, "first_seen": now, "last_seen": now}
        for item in items
    ]
    statement = insert(stories).returning(stories.c.id, sort_by_parameter_order=True)
    return [row[0] for row in await conn.execute(statement, rows)]


async def _set_article_stories(
    conn: AsyncConnection, article_ids: Sequence[int], story_ids: Sequence[int]
) -> None:
    rows = [{"a": a, "s": s} for a, s in zip(article_ids, story_ids, strict=True)]
    if rows:
        await conn.execute(text("UPDATE articles SET story_id = :s WHERE id = :a"), rows)


async def _add_story_sources(
    conn: AsyncConnection, pairs: Sequence[tuple[int, int]], now: datetime
) -> None:
    unique = sorted(set(pairs))
    if not unique:
        return
    await conn.execute(
        insert_ignoring_conflicts(story_sources, conn.dialect.name),
        [{"story_id": s, "source_id": src} for s, src in unique],
    )
    counted = (
        select(func.count()).where(story_sources.c.story_id == stories.c.id).scalar_subquery()
    )
    await conn.execute(
        update(stories)
        .where(stories.c.id.in_({s for s, _ in unique}))
        .values(source_count=counted, last_seen=now)
    )


async def _key_quotes(
    conn: AsyncConnection, article_ids: list[int], *, key_only: bool = True
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


def _article(row: Any, key_quotes: tuple[QuoteRow, ...]) -> Article:
    return Article(
        id=row["id"],
        source_id=row["source_id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        guid=row["guid"],
        headline=row["headline"],
        standfirst=row["standfirst"],
        summary=tuple(row["summary"]),
        key_quotes=key_quotes,
        published=row["published"],
        fetched_at=row["fetched_at"],
        story_id=row["story_id"],
        content_hash=row["content_hash"],
        source_title=row.get("source_title", ""),
    )


def _search_words(query: str) -> list[str]:
    """The query's words, stripped of search syntax (FTS5 and tsquery operators)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "'’-" else " " for ch in query)
    return [w.strip("'’-") for w in cleaned.split() if w.strip("'’-")][:12]
