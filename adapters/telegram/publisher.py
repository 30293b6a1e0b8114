"""TelegramPublisher: send a Reply to a Telegram chat, paced, with Telegram's errors translated.

The core only ever sees bot.errors: this module is the edge where telegram.error ends.
- 429 (RetryAfter): wait `retry_after` and try again, a bounded number of times;
- 403 (Forbidden: blocked, kicked, chat deleted) and 400 "chat not found": PermanentDeliveryError;
- 400 "can't parse entities": the message is sent again as plain text, and logged;
- ChatMigrated (a group became a supergroup): `on_chat_migrated(old, new)` is called so the core
  can move the subscription, and the message goes to the new chat;
- no connection, a pool timeout, a 5xx answer: nothing was delivered, RetryableDeliveryError;
- a timeout or a dropped connection after the request was sent: AmbiguousDeliveryError.
`before_send` (bot/publisher.py) is awaited inside the pacer's slot, right before each request.
A publisher given its pool's `connections` keeps the requests beyond them waiting in a semaphore:
httpcore's pool rescans its whole queue whenever a request starts or ends, which costs more CPU
than the request itself when a fan-out queues dozens of sends.
Sending a digest to many chats costs little per chat:
- a sending-only publisher's Bot sends through aiohttp (adapters/telegram/request.py), a third of
  httpx's CPU per request, and quotes the form-encoded digest text once for all chats;
- a reply is rendered, and its keyboard and link preview options JSON-encoded, once;
- a message is sent with `Bot.do_api_request`, which hands back Telegram's answer as a dict:
  only the message id is read, where `send_message` builds a Message with its Chat and User
  objects (a third of python-telegram-bot's CPU per message). Errors are the same: both go
  through the same request code. PTB warns that `send_message` exists; that warning is filtered.
A reply of several messages that fails after its first message was delivered raises
AmbiguousDeliveryError instead of RetryableDeliveryError: resending would double the first part.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBUserWarning

from adapters.telegram.pacing import TelegramPacer
from adapters.telegram.redaction import TokenRedactor
from adapters.telegram.render import render_plain_fallback, render_reply
from adapters.telegram.request import AiohttpRequest, RequestFailure
from bot.chats import ChatRef, Platform
from bot.config import TelegramConfig
from bot.errors import (
    AmbiguousDeliveryError,
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.publisher import BeforeSend
from bot.replies import Button, Reply

log = logging.getLogger(__name__)

ChatMigratedCallback = Callable[[ChatRef, ChatRef], Awaitable[None]]

# Telegram limits callback data to 64 bytes; a longer button command cannot be offered.
_CALLBACK_DATA_LIMIT = 64
# httpx errors proving that the request never left (PTB's own HTTPXRequest, in the adapter).
_HTTPX_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Sending with do_api_request is deliberate (see above); pyproject.toml ignores it in tests too.
warnings.filterwarnings(
    "ignore", r"Please use 'Bot\.sendMessage'", PTBUserWarning, module=__name__
)


class TelegramPublisher:
    """Sends replies to Telegram chats through a python-telegram-bot Bot."""

    platform = Platform.TELEGRAM

    def __init__(
        self,
        bot: Bot,
        *,
        link_previews: bool = False,
        pacer: TelegramPacer | None = None,
        on_chat_migrated: ChatMigratedCallback | None = None,
        max_attempts: int = 4,
        max_retry_after: float = 60.0,
        connections: int | None = None,
    ) -> None:
        self.bot = bot
        # Requests beyond the bot's connection pool wait here, not in httpcore's pool, whose
        # queue is scanned against every connection each time a request starts or ends.
        self._requests = asyncio.Semaphore(connections) if connections else nullcontext()
        self.pacer = pacer
        self._previews = json.dumps(LinkPreviewOptions(is_disabled=not link_previews).to_dict())
        self._on_chat_migrated = on_chat_migrated
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._last_rendered: tuple[Reply, list[str], str | None] | None = None

    async def publish(
        self, chat: ChatRef, reply: Reply, *, before_send: BeforeSend | None = None
    ) -> str:
        """Send `reply` to `chat` as one or more messages; return the first message's id."""
        messages, markup = self._rendered(reply)
        if not messages:
            raise ValueError("an empty reply cannot be sent")
        first_id = ""
        for index, text in enumerate(messages):
            is_last = index == len(messages) - 1
            try:
                chat, message_id = await self._send(
                    chat, text, markup if is_last else None, before_send
                )
            except RetryableDeliveryError as exc:
                if not first_id:
                    raise
                raise AmbiguousDeliveryError(f"partly delivered: {exc}") from exc
            first_id = first_id or message_id
        return first_id

    def _rendered(self, reply: Reply) -> tuple[list[str], str | None]:
        """The messages and the keyboard's JSON, made once per reply: a fan-out sends the same
        digest object to every chat."""
        if self._last_rendered is None or self._last_rendered[0] is not reply:
            keyboard = build_keyboard(reply.buttons)
            markup = json.dumps(keyboard.to_dict()) if keyboard else None
            self._last_rendered = (reply, render_reply(reply), markup)
        return self._last_rendered[1], self._last_rendered[2]

    async def _send(
        self,
        chat: ChatRef,
        text: str,
        markup: str | None,
        before_send: BeforeSend | None = None,
    ) -> tuple[ChatRef, str]:
        """Send one HTML message, following migrations and plain-text fallbacks."""
        html_mode = True
        for attempt in range(1, self._max_attempts + 1):
            try:
                if html_mode:
                    sent = await self._send_once(chat, text, markup, True, before_send)
                    return chat, sent
                return chat, await self._send_plain(chat, text, markup, before_send)
            except RetryAfter as exc:
                await self._wait_out(exc, chat, attempt)
            except ChatMigrated as exc:
                chat = await self._follow_migration(chat, exc.new_chat_id)
            except BadRequest as exc:
                if not html_mode or "can't parse entities" not in exc.message.lower():
                    raise translate_error(exc) from exc
                log.warning("Telegram rejected our HTML for chat %s (%s)", chat.chat_id, exc)
                html_mode = False
            except TelegramError as exc:
                raise translate_error(exc) from exc
        raise RetryableDeliveryError(f"not sent after {self._max_attempts} attempts")

    async def _send_plain(
        self,
        chat: ChatRef,
        text: str,
        markup: str | None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """The fallback: the message's text without formatting, cut again if links made it long."""
        *pieces, last = render_plain_fallback(text)
        sent = [await self._send_once(chat, p, None, False, before_send) for p in pieces]
        sent.append(await self._send_once(chat, last, markup, False, before_send))
        return sent[0]

    async def _send_once(
        self,
        chat: ChatRef,
        text: str,
        markup: str | None,
        html_mode: bool,
        before_send: BeforeSend | None = None,
    ) -> str:
        chat_id = int(chat.chat_id) if chat.chat_id.lstrip("-").isdigit() else chat.chat_id
        parse_mode = ParseMode.HTML if html_mode else None
        is_group = chat.chat_id.startswith("-")  # groups, supergroups and channels
        pacing = self.pacer.slot(chat.chat_id, is_group=is_group) if self.pacer else nullcontext()
        async with pacing:
            if before_send is not None:
                await before_send()
            async with self._requests:
                message = await self.bot.do_api_request(
                    "sendMessage",  # the answer as a dict: see the module's docstring
                    api_kwargs={
                        "chat_id": chat_id,
                        "text": text,
                        "parse_mode": parse_mode,
                        "reply_markup": markup,
                        "link_preview_options": self._previews,
                    },
                )
        return str(message["message_id"])

    async def _wait_out(self, exc: RetryAfter, chat: ChatRef, attempt: int) -> None:
        delay = retry_after_seconds(exc)
        if attempt >= self._max_attempts or delay > self._max_retry_after:
            raise RetryableDeliveryError("rate limited by Telegram", retry_after=delay) from exc
        log.info("Telegram asked to wait %.1f s before writing to chat %s", delay, chat.chat_id)
        await asyncio.sleep(delay)

    async def _follow_migration(self, chat: ChatRef, new_chat_id: int) -> ChatRef:
        new_chat = ChatRef(Platform.TELEGRAM, str(new_chat_id))
        log.info("chat %s moved to %s", chat.chat_id, new_chat.chat_id)
        if self._on_chat_migrated is not None:
            await self._on_chat_migrated(chat, new_chat)
        return new_chat


@asynccontextmanager
async def open_telegram_publisher(
    config: TelegramConfig,
    *,
    pacer: TelegramPacer | None = None,
    on_chat_migrated: ChatMigratedCallback | None = None,
    connections: int = 8,
) -> AsyncIterator[TelegramPublisher]:
    """A publisher with its own Bot, for processes that send digests but do not poll."""
    redactor = TokenRedactor(config.token)
    redactor.install()
    request = AiohttpRequest(connections=connections, pool_timeout=30.0)
    bot = Bot(config.token, base_url=config.base_url, request=request)
    try:
        try:
            await bot.initialize()
        except TelegramError as exc:
            raise startup_error(exc, config) from None
        yield TelegramPublisher(
            bot,
            link_previews=config.link_previews,
            pacer=pacer or TelegramPacer(),
            on_chat_migrated=on_chat_migrated,
            connections=connections,
        )
    finally:
        await bot.shutdown()
        redactor.uninstall()


def startup_error(exc: TelegramError, config: TelegramConfig) -> ConfigError:
    """The ConfigError naming the key to blame when connecting to the Bot API fails."""
    # Never quote PTB's InvalidToken message: it contains the token.
    if isinstance(exc, InvalidToken):
        return ConfigError("telegram.token", "Telegram did not accept the token")
    reason = f"cannot reach the Bot API at {config.base_url}: {exc.message}"
    return ConfigError("telegram.base_url", reason.replace(config.token, "<token>"))


def build_keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One row of inline buttons whose callback data is the command each button runs."""
    fitting = [b for b in buttons if len(b.command.encode()) <= _CALLBACK_DATA_LIMIT]
    if len(fitting) < len(buttons):
        log.warning("dropped buttons whose command is over %d bytes", _CALLBACK_DATA_LIMIT)
    if not fitting:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.command) for b in fitting]]
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whether PTB gives it as int or timedelta."""
    with warnings.catch_warnings():
        # PTB 22 warns that `retry_after` becomes a timedelta; both forms are handled here.
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def translate_error(exc: TelegramError) -> DeliveryError:
    """The core's delivery error for a python-telegram-bot error (not 429 or migration)."""
    reason = f"Telegram: {exc.message}"
    if isinstance(exc, Forbidden):
        return PermanentDeliveryError(reason)
    if isinstance(exc, BadRequest):
        # A 400 is a refusal: nothing was delivered, and the same request would be refused
        # again, so the chat is treated as unreachable until an admin looks at it.
        return PermanentDeliveryError(reason)
    if isinstance(exc, NetworkError):  # TimedOut included
        sent = request_sent(exc.__cause__)
        if sent is None and isinstance(exc, TimedOut):
            sent = True
        if sent is not None:
            return AmbiguousDeliveryError(reason) if sent else RetryableDeliveryError(reason)
    # A 5xx answer or any other refusal the server answered: nothing was delivered.
    return RetryableDeliveryError(reason)


def request_sent(cause: BaseException | None) -> bool | None:
    """Whether the request that failed with this HTTP error may have reached Telegram; None if
    the cause is no HTTP error (the server answered)."""
    if isinstance(cause, RequestFailure):
        return cause.sent
    if isinstance(cause, httpx.HTTPError):
        return not isinstance(cause, _HTTPX_NOT_SENT)
    return None
