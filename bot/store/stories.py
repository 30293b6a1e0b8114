"""Stories: near-duplicate articles from several sources, grouped, with who carried them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import NewArticle
from bot.store.base import StoreBase, insert_many, one_of
from bot.store.schema import articles, sources, stories, story_sources


class StoryQueries(StoreBase):
    """Reading stories for digests, and crediting sources."""

    async def add_story_source(self, article_id: int, source_id: int, *, now: datetime) -> None:
        """Record that `source_id` also carried the story of a stored article."""
        async with self.writing() as conn:
            story_id = await conn.scalar(
                select(articles.c.story_id).where(articles.c.id == article_id)
            )
            if story_id is not None:
                await _add_story_sources(conn, [(story_id, source_id)], now)

    async def story_ids_since(
        self, since: datetime | None, *, limit: int, source_ids: Sequence[int] = ()
    ) -> list[tuple[int, int, int]]:
        """(story id, lead article id, source count) of stories seen since `since`, by rank."""
        query = (
            select(stories.c.id, func.min(articles.c.id), stories.c.source_count)
            .join(articles, articles.c.story_id == stories.c.id)
            .group_by(stories.c.id, stories.c.source_count, stories.c.last_seen)
            .order_by(stories.c.source_count.desc(), stories.c.last_seen.desc(), stories.c.id)
            .limit(limit)
        )
        if source_ids:
            query = query.where(articles.c.source_id.in_(list(source_ids)))
        if since is not None:
            query = query.where(stories.c.last_seen > since)
        async with self.reading() as conn:
            return [(row[0], row[1], row[2]) for row in await conn.execute(query)]

    async def story_source_titles(self, story_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The titles of the sources that carried each story, in the order the sources were
        added to the bot (by source id)."""
        if not story_ids:
            return {}
        query = (
            select(story_sources.c.story_id, sources.c.title)
            .join(sources, sources.c.id == story_sources.c.source_id)
            .where(self.one_of(story_sources.c.story_id, set(story_ids)))
            .order_by(story_sources.c.story_id, sources.c.id)
        )
        titles: dict[int, list[str]] = {}
        async with self.reading() as conn:
            for story_id, title in await conn.execute(query):
                titles.setdefault(story_id, []).append(title)
        return {key: tuple(value) for key, value in titles.items()}


async def assign_stories(
    conn: AsyncConnection,
    items: Sequence[NewArticle],
    duplicate_of: dict[str, str],
    now: datetime,
) -> tuple[list[int], list[int]]:
    """Each article's story, before the articles are inserted: its near-duplicate's, or new.

    Returns (story id per item, ids of the stories started here). Inserting each article with
    its story, rather than updating it afterwards, writes each article row and its index
    entries once (on PostgreSQL an update rewrites the row and its full-text index entries).
    """
    stored = await _stories_of(conn, set(duplicate_of.values()))
    root: dict[str, str] = {}  # an item joining an earlier item of the batch: the first one
    for item in items:
        target = duplicate_of.get(item.canonical_url)
        root[item.canonical_url] = (
            root.get(target, item.canonical_url) if target else item.canonical_url
        )
    story_of = {
        item.canonical_url: stored[target]
        for item in items
        if (target := duplicate_of.get(root[item.canonical_url])) in stored
    }
    starting = [
        item
        for item in items
        if root[item.canonical_url] == item.canonical_url and item.canonical_url not in story_of
    ]
    new_ids = await _insert_stories(conn, starting, now)
    story_of.update(zip((item.canonical_url for item in starting), new_ids, strict=True))
    story_ids = [
        story_of.get(item.canonical_url) or story_of[root[item.canonical_url]] for item in items
    ]
    return story_ids, new_ids


async def credit_story_sources(
    conn: AsyncConnection,
    items: Sequence[NewArticle],
    story_ids: Sequence[int],
    started: Sequence[int],
    now: datetime,
) -> None:
    """Credit the sources of the inserted `items`; drop the stories started for none of them.

    A story started for an article that the insert then skipped (stored meanwhile) is empty.
    """
    pairs = [(s, item.source_id) for s, item in zip(story_ids, items, strict=True)]
    empty = set(started) - {story for story, _ in pairs}
    if empty:
        await conn.execute(delete(stories).where(stories.c.id.in_(empty)))
    sources_of: dict[int, set[int]] = {}
    for story, source in pairs:
        sources_of.setdefault(story, set()).add(source)
    # A story started here by one source was inserted with its count (1) and last_seen: only
    # the others are counted again (an update per new story was a row rewritten per article).
    settled = {story for story in started if len(sources_of.get(story, ())) == 1}
    await _add_story_sources(conn, pairs, now, recount=set(sources_of) - settled)


async def _stories_of(conn: AsyncConnection, urls: set[str]) -> dict[str, int]:
    if not urls:
        return {}
    query = select(articles.c.canonical_url, articles.c.story_id).where(
        one_of(articles.c.canonical_url, urls, conn.dialect.name), articles.c.story_id.is_not(None)
    )
    return {row[0]: row[1] for row in await conn.execute(query)}


async def _insert_stories(
    conn: AsyncConnection, items: Sequence[NewArticle], now: datetime
) -> list[int]:
    if not items:
        return []
    rows = [
        {"headline": item.headline, "source_count": 1, "first_seen": now, "last_seen": now}
        for item in items
    ]
    if conn.dialect.name == "sqlite":
        return await _insert_sqlite_stories(conn, rows)
    statement = insert(stories).returning(stories.c.id, sort_by_parameter_order=True)
    return [row[0] for row in await conn.execute(statement, rows)]


async def _insert_sqlite_stories(
    conn: AsyncConnection, rows: list[dict[str, object]]
) -> list[int]:
    """Insert stories numbered here, in one executemany; return their ids in order.

    SQLAlchemy returns SQLite's new ids in parameter order only by inserting one row per
    statement. The ids given are the ones SQLite would pick (its rowid is max(id) + 1, the table
    has no AUTOINCREMENT), and the write transaction (BEGIN IMMEDIATE) holds the database's one
    write lock, so no other writer takes them meanwhile.
    """
    last = await conn.scalar(select(func.max(stories.c.id))) or 0
    ids = list(range(last + 1, last + 1 + len(rows)))
    await conn.execute(
        insert(stories), [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
    )
    return ids


async def _add_story_sources(
    conn: AsyncConnection,
    pairs: Sequence[tuple[int, int]],
    now: datetime,
    *,
    recount: set[int] | None = None,
) -> None:
    """Record who carried which story; count the sources again of `recount` (default: all)."""
    unique = sorted(set(pairs))
    if not unique:
        return
    await insert_many(
        conn,
        story_sources,
        [{"story_id": s, "source_id": src} for s, src in unique],
        ignore_conflicts=True,
    )
    recount = {s for s, _ in unique} if recount is None else recount
    if not recount:
        return
    counted = (
        select(func.count()).where(story_sources.c.story_id == stories.c.id).scalar_subquery()
    )
    await conn.execute(
        update(stories)
        .where(one_of(stories.c.id, recount, conn.dialect.name))
        .values(source_count=counted, last_seen=now)
    )
