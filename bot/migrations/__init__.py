"""Alembic migrations, shipped inside the package, and the functions that run them.

`upgrade_schema(url)` brings a database to the newest schema; a single process calls it at
start-up, and `newsdigest migrate` (through `migrate(config)`) runs it as a separate deployment
step when several processes share one PostgreSQL database. Alembic runs on the store's own async
engine (the "connection sharing" recipe for asyncio), so SQLite gets the same pragmas and
transactional DDL as the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection

from bot.config import Config
from bot.store.engine import WRITE, create_engine, dispose

SCRIPT_LOCATION = "bot:migrations"


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config for `url` that finds the migrations inside the package."""
    config = AlembicConfig()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_schema(url: str, *, connect_args: Mapping[str, Any] | None = None) -> None:
    """Upgrade the database at `url` to the newest schema (creating it when empty)."""
    engine = create_engine(url, connect_args=connect_args)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{WRITE: True})
            await conn.run_sync(_upgrade, alembic_config(url))
            await conn.commit()
    finally:
        await dispose(engine)


def _upgrade(connection: Connection, config: AlembicConfig) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(config: Config) -> None:
    """`newsdigest migrate`: upgrade the configured database."""
    await upgrade_schema(config.database.url)
