"""Scheduled digests to Discord channels: the delivery worker with DiscordPublisher over REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import discord
import pytest

from adapters.discord.publisher import DiscordPublisher, rest_client
from bot.chats import ChatRef, Platform
from bot.config import Config, DiscordConfig, SourcesConfig
from bot.delivery import DeliveryWorker
from bot.service import NewsService
from bot.store import Store
from tests.discord_api import DiscordStandIn
from tests.discord_payloads import next_snowflake
from tests.stores import service_with_feed
from tests.test_discord_commands import RSS

CONFIG = Config(sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0))


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as api:
        yield api
        assert api.unknown_routes == []


@pytest.fixture
async def client(discord_api: DiscordStandIn) -> AsyncIterator[discord.Client]:
    config = DiscordConfig(
        api_base=discord_api.api_base, gateway_url=discord_api.gateway_url, token=discord_api.token
    )
    async with rest_client(config) as client:
        yield client


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[NewsService]:
    async with service_with_feed(tmp_path, CONFIG, RSS) as opened:
        yield opened


async def _deliver(service: NewsService, client: discord.Client, channels: list[int]) -> int:
    """Subscribe the channels at 07:30, plan their digests past it, and send them."""
    due = []
    for channel in channels:
        subscription = await service.subscribe(_chat(channel), at="07:30", tz="Europe/Berlin")
        due.append(subscription.next_due_at)
    now = max(due) + timedelta(minutes=1)
    store: Store = service.store
    assert await store.plan_deliveries(now) == len(channels)
    publishers = {Platform.DISCORD: DiscordPublisher(client)}
    report = await DeliveryWorker(store, service, publishers, CONFIG.delivery).send_due(now)
    return report.sent


def _chat(channel: int) -> ChatRef:
    return ChatRef(Platform.DISCORD, str(channel))


async def test_a_scheduled_digest_reaches_50_channels(
    discord_api: DiscordStandIn, client: discord.Client, service: NewsService
) -> None:
    channels = [next_snowflake() for _ in range(50)]
    assert await _deliver(service, client, channels) == 50
    assert discord_api.identifies == 0
    for channel in channels:
        [message] = discord_api.channel_messages(channel)
        titles = [embed.get("title") for embed in message.embeds]
        assert "Lighthouse reopens to visitors" in titles
        assert message.body["allowed_mentions"] == {"parse": []}


async def test_a_deleted_channel_pauses_its_subscription(
    discord_api: DiscordStandIn, client: discord.Client, service: NewsService
) -> None:
    gone, alive = next_snowflake(), next_snowflake()
    discord_api.channel_failures[gone] = 404
    assert await _deliver(service, client, [gone, alive]) == 1
    paused = await service.store.get_subscription(_chat(gone))
    assert paused is not None
    assert paused.paused
    assert "10003" in (paused.paused_reason or "")
    running = await service.store.get_subscription(_chat(alive))
    assert running is not None
    assert not running.paused
