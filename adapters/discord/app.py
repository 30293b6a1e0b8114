"""DiscordAdapter: slash commands in, rendered replies out, on discord.py in the shared loop.

`start()` runs `async with client: await client.start(token)` in a task (never `client.run()`,
which would own the event loop python-telegram-bot also runs in) and returns once logged in
(slash commands synced) and the gateway session is ready, or after `ready_within` seconds at
most; `stop()` closes it. The configured REST base and gateway are in force between
the two (adapters.discord.endpoints).

Every interaction is acknowledged within Discord's 3 seconds: the router gets `answer_within`
(2 s) to answer directly; past that the interaction is deferred ("thinking…") and the reply
replaces that message when it comes. A failure gets an ephemeral error reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.buttons import command_of
from adapters.discord.commands import CommandHandler, build_slash_commands, sync_commands
from adapters.discord.endpoints import discord_endpoints
from adapters.discord.publisher import (
    MAX_RATE_LIMIT_WAIT,
    NO_MENTIONS,
    DiscordPublisher,
    amortise_bucket_cleanup,
    view_of,
)
from adapters.discord.render import DiscordMessage, render_reply
from bot.chats import Caller, ChatKind, ChatRef, Platform
from bot.config import DiscordConfig
from bot.errors import ConfigError, NotFound, PermissionDenied, UsageError
from bot.replies import Reply, plain_reply

log = logging.getLogger(__name__)

FAILURE_TEXT = "Sorry, that command failed. Please try again later."


class DiscordAdapter:
    """The bot on Discord: one gateway session, the slash commands, and a REST publisher."""

    def __init__(
        self,
        config: DiscordConfig,
        handler: CommandHandler,
        *,
        answer_within: float = 2.0,
        guild_ready_timeout: float = 2.0,
        ready_within: float = 30.0,
    ) -> None:
        self._config = config
        self._handler = handler
        self._answer_within = answer_within
        self._guild_ready_timeout = guild_ready_timeout
        self._ready_within = ready_within
        self._endpoints = contextlib.ExitStack()
        self._client: _NewsdigestClient | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def client(self) -> discord.Client:
        """The running discord.py client."""
        if self._client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._client

    @property
    def publisher(self) -> DiscordPublisher:
        """A publisher that posts over this adapter's REST session."""
        return DiscordPublisher(self.client)

    @property
    def commands_synced(self) -> bool:
        """Whether this start-up had to register the slash commands (they had changed)."""
        return self._client is not None and self._client.commands_synced

    async def start(self) -> None:
        """Log in, sync the commands if they changed, connect, and wait for the gateway.

        A gateway that is not ready within `ready_within` seconds (a Discord outage) does not
        hold up the rest of the bot: discord.py keeps connecting in the background, and
        digests go out over REST meanwhile.
        """
        self._endpoints.enter_context(discord_endpoints(self._config))
        self._client = _NewsdigestClient(self, guild_ready_timeout=self._guild_ready_timeout)
        self._task = asyncio.create_task(self._run(self._client), name="discord-gateway")
        await _until(self._client.logged_in, self._task, within=None)
        await _until(self._client.ready, self._task, within=self._ready_within)
        if self._task.done():
            failure = self._task.exception()
            await self.stop()
            if isinstance(failure, discord.LoginFailure):
                raise ConfigError("discord.token", "Discord rejected the token") from failure
            raise RuntimeError("the Discord adapter stopped while starting") from failure
        if not self._client.ready.is_set():
            log.warning("the Discord gateway is not ready yet; it keeps connecting")

    async def stop(self) -> None:
        """Close the gateway and REST sessions and restore discord.py's endpoints."""
        if self._client is not None:
            await self._client.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        self._endpoints.close()

    async def __aenter__(self) -> DiscordAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self, client: discord.Client) -> None:
        try:
            async with client:
                await client.start(self._config.token)
        except Exception:
            log.exception("the Discord connection ended with an error")
            raise

    async def on_command(self, interaction: discord.Interaction, text: str) -> None:
        """Answer one slash command: route it, acknowledge in time, send the rendered reply."""
        answer = asyncio.ensure_future(self._route(caller_of(interaction), text))
        await asyncio.wait({answer}, timeout=self._answer_within)
        try:
            if not answer.done():
                await interaction.response.defer(thinking=True)
            await send_reply(interaction, await answer)
        except discord.HTTPException:
            log.warning("could not answer %s", text, exc_info=True)

    async def _route(self, caller: Caller, text: str) -> Reply:
        try:
            return await self._handler.handle(caller, text)
        except (UsageError, PermissionDenied, NotFound) as exc:
            return plain_reply(str(exc), ephemeral=True)
        except Exception:
            log.exception("command %r failed", text)
            return plain_reply(FAILURE_TEXT, ephemeral=True)


class _NewsdigestClient(discord.Client):
    """discord.Client with the command tree, commands synced in setup_hook."""

    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float) -> None:
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=NO_MENTIONS,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
        )
        amortise_bucket_cleanup(self.http)
        self.tree = _CommandTree(self)
        for command in build_slash_commands(adapter.on_command):
            self.tree.add_command(command)
        self.logged_in = asyncio.Event()
        self.ready = asyncio.Event()
        self.commands_synced = False
        self._adapter = adapter

    async def setup_hook(self) -> None:
        """Register the slash commands if Discord's copy differs (runs once, after login)."""
        self.commands_synced = await sync_commands(self.tree)
        self.logged_in.set()

    async def on_ready(self) -> None:
        """The gateway session is up."""
        self.ready.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A pressed reply button runs its command (slash commands go through the tree)."""
        command = command_of(interaction)
        if command is not None:
            await self._adapter.on_command(interaction, command)


class _CommandTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """A command that failed before reaching the router still gets an answer."""
        log.error("slash command failed", exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            await send_reply(interaction, plain_reply(FAILURE_TEXT, ephemeral=True))


async def _until(event: asyncio.Event, task: asyncio.Task[None], *, within: float | None) -> None:
    """Wait for `event`, the end of `task`, or `within` seconds, whichever comes first."""
    waiter = asyncio.create_task(event.wait())
    await asyncio.wait({waiter, task}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()


def caller_of(interaction: discord.Interaction) -> Caller:
    """Who sent the command, and in which channel (subscriptions are per channel)."""
    in_guild = interaction.guild_id is not None
    permissions = interaction.permissions
    return Caller(
        chat=ChatRef(Platform.DISCORD, str(interaction.channel_id)),
        user_id=str(interaction.user.id),
        chat_kind=ChatKind.GROUP if in_guild else ChatKind.PRIVATE,
        is_chat_admin=permissions.manage_guild or permissions.administrator or not in_guild,
        display_name=interaction.user.display_name,
    )


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Send `reply` as the interaction's response (or its deferred message) and followups."""
    messages = render_reply(reply)
    ephemeral = reply.ephemeral
    if not interaction.response.is_done():
        first = messages.pop(0)
        await interaction.response.send_message(
            first.content or None,
            embeds=list(first.embeds),
            view=view_of(first),
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    elif ephemeral:
        # The deferred "thinking…" message is public: replace it with an ephemeral followup.
        await interaction.delete_original_response()
    else:
        first = messages.pop(0)
        await interaction.edit_original_response(
            content=first.content or None,
            embeds=list(first.embeds),
            view=view_of(first) or None,
            allowed_mentions=NO_MENTIONS,
        )
    for message in messages:
        await _followup(interaction, message, ephemeral)


async def _followup(
    interaction: discord.Interaction, message: DiscordMessage, ephemeral: bool
) -> None:
    await interaction.followup.send(
        message.content or discord.utils.MISSING,
        embeds=list(message.embeds),
        view=view_of(message),
        ephemeral=ephemeral,
        allowed_mentions=NO_MENTIONS,
    )
