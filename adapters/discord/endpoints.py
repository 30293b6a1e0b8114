"""Point discord.py at another REST base and gateway (`[discord] api_base`, `gateway_url`).

discord.py reads both from class attributes (`Route.BASE` when a route is built,
`DiscordWebSocket.DEFAULT_GATEWAY` when the gateway connects; a plain Client never asks
GET /gateway/bot). They are process-wide, so they are set here and only here. Several users (the
gateway adapter, a REST-only client) may hold them at once, in any order: the first sets them,
the last restores Discord's, and a user asking for different endpoints meanwhile is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.config import DiscordConfig


class _Endpoints:
    """Who holds the process-wide endpoints, and what to restore after the last one."""

    users = 0
    saved: tuple[str, yarl.URL] = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


@contextmanager
def discord_endpoints(config: DiscordConfig) -> Iterator[None]:
    """Use the configured REST base and gateway inside the block; restore Discord's after it."""
    wanted = _wanted(config)
    if _Endpoints.users == 0:
        _Endpoints.saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = wanted
    elif wanted != (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY):
        raise RuntimeError("discord.py is already pointed at other endpoints in this process")
    _Endpoints.users += 1
    try:
        yield
    finally:
        _Endpoints.users -= 1
        if _Endpoints.users == 0:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = _Endpoints.saved


def _wanted(config: DiscordConfig) -> tuple[str, yarl.URL]:
    default_base, default_gateway = (
        _Endpoints.saved if _Endpoints.users else (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    )
    base = config.api_base.rstrip("/") if config.api_base else default_base
    # discord.py appends only a query to the gateway URL, and Discord's own ends in "/".
    gateway = (
        yarl.URL(config.gateway_url.rstrip("/") + "/") if config.gateway_url else default_gateway
    )
    return base, gateway
