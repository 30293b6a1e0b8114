"""Scheduled digests to Telegram chats: the delivery worker with TelegramPublisher, paced at
Telegram's real limits, against the stand-in's flood model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.telegram.publisher import TelegramPublisher, open_telegram_publisher
from bot.chats import ChatRef, Platform
from bot.config import Config, SourcesConfig, TelegramConfig
from bot.delivery import DeliveryWorker, SendReport
from bot.service import NewsService
from bot.store import Store
from tests.stores import service_with_feed
from tests.telegram_api import TOKEN, TelegramAPI, running_telegram_api
from tests.telegram_rules import FloodModel
from tests.test_telegram_commands import RSS

CONFIG = Config(sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0))


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramAPI]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with running_telegram_api(flood=FloodModel()) as api:
        yield api


@pytest.fixture
async def publisher(api: TelegramAPI) -> AsyncIterator[TelegramPublisher]:
    async with open_telegram_publisher(
        TelegramConfig(token=TOKEN, base_url=api.base_url)
    ) as publisher:
        yield publisher


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[NewsService]:
    async with service_with_feed(tmp_path, CONFIG, RSS) as opened:
        yield opened


def _chat(chat_id: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(chat_id))


async def _deliver(
    service: NewsService, publisher: TelegramPublisher, chat_ids: list[int]
) -> SendReport:
    """Subscribe the chats at 07:30, plan their digests past it, and send them."""
    due = []
    for chat_id in chat_ids:
        subscription = await service.subscribe(_chat(chat_id), at="07:30", tz="Europe/Berlin")
        due.append(subscription.next_due_at)
    now = max(due) + timedelta(minutes=1)
    store: Store = service.store
    assert await store.plan_deliveries(now) == len(chat_ids)
    worker = DeliveryWorker(store, service, {Platform.TELEGRAM: publisher}, CONFIG.delivery)
    return await worker.send_due(now)


async def test_a_scheduled_digest_reaches_50_chats_once_each(
    api: TelegramAPI, publisher: TelegramPublisher, service: NewsService
) -> None:
    chat_ids = [*range(1001, 1041), *range(-2010, -2000)]
    report = await _deliver(service, publisher, chat_ids)
    assert (report.sent, report.failed, report.retried, report.unknown) == (50, 0, 0, 0)
    assert sorted(m.chat_id for m in api.sent) == sorted(chat_ids)
    for message in api.sent:
        assert message.parse_mode == "HTML"
        assert "Library extends opening hours" in message.text
        assert "Petra Lindqvist" in message.text


async def test_a_chat_that_blocked_the_bot_is_paused_and_not_retried(
    api: TelegramAPI, publisher: TelegramPublisher, service: NewsService
) -> None:
    api.blocked.add(3003)
    report = await _deliver(service, publisher, [3003, 3004])
    assert (report.sent, report.failed) == (1, 1)
    paused = await service.store.get_subscription(_chat(3003))
    assert paused is not None
    assert paused.paused
    assert "blocked" in (paused.paused_reason or "")
    running = await service.store.get_subscription(_chat(3004))
    assert running is not None
    assert not running.paused
    assert [m.chat_id for m in api.sent] == [3004]
    assert api.calls.count("sendMessage") == 2


async def test_a_group_that_became_a_supergroup_keeps_its_subscription(
    api: TelegramAPI, service: NewsService
) -> None:
    api.migrations[-300] = -1000300
    async with open_telegram_publisher(
        TelegramConfig(token=TOKEN, base_url=api.base_url), on_chat_migrated=service.move_chat
    ) as publisher:
        report = await _deliver(service, publisher, [-300])
    assert report.sent == 1
    assert [m.chat_id for m in api.sent] == [-1000300]
    settings = await service.settings(_chat(-1000300))
    assert settings.subscribed
    assert (settings.at, settings.tz) == ("07:30", "Europe/Berlin")
    assert not (await service.settings(_chat(-300))).subscribed
