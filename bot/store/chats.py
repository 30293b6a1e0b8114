"""Chats with their digest settings, and their daily subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.chats import ChatRef, Platform
from bot.models import Chat, Filters, Subscription
from bot.store.base import StoreBase
from bot.store.schema import admins, chats, subscriptions


class ChatQueries(StoreBase):
    """Chats, settings and subscriptions."""

    async def ensure_chat(
        self, ref: ChatRef, *, at: str, tz: str, now: datetime, filters: Filters | None = None
    ) -> Chat:
        """The chat's row, created with these default settings if it is new."""
        values = {
            "platform": ref.platform.value,
            "chat_id": ref.chat_id,
            "at": at,
            "tz": tz,
            "filters": filters_to_json(filters or Filters()),
            "created_at": now,
        }
        async with self.writing() as conn:
            await conn.execute(self.insert_ignoring_conflicts(chats).values(values))
            row = (await conn.execute(_chat_query(ref))).mappings().one()
        return _chat(row)

    async def move_chat(self, old: ChatRef, new: ChatRef) -> bool:
        """Give a chat a new id (a Telegram group became a supergroup), keeping its settings,
        subscription and ledger; False when the old chat is unknown or the new id is taken."""
        async with self.writing() as conn:
            if (await conn.execute(_chat_query(new))).first() is not None:
                return False
            moved = await conn.execute(
                update(chats).where(_is_chat(old)).values(chat_id=new.chat_id)
            )
            await conn.execute(
                update(admins)
                .where(admins.c.platform == old.platform.value, admins.c.chat_id == old.chat_id)
                .values(chat_id=new.chat_id)
            )
        return bool(moved.rowcount)

    async def get_chat(self, ref: ChatRef) -> Chat | None:
        """The chat's row, or None if the bot has never stored it."""
        async with self.reading() as conn:
            row = (await conn.execute(_chat_query(ref))).mappings().first()
        return None if row is None else _chat(row)

    async def update_chat(
        self,
        ref: ChatRef,
        *,
        at: str | None = None,
        tz: str | None = None,
        filters: Filters | None = None,
        last_digest_at: datetime | None = None,
    ) -> None:
        """Change some of a chat's settings."""
        values: dict[str, Any] = {"at": at, "tz": tz, "last_digest_at": last_digest_at}
        if filters is not None:
            values["filters"] = filters_to_json(filters)
        values = {key: value for key, value in values.items() if value is not None}
        if values:
            async with self.writing() as conn:
                await conn.execute(update(chats).where(_is_chat(ref)).values(values))

    async def subscribe(self, ref: ChatRef, *, next_due_at: datetime, now: datetime) -> None:
        """Subscribe a stored chat (or resume its paused subscription) from `next_due_at`."""
        async with self.writing() as conn:
            chat_row_id = await _chat_row_id(conn, ref)
            values = {"next_due_at": next_due_at, "paused": False, "paused_reason": None}
            result = await conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_row_id == chat_row_id)
                .values(values)
            )
            if not result.rowcount:
                await conn.execute(
                    subscriptions.insert().values(
                        chat_row_id=chat_row_id, created_at=now, **values
                    )
                )

    async def unsubscribe(self, ref: ChatRef) -> bool:
        """Delete a chat's subscription (and its ledger rows); False if it had none."""
        async with self.writing() as conn:
            chat_row_id = await conn.scalar(select(chats.c.id).where(_is_chat(ref)))
            result = await conn.execute(
                delete(subscriptions).where(subscriptions.c.chat_row_id == chat_row_id)
            )
        return bool(result.rowcount)

    async def get_subscription(self, ref: ChatRef) -> Subscription | None:
        """The chat's subscription, or None."""
        query = _subscription_query().where(_is_chat(ref))
        async with self.reading() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else subscription_from_row(row)

    async def set_next_due(self, ref: ChatRef, next_due_at: datetime) -> None:
        """Move a subscription's next due time (after its time or zone changed)."""
        async with self.writing() as conn:
            chat_row_id = await _chat_row_id(conn, ref)
            await conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_row_id == chat_row_id)
                .values(next_due_at=next_due_at)
            )

    async def grant_admin(self, ref: ChatRef, user_id: str, *, now: datetime) -> None:
        """Let `user_id` change this chat's settings."""
        row = {
            "platform": ref.platform.value,
            "chat_id": ref.chat_id,
            "user_id": user_id,
            "granted_at": now,
        }
        async with self.writing() as conn:
            await conn.execute(self.insert_ignoring_conflicts(admins).values(row))

    async def is_admin(self, ref: ChatRef, user_id: str) -> bool:
        """True if `user_id` was granted admin rights in this chat."""
        query = select(admins.c.user_id).where(
            admins.c.platform == ref.platform.value,
            admins.c.chat_id == ref.chat_id,
            admins.c.user_id == user_id,
        )
        async with self.reading() as conn:
            return (await conn.scalar(query)) is not None


def filters_to_json(filters: Filters) -> dict[str, Any]:
    """A chat's filters as stored."""
    return {
        "include": list(filters.include),
        "exclude": list(filters.exclude),
        "sources": list(filters.sources),
        "length": filters.length,
    }


def filters_from_json(data: dict[str, Any]) -> Filters:
    """A chat's filters from storage."""
    return Filters(
        include=tuple(data.get("include", ())),
        exclude=tuple(data.get("exclude", ())),
        sources=tuple(int(s) for s in data.get("sources", ())),
        length=int(data.get("length", Filters().length)),
    )


def _is_chat(ref: ChatRef) -> Any:
    return (chats.c.platform == ref.platform.value) & (chats.c.chat_id == ref.chat_id)


def _chat_query(ref: ChatRef) -> Any:
    return select(chats).where(_is_chat(ref))


async def _chat_row_id(conn: AsyncConnection, ref: ChatRef) -> int:
    chat_row_id = await conn.scalar(select(chats.c.id).where(_is_chat(ref)))
    if chat_row_id is None:
        raise LookupError(f"no chat {ref}")
    return int(chat_row_id)


def _chat(row: Any) -> Chat:
    return Chat(
        id=row["id"],
        ref=ChatRef(Platform(row["platform"]), row["chat_id"]),
        at=row["at"],
        tz=row["tz"],
        filters=filters_from_json(row["filters"]),
        last_digest_at=row["last_digest_at"],
    )


def _subscription_query() -> Any:
    return select(
        subscriptions.c.id,
        subscriptions.c.next_due_at,
        subscriptions.c.paused,
        subscriptions.c.paused_reason,
        chats.c.platform,
        chats.c.chat_id,
        chats.c.at,
        chats.c.tz,
        chats.c.filters,
        chats.c.last_digest_at,
    ).join(chats, chats.c.id == subscriptions.c.chat_row_id)


def subscription_from_row(row: Any) -> Subscription:
    """A Subscription from a row of the subscriptions-join-chats query."""
    return Subscription(
        id=row["id"],
        chat=ChatRef(Platform(row["platform"]), row["chat_id"]),
        at=row["at"],
        tz=row["tz"],
        filters=filters_from_json(row["filters"]),
        paused=row["paused"],
        paused_reason=row["paused_reason"],
        next_due_at=row["next_due_at"],
        last_digest_at=row["last_digest_at"],
    )
