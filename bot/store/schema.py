"""The tables, as SQLAlchemy Core metadata shared by the store and the Alembic migrations.

Full-text search differs by backend and lives beside the tables: on PostgreSQL a tsvector column
(`articles.search_vector`) with a GIN index; on SQLite an FTS5 table `article_search` whose rowid
is the article id, written in the same transaction as the article and cleared by a trigger when an
article is deleted. Neither is visible to the other backend: the GIN index is created on PostgreSQL
only, and the FTS5 table is outside the metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

SEARCH_TABLE = "article_search"
SEARCH_INDEX = "ix_articles_search_vector"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; naive values are refused because their zone is a guess."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SearchVector(TypeDecorator[Any]):
    """A tsvector on PostgreSQL; an unused text column elsewhere (SQLite searches with FTS5)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """TSVECTOR on PostgreSQL."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


Id = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid

sources = Table(
    "sources",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("interval_minutes", Integer, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_fetch_at", UtcDateTime, nullable=False),
    Column("last_fetched_at", UtcDateTime),
    Column("last_error", Text),
    Column("failing_since", UtcDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("paused", Boolean, nullable=False, default=False),
    Column("added_by", Text, nullable=False, default=""),
    Column("added_at", UtcDateTime, nullable=False),
    Index("ix_sources_due", "paused", "next_fetch_at"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("headline", Text, nullable=False),
    Column("source_count", Integer, nullable=False, default=1),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False, index=True),
)

story_sources = Table(
    "story_sources",
    metadata,
    Column(
        "story_id", ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True, nullable=False
    ),
    Column(
        "source_id",
        ForeignKey("sources.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "source_id",
        ForeignKey("sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False, unique=True),
    Column("guid", Text),
    Column("headline", Text, nullable=False),
    Column("standfirst", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("summary", JSON, nullable=False),
    Column("published", UtcDateTime),
    Column("fetched_at", UtcDateTime, nullable=False),
    Column("story_id", ForeignKey("stories.id", ondelete="SET NULL"), index=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("signature", LargeBinary),
    Column("search_vector", SearchVector),
    UniqueConstraint("source_id", "guid", name="uq_articles_source_guid"),
    Index("ix_articles_fetched", "fetched_at", "id"),
    Index("ix_articles_source_fetched", "source_id", "fetched_at"),
    Index(SEARCH_INDEX, "search_vector", postgresql_using="gin").ddl_if(dialect="postgresql"),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "article_id", ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("speaker", Text),
    Column("speaker_mention", Text),
    Column("cue", Text),
    Column("is_key", Boolean, nullable=False, default=False),
)

chats = Table(
    "chats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("at", String(5), nullable=False),
    Column("tz", Text, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("last_digest_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("platform", "chat_id", name="uq_chats_platform_chat"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "chat_row_id",
        ForeignKey("chats.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("next_due_at", UtcDateTime, nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_subscriptions_due", "paused", "next_due_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("period", Date, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("platform_message_id", Text),
    Column("error", Text),
    Column("payload", JSON),
    Column("digest_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("subscription_id", "period", name="uq_deliveries_subscription_period"),
    Index("ix_deliveries_claim", "status", "not_before"),
    Index("ix_deliveries_created", "created_at"),
)

admins = Table(
    "admins",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("granted_at", UtcDateTime, nullable=False),
)


def is_search_object(name: str | None) -> bool:
    """True for the SQLite FTS5 table and its shadow tables, which the metadata does not hold."""
    return bool(name) and str(name).startswith(SEARCH_TABLE)


def include_object_for(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object for `dialect`: the GIN index exists on PostgreSQL only."""

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        del obj, reflected, compare_to
        return not (type_ == "index" and name == SEARCH_INDEX and dialect != "postgresql")

    return include_object
