"""PostgreSQL: search vectors stored uncompressed, article texts compressed with lz4.

An article's tsvector is a few kilobytes, so PostgreSQL compressed it with pglz on every insert:
a quarter of the database server's time per stored article. The vector is read only to rank
search results, whose rows are few, so the disk it saves is not worth that time: it is stored
EXTERNAL (out of line, uncompressed). The article's text and summary stay compressed, with lz4
where the server was built with it (PostgreSQL 14 and later): a fraction of pglz's time for
about the same size. SQLite has nothing to change. New rows only: rows stored before keep their
storage, which reads the same.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMPRESSED = ("text", "summary")


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _has_lz4() -> bool:
    methods = op.get_bind().scalar(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    return bool(methods) and "lz4" in methods


def _alter(storage: str, compression: str) -> None:
    changes = [f"ALTER COLUMN search_vector SET STORAGE {storage}"]
    if _has_lz4():
        changes += [
            f"ALTER COLUMN {column} SET COMPRESSION {compression}" for column in _COMPRESSED
        ]
    op.execute(f"ALTER TABLE articles {', '.join(changes)}")


def upgrade() -> None:
    """Upgrade schema."""
    if _is_postgresql():
        _alter("EXTERNAL", "lz4")


def downgrade() -> None:
    """Downgrade schema."""
    if _is_postgresql():
        _alter("EXTENDED", "default")
