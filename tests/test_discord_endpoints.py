"""`[discord] api_base` and `gateway_url`: set for the process, restored after the last user."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.endpoints import discord_endpoints
from bot.config import DiscordConfig

LOCAL = DiscordConfig(
    api_base="http://127.0.0.1:8082/api/v10/", gateway_url="ws://127.0.0.1:8082/gateway"
)
DISCORD_API = "https://discord.com/api/v10"


def test_the_configured_endpoints_hold_inside_the_block_only() -> None:
    with discord_endpoints(LOCAL):
        assert Route.BASE == "http://127.0.0.1:8082/api/v10"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:8082/gateway/"
    assert Route.BASE == DISCORD_API
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


def test_no_configured_endpoints_change_nothing() -> None:
    with discord_endpoints(DiscordConfig()):
        assert Route.BASE == DISCORD_API


def test_endpoints_are_restored_after_the_last_user_whatever_the_order() -> None:
    first, second = ExitStack(), ExitStack()
    first.enter_context(discord_endpoints(LOCAL))
    second.enter_context(discord_endpoints(LOCAL))
    first.close()
    assert Route.BASE == "http://127.0.0.1:8082/api/v10"
    second.close()
    assert Route.BASE == DISCORD_API


def test_other_endpoints_while_in_use_are_refused() -> None:
    other = DiscordConfig(api_base="http://127.0.0.1:9/api/v10")
    with (
        discord_endpoints(LOCAL),
        pytest.raises(RuntimeError, match="other endpoints"),
        discord_endpoints(other),
    ):
        pass
    assert Route.BASE == DISCORD_API
