"""Many rows into PostgreSQL with one INSERT: each column one array parameter, unnested.

SQLAlchemy sends a many-row `INSERT ... RETURNING` as a VALUES list (one bound parameter per
column per row, each handled in Python, in a statement as long as the batch) and a plain
many-row INSERT as one Bind and Execute per row, each starting and ending an executor in the
server. Here a batch is one statement whose parameters are one array per column, which asyncpg
encodes in C; its text is the same for any number of rows, so it is prepared once per
connection. Saving an article went from 0.10 to 0.065 ms of the polling process's CPU time, and
its search vector is computed in the SELECT from the row's own headline, standfirst and text, so
its body is sent once, not twice (benchmarks/ingest.py). The columns' own types still convert the
values (UtcDateTime refuses naive datetimes), as SQLAlchemy's insert would.

The search vector: headline (weight A), speakers (B, not stemmed: names), quotes (C) and the
body's first SEARCH_CHARS characters.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Dialect, Table, TextClause, TypeDecorator, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import articles

SEARCH_CHARS = 500_000
"""The body's characters that are indexed. A tsvector holds at most 1 MB: real prose never comes
near it (4 MB of news made 0.4 MB), but a page of distinct tokens (a data dump) did, and the
server then refused the insert, and with it the whole batch of the feed, at every read."""

BATCH = 1000
"""Rows a statement (each array holds this many values at most)."""

_SEARCH_VECTOR = (
    "setweight(to_tsvector('english', r.headline), 'A')"
    " || setweight(to_tsvector('simple', r.speakers), 'B')"
    " || setweight(to_tsvector('english', r.quotes), 'C')"
    f" || to_tsvector('english', left(r.standfirst || E'\\n' || r.text, {SEARCH_CHARS}))"
)


@functools.cache
def unnest_insert(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    *,
    ignore_conflicts: bool = False,
    inputs: tuple[tuple[str, str], ...] = (),
    computed: tuple[tuple[str, str], ...] = (),
    returning: tuple[str, ...] = (),
) -> TextClause:
    """`INSERT INTO table (columns) SELECT ... FROM unnest(:column, ...) AS r(...)`.

    Each `:column` is an array of the column's type (JSON columns: of text, cast row by row).
    `inputs` are further (name, type) arrays that only `computed` (column, SQL over r) uses.
    """
    unnested = [(name, _array_type(dialect, table, name)) for name in columns] + list(inputs)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in unnested)
    aliases = ", ".join(f'"{name}"' for name, _ in unnested)
    targets = ", ".join(f'"{name}"' for name in (*columns, *(name for name, _ in computed)))
    selected = ", ".join([_selected(table, name) for name in columns] + [s for _, s in computed])
    statement = (
        f"INSERT INTO {table.name} ({targets}) "
        f"SELECT {selected} FROM unnest({arrays}) AS r({aliases})"
    )
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    if returning:
        statement += f" RETURNING {', '.join(returning)}"
    return text(statement)


def _array_type(dialect: Dialect, table: Table, name: str) -> str:
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return "text"
    return str(column_type.compile(dialect=dialect))


def _selected(table: Table, name: str) -> str:
    return f'r."{name}"::json' if isinstance(table.c[name].type, JSON) else f'r."{name}"'


def as_arrays(
    dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> dict[str, list[Any]]:
    """Rows as one list per column, in row order, converted by the columns' own types."""
    return _converted(dialect, table, {name: [row[name] for row in rows] for name in columns})


def _converted(
    dialect: Dialect, table: Table, arrays: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """The arrays with each value converted for binding: by a column type of ours (a
    TypeDecorator), and JSON as its text (the statement casts it back row by row)."""
    for name, values in arrays.items():
        column_type = table.c[name].type if name in table.c else None
        if isinstance(column_type, TypeDecorator):
            arrays[name] = [column_type.process_bind_param(value, dialect) for value in values]
        elif isinstance(column_type, JSON):
            arrays[name] = [json.dumps(value) for value in values]
    return arrays


async def insert_postgres_articles(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Insert article rows (their columns, and the "quotes" and "speakers" texts the search
    vector also reads), skipping conflicts; return the new articles' ids by canonical URL."""
    if not rows:
        return {}
    inputs = (("quotes", "text"), ("speakers", "text"))
    columns = tuple(name for name in rows[0] if name not in dict(inputs))
    statement = unnest_insert(
        conn.dialect,
        articles,
        columns,
        ignore_conflicts=True,
        inputs=inputs,
        computed=(("search_vector", _SEARCH_VECTOR),),
        returning=("id", "canonical_url"),
    )
    ids: dict[str, int] = {}
    names = (*columns, *dict(inputs))
    for first in range(0, len(rows), BATCH):
        arrays = as_arrays(conn.dialect, articles, rows[first : first + BATCH], names)
        result = await conn.execute(statement, arrays)
        ids.update((row.canonical_url, row.id) for row in result)
    return ids
