"""What every part of the Store shares: the engine, transactions, dialect switches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert

from bot.store.engine import WRITE, dispose
from bot.store.postgres_rows import BATCH, as_arrays, unnest_insert

T = TypeVar("T")


class StoreBase:
    """The engine, and transactions over it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @property
    def is_postgresql(self) -> bool:
        """True on PostgreSQL, False on SQLite."""
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction (plain BEGIN)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def reading_each_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose statements each read on their own: on PostgreSQL with no BEGIN and
        COMMIT (autocommit), two round trips less (0.3-0.5 ms of `latest`'s 1.6-1.8 in the store
        at 100,000 articles); on SQLite a read transaction, which costs no round trip.

        For reads that are one statement, or whose statements need not see one snapshot (the
        ids a search found, then those articles: one deleted in between is left out).
        """
        if not self.is_postgresql:
            async with self.reading() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE), committed when the block ends."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{WRITE: True})
            async with conn.begin():
                yield conn

    def one_of(self, column: ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
        """`column IN values`, as `one_of` renders it for this backend."""
        return one_of(column, values, self.dialect)

    def insert_ignoring_conflicts(self, table: Table) -> Insert:
        """`INSERT ... ON CONFLICT DO NOTHING` for this backend, over any unique constraint."""
        return insert_ignoring_conflicts(table, self.dialect)

    async def close(self) -> None:
        """Close every pooled connection (and, on SQLite, wait for their threads to end)."""
        await dispose(self.engine)


def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` for `dialect`, over any unique constraint."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def insert_many(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert rows (mappings with the same keys), optionally skipping conflicting ones.

    On PostgreSQL a statement of unnested column arrays per batch (bot/store/postgres_rows.py);
    elsewhere an executemany per batch. Give every column: Python-side defaults (Column
    default=) are not applied on PostgreSQL.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = tuple(rows[0])
        unnested = unnest_insert(conn.dialect, table, columns, ignore_conflicts=ignore_conflicts)
        for batch in chunks(rows, BATCH):
            await conn.execute(unnested, as_arrays(conn.dialect, table, batch, columns))
        return
    statement = (
        insert_ignoring_conflicts(table, conn.dialect.name) if ignore_conflicts else insert(table)
    )
    for batch in chunks(rows):
        await conn.execute(statement, list(batch))


def chunks(rows: Sequence[T], size: int = 500) -> list[Sequence[T]]:
    """Split rows (or ids) into batches small enough for one statement's bound parameters."""
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def one_of(
    column: ColumnElement[Any], values: Collection[Any], dialect: str
) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one parameter however many values.

    An IN list is rendered, sent, parsed and planned again for each length (thousands of IN
    parameters took the planner most of its CPU); the array keeps one statement text, which
    asyncpg prepares once.
    """
    if dialect == "postgresql":
        array = postgresql.ARRAY(column.type)
        return column == any_(bindparam(None, list(values), type_=array))
    return column.in_(list(values))
