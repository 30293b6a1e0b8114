"""Point discord.py at another REST base and gateway (`[discord] api_base`, `gateway_url`).

discord.py reads both from class attributes (`Route.BASE` when a route is built,
`DiscordWebSocket.DEFAULT_GATEWAY` when the gateway connects; a plain Client never asks
GET /gateway/bot). They are process-wide, so they are set here and only here, and restored on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.config import DiscordConfig


@contextmanager
def discord_endpoints(config: DiscordConfig) -> Iterator[None]:
    """Use the configured REST base and gateway inside the block; restore Discord's after it."""
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if config.api_base:
        Route.BASE = config.api_base.rstrip("/")
    if config.gateway_url:
        # discord.py appends only a query to the gateway URL, and Discord's own ends in "/".
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url.rstrip("/") + "/")
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved_base, saved_gateway
