"""DiscordPublisher: scheduled digests posted to channels over REST alone, errors translated.

It needs only a logged-in discord.Client (`login()` called, `connect()` not), so a worker process
delivers digests without a gateway connection; `rest_client` opens one.

discord.py retries 429s (and 500/502/504) itself; what still fails is translated here, at the
edge, into the core's delivery errors, so the core never sees a discord.HTTPException:
403 (e.g. 50001 Missing Access) and 404 (10003 Unknown Channel) are permanent: the core pauses
that channel's subscription. 5xx, a rate limit too long to wait out and a refused connection are
retryable. Once one message of a several-message digest is out, any failure is ambiguous: a
retry would post the first messages twice.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord

from adapters.discord.buttons import button_view
from adapters.discord.endpoints import discord_endpoints
from adapters.discord.render import DiscordMessage, render_plain, render_reply
from bot.chats import ChatRef, Platform
from bot.config import DiscordConfig
from bot.errors import (
    AmbiguousDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.publisher import BeforeSend
from bot.replies import Reply

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# discord.py waits out a rate limit up to this long; a longer one (or a global one) becomes
# RetryableDeliveryError, so one slow channel does not hold a delivery worker (30 is its minimum).
MAX_RATE_LIMIT_WAIT = 60.0


@asynccontextmanager
async def rest_client(config: DiscordConfig) -> AsyncIterator[discord.Client]:
    """A discord.Client logged in over REST, never connected to the gateway."""
    with discord_endpoints(config):
        async with discord.Client(
            intents=discord.Intents(guilds=True), max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT
        ) as client:
            amortise_bucket_cleanup(client.http)
            await client.login(config.token)
            yield client


def amortise_bucket_cleanup(http: discord.http.HTTPClient, every: float = 60.0) -> None:
    """Let discord.py sweep its idle rate-limit buckets at most once a minute.

    It keeps one bucket per channel and, past 256 buckets, scans them all each time it creates
    one: quadratic in a fan-out (2,000 channels took 4.4 million checks). Buckets only become
    idle after 300 s, so sweeping once a minute frees the same memory.
    """
    sweep = http._try_clear_expired_ratelimits
    last = -math.inf

    def sweep_now_and_then() -> None:
        nonlocal last
        if time.monotonic() - last >= every:
            last = time.monotonic()
            sweep()

    http._try_clear_expired_ratelimits = sweep_now_and_then  # type: ignore[method-assign]


class DiscordPublisher:
    """Sends replies to Discord channels: the ChatRef's chat_id is a channel id, or "@" and a
    user id for the bot's direct messages with that user (admin notices)."""

    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def publish(
        self, chat: ChatRef, reply: Reply, *, before_send: BeforeSend | None = None
    ) -> str:
        """Post `reply` to the channel, in as many messages as needed; return the first's id."""
        channel = await self._channel(chat)
        messages = render_reply(reply)
        if before_send is not None:  # discord.py may still wait for its rate limit after this
            await before_send()
        try:
            first = await _send(channel, messages[0])
        except _RejectedMessageError:
            log.warning("Discord refused the embeds for channel %s: sending text", chat.chat_id)
            messages = render_plain(reply)
            first = await _send(channel, messages[0])
        for number, message in enumerate(messages[1:], start=1):
            try:
                await _send(channel, message)
            except PermanentDeliveryError:
                raise
            except DeliveryError as exc:
                raise AmbiguousDeliveryError(
                    f"{number} of {len(messages)} messages posted, then: {exc}"
                ) from exc
        return first

    async def _channel(self, chat: ChatRef) -> discord.abc.Messageable:
        if not chat.chat_id.startswith("@"):
            return self._client.get_partial_messageable(int(chat.chat_id))
        try:  # discord.py keeps the DM channels it opened in its cache
            return await self._client.create_dm(discord.Object(int(chat.chat_id[1:])))
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
            raise translate_error(exc) from exc


async def _send(channel: discord.abc.Messageable, message: DiscordMessage) -> str:
    try:
        sent = await channel.send(
            content=message.content or None,
            embeds=list(message.embeds),
            view=view_of(message),
            allowed_mentions=NO_MENTIONS,
        )
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
        raise translate_error(exc) from exc
    return str(sent.id)


def view_of(message: DiscordMessage) -> Any:
    """The `view=` argument for a send: the message's buttons, or discord.py's "none"."""
    return button_view(message.buttons) if message.buttons else discord.utils.MISSING


def translate_error(exc: BaseException) -> DeliveryError:
    """The core's delivery error for a discord.py or aiohttp failure of one send."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return PermanentDeliveryError(f"Discord {exc.status} ({exc.code}): {exc.text}")
    if isinstance(exc, discord.RateLimited):
        return RetryableDeliveryError("Discord rate limit", exc.retry_after)
    if isinstance(exc, discord.DiscordServerError):
        return RetryableDeliveryError(f"Discord {exc.status}: {exc.text}", 30.0)
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        # A 429 without Discord's headers: Cloudflare's ban, measured in minutes.
        return RetryableDeliveryError("Discord refused the connection (Cloudflare)", 600.0)
    if isinstance(exc, aiohttp.ClientConnectorError) or _unsent(exc):
        return RetryableDeliveryError(f"cannot connect to Discord: {exc}", 5.0)
    if isinstance(exc, discord.HTTPException):
        return _RejectedMessageError(f"Discord {exc.status} ({exc.code}): {exc.text}")
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return AmbiguousDeliveryError(f"Discord did not answer: {exc!r}")
    return DeliveryError(f"Discord send failed: {exc!r}")


def _unsent(exc: BaseException) -> bool:
    # aiohttp's words when writing the request failed (e.g. a closed keep-alive connection):
    # the request never reached Discord whole, so Discord cannot have acted on it.
    return isinstance(exc, aiohttp.ClientOSError) and "Can not write request body" in str(exc)


class _RejectedMessageError(DeliveryError):
    """Discord refused the message itself (4xx, e.g. 50035): nothing was posted; resending the
    same message cannot help, so the core gets the base DeliveryError."""
