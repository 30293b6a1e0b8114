"""The sources table: add, list, remove, which are due, and how their last fetch went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from bot.models import Source, SourceKind
from bot.store.base import StoreBase
from bot.store.schema import articles, sources


class SourceQueries(StoreBase):
    """Sources CRUD and polling bookkeeping."""

    async def add_source(
        self,
        *,
        url: str,
        kind: SourceKind,
        title: str,
        interval_minutes: int,
        added_by: str,
        now: datetime,
        next_fetch_at: datetime | None = None,
    ) -> Source:
        """Save a new source; its first poll is due at `next_fetch_at` (default: now)."""
        values = {
            "url": url,
            "kind": kind.value,
            "title": title,
            "interval_minutes": interval_minutes,
            "added_by": added_by,
            "added_at": now,
            "next_fetch_at": next_fetch_at or now,
            "failures": 0,
            "paused": False,
        }
        async with self.writing() as conn:
            result = await conn.execute(insert(sources).values(values).returning(sources))
            return _source(result.mappings().one())

    async def get_source(self, source_id: int) -> Source | None:
        """The source with this id, or None."""
        return await self._one_source(sources.c.id == source_id)

    async def get_source_by_url(self, url: str) -> Source | None:
        """The source with this URL, or None."""
        return await self._one_source(sources.c.url == url)

    async def _one_source(self, where: Any) -> Source | None:
        async with self.reading() as conn:
            row = (await conn.execute(select(sources).where(where))).mappings().first()
        return None if row is None else _source(row)

    async def list_sources(self) -> list[Source]:
        """Every source with its article count, oldest first."""
        counts = (
            select(articles.c.source_id, func.count().label("n"))
            .group_by(articles.c.source_id)
            .subquery()
        )
        query = (
            select(sources, func.coalesce(counts.c.n, 0).label("article_count"))
            .outerjoin(counts, counts.c.source_id == sources.c.id)
            .order_by(sources.c.id)
        )
        async with self.reading() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_source(row) for row in rows]

    async def remove_source(self, source_id: int) -> bool:
        """Delete a source and its articles; False if there was none."""
        async with self.writing() as conn:
            result = await conn.execute(delete(sources).where(sources.c.id == source_id))
        return bool(result.rowcount)

    async def due_sources(self, now: datetime, limit: int | None = None) -> list[Source]:
        """Sources not paused whose next fetch time has come, most overdue first."""
        query = (
            select(sources)
            .where(sources.c.paused.is_(False), sources.c.next_fetch_at <= now)
            .order_by(sources.c.next_fetch_at, sources.c.id)
            .limit(limit)
        )
        async with self.reading() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_source(row) for row in rows]

    async def record_fetch_success(
        self,
        source_id: int,
        *,
        now: datetime,
        next_fetch_at: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
        url: str | None = None,
    ) -> None:
        """A fetch worked: clear the error, the failure streak and any pause; schedule the next.

        (A paused source is never polled: its only successful fetch is an admin's retry.)
        """
        values: dict[str, Any] = {
            "last_fetched_at": now,
            "next_fetch_at": next_fetch_at,
            "etag": etag,
            "last_modified": last_modified,
            "last_error": None,
            "failing_since": None,
            "failures": 0,
            "paused": False,
        }
        if title:
            values["title"] = title
        if url:
            values["url"] = url
        async with self.writing() as conn:
            await conn.execute(update(sources).where(sources.c.id == source_id).values(values))

    async def record_fetch_failure(
        self, source_id: int, *, now: datetime, error: str, next_fetch_at: datetime, pause: bool
    ) -> None:
        """A fetch failed: keep the error, count the streak, maybe pause the source."""
        values = {
            "last_error": error,
            "failing_since": func.coalesce(sources.c.failing_since, now),
            "failures": sources.c.failures + 1,
            "next_fetch_at": next_fetch_at,
            "paused": pause,
        }
        async with self.writing() as conn:
            await conn.execute(update(sources).where(sources.c.id == source_id).values(values))

    async def set_source_paused(self, source_id: int, paused: bool) -> None:
        """Pause or resume polling a source (resuming clears its failure streak)."""
        values: dict[str, Any] = {"paused": paused}
        if not paused:
            values.update(failures=0, failing_since=None)
        async with self.writing() as conn:
            await conn.execute(update(sources).where(sources.c.id == source_id).values(values))


def _source(row: Any) -> Source:
    return Source(
        id=row["id"],
        url=row["url"],
        kind=SourceKind(row["kind"]),
        title=row["title"],
        interval_minutes=row["interval_minutes"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_fetch_at=row["next_fetch_at"],
        last_fetched_at=row["last_fetched_at"],
        last_error=row["last_error"],
        failing_since=row["failing_since"],
        failures=row["failures"],
        paused=row["paused"],
        added_by=row["added_by"],
        added_at=row["added_at"],
        article_count=row.get("article_count", 0),
    )
