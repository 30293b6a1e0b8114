"""PostgreSQL keeps articles.search_vector uncompressed (storage EXTERNAL).

An article's tsvector is a few kilobytes, so PostgreSQL compressed it with pglz on every insert:
a quarter of the database server's time per stored article. The vector is read only to rank
search results, whose rows are few, so the disk it saves is not worth that time. SQLite keeps
its search text in the FTS5 table and has nothing to change. New rows only: rows stored before
keep their compressed vectors, which read the same.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _set_storage(storage: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE articles ALTER COLUMN search_vector SET STORAGE {storage}")


def upgrade() -> None:
    """Upgrade schema."""
    _set_storage("EXTERNAL")


def downgrade() -> None:
    """Downgrade schema."""
    _set_storage("EXTENDED")
