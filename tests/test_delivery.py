"""The delivery worker with the real store, the real TelegramPublisher and the Bot API stand-in.

In one process: a fan-out cancelled half way (the in-process cousin of kill -9, on SQLite and on
PostgreSQL), a claim taken back by another sender, a subscriber who blocked the bot, and a
subscriber at 02:30 Europe/Berlin across both daylight-saving changes. The real-process tests
(kill -9, four workers, an outage) are in tests/test_delivery_processes.py.

The sample articles are read at the real time, which is after every fake day these tests use, so
each day's digest has stories to send.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exists, literal, select

from adapters.telegram.pacing import FloodLimits, TelegramPacer
from adapters.telegram.publisher import TelegramPublisher, open_telegram_publisher
from bot.chats import ChatRef, Platform
from bot.config import SAMPLE_FOLDER as SAMPLES
from bot.config import Config, DeliveryConfig, SourcesConfig, TelegramConfig
from bot.delivery import CONCURRENT_SENDS, DeliveryWorker
from bot.ingest import Fetcher
from bot.models import Delivery, DeliveryStatus, Filters
from bot.scheduler import Ticks
from bot.service import NewsService
from bot.store import Store, schema
from bot.store.chats import filters_to_json
from bot.store.schedule import first_due_after
from tests.stores import BACKENDS, migrated_store
from tests.telegram_api import TOKEN, TelegramAPI, running_telegram_api

CONFIG = Config(
    sources=SourcesConfig(folders=(str(SAMPLES),)),
    delivery=DeliveryConfig(lease_seconds=30.0),
)
NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
FAST = FloodLimits(per_second=10_000, chat_interval=0.0, group_per_minute=10_000, margin=0.0)


async def subscribe_chats(
    store: Store, chat_ids: Sequence[int], *, at: str, tz: str, now: datetime
) -> None:
    """Subscribe many Telegram chats at once (bulk rows: the commands are tested elsewhere)."""
    chats, subscriptions = schema.chats, schema.subscriptions
    filters = filters_to_json(Filters())
    rows = [
        {"platform": "telegram", "chat_id": str(c), "at": at, "tz": tz, "filters": filters}
        | {"created_at": now}
        for c in chat_ids
    ]
    unsubscribed = select(
        chats.c.id,
        literal(first_due_after(now, at, tz), subscriptions.c.next_due_at.type),
        literal(False),
        literal(now, subscriptions.c.created_at.type),
    ).where(~exists().where(subscriptions.c.chat_row_id == chats.c.id))
    columns = ["chat_row_id", "next_due_at", "paused", "created_at"]
    async with store.writing() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(chats.insert(), rows[start : start + 1000])
        await conn.execute(subscriptions.insert().from_select(columns, unsubscribed))


async def add_sample_articles(store: Store, config: Config = CONFIG) -> None:
    """The bundled sample articles as a folder source, read now."""
    async with Fetcher(config.sources) as fetcher:
        await NewsService(store, config, fetcher).add_source(str(SAMPLES), "config")


async def ledger(store: Store) -> list[Delivery]:
    """Every delivery row."""
    async with store.reading() as conn:
        ids = [row[0] for row in await conn.execute(schema.deliveries.select())]
    return [d for i in ids if (d := await store.get_delivery(i)) is not None]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store(request.param, tmp_path) as opened:
        await add_sample_articles(opened)
        yield opened


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    async with running_telegram_api() as api:
        yield api


@pytest.fixture
async def publisher(api: TelegramAPI) -> AsyncIterator[TelegramPublisher]:
    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    pacer = TelegramPacer(FloodLimits(per_second=400, chat_interval=0.0, margin=0.0))
    async with open_telegram_publisher(config, pacer=pacer) as publisher:
        yield publisher


def worker(store: Store, publisher: TelegramPublisher, clock_now: datetime) -> DeliveryWorker:
    service = NewsService(store, CONFIG, clock=lambda: clock_now)
    return DeliveryWorker(store, service, {Platform.TELEGRAM: publisher}, CONFIG.delivery)


async def test_a_fan_out_cut_short_leaves_only_the_requests_in_flight_in_doubt(
    store: Store, api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    chat_ids = list(range(5001, 5401))
    await subscribe_chats(store, chat_ids, at="07:00", tz="UTC", now=NOW)
    due = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    assert await store.plan_deliveries(due) == len(chat_ids)
    cut = asyncio.create_task(worker(store, publisher, due).send_due(due))
    await api.wait_for(lambda: len(api.sent) >= 100, within=30)
    cut.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cut
    sent_at_cut = len(api.sent)
    statuses = Counter(d.status for d in await ledger(store))
    assert statuses[DeliveryStatus.CLAIMED] > 0  # waiting for their turn: never sent
    assert statuses[DeliveryStatus.SENDING] <= CONCURRENT_SENDS

    later = due + timedelta(minutes=5)  # past every lease of the cut tick
    assert await store.expire_leases(later) == statuses[DeliveryStatus.SENDING]
    await worker(store, publisher, later).send_due(later)

    assert len(api.sent) > sent_at_cut
    received = Counter(m.chat_id for m in api.sent)
    assert max(received.values()) == 1
    rows = await ledger(store)
    unknown = {int(d.chat.chat_id) for d in rows if d.status == DeliveryStatus.UNKNOWN}
    assert {d.status for d in rows} <= {DeliveryStatus.SENT, DeliveryStatus.UNKNOWN}
    assert len(unknown) == statuses[DeliveryStatus.SENDING]
    assert set(chat_ids) - set(received) <= unknown
    by_chat = {m.chat_id: str(m.message_id) for m in api.sent}
    for row in rows:
        if row.status == DeliveryStatus.SENT:
            assert row.platform_message_id == by_chat[int(row.chat.chat_id)]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_claim_taken_back_by_another_sender_is_not_sent_twice(
    store: Store, api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    await subscribe_chats(store, [7001], at="07:00", tz="UTC", now=NOW)
    due = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    await store.plan_deliveries(due)
    [stale] = await store.claim_deliveries(due, 10, lease_seconds=1)
    # The first sender waited too long: its lease ran out and another sender took the row.
    later = due + timedelta(seconds=5)
    await store.expire_leases(later)
    [fresh] = await store.claim_deliveries(later, 10, lease_seconds=30)
    assert (fresh.id, fresh.attempts) == (stale.id, 2)
    assert await store.start_sending([stale], later, lease_seconds=30) == set()
    assert await store.start_sending([fresh], later, lease_seconds=30) == {fresh.id}
    assert api.sent == []


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_sender_whose_lease_ran_out_while_waiting_for_its_turn_sends_nothing(
    store: Store, api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    await subscribe_chats(store, [7101, 7102], at="07:00", tz="UTC", now=NOW)
    due = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    await store.plan_deliveries(due)
    # Sender A may send one message every 5 s and holds its claims for 1 s only.
    slow = TelegramPacer(FloodLimits(per_second=0.2, chat_interval=0.0, margin=0.0))
    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    async with open_telegram_publisher(config, pacer=slow) as slow_publisher:
        service = NewsService(store, CONFIG, clock=lambda: due)
        sender_a = DeliveryWorker(
            store, service, {Platform.TELEGRAM: slow_publisher}, DeliveryConfig(lease_seconds=1)
        )
        a_tick = asyncio.create_task(sender_a.send_due(due))
        await api.wait_for(lambda: len(api.sent) == 1, within=10)
        for _ in range(200):  # and until its row is recorded as sent
            if DeliveryStatus.SENT in {d.status for d in await ledger(store)}:
                break
            await asyncio.sleep(0.05)
        # A's second claim waits for its turn: it has run out, and sender B takes the row.
        later = due + timedelta(seconds=3)
        assert await store.expire_leases(later) == 0
        b_report = await worker(store, publisher, later).send_due(later)
        a_report = await a_tick
    assert (a_report.sent, a_report.lost, b_report.sent) == (1, 1, 1)
    assert sorted(m.chat_id for m in api.sent) == [7101, 7102]
    assert {d.status for d in await ledger(store)} == {DeliveryStatus.SENT}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_subscriber_who_blocked_the_bot_is_paused_at_the_first_403(
    store: Store, api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    chat_ids = [8001, 8002, 8003]
    api.blocked.add(8002)
    await subscribe_chats(store, chat_ids, at="07:00", tz="UTC", now=NOW)
    day = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    for _ in range(3):
        await store.plan_deliveries(day)
        report = await worker(store, publisher, day).send_due(day)
        day += timedelta(days=1)
    assert report.failed == 0  # the paused subscription was not even planned on later days
    assert Counter(m.chat_id for m in api.sent) == {8001: 3, 8003: 3}
    assert api.calls.count("sendMessage") == len(api.sent) + 1
    blocked = ChatRef(Platform.TELEGRAM, "8002")
    subscription = await store.get_subscription(blocked)
    assert subscription is not None
    assert subscription.paused
    [row] = await store.deliveries_of(blocked)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.error is not None
    assert "blocked" in row.error


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("first_day", "sent_at_utc"),
    [
        # Spring forward on 29 March: 02:30 does not exist; it is read as 03:30 CEST.
        (date(2026, 3, 28), ["2026-03-28 01:30", "2026-03-29 01:30", "2026-03-30 00:30"]),
        # Fall back on 25 October: 02:30 happens twice; the first one (CEST) is the due time.
        (date(2026, 10, 24), ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"]),
    ],
)
async def test_one_digest_a_day_at_0230_berlin_across_daylight_saving_changes(
    store: Store,
    api: TelegramAPI,
    publisher: TelegramPublisher,
    first_day: date,
    sent_at_utc: list[str],
) -> None:
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=3)
    await subscribe_chats(store, [9001], at="02:30", tz="Europe/Berlin", now=start)
    sent_at: list[str] = []
    async with Fetcher(CONFIG.sources) as fetcher:
        ticks = Ticks(store, fetcher, CONFIG)
        now = start
        while now < start + timedelta(days=3, hours=2):
            ticks.send_deliveries = worker(store, publisher, now).send_due
            await ticks.plan(now)
            await ticks.send(now)
            sent_at += [now.strftime("%Y-%m-%d %H:%M")] * (len(api.sent) - len(sent_at))
            now += timedelta(minutes=30)
    assert sent_at == sent_at_utc
    rows = await store.deliveries_of(ChatRef(Platform.TELEGRAM, "9001"))
    assert [d.period for d in rows] == [first_day + timedelta(days=i) for i in range(3)]
    assert {d.status for d in rows} == {DeliveryStatus.SENT}
