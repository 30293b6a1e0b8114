"""PostgreSQL: article texts and summaries compressed with lz4 instead of pglz.

The text and summary stay compressed, with lz4 where the server was built with it (PostgreSQL 14
and later): a fraction of pglz's time per stored article for about the same size. A server
without lz4, and SQLite, have nothing to change. New rows only: rows stored before keep their
compression, which reads the same.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMPRESSED = ("text", "summary")


def _set_compression(compression: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    methods = bind.scalar(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    if methods and "lz4" in methods:
        changes = [
            f"ALTER COLUMN {column} SET COMPRESSION {compression}" for column in _COMPRESSED
        ]
        op.execute(f"ALTER TABLE articles {', '.join(changes)}")


def upgrade() -> None:
    """Upgrade schema."""
    _set_compression("lz4")


def downgrade() -> None:
    """Downgrade schema."""
    _set_compression("default")
