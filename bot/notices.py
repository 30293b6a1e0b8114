"""Notices to admins: what went wrong that they must act on, pushed to them as it happens.

A source paused after failing for `[sources] pause_after_hours` is never read again until an
admin adds it again (/addsource), so the admins in `[admins]` are told when it is paused:
Telegram admins in their private chat with the bot (a user id is that chat's id; the chat exists
once they have started the bot), Discord admins by direct message (which they may have turned
off for the server), and the console's admin in the terminal.

A notice that cannot be delivered (the admin never started the bot, the platform is down) is
logged and dropped: it is never retried, and it never stops the tick that raised it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from bot.chats import ChatRef, Platform
from bot.config import AdminsConfig, Config
from bot.errors import DeliveryError
from bot.models import Source
from bot.publisher import Publisher
from bot.replies import Reply
from bot.views import render_paused_sources

log = logging.getLogger(__name__)

CONSOLE_ADMIN = ChatRef(Platform.CONSOLE, "local")


def admin_chats(admins: AdminsConfig) -> list[ChatRef]:
    """The chats where each configured admin can be told something: on Telegram a user's id
    is their private chat's; on Discord "@" and the user id asks for a direct message."""
    chats = [ChatRef(Platform.TELEGRAM, str(user_id)) for user_id in admins.telegram]
    chats += [ChatRef(Platform.DISCORD, f"@{user_id}") for user_id in admins.discord]
    if admins.console:
        chats.append(CONSOLE_ADMIN)
    return chats


class AdminNotices:
    """Sends notices to the admins' chats through the running platforms' publishers."""

    def __init__(self, config: Config, publishers: Mapping[Platform, Publisher]) -> None:
        self._chats = [c for c in admin_chats(config.admins) if c.platform in publishers]
        self._publishers = publishers
        self._pause_after_hours = config.sources.pause_after_hours

    async def sources_paused(self, sources: Sequence[Source]) -> None:
        """Tell the admins that these sources were paused, and how to bring them back."""
        if sources:
            await self._send(render_paused_sources(sources, hours=self._pause_after_hours))

    async def _send(self, reply: Reply) -> None:
        for chat in self._chats:
            try:
                await self._publishers[chat.platform].publish(chat, reply)
            except DeliveryError as exc:
                log.warning("could not tell admin chat %s: %s", chat.chat_id, exc)
