"""Test databases: a SQLite file in tmp_path, or a fresh PostgreSQL schema per test.

PostgreSQL comes from NEWSDIGEST_TEST_POSTGRES_URL (default: the local server's `test` database).
When it is unreachable the PostgreSQL cases are skipped, unless CI is set: then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Config
from bot.ingest import Fetcher
from bot.migrations import upgrade_schema
from bot.service import NewsService
from bot.store import Store, open_store
from tests.feedserver import FeedServer

POSTGRES_URL = os.environ.get(
    "NEWSDIGEST_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@dataclass(frozen=True, slots=True)
class Database:
    """Where a test's database is, and how to connect to it."""

    backend: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        """An open store on this database."""
        async with open_store(self.url, connect_args=self.connect_args) as store:
            yield store

    async def upgrade(self) -> None:
        """Bring the schema to head."""
        await upgrade_schema(self.url, connect_args=self.connect_args)


@asynccontextmanager
async def database(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database (no schema yet) for one test."""
    if backend == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'news.db'}")
        return
    async with scratch_postgres("SCHEMA") as schema:
        yield Database("postgresql", POSTGRES_URL, {"server_settings": {"search_path": schema}})


@asynccontextmanager
async def scratch_postgres(kind: str) -> AsyncIterator[str]:
    """A throwaway PostgreSQL SCHEMA or DATABASE, dropped afterwards; yields its name.

    Skips the test when the server is unreachable, unless CI is set: then it fails.
    """
    name = f"t_{uuid.uuid4().hex[:12]}"
    drop = (
        f"DROP SCHEMA {name} CASCADE" if kind == "SCHEMA" else f"DROP DATABASE {name} WITH (FORCE)"
    )
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f"CREATE {kind} {name}"))
    except OSError as exc:
        await admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(drop))
        await admin.dispose()


@asynccontextmanager
async def migrated_store(backend: str, tmp_path: Path) -> AsyncIterator[Store]:
    """A store on a fresh, migrated database."""
    async with database(backend, tmp_path) as db:
        await db.upgrade()
        async with db.store() as store:
            yield store


@asynccontextmanager
async def service_with_feed(
    tmp_path: Path, config: Config, rss: str
) -> AsyncIterator[NewsService]:
    """The real service on a fresh SQLite store, with one feed served from 127.0.0.1 added."""
    async with (
        FeedServer() as feeds,
        migrated_store("sqlite", tmp_path) as store,
        Fetcher(config.sources) as fetcher,
    ):
        feeds.add("/feed.xml", rss, content_type="application/rss+xml")
        service = NewsService(store, config, fetcher)
        await service.add_source(feeds.url("/feed.xml"), "admin")
        yield service
