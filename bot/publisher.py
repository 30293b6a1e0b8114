"""The Publisher interface: how the core hands a rendered-later Reply to a chat platform.

Each adapter implements it (TelegramPublisher, DiscordPublisher, ConsolePublisher) and translates
its platform's errors at its edge into the core's delivery errors:
- RetryableDeliveryError(retry_after): provably nothing was delivered (429, connection refused
  before the request was sent, 5xx with no message created); the core may try again later;
- PermanentDeliveryError: the bot was blocked, kicked, or the chat is gone; the subscription is
  paused, never retried;
- AmbiguousDeliveryError: the request may have reached the platform (timeout after sending); the
  core never resends it.

`before_send`, when given, is awaited immediately before each platform request (after any wait
for the platform's rate limit): the delivery ledger commits "this one is being sent" there, so a
crash can only leave in doubt the messages whose request had started. If it raises, the publisher
sends nothing more and lets the exception through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.chats import ChatRef, Platform
from bot.replies import Reply

BeforeSend = Callable[[], Awaitable[None]]


class Publisher(Protocol):
    """Sends replies to chats of one platform."""

    platform: Platform

    async def publish(
        self, chat: ChatRef, reply: Reply, *, before_send: BeforeSend | None = None
    ) -> str:
        """Send `reply` to `chat` (several messages if needed); return the first message's id."""
        ...
