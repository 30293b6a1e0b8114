"""Alembic's environment: runs migrations on a connection handed over by upgrade_schema.

Run from the `alembic` command line instead, it opens its own async engine from the config's
`sqlalchemy.url`. Batch mode is on so SQLite can alter tables. Importing this module outside
Alembic (as the layer test does for every module) does nothing.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.engine import WRITE, create_engine, dispose
from bot.store.schema import include_object_for, is_search_object, metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave SQLite's FTS5 tables, which the metadata does not describe, to the migrations."""
    del type_, parent_names
    return not is_search_object(name)


def run_migrations(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        include_name=include_name,
        include_object=include_object_for(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{WRITE: True})
            await conn.run_sync(run_migrations)
            await conn.commit()
    finally:
        await dispose(engine)


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    if context.is_offline_mode():
        raise SystemExit("newsdigest migrations run online only")
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url")
    asyncio.run(_run_with_own_engine(url))


if __name__ == "env_py":  # the name Alembic's script loader gives this file
    _main()
