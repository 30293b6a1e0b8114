"""TelegramPacer against the stand-in's flood model, with every limit scaled down and the same on
both sides, so the test takes about a second. Real limits are measured in the benchmark.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram.pacing import FloodLimits, TelegramPacer
from adapters.telegram.publisher import TelegramPublisher
from bot.chats import ChatRef, Platform
from bot.replies import plain_reply
from tests.telegram_api import TOKEN, TelegramAPI, running_telegram_api
from tests.telegram_rules import FloodModel

# Generous margins: the assertion is about the pacer's logic, not about a quiet machine.
LIMITS = FloodLimits(
    per_second=50, chat_interval=0.1, group_per_minute=4, group_window=0.5, margin=0.25
)


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramAPI]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    flood = FloodModel(per_second=50, chat_interval=0.1, group_per_minute=4, group_window=0.5)
    async with running_telegram_api(flood=flood) as api:
        yield api


async def test_paced_fan_out_stays_within_the_flood_limits_in_order(api: TelegramAPI) -> None:
    request = HTTPXRequest(connection_pool_size=64)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
        publisher = TelegramPublisher(bot, pacer=TelegramPacer(LIMITS))

        async def send(chat_id: int, count: int) -> None:
            chat = ChatRef(Platform.TELEGRAM, str(chat_id))
            for n in range(count):
                await publisher.publish(chat, plain_reply(f"{n}"))

        # 20 private chats get 3 messages each, two groups 6 each (over their 4 per window).
        plan = {**dict.fromkeys(range(1, 21), 3), -7: 6, -8: 6}
        await asyncio.gather(*(send(chat_id, count) for chat_id, count in plan.items()))
    assert api.flood is not None
    assert api.flood.rejected == 0
    for chat_id, count in plan.items():
        assert [m.text for m in api.sent if m.chat_id == chat_id] == [str(n) for n in range(count)]
