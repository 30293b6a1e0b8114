"""The Store: SQLAlchemy Core (async, no ORM) over aiosqlite by default, asyncpg for PostgreSQL.

`async with open_store(url) as store:` opens the engine (the schema is upgraded separately, by
`bot.migrations.upgrade_schema`). The Store's methods are grouped by what they own: sources,
articles and stories, chats and subscriptions, and the delivery ledger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from bot.models import DeliveryStatus, Stats
from bot.store import schema
from bot.store.articles import ArticleQueries, KnownArticle, SavedArticle
from bot.store.chats import ChatQueries
from bot.store.engine import create_engine
from bot.store.ledger import DeliveryLedger
from bot.store.sources import SourceQueries
from bot.store.stories import StoryQueries

__all__ = ["KnownArticle", "SavedArticle", "Store", "open_store"]


class Store(SourceQueries, ArticleQueries, StoryQueries, ChatQueries, DeliveryLedger):
    """Everything newsdigest keeps, behind one object."""

    async def stats(self) -> Stats:
        """Counts of sources, articles, stories, chats, subscriptions and deliveries."""
        count = func.count()
        sources, articles, deliveries = schema.sources, schema.articles, schema.deliveries
        queries = {
            "sources": select(count).select_from(sources),
            "paused_sources": select(count).where(sources.c.paused.is_(True)),
            "failing_sources": select(count).where(sources.c.last_error.is_not(None)),
            "articles": select(count).select_from(articles),
            "stories": select(count).select_from(schema.stories),
            "chats": select(count).select_from(schema.chats),
            "subscriptions": select(count).select_from(schema.subscriptions),
        }
        for name, statuses in (
            ("deliveries_sent", [DeliveryStatus.SENT]),
            ("deliveries_failed", [DeliveryStatus.FAILED]),
            ("deliveries_pending", [DeliveryStatus.PENDING]),
            ("deliveries_in_flight", [DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]),
            ("deliveries_unknown", [DeliveryStatus.UNKNOWN]),
            ("deliveries_skipped", [DeliveryStatus.SKIPPED]),
        ):
            queries[name] = select(count).where(deliveries.c.status.in_(statuses))
        async with self.reading() as conn:
            values = {name: int(await conn.scalar(q) or 0) for name, q in queries.items()}
        return Stats(**values)


@asynccontextmanager
async def open_store(
    url: str, *, connect_args: Mapping[str, Any] | None = None
) -> AsyncIterator[Store]:
    """Open the database at `url` for the duration of the block."""
    store = Store(create_engine(url, connect_args=connect_args))
    try:
        yield store
    finally:
        await store.close()
