"""Saving articles on PostgreSQL: one INSERT whose rows are arrays, unnested.

SQLAlchemy sends a many-row `INSERT ... RETURNING` as a VALUES list: one bound parameter per
column per row, each handled in Python, in a statement as long as the batch, where the search
vector's expression was repeated for every row. Here each column is a single array parameter
that asyncpg encodes in C, the statement's text is the same for any number of rows (prepared once
per connection), and the search vector is computed in the SELECT from the row's own headline,
standfirst and text, so an article's body is sent once, not twice. This halved the polling
process's CPU time for saving an article (benchmarks/ingest.py).

The search vector: headline (weight A), speakers (B, not stemmed: names), quotes (C) and body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import NewArticle
from bot.store.base import chunks

_COLUMNS = (
    ("source_id", "bigint"),
    ("story_id", "bigint"),
    ("url", "text"),
    ("canonical_url", "text"),
    ("guid", "text"),
    ("headline", "text"),
    ("standfirst", "text"),
    ("text", "text"),
    ("summary", "text"),
    ("published", "timestamptz"),
    ("fetched_at", "timestamptz"),
    ("content_hash", "text"),
    ("signature", "bytea"),
)
_SEARCH_ONLY = (("quotes", "text"), ("speakers", "text"))
_SEARCH_VECTOR = (
    "setweight(to_tsvector('english', r.headline), 'A')"
    " || setweight(to_tsvector('simple', r.speakers), 'B')"
    " || setweight(to_tsvector('english', r.quotes), 'C')"
    " || to_tsvector('english', r.standfirst || E'\\n' || r.text)"
)
_SELECTED = {"summary": "r.summary::json"}


def _insert_statement() -> str:
    names = [name for name, _ in _COLUMNS]
    columns = ", ".join(f'"{name}"' for name in names)
    selected = ", ".join(_SELECTED.get(name, f'r."{name}"') for name in names)
    unnested = (*_COLUMNS, *_SEARCH_ONLY)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in unnested)
    aliases = ", ".join(f'"{name}"' for name, _ in unnested)
    return (
        f"INSERT INTO articles ({columns}, search_vector) "
        f"SELECT {selected}, {_SEARCH_VECTOR} "
        f"FROM unnest({arrays}) AS r({aliases}) "
        "ON CONFLICT DO NOTHING RETURNING id, canonical_url"
    )


_INSERT = text(_insert_statement())


async def insert_postgres_articles(
    conn: AsyncConnection, items: Sequence[NewArticle], story_ids: Sequence[int]
) -> dict[str, int]:
    """Insert, skipping conflicts; return the new articles' ids by canonical URL."""
    ids: dict[str, int] = {}
    pairs = list(zip(items, story_ids, strict=True))
    for batch in chunks(pairs, 1000):
        result = await conn.execute(_INSERT, _columns(batch))
        ids.update((row.canonical_url, row.id) for row in result)
    return ids


def _columns(batch: Sequence[tuple[NewArticle, int]]) -> dict[str, list[object]]:
    """Each column's values, in row order."""
    return {
        "source_id": [item.source_id for item, _ in batch],
        "story_id": [story for _, story in batch],
        "url": [item.url for item, _ in batch],
        "canonical_url": [item.canonical_url for item, _ in batch],
        "guid": [item.guid for item, _ in batch],
        "headline": [item.headline for item, _ in batch],
        "standfirst": [item.standfirst for item, _ in batch],
        "text": [item.text for item, _ in batch],
        "summary": [json.dumps(list(item.summary)) for item, _ in batch],
        "published": [item.published for item, _ in batch],
        "fetched_at": [item.fetched_at for item, _ in batch],
        "content_hash": [item.content_hash for item, _ in batch],
        "signature": [item.signature for item, _ in batch],
        "quotes": [item.quote_text for item, _ in batch],
        "speakers": [item.speaker_names for item, _ in batch],
    }
