"""What every part of the Store shares: the engine, transactions, dialect switches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import BigInteger, ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert

from bot.store.engine import WRITE

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
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE), committed when the block ends."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{WRITE: True})
            async with conn.begin():
                yield conn

    def one_of(self, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
        """`column IN ids`; on PostgreSQL `column = ANY(array)`, one parameter however many ids
        (rendering thousands of IN parameters took the planner most of its CPU)."""
        if self.is_postgresql:
            return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(BigInteger)))
        return column.in_(ids)

    def insert_ignoring_conflicts(self, table: Table) -> Insert:
        """`INSERT ... ON CONFLICT DO NOTHING` for this backend, over any unique constraint."""
        return insert_ignoring_conflicts(table, self.dialect)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` for `dialect`, over any unique constraint."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def chunks(rows: Sequence[T], size: int = 500) -> list[Sequence[T]]:
    """Split rows (or ids) into batches small enough for one statement's bound parameters."""
    return [rows[i : i + size] for i in range(0, len(rows), size)]
