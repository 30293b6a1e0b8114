"""The scheduler's ticks, driven by a test clock, and the AsyncIOScheduler that runs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.chats import ChatRef, Platform
from bot.config import Config, DeliveryConfig, SourcesConfig
from bot.ingest import Fetcher
from bot.models import DeliveryStatus
from bot.scheduler import Ticks, build_scheduler
from bot.service import NewsService
from bot.store import Store

NOW = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
CONFIG = Config(
    sources=SourcesConfig(allow_private_addresses=True),
    delivery=DeliveryConfig(keep_days=7, tick_seconds=0.05),
)
CHAT = ChatRef(Platform.CONSOLE, "local")


@pytest.fixture
async def ticks(store: Store) -> AsyncIterator[Ticks]:
    async with Fetcher(CONFIG.sources) as fetcher:
        yield Ticks(store, fetcher, CONFIG)


async def test_plan_and_prune_ticks_follow_the_clock(store: Store, ticks: Ticks) -> None:
    service = NewsService(store, CONFIG, clock=lambda: NOW)
    await service.subscribe(CHAT, "02:30", "Europe/Berlin")
    assert await ticks.plan(NOW) == 0
    spring_forward = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert await ticks.plan(spring_forward) == 1
    [delivery] = await store.claim_deliveries(spring_forward, 5, lease_seconds=60)
    await store.start_sending([delivery], spring_forward, lease_seconds=60)
    await ticks.plan(spring_forward + timedelta(minutes=2))  # the lease ran out mid-send
    stored = await store.get_delivery(delivery.id)
    assert stored is not None
    assert stored.status == DeliveryStatus.UNKNOWN
    assert await ticks.prune(spring_forward + timedelta(days=6)) == 0
    assert await ticks.prune(spring_forward + timedelta(days=8)) == 1


async def test_the_scheduler_runs_every_tick(ticks: Ticks) -> None:
    sent = asyncio.Event()

    async def send(now: datetime) -> None:
        assert now == NOW
        sent.set()

    ticks.send_deliveries = send
    scheduler = build_scheduler(ticks, clock=lambda: NOW)
    assert {job.id for job in scheduler.get_jobs()} == {"poll", "plan", "send", "prune"}
    scheduler.start()
    try:
        await asyncio.wait_for(sent.wait(), timeout=10)
    finally:
        await scheduler.stop()
    assert not scheduler.running_ticks
    assert sent.is_set()


async def test_stopping_cancels_a_running_tick_quietly(
    ticks: Ticks, caplog: pytest.LogCaptureFixture
) -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def send(now: datetime) -> None:
        started.set()
        await never.wait()  # a fan-out still running when the bot is told to stop

    ticks.send_deliveries = send
    scheduler = build_scheduler(ticks, clock=lambda: NOW)
    scheduler.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await scheduler.stop()
    assert not scheduler.running_ticks
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
