"""The Alembic migrations build, from empty, exactly the schema the store's metadata describes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
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
async def test_postgresql_stores_search_vectors_uncompressed_and_texts_with_lz4(
    tmp_path: Path,
) -> None:
    async with database("postgresql", tmp_path) as db:
        await db.upgrade()
        async with db.store() as store, store.reading() as conn:
            rows = await conn.execute(
                text(
                    "SELECT attname, attstorage::text, attcompression::text FROM pg_attribute "
                    "WHERE attrelid = 'articles'::regclass "
                    "AND attname IN ('search_vector', 'text', 'summary')"
                )
            )
            found = {name: (storage, compression) for name, storage, compression in rows}
            methods = await conn.scalar(
                text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            )
    assert found["search_vector"][0] == "e"  # EXTERNAL: out of line, never compressed
    lz4 = "l" if "lz4" in methods else ""  # a server built without lz4 keeps its default
    assert found["text"] == found["summary"] == ("x", lz4)  # EXTENDED: compressed


_SEARCH_FUNCTIONS = text(
    "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace "
    "AND proname LIKE 'article_search%' ORDER BY proname"
)


@pytest.mark.postgres
async def test_postgresql_search_functions_come_and_go_with_their_migration(
    tmp_path: Path,
) -> None:
    async with database("postgresql", tmp_path) as db:
        await db.upgrade()
        async with db.store() as store, store.writing() as conn:
            created = (await conn.scalars(_SEARCH_FUNCTIONS)).all()
            await conn.run_sync(_downgrade, db.url, "0003")
            dropped = (await conn.scalars(_SEARCH_FUNCTIONS)).all()
        await db.upgrade()
        async with db.store() as store:
            found = await store.search_article_ids("anything", 5)
    assert created == ["article_search_choice", "article_search_ids", "article_search_plan"]
    assert dropped == []
    assert found == []


def _downgrade(connection: Connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def test_the_migrations_ship_inside_the_package() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions] == ["0005", "0004", "0003", "0002", "0001"]
    for revision in revisions:
        assert Path(revision.path).parent.parent == Path(script.dir)
    assert Path(script.dir, "script.py.mako").is_file()
