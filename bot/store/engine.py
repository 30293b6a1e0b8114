"""Opening the database: one async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite follows SQLAlchemy's documented recipe for taking over transaction control from the
driver ("Serializable isolation / Savepoints / Transactional DDL", aiosqlite variant): the driver's
own BEGIN is disabled on connect and the engine's `begin` event emits ours. Write transactions
(connections carrying the `WRITE` execution option) start with `BEGIN IMMEDIATE`, which takes the
write lock up front, so two writers queue on the busy timeout instead of one failing at its first
write with "database is locked"; read transactions use a plain (deferred) BEGIN and, with WAL,
never wait for writers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE = "newsdigest_write"
BUSY_TIMEOUT_MS = 10_000


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return url.startswith("sqlite")


def create_engine(url: str, *, connect_args: Mapping[str, Any] | None = None) -> AsyncEngine:
    """An async engine for `url`, with SQLite's pragmas and BEGIN control installed."""
    args = dict(connect_args or {})
    if not is_sqlite(url):
        return create_async_engine(url, connect_args=args, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args=args)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    dbapi_connection.isolation_level = None  # the driver emits no BEGIN: _on_sqlite_begin does
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode = WAL",
        f"busy_timeout = {BUSY_TIMEOUT_MS}",
        "foreign_keys = ON",
        "synchronous = NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
