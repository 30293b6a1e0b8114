"""DiscordPublisher over REST alone against the Discord stand-in: fan-out, limits, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import discord
import pytest

from adapters.discord.publisher import DiscordPublisher, amortise_bucket_cleanup, rest_client
from bot.chats import ChatRef, Platform
from bot.config import DiscordConfig
from bot.errors import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.replies import Heading, Link, Paragraph, Quote, Reply, Section, Text
from tests.discord_api import DiscordStandIn
from tests.discord_payloads import message_errors, next_snowflake


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as api:
        yield api
        assert api.unknown_routes == []


@pytest.fixture
async def client(discord_api: DiscordStandIn) -> AsyncIterator[discord.Client]:
    config = DiscordConfig(
        api_base=discord_api.api_base + "/",
        gateway_url=discord_api.gateway_url,
        token=discord_api.token,
    )
    async with rest_client(config) as client:
        yield client


def _chat(channel_id: int) -> ChatRef:
    return ChatRef(Platform.DISCORD, str(channel_id))


def _digest(stories: int) -> Reply:
    words = " ".join(f"word{i}" for i in range(250))
    return Reply(
        sections=tuple(
            Section(
                (
                    Heading((Link(f"Story {n}", f"https://news.example/{n}"),)),
                    Paragraph((Text(f"{words} @everyone"),)),
                    Quote("It is done", "Minister Vale"),
                )
            )
            for n in range(stories)
        )
    )


async def test_a_digest_reaches_50_channels_over_rest_alone(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    publisher = DiscordPublisher(client)
    channels = [next_snowflake() for _ in range(50)]
    ids = [await publisher.publish(_chat(channel), _digest(2)) for channel in channels]
    assert discord_api.identifies == 0
    assert len(set(ids)) == 50
    for channel, message_id in zip(channels, ids, strict=True):
        [message] = discord_api.channel_messages(channel)
        assert str(message.message_id) == message_id
        assert [e["title"] for e in message.embeds] == ["Story 0", "Story 1"]


async def test_a_long_digest_is_split_in_order_within_every_limit(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    await DiscordPublisher(client).publish(_chat(channel), _digest(40))
    messages = discord_api.channel_messages(channel)
    assert len(messages) > 2
    for message in messages:
        assert message_errors(message.body) == {}
    titles = [embed["title"] for message in messages for embed in message.embeds]
    assert titles == [f"Story {n}" for n in range(40)]


async def test_no_message_can_ping(discord_api: DiscordStandIn, client: discord.Client) -> None:
    channel = next_snowflake()
    await DiscordPublisher(client).publish(_chat(channel), _digest(3))
    for message in discord_api.channel_messages(channel):
        assert message.body["allowed_mentions"] == {"parse": []}
        for embed in message.embeds:
            assert "@everyone" not in embed["description"]
            assert "@\u200beveryone" in embed["description"]


@pytest.mark.parametrize("status", [403, 404])
async def test_a_gone_or_forbidden_channel_is_a_permanent_error(
    discord_api: DiscordStandIn, client: discord.Client, status: int
) -> None:
    channel = next_snowflake()
    discord_api.channel_failures[channel] = status
    with pytest.raises(PermanentDeliveryError, match=str(status)):
        await DiscordPublisher(client).publish(_chat(channel), _digest(1))
    assert discord_api.channel_messages(channel) == []


async def test_a_server_error_is_retryable(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.channel_failures[channel] = 503
    with pytest.raises(RetryableDeliveryError):
        await DiscordPublisher(client).publish(_chat(channel), _digest(1))


async def test_embeds_discord_refuses_are_sent_again_as_plain_text(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.embed_total_limit = 100
    await DiscordPublisher(client).publish(_chat(channel), _digest(3))
    messages = discord_api.channel_messages(channel)
    assert len(messages) > 1
    assert all(not m.embeds and len(m.content) <= 2000 for m in messages)
    text = "\n".join(m.content for m in messages)
    starts = [text.index(f"Story {n} (https://news.example/{n})") for n in range(3)]
    assert starts == sorted(starts)
    assert all(m.body["allowed_mentions"] == {"parse": []} for m in messages)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "embeds"),
        ({"embeds": [{"description": "d"}] * 11}, "embeds"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "embeds"),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "embeds"),
        ({"content": "c", "components": [{"type": 1, "components": []}] * 6}, "components"),
    ],
)
async def test_the_stand_in_refuses_messages_over_discords_limits(
    discord_api: DiscordStandIn, body: dict[str, object], field: str
) -> None:
    url = f"{discord_api.api_base}/channels/{next_snowflake()}/messages"
    headers = {"Authorization": f"Bot {discord_api.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as answer,
    ):
        error = await answer.json()
    assert (answer.status, error["code"]) == (400, 50035)
    assert list(error["errors"]) == [field]
    assert answer.headers["Content-Type"] == "application/json"


async def test_a_429_is_waited_out_and_the_digest_arrives(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.rate_limits[channel] = 2
    await DiscordPublisher(client).publish(_chat(channel), _digest(1))
    assert discord_api.rate_limited == 2
    assert len(discord_api.channel_messages(channel)) == 1


async def test_a_rate_limit_too_long_to_wait_is_retryable_later(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.rate_limits[channel] = 1
    discord_api.retry_after = 600.0
    with pytest.raises(RetryableDeliveryError) as raised:
        await DiscordPublisher(client).publish(_chat(channel), _digest(1))
    assert raised.value.retry_after == 600.0
    assert discord_api.channel_messages(channel) == []


async def test_a_channel_deleted_mid_digest_is_still_permanent(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.fail_after[channel] = (1, 404)
    with pytest.raises(PermanentDeliveryError):
        await DiscordPublisher(client).publish(_chat(channel), _digest(40))
    assert len(discord_api.channel_messages(channel)) == 1


async def test_a_failure_after_the_first_message_is_ambiguous(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    channel = next_snowflake()
    discord_api.fail_after[channel] = (1, 503)
    with pytest.raises(AmbiguousDeliveryError, match="1 of"):
        await DiscordPublisher(client).publish(_chat(channel), _digest(40))


async def test_a_refused_connection_is_retryable(discord_api: DiscordStandIn) -> None:
    config = DiscordConfig(
        api_base=discord_api.api_base, gateway_url=discord_api.gateway_url, token=discord_api.token
    )
    async with rest_client(config) as client:
        await discord_api.__aexit__(None, None, None)
        with pytest.raises(RetryableDeliveryError, match="cannot connect"):
            await DiscordPublisher(client).publish(_chat(next_snowflake()), _digest(1))


async def test_rest_client_restores_discords_endpoints(discord_api: DiscordStandIn) -> None:
    config = DiscordConfig(
        api_base=discord_api.api_base, gateway_url=discord_api.gateway_url, token=discord_api.token
    )
    async with rest_client(config):
        assert discord_api.api_base == discord.http.Route.BASE
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


def test_discords_bucket_sweep_runs_at_most_once_a_minute() -> None:
    sweeps: list[int] = []
    http = SimpleNamespace(_try_clear_expired_ratelimits=lambda: sweeps.append(1))
    amortise_bucket_cleanup(http)  # type: ignore[arg-type]
    for _ in range(1000):
        http._try_clear_expired_ratelimits()
    assert sweeps == [1]


async def test_a_user_chat_is_a_direct_message(
    discord_api: DiscordStandIn, client: discord.Client
) -> None:
    user = ChatRef(Platform.DISCORD, "@4242")
    publisher = DiscordPublisher(client)
    await publisher.publish(user, Reply(sections=(Section((Paragraph((Text("one"),)),)),)))
    await publisher.publish(user, Reply(sections=(Section((Paragraph((Text("two"),)),)),)))
    dm = discord_api.dm_channels[4242]
    posted = discord_api.channel_messages(dm)
    assert [[e.get("description") for e in m.embeds] for m in posted] == [["one"], ["two"]]
