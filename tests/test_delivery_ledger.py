"""The delivery ledger's batch writes, against SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.chats import ChatRef, Platform
from bot.models import DeliveryStatus
from bot.store import Store
from bot.store.schedule import first_due_after
from tests.stores import BACKENDS, migrated_store

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store(request.param, tmp_path) as opened:
        yield opened


def _chat(n: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(100 + n))


async def _claimed(store: Store, chats: int) -> list[int]:
    for n in range(chats):
        chat = _chat(n)
        await store.ensure_chat(chat, at="08:00", tz="UTC", now=NOW)
        await store.subscribe(chat, next_due_at=first_due_after(NOW, "08:00", "UTC"), now=NOW)
    await store.plan_deliveries(DUE)
    return [d.id for d in await store.claim_deliveries(DUE, chats, 60)]


async def test_a_batch_of_shared_payloads_is_stored_once_per_row_and_an_earlier_one_wins(
    store: Store,
) -> None:
    first, *rest = await _claimed(store, 5)
    earlier = {"stories": [{"title": "Früher «vorher»", "n": 1}]}
    await store.set_delivery_payload(first, earlier, digest_until=DUE)
    shared = {"stories": [{"title": "Später — “nachher”", "n": 2}]}
    other: dict[str, list[object]] = {"stories": []}
    payloads: dict[int, Mapping[str, Any]] = {
        first: shared,
        rest[0]: shared,
        rest[1]: shared,
        rest[2]: other,
        rest[3]: other,
    }
    stored = await store.set_delivery_payloads(payloads, digest_until=DUE)
    assert stored == {
        first: earlier,
        rest[0]: shared,
        rest[1]: shared,
        rest[2]: other,
        rest[3]: other,
    }
    reread = [await store.get_delivery(i) for i in (first, *rest)]
    assert [d.payload if d else None for d in reread] == [earlier, shared, shared, other, other]


async def test_one_write_marks_sends_and_records_results_and_moves_the_digest_windows(
    store: Store,
) -> None:
    await _claimed(store, 3)
    claimed = [d for n in range(3) for d in await store.deliveries_of(_chat(n))]
    first, second, third = claimed
    await store.start_sending([first], DUE, lease_seconds=60)
    window = datetime(2026, 3, 21, 7, 59, tzinfo=UTC)
    await store.set_delivery_payloads({first.id: {"stories": []}}, digest_until=window)
    stale = replace(third, attempts=third.attempts + 1)  # as if claimed again by another sender
    marked = await store.record_sends(
        [second, stale], {first.id: "m-1"}, now=DUE, lease_seconds=60
    )
    assert marked == {second.id}
    rows = {d.id: d for n in range(3) for d in await store.deliveries_of(_chat(n))}
    assert [rows[d.id].status for d in claimed] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENDING,
        DeliveryStatus.CLAIMED,
    ]
    assert rows[first.id].platform_message_id == "m-1"
    assert rows[first.id].payload is None
    chats = [await store.get_chat(_chat(n)) for n in range(3)]
    assert [c.last_digest_at if c else "missing" for c in chats] == [window, None, None]
