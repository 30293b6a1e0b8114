"""The index on quotes.speaker is dropped: no query uses it.

Speakers are searched through the full-text index (their names are in each article's search
text), and the newest quotes with a speaker are found through quotes.article_id. The index cost
a B-tree insert for each of an article's quotes (8 on average in real news) and 7 MB at 100,000
articles.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index("ix_quotes_speaker", table_name="quotes")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_quotes_speaker", "quotes", ["speaker"], unique=False)
