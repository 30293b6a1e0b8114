"""The Alembic migrations build, from empty, exactly the schema the store's metadata describes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.migrations import alembic_config
from bot.migrations.env import include_name
from bot.store.schema import include_object_for, metadata
from tests.stores import BACKENDS, database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_name": include_name,
            "include_object": include_object_for(connection.dialect.name),
        },
    )
    return list(compare_metadata(context, metadata))


def _state(connection: Connection) -> tuple[str | None, set[str]]:
    revision = MigrationContext.configure(connection).get_current_revision()
    return revision, set(inspect(connection).get_table_names())


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrade_from_empty_matches_the_metadata(backend: str, tmp_path: Path) -> None:
    async with database(backend, tmp_path) as db:
        await db.upgrade()
        await db.upgrade()  # a second start-up finds nothing to do
        async with db.store() as store, store.reading() as conn:
            assert await conn.run_sync(_differences) == []
            revision, tables = await conn.run_sync(_state)
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision == head
    assert {"articles", "deliveries", "subscriptions"} <= tables
    if backend == "sqlite":
        assert "article_search" in tables


@pytest.mark.postgres
async def test_postgresql_keeps_search_vectors_uncompressed(tmp_path: Path) -> None:
    async with database("postgresql", tmp_path) as db:
        await db.upgrade()
        async with db.store() as store, store.reading() as conn:
            storage = await conn.scalar(
                text(
                    "SELECT attstorage FROM pg_attribute "
                    "WHERE attrelid = 'articles'::regclass AND attname = 'search_vector'"
                )
            )
    assert storage in ("e", b"e")  # a "char", which asyncpg returns as bytes


def test_the_migrations_ship_inside_the_package() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions] == ["0002", "0001"]
    for revision in revisions:
        assert Path(revision.path).parent.parent == Path(script.dir)
    assert Path(script.dir, "script.py.mako").is_file()
