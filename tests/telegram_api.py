"""A stand-in for the Telegram Bot API: an aiohttp server on 127.0.0.1 that the real
python-telegram-bot talks to over HTTP (give PTB `base_url=api.base_url`).

It checks what Telegram checks (tests/telegram_rules.py), keeps a log of every delivered message
(`sent`), lets a test push updates (a user typing a command, pressing a button), and injects
failures: a 429 with `retry_after`, a 403 for blocked chats, a migration to a supergroup, any
error answer for the next calls of a method, and a flood model that answers 429 when Telegram's
limits are exceeded. A method it does not know is recorded in `unknown_methods`: the fixtures
assert that list is empty.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.telegram_payloads import BOT_USER, chat_member, user_json
from tests.telegram_rules import (
    FloodModel,
    TelegramFailure,
    check_message_text,
    error_response,
    read_parameters,
    utf16_length,
)

TOKEN = "123456:TEST-token-never-logged"


@dataclass(slots=True)
class SentMessage:
    """A message the stand-in delivered (or its latest edit)."""

    chat_id: int
    message_id: int
    text: str
    raw: str
    parse_mode: str | None
    at: float
    reply_markup: dict[str, Any] | None = None
    link_preview_options: dict[str, Any] | None = None


@dataclass(slots=True)
class Fault:
    """An injected error answer for the next `times` calls of `method` (to `chat_id`)."""

    method: str
    failure: TelegramFailure
    chat_id: int | None = None
    times: int = 1
    after: int = 0


class TelegramAPI:
    """The stand-in server; use `async with TelegramAPI() as api`."""

    def __init__(
        self, token: str = TOKEN, *, flood: FloodModel | None = None, port: int = 0
    ) -> None:
        self.token = token
        self.flood = flood
        self.port = port
        self._outage = (float("-inf"), 0)
        self.sent: list[SentMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.unknown_methods: list[str] = []
        self.calls: list[str] = []
        self.chat_types: dict[int, str] = {}
        self.admins: dict[int, set[int]] = {}
        self.blocked: set[int] = set()
        self.migrations: dict[int, int] = {}
        self.faults: list[Fault] = []
        self.stalls: dict[str, float] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Event()
        self._polling = False
        self._runner: web.AppRunner | None = None

    @property
    def polling(self) -> bool:
        """Whether a getUpdates request is waiting for updates right now."""
        return self._polling

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as `base_url` (it appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> TelegramAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/_standin/sent", self._sent_log)
        app.router.add_post("/_standin/outage", self._start_outage)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # Updates a test pushes ------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of `kind` ("message", "channel_post", "callback_query")."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    def type_command(
        self, text: str, *, chat_id: int, user_id: int, chat_type: str = "private"
    ) -> int:
        """A user types `text` in a chat; its leading /command is marked as Telegram does."""
        self.chat_types.setdefault(chat_id, chat_type)
        return self.push_update(
            "message", self._incoming(text, chat_id, {"from": user_json(user_id)})
        )

    def post_in_channel(self, text: str, *, chat_id: int) -> int:
        """A channel admin posts `text` in the channel (a channel_post update)."""
        self.chat_types[chat_id] = "channel"
        sender = {"sender_chat": self.chat_json(chat_id)}
        return self.push_update("channel_post", self._incoming(text, chat_id, sender))

    def press_button(self, message: SentMessage, data: str, *, user_id: int) -> int:
        """A user presses the inline button with callback `data` under `message`."""
        shown = self._message_json(message)
        query = {
            "id": f"cb{next(self._update_ids)}",
            "from": user_json(user_id),
            "message": shown,
            "chat_instance": "ci",
            "data": data,
        }
        return self.push_update("callback_query", query)

    def _incoming(self, text: str, chat_id: int, sender: dict[str, Any]) -> dict[str, Any]:
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat_json(chat_id),
            "text": text,
            **({"entities": entities} if command else {}),
            **sender,
        }

    # Waiting for results ----------------------------------------------------------------

    async def wait_for_messages(
        self, count: int, *, chat_id: int | None = None, within: float = 10.0
    ) -> list[SentMessage]:
        """Wait until `count` messages were delivered (to `chat_id`); fail after `within` s."""

        def matching() -> list[SentMessage]:
            return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

        try:
            await self._until(lambda: len(matching()) >= count, within)
        except TimeoutError:
            raise AssertionError(f"expected {count} messages, got {matching()!r}") from None
        return matching()

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `condition()` holds after some request; fail after `within` s."""
        try:
            await self._until(condition, within)
        except TimeoutError:
            raise AssertionError("condition not reached") from None

    async def _until(self, condition: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within):
            while not condition():
                await self._changed.wait()

    def _notify(self) -> None:
        """Wake every waiter; they check their condition again."""
        self._changed.set()
        self._changed = asyncio.Event()

    # Failures a test injects ------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        chat_id: int | None = None,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer `times` calls of `method` (to `chat_id`) with this error, after `after` pass."""
        failure = TelegramFailure(status, description, parameters)
        self.faults.append(Fault(method, failure, chat_id, times, after))

    def outage(self, status: int, seconds: float) -> None:
        """Answer every sendMessage and editMessageText with `status` for `seconds`."""
        self._outage = (time.monotonic() + seconds, status)

    def stall_next(self, method: str, seconds: float) -> None:
        """Hold the next call of `method` for `seconds` before handling it (a slow server)."""
        self.stalls[method] = seconds

    def rate_limit_next(self, chat_id: int | None = None, retry_after: int = 1) -> None:
        """Answer the next sendMessage with 429 and `parameters.retry_after`."""
        self.fail_next(
            "sendMessage",
            429,
            f"Too Many Requests: retry after {retry_after}",
            chat_id=chat_id,
            parameters={"retry_after": retry_after},
        )

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """The Chat object for `chat_id`; negative ids are groups unless told otherwise."""
        default = "private" if chat_id > 0 else "group"
        kind = self.chat_types.get(chat_id, default)
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = f"User {chat_id}"
        else:
            chat["title"] = f"Chat {chat_id}"
        return chat

    # The HTTP side ----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if request.match_info["token"] != self.token:
            return error_response(TelegramFailure(401, "Unauthorized"))
        handler = self._methods().get(method)
        if handler is None:
            self.unknown_methods.append(method)
            return error_response(TelegramFailure(404, "Not Found: method not found"))
        params = await read_parameters(request)
        try:
            self._raise_outage(method)
            self._raise_fault(method, params)
            if method in self.stalls:
                await asyncio.sleep(self.stalls.pop(method))
            result = await handler(params)
        except TelegramFailure as failure:
            return error_response(failure)
        finally:
            self._notify()
        return web.json_response({"ok": True, "result": result})

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "getChatMember": self._get_chat_member,
        }

    def _raise_outage(self, method: str) -> None:
        until, status = self._outage
        if method in ("sendMessage", "editMessageText") and time.monotonic() < until:
            raise TelegramFailure(status, f"Outage ({status})")

    async def _sent_log(self, request: web.Request) -> web.Response:
        """The delivery log, for tests that run the stand-in in another process."""
        keys = ("chat_id", "message_id", "text", "parse_mode", "at")
        return web.json_response([{k: getattr(m, k) for k in keys} for m in self.sent])

    async def _start_outage(self, request: web.Request) -> web.Response:
        self.outage(int(request.query["status"]), float(request.query["seconds"]))
        return web.json_response({"ok": True})

    def _raise_fault(self, method: str, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        for fault in self.faults:
            if fault.method != method or fault.chat_id not in (None, chat_id) or not fault.times:
                continue
            if fault.after:
                fault.after -= 1
                return
            fault.times -= 1
            raise fault.failure

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self._polling:
            raise TelegramFailure(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        self._polling = True
        self._notify()
        try:
            offset = params.get("offset") or 0
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and params.get("timeout"):
                await self._until(lambda: bool(self._updates), params["timeout"])
        except TimeoutError:
            pass
        finally:
            self._polling = False
        return self._updates[: params.get("limit") or 100]

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        for command in params["commands"]:
            name, description = command.get("command", ""), command.get("description", "")
            valid_name = 1 <= len(name) <= 32 and name.replace("_", "").isalnum()
            if not (valid_name and name.islower() and 1 <= len(description) <= 256):
                raise TelegramFailure(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = params["commands"]
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable_chat(params)
        text, raw = check_message_text(params)
        if self.flood is not None:
            self.flood.admit(chat_id, time.monotonic())
        message = SentMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids),
            text=text,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            at=time.monotonic(),
            reply_markup=params.get("reply_markup"),
            link_preview_options=params.get("link_preview_options"),
        )
        self.sent.append(message)
        return self._message_json(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable_chat(params)
        text, raw = check_message_text(params)
        for message in self.sent:
            if message.chat_id == chat_id and message.message_id == params.get("message_id"):
                message.text, message.raw = text, raw
                message.reply_markup = params.get("reply_markup")
                return self._message_json(message)
        raise TelegramFailure(400, "Bad Request: message to edit not found")

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        self.callback_answers.append(params)
        return True

    async def _get_chat_member(self, params: dict[str, Any]) -> Any:
        user_id = params["user_id"]
        return chat_member(user_id, is_admin=user_id in self.admins.get(params["chat_id"], set()))

    def _reachable_chat(self, params: dict[str, Any]) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise TelegramFailure(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrations:
            raise TelegramFailure(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrations[chat_id]},
            )
        return chat_id

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat_json(message.chat_id),
            "from": BOT_USER,
            "text": message.text,
        }
        if message.reply_markup:
            shown["reply_markup"] = message.reply_markup
        return shown


@asynccontextmanager
async def running_telegram_api(*, flood: FloodModel | None = None) -> AsyncIterator[TelegramAPI]:
    """A started stand-in that fails the test if python-telegram-bot called an unknown method."""
    async with TelegramAPI(flood=flood) as api:
        yield api
    assert api.unknown_methods == [], f"unknown Bot API methods: {api.unknown_methods}"
