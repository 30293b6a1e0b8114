"""Admin notices: a paused source is pushed to each admin's Telegram chat, through the real
python-telegram-bot publisher and the local Bot API stand-in."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot

from adapters.discord.publisher import DiscordPublisher, rest_client
from adapters.telegram.pacing import FloodLimits, TelegramPacer
from adapters.telegram.publisher import TelegramPublisher
from adapters.telegram.request import AiohttpRequest
from bot.chats import ChatRef, Platform
from bot.config import AdminsConfig, Config, DiscordConfig
from bot.models import Source, SourceKind
from bot.notices import AdminNotices, admin_chats
from bot.publisher import Publisher
from tests.discord_api import DiscordStandIn
from tests.telegram_api import TOKEN, TelegramAPI

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SOURCE = Source(
    id=3,
    url="https://harbour.example/feed.xml",
    kind=SourceKind.FEED,
    title="Harbour <Times>",
    interval_minutes=30,
    added_by="admin",
    added_at=NOW,
    paused=True,
    last_error="HTTP 500 from https://harbour.example/feed.xml",
)


@pytest.fixture
async def publisher(api: TelegramAPI) -> AsyncIterator[TelegramPublisher]:
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        fast = FloodLimits(
            per_second=10_000, chat_interval=0.0, group_per_minute=10_000, margin=0.0
        )
        pacer = TelegramPacer(fast)
        yield TelegramPublisher(bot, pacer=pacer)


def _config(*telegram: int) -> Config:
    return dataclasses.replace(Config(), admins=AdminsConfig(telegram=telegram, console=False))


async def test_each_telegram_admin_is_told_how_to_resume_a_paused_source(
    api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    notices = AdminNotices(_config(41, 42), {Platform.TELEGRAM: publisher})
    await notices.sources_paused([SOURCE])
    assert sorted(m.chat_id for m in api.sent) == [41, 42]
    text = api.sent[0].text
    assert "Paused after failing for 24 hours" in text
    assert "Harbour <Times>: HTTP 500 from https://harbour.example/feed.xml" in text
    assert "/addsource https://harbour.example/feed.xml" in text


async def test_an_admin_who_blocked_the_bot_does_not_stop_the_others(
    api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    api.blocked.add(41)
    notices = AdminNotices(_config(41, 42), {Platform.TELEGRAM: publisher})
    await notices.sources_paused([SOURCE])
    assert [m.chat_id for m in api.sent] == [42]


def test_admin_chats_are_private_chats_direct_messages_and_the_console() -> None:
    admins = AdminsConfig(telegram=(7,), discord=(8,), console=True)
    assert admin_chats(admins) == [
        ChatRef(Platform.TELEGRAM, "7"),
        ChatRef(Platform.DISCORD, "@8"),
        ChatRef(Platform.CONSOLE, "local"),
    ]


async def test_discord_admins_get_a_direct_message(
    api: TelegramAPI, publisher: TelegramPublisher
) -> None:
    async with DiscordStandIn() as discord_api:
        config = DiscordConfig(
            api_base=discord_api.api_base + "/",
            gateway_url=discord_api.gateway_url,
            token=discord_api.token,
        )
        async with rest_client(config) as client:
            admins = AdminsConfig(telegram=(41,), discord=(8080,), console=False)
            publishers: dict[Platform, Publisher] = {
                Platform.TELEGRAM: publisher,
                Platform.DISCORD: DiscordPublisher(client),
            }
            notices = AdminNotices(dataclasses.replace(Config(), admins=admins), publishers)
            await notices.sources_paused([SOURCE])
        [message] = discord_api.channel_messages(discord_api.dm_channels[8080])
        assert discord_api.unknown_routes == []
    shown = str(message.embeds) + (message.content or "")
    assert "/addsource https://harbour.example/feed.xml" in shown
    assert [m.chat_id for m in api.sent] == [41]
