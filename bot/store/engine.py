"""Opening the database: one async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite follows SQLAlchemy's documented recipe for taking over transaction control from the
driver ("Serializable isolation / Savepoints / Transactional DDL", aiosqlite variant): the driver's
own BEGIN is disabled on connect and the engine's `begin` event emits ours. Write transactions
(connections carrying the `WRITE` execution option) start with `BEGIN IMMEDIATE`, which takes the
write lock up front, so two writers queue on the busy timeout instead of one failing at its first
write with "database is locked"; read transactions use a plain (deferred) BEGIN and, with WAL,
never wait for writers.

aiosqlite runs each connection in a worker thread that hands results back to the event loop. A
connection whose task is cancelled mid-query, or mid-connect, is stopped without being awaited:
its thread goes on until the query ends, and if the event loop has closed by then, the thread dies
with "Event loop is closed". So the engine records its connections' threads as it opens them
(through the aiosqlite dialect's `async_creator_fn` parameter, the hook SQLAlchemy's own
`async_creator` uses), and `dispose` waits for them to end before it returns.

A connection closed in the middle of a statement (a task cancelled between a statement's
execution and the fetch of its rows, then the connection invalidated) would keep its write lock:
sqlite3's `close` leaves a connection with an unfinished statement open as a "zombie" until the
cursor is garbage collected, and the next writer fails with "database is locked" after the busy
timeout. So every connection is a `SQLiteConnection`, which rolls back an open transaction
before it closes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE = "newsdigest_write"
BUSY_TIMEOUT_MS = 10_000
# A closed connection's thread ends once its last query does: at most the busy timeout, plus
# the query's own time.
THREAD_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000 + 5

_worker_threads: weakref.WeakKeyDictionary[Engine, list[threading.Thread]] = (
    weakref.WeakKeyDictionary()
)


class SQLiteConnection(sqlite3.Connection):
    """A sqlite3 connection that rolls back its open transaction when it closes, unfinished
    statements or not (see the module docstring). A `factory` given in `connect_args` must
    subclass it."""

    def close(self) -> None:
        try:
            if self.in_transaction:  # ROLLBACK ends unfinished statements (SQLITE_ABORT_ROLLBACK)
                self.execute("ROLLBACK")
        except sqlite3.ProgrammingError:  # closed already: closing again does nothing
            pass
        finally:
            super().close()


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return url.startswith("sqlite")


def create_engine(url: str, *, connect_args: Mapping[str, Any] | None = None) -> AsyncEngine:
    """An async engine for `url`, with SQLite's pragmas and BEGIN control installed."""
    args = dict(connect_args or {})
    if not is_sqlite(url):
        return create_async_engine(url, connect_args=args, pool_pre_ping=True)
    factory = args.setdefault("factory", SQLiteConnection)
    if not issubclass(factory, SQLiteConnection):
        raise TypeError(f"a SQLite connection factory must subclass SQLiteConnection: {factory}")
    engine = create_async_engine(url, connect_args=args)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    threads = _worker_threads.setdefault(engine.sync_engine, [])

    def record_thread(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        del dialect, record, cargs
        cparams["async_creator_fn"] = partial(_connect_aiosqlite, threads)

    event.listen(engine.sync_engine, "do_connect", record_thread)
    return engine


async def dispose(engine: AsyncEngine) -> None:
    """Close every pooled connection; on SQLite, wait until their worker threads have ended."""
    await engine.dispose()
    threads = _worker_threads.get(engine.sync_engine, [])
    deadline = time.monotonic() + THREAD_WAIT_SECONDS
    while threads:
        thread = threads.pop()
        if thread.is_alive():
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))


def _connect_aiosqlite(threads: list[threading.Thread], *args: Any, **kwargs: Any) -> Any:
    """aiosqlite.connect, as the dialect calls it, recording the connection's worker thread."""
    connection = aiosqlite.connect(*args, **kwargs)
    thread = connection._thread  # no public handle: see the module docstring
    thread.daemon = True  # as SQLAlchemy's own connect does: never hold up interpreter exit
    threads[:] = [*(t for t in threads if t.is_alive()), thread]
    return connection


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
