"""The delivery ledger: one row per (subscription, local date), planned, claimed, finished.

- `plan_deliveries` inserts the due rows with `INSERT ... ON CONFLICT DO NOTHING` on
  UNIQUE(subscription_id, period) and advances each subscription to its next local date, so a
  planner run twice (or by two processes) plans each period once. Only the latest missed period
  of a subscription is recorded: pending if it fell due within the catch-up window, else skipped.
- `claim_deliveries` leases pending rows to one sender (`claimed`, `attempts` + 1) and commits
  before returning; on PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED` so
  concurrent senders get disjoint rows; on SQLite the write transaction's `BEGIN IMMEDIATE`
  serializes claimers. A claimed row has not been sent: most of a batch waits for its turn at the
  platform's rate limit.
- `start_sending` moves claimed rows to `sending`, committed, immediately before their platform
  request. The claim's `attempts` is its fencing token: a row whose lease ran out and was claimed
  again by another sender is not marked for the first one, which must then not send it.
  `record_sends` writes a sender's batch of such marks and of sent results in one transaction.
- A row keeps its digest (`payload`) only until it is sent: a retry needs it, a sent row does
  not, and a day of digests would otherwise be most of the ledger's size.
- `expire_leases`: a `claimed` row whose lease ran out was never sent and is pending again; a
  `sending` row whose lease ran out becomes `unknown`: the message may have arrived, and resending
  could double it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    null,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.chats import ChatRef, Platform
from bot.models import Delivery, DeliveryStatus
from bot.store.base import StoreBase, chunks
from bot.store.schedule import due_time, latest_period_due, next_due
from bot.store.schema import chats, deliveries, subscriptions

_FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)
_PLAN_BATCH = 2000
# Planning this many rows makes their statistics stale enough to refresh (PostgreSQL).
_ANALYZE_AFTER = 5000


class DeliveryLedger(StoreBase):
    """Planning, claiming and settling deliveries."""

    async def plan_deliveries(self, now: datetime, *, catch_up_hours: float = 6.0) -> int:
        """Insert the deliveries that are due; return how many pending rows were added."""
        planned = 0
        while True:
            async with self.writing() as conn:
                due = await self._due_subscriptions(conn, now)
                if not due:
                    await self._refresh_statistics(conn, planned)
                    return planned
                for plan in _plans(due, now, timedelta(hours=catch_up_hours)):
                    for ids in chunks(plan.subscription_ids):
                        inserted = await self._insert_planned(conn, plan, ids, now)
                        if plan.status == DeliveryStatus.PENDING:
                            planned += inserted
                        await conn.execute(
                            update(subscriptions)
                            .where(self.one_of(subscriptions.c.id, ids))
                            .values(next_due_at=plan.next_due_at)
                        )

    async def _refresh_statistics(self, conn: AsyncConnection, planned: int) -> None:
        """After a large plan, PostgreSQL's statistics still count yesterday's rows, mostly
        sent: it would sort every pending row for each claim instead of reading the claim index
        in order. Autovacuum would analyze within a minute; the fan-out starts now."""
        if self.dialect == "postgresql" and planned >= _ANALYZE_AFTER:
            await conn.execute(text("ANALYZE deliveries"))

    async def _due_subscriptions(self, conn: AsyncConnection, now: datetime) -> list[Any]:
        query = (
            select(subscriptions.c.id, chats.c.at, chats.c.tz)
            .join(chats, chats.c.id == subscriptions.c.chat_row_id)
            .where(subscriptions.c.paused.is_(False), subscriptions.c.next_due_at <= now)
            # The due index's order: ordering by id as well would sort every due subscription
            # for each batch (a morning's 100,000 due at the same minute: 50 sorts of 50,000).
            .order_by(subscriptions.c.next_due_at)
            .limit(_PLAN_BATCH)
            .with_for_update(of=subscriptions, skip_locked=True)
        )
        return list((await conn.execute(query)).mappings().all())

    async def _insert_planned(
        self, conn: AsyncConnection, plan: _Plan, ids: Sequence[int], now: datetime
    ) -> int:
        """Insert the plan's rows for these subscriptions (INSERT ... SELECT: the rows differ
        only in their subscription); return how many were new."""
        values = {
            "period": plan.period,
            "due_at": plan.due_at,
            "status": plan.status,
            "attempts": 0,
            "not_before": plan.due_at,
            "created_at": now,
            "updated_at": now,
        }
        rows = select(
            subscriptions.c.id,
            *(literal(value, deliveries.c[name].type) for name, value in values.items()),
        ).where(self.one_of(subscriptions.c.id, ids))
        statement = (
            self.insert_ignoring_conflicts(deliveries)
            .from_select(["subscription_id", *values], rows)
            .returning(deliveries.c.id)
        )
        return len((await conn.execute(statement)).all())

    async def claim_deliveries(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        platform: Platform | None = None,
    ) -> list[Delivery]:
        """Lease up to `limit` pending deliveries to this sender (`claimed`); committed."""
        candidates = (
            select(deliveries.c.id)
            .where(deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.not_before <= now)
            # The claim index's order (status, not_before): PostgreSQL reads the first `limit`
            # rows from it instead of sorting all pending ones (ties: index order, not id).
            .order_by(deliveries.c.not_before)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if platform is not None:
            candidates = candidates.where(
                deliveries.c.subscription_id.in_(_subscriptions_on(platform))
            )
        claim = (
            update(deliveries)
            .where(deliveries.c.id.in_(candidates.scalar_subquery()))
            .values(
                status=DeliveryStatus.CLAIMED,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=deliveries.c.attempts + 1,
                updated_at=now,
            )
            .returning(deliveries.c.id)
        )
        async with self.writing() as conn:
            ids = [row[0] for row in await conn.execute(claim)]
            return await _load_deliveries(conn, ids)

    async def start_sending(
        self, claims: Sequence[Delivery], now: datetime, lease_seconds: float
    ) -> set[int]:
        """Mark claimed deliveries `sending` before their platform request; return the ids marked.

        A delivery left out was taken back (its lease ran out): its sender must not send it.
        """
        return await self.record_sends(claims, {}, now=now, lease_seconds=lease_seconds)

    async def record_sends(
        self,
        starting: Sequence[Delivery],
        sent: Mapping[int, str],
        *,
        now: datetime,
        lease_seconds: float,
    ) -> set[int]:
        """`start_sending(starting)` and `finish_deliveries(sent)` in one transaction: a sender
        has both at once, and one write transaction at a time is what SQLite serves best."""
        if not starting and not sent:
            return set()
        async with self.writing() as conn:
            marked = await _mark_sending(conn, starting, now, lease_seconds)
            await _mark_sent(conn, sent, now)
        return marked

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery, or None."""
        async with self.reading() as conn:
            found = await _load_deliveries(conn, [delivery_id])
        return found[0] if found else None

    async def set_delivery_payload(
        self, delivery_id: int, payload: Mapping[str, Any], *, digest_until: datetime
    ) -> Mapping[str, Any]:
        """Store the period's digest once; return the stored one (an earlier one wins)."""
        async with self.writing() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.payload.is_(None))
                .values(payload=dict(payload), digest_until=digest_until)
            )
            stored = await conn.scalar(
                select(deliveries.c.payload).where(deliveries.c.id == delivery_id)
            )
        return dict(stored or payload)

    async def digest_keys(self, delivery_ids: Sequence[int]) -> dict[int, tuple[str, Any]]:
        """What each delivery's digest depends on: its chat's filters and last digest time."""
        query = (
            select(deliveries.c.id, chats.c.filters, chats.c.last_digest_at)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .join(chats, chats.c.id == subscriptions.c.chat_row_id)
            .where(deliveries.c.id.in_(list(delivery_ids)))
        )
        async with self.reading() as conn:
            rows = await conn.execute(query)
            return {
                row.id: (json.dumps(row.filters, sort_keys=True), row.last_digest_at)
                for row in rows
            }

    async def set_delivery_payloads(
        self, payloads: Mapping[int, Mapping[str, Any]], *, digest_until: datetime
    ) -> dict[int, Mapping[str, Any]]:
        """`set_delivery_payload` for many deliveries in one transaction; return what is stored.

        A claimed batch shares a few digests (one payload object per digest): each is written
        with one statement and decoded once when read back, not once per row.
        """
        if not payloads:
            return {}
        shared: dict[int, tuple[Mapping[str, Any], list[int]]] = {}
        for delivery_id, payload in payloads.items():
            shared.setdefault(id(payload), (payload, []))[1].append(delivery_id)
        async with self.writing() as conn:
            for payload, ids in shared.values():
                await conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id.in_(ids), deliveries.c.payload.is_(None))
                    .values(payload=dict(payload), digest_until=digest_until)
                )
            stored = await conn.execute(
                select(deliveries.c.id, cast(deliveries.c.payload, Text)).where(
                    deliveries.c.id.in_(list(payloads))
                )
            )
            texts = {row[0]: row[1] for row in stored if row[1] is not None}
        decoded = {text: json.loads(text) for text in set(texts.values())}
        return {delivery_id: decoded[text] for delivery_id, text in texts.items()}

    async def finish_deliveries(self, sent: Mapping[int, str], *, now: datetime) -> None:
        """`finish_delivery` for many deliveries (id -> message id) in one transaction."""
        if sent:
            async with self.writing() as conn:
                await _mark_sent(conn, sent, now)

    async def finish_delivery(
        self, delivery_id: int, message_id: str, *, now: datetime | None = None
    ) -> None:
        """The platform answered with a message id: sent; the chat's digest window moves on."""
        await self.finish_deliveries({delivery_id: message_id}, now=now or datetime.now(UTC))

    async def retry_delivery(
        self, delivery_id: int, not_before: datetime, *, error: str | None = None
    ) -> None:
        """Nothing was delivered: back to pending, not before `not_before`."""
        await self._settle(
            delivery_id,
            status=DeliveryStatus.PENDING,
            not_before=not_before,
            error=error,
            updated_at=not_before,
        )

    async def fail_delivery(
        self, delivery_id: int, error: str, pause_subscription: bool, *, now: datetime
    ) -> None:
        """A permanent failure: never retried; the subscription is paused if asked."""
        async with self.writing() as conn:
            subscription_id = await conn.scalar(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status=DeliveryStatus.FAILED, error=error, lease_until=None, updated_at=now
                )
                .returning(deliveries.c.subscription_id)
            )
            if pause_subscription and subscription_id is not None:
                await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == subscription_id)
                    .values(paused=True, paused_reason=error)
                )

    async def mark_delivery_unknown(self, delivery_id: int, error: str, *, now: datetime) -> None:
        """The send may have arrived (timeout after sending): never resend it."""
        await self._settle(delivery_id, status=DeliveryStatus.UNKNOWN, error=error, updated_at=now)

    async def _settle(self, delivery_id: int, **values: Any) -> None:
        async with self.writing() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(lease_until=None, **values)
            )

    async def expire_leases(self, now: datetime) -> int:
        """Run-out leases: claimed rows are pending again, sending rows unknown (return those)."""
        expired = deliveries.c.lease_until < now
        async with self.writing() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.status == DeliveryStatus.CLAIMED, expired)
                .values(status=DeliveryStatus.PENDING, lease_until=None)
            )
            result = await conn.execute(
                update(deliveries)
                .where(deliveries.c.status == DeliveryStatus.SENDING, expired)
                .values(
                    status=DeliveryStatus.UNKNOWN,
                    lease_until=None,
                    error="lease expired during the send",
                )
                .returning(deliveries.c.id)
            )
            return len(result.all())

    async def prune_deliveries(self, before: datetime) -> int:
        """Delete settled ledger rows created before `before`; return how many."""
        async with self.writing() as conn:
            result = await conn.execute(
                delete(deliveries)
                .where(
                    deliveries.c.created_at < before,
                    deliveries.c.status.in_([*_FINISHED, DeliveryStatus.SKIPPED]),
                )
                .returning(deliveries.c.id)
            )
            return len(result.all())

    async def deliveries_of(self, ref: ChatRef) -> list[Delivery]:
        """Every ledger row of a chat's subscription, oldest period first."""
        query = (
            select(deliveries.c.id)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .join(chats, chats.c.id == subscriptions.c.chat_row_id)
            .where(chats.c.platform == ref.platform.value, chats.c.chat_id == ref.chat_id)
            .order_by(deliveries.c.period)
        )
        async with self.reading() as conn:
            ids = [row[0] for row in await conn.execute(query)]
            return await _load_deliveries(conn, ids)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The ledger row planned for subscriptions that share a schedule (time and zone)."""

    period: date
    due_at: datetime
    next_due_at: datetime
    status: DeliveryStatus
    subscription_ids: list[int] = field(default_factory=list)


def _plans(due: Sequence[Any], now: datetime, catch_up: timedelta) -> list[_Plan]:
    """The due subscriptions grouped by schedule, each group's period computed once."""
    plans: dict[tuple[str, str], _Plan] = {}
    for sub in due:
        key = (sub["at"], sub["tz"])
        if key not in plans:
            period = latest_period_due(now, *key)
            due_at = due_time(period, *key)
            late = now - due_at > catch_up
            status = DeliveryStatus.SKIPPED if late else DeliveryStatus.PENDING
            plans[key] = _Plan(period, due_at, next_due(period, *key), status)
        plans[key].subscription_ids.append(sub["id"])
    return list(plans.values())


async def _mark_sending(
    conn: AsyncConnection, claims: Sequence[Delivery], now: datetime, lease_seconds: float
) -> set[int]:
    """Claimed rows whose claim (`attempts`) is still theirs become `sending`; their ids."""
    if not claims:
        return set()
    held = tuple_(deliveries.c.id, deliveries.c.attempts).in_(
        [(claim.id, claim.attempts) for claim in claims]
    )
    mark = (
        update(deliveries)
        .where(deliveries.c.status == DeliveryStatus.CLAIMED, held)
        .values(
            status=DeliveryStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(deliveries.c.id)
    )
    return {row[0] for row in await conn.execute(mark)}


async def _mark_sent(conn: AsyncConnection, sent: Mapping[int, str], now: datetime) -> None:
    """Rows `sent` with their message ids, and their chats' digest windows moved on."""
    if not sent:
        return
    rows = [{"did": i, "message_id": m} for i, m in sent.items()]
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("did"))
        .values(
            status=DeliveryStatus.SENT,
            platform_message_id=bindparam("message_id"),
            lease_until=None,
            error=None,
            payload=null(),
            updated_at=now,
        ),
        rows,
    )
    # One statement for every chat: the latest digest window among its sent deliveries.
    windows = (
        select(func.max(deliveries.c.digest_until))
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(
            subscriptions.c.chat_row_id == chats.c.id,
            deliveries.c.id.in_(list(sent)),
            deliveries.c.digest_until.is_not(None),
        )
        .scalar_subquery()
    )
    moved = (
        select(subscriptions.c.chat_row_id)
        .join(deliveries, deliveries.c.subscription_id == subscriptions.c.id)
        .where(deliveries.c.id.in_(list(sent)), deliveries.c.digest_until.is_not(None))
    )
    await conn.execute(update(chats).where(chats.c.id.in_(moved)).values(last_digest_at=windows))


def _subscriptions_on(platform: Platform) -> Any:
    return (
        select(subscriptions.c.id)
        .join(chats, chats.c.id == subscriptions.c.chat_row_id)
        .where(chats.c.platform == platform.value)
    )


async def _load_deliveries(conn: AsyncConnection, ids: Sequence[int]) -> list[Delivery]:
    if not ids:
        return []
    query = (
        select(deliveries, chats.c.platform, chats.c.chat_id)
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .join(chats, chats.c.id == subscriptions.c.chat_row_id)
        .where(deliveries.c.id.in_(list(ids)))
        .order_by(deliveries.c.id)
    )
    return [_delivery(row) for row in (await conn.execute(query)).mappings()]


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        chat=ChatRef(Platform(row["platform"]), row["chat_id"]),
        period=row["period"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        not_before=row["not_before"],
        lease_until=row["lease_until"],
        platform_message_id=row["platform_message_id"],
        error=row["error"],
        payload=row["payload"],
    )
