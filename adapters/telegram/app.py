"""TelegramAdapter: python-telegram-bot's Application wired to the command router.

The Application runs inside our event loop (`initialize`, `start`, `updater.start_polling` or
`start_webhook`, and the reverse on stop), never `run_polling()`, so that it shares the loop with
the scheduler and the other adapters. Commands arrive as messages ("/latest 5" or
"/latest@botname 5") in private chats and groups, and as channel posts in channels (only a
channel's admins can post there). Inline buttons carry the command they run as callback data.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Protocol
from urllib.parse import urlsplit

from telegram import BotCommand, Chat, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram.pacing import TelegramPacer
from adapters.telegram.publisher import ChatMigratedCallback, TelegramPublisher, startup_error
from adapters.telegram.redaction import TokenRedactor
from adapters.telegram.request import AiohttpRequest
from bot.chats import Caller, ChatKind, ChatRef, Platform
from bot.commands import COMMANDS
from bot.config import TelegramConfig
from bot.errors import DeliveryError
from bot.replies import Reply

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/(\w+)(?:@\w+)?(.*)$", re.DOTALL)
_ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
_KINDS = {Chat.PRIVATE: ChatKind.PRIVATE, Chat.CHANNEL: ChatKind.CHANNEL}
_UPDATES = ["message", "channel_post", "callback_query"]
_ADMIN_CACHE_SIZE = 10_000
_CONNECTIONS = 32
"""Connections to the Bot API for replies and digests (commands are handled 16 at a time)."""


class Router(Protocol):
    """What the adapter needs of bot.commands.CommandRouter."""

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Answer one command."""
        ...


class TelegramAdapter:
    """Runs the bot on Telegram: commands in, rendered replies out."""

    def __init__(
        self,
        config: TelegramConfig,
        router: Router,
        *,
        on_chat_migrated: ChatMigratedCallback | None = None,
        pacer: TelegramPacer | None = None,
        poll_timeout: int = 10,
        admin_cache_seconds: float = 60.0,
    ) -> None:
        self.config = config
        self._router = router
        self._on_chat_migrated = on_chat_migrated
        self._poll_timeout = poll_timeout
        self._admin_cache_seconds = admin_cache_seconds
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}
        self._redactor = TokenRedactor(config.token)
        self._redactor.install()
        self.application = (
            Application.builder()
            .token(config.token)
            .base_url(config.base_url)
            .job_queue(None)
            .concurrent_updates(16)
            .get_updates_read_timeout(5.0)
            # Replies and digests go through aiohttp (a third of httpx's CPU per request);
            # the long poll for updates keeps PTB's own httpx request. (PTB refuses the
            # get_updates timeout when it is given after the request.)
            .request(AiohttpRequest(connections=_CONNECTIONS))
            .build()
        )
        self._redactor.install()
        self.publisher = TelegramPublisher(
            self.application.bot,
            link_previews=config.link_previews,
            pacer=pacer or TelegramPacer(),
            on_chat_migrated=on_chat_migrated,
        )
        self._add_handlers()

    def _add_handlers(self) -> None:
        messages = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        names = [spec.name for spec in COMMANDS]
        app = self.application
        app.add_handler(CommandHandler(names, self._on_command, filters=messages))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migration))
        app.add_error_handler(self._on_error)

    async def __aenter__(self) -> TelegramAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Connect, register the command menu and start receiving updates.

        Raises ConfigError when Telegram refuses the token or the Bot API cannot be reached.
        """
        try:
            await self._start()
        except TelegramError as exc:
            await self.stop()
            raise startup_error(exc, self.config) from None

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(s.name, s.description) for s in COMMANDS])
        await app.start()
        if app.updater is None:
            raise RuntimeError("the Application was built without an Updater")
        if self.config.webhook_url:
            await app.updater.start_webhook(
                listen=self.config.webhook_listen,
                port=self.config.webhook_port,
                url_path=urlsplit(self.config.webhook_url).path.lstrip("/"),
                webhook_url=self.config.webhook_url,
                secret_token=self.config.webhook_secret or None,
                allowed_updates=_UPDATES,
            )
        else:
            await app.updater.start_polling(timeout=self._poll_timeout, allowed_updates=_UPDATES)
        log.info("Telegram adapter started as @%s", app.bot.username)

    async def stop(self) -> None:
        """Stop receiving updates and close the connections."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.bot.shutdown()  # closes the connections even after a failed initialize()
        self._redactor.uninstall()

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        match = _COMMAND.match(message.text)
        if match is None:
            return
        caller = await self._caller(message.chat, message.from_user, message)
        await self._answer(caller, f"/{match[1].lower()}{match[2]}")

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        if not isinstance(query.data, str) or query.message is None:
            return
        caller = await self._caller(query.message.chat, query.from_user, None)
        await self._answer(caller, query.data)

    async def _on_migration(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.migrate_to_chat_id:
            return
        old = ChatRef(Platform.TELEGRAM, str(message.chat.id))
        new = ChatRef(Platform.TELEGRAM, str(message.migrate_to_chat_id))
        log.info("chat %s moved to %s", old.chat_id, new.chat_id)
        if self._on_chat_migrated is not None:
            await self._on_chat_migrated(old, new)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what a handler or the polling loop raised; the bot keeps running."""
        log.error("Telegram update failed: %r", context.error, exc_info=context.error)

    async def _answer(self, caller: Caller, text: str) -> None:
        reply = await self._router.handle(caller, text)
        try:
            await self.publisher.publish(caller.chat, reply)
        except DeliveryError as exc:
            log.warning("could not answer %s in chat %s: %s", text, caller.chat.chat_id, exc)

    async def _caller(self, chat: Chat, user: User | None, message: Message | None) -> Caller:
        """Who sent the command: a channel post comes from the channel (its admins)."""
        kind = _KINDS.get(chat.type, ChatKind.GROUP)
        sender = message.sender_chat if message is not None else None
        if kind is ChatKind.CHANNEL or user is None:
            user_id, name, is_admin = str((sender or chat).id), chat.title or "", True
        elif sender is not None and sender.id == chat.id:
            user_id, name, is_admin = str(chat.id), chat.title or "", True  # anonymous admin
        else:
            user_id, name = str(user.id), user.full_name
            is_admin = kind is ChatKind.PRIVATE or await self._is_chat_admin(chat.id, user.id)
        return Caller(
            chat=ChatRef(Platform.TELEGRAM, str(chat.id)),
            user_id=user_id,
            chat_kind=kind,
            is_chat_admin=is_admin,
            display_name=name,
        )

    async def _is_chat_admin(self, chat_id: int, user_id: int) -> bool:
        """getChatMember, remembered for a while: admins rarely change, commands come often."""
        now = time.monotonic()
        cached = self._admins.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await self.application.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning("could not check the admins of chat %s: %s", chat_id, exc)
            return False
        is_admin = member.status in _ADMIN_STATUSES
        if len(self._admins) > _ADMIN_CACHE_SIZE:
            self._admins.clear()
        self._admins[(chat_id, user_id)] = (now + self._admin_cache_seconds, is_admin)
        return is_admin
