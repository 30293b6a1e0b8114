"""A local stand-in for Discord's REST API and gateway, for tests that run the real discord.py.

aiohttp HTTP and WebSocket on 127.0.0.1 (ephemeral port); the gateway half is in
tests/discord_gateway.py, the API objects and limits in tests/discord_payloads.py. It keeps the
state a test asserts on: the synced slash commands, every message posted (channel, content,
embeds, allowed_mentions, time), every interaction response, IDENTIFY and RESUME counts. Tests
inject what Discord would do: an INTERACTION_CREATE (slash command or button), a 429 with its
headers, a 403/404/5xx for a channel, a RECONNECT. Any route it does not know is recorded in
`unknown_routes`, and the fixtures fail the test.

JSON is sent with a bare `application/json` Content-Type: discord.py parses nothing else, and
aiohttp's `json_response` would add a charset.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests import discord_payloads as payloads
from tests.discord_gateway import GatewayStandIn
from tests.discord_interactions import (
    InjectedInteraction,
    InteractionRoutes,
    PostedMessage,
    error_response,
    json_response,
)

_CHANNEL_ERRORS = {403: (50001, "Missing Access"), 404: (10003, "Unknown Channel")}


class DiscordStandIn(InteractionRoutes):
    """The stand-in server; use `async with DiscordStandIn() as discord_api:`.

    `channel_failures[channel] = status` makes every post to that channel fail (403 Missing
    Access, 404 Unknown Channel, or a 5xx); `fail_after[channel] = (n, status)` after n posts;
    `rate_limits[channel] = n` answers the next n posts with a 429 asking to wait
    `retry_after` seconds. `embed_total_limit` is Discord's 6,000 characters across a message's
    embeds (lower it to see a message refused with 50035 Invalid Form Body).
    """

    def __init__(self, *, token: str = "test-token", ack_deadline: float = 3.0) -> None:
        self.token = token
        self.ack_deadline = ack_deadline
        self.channel_ids = [payloads.next_snowflake() for _ in range(3)]
        self.commands: list[dict[str, Any]] = []
        self.command_overwrites = 0
        self.messages: list[PostedMessage] = []
        self.interactions: dict[int, InjectedInteraction] = {}
        self._unknown_requests: list[str] = []
        self.channel_failures: dict[int, int] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> the bot's DM channel with them
        self.fail_after: dict[int, tuple[int, int]] = {}
        self.rate_limits: dict[int, int] = {}
        self.retry_after = 0.05
        self.embed_total_limit = 6000
        self.rate_limited = 0
        self._changed = asyncio.Condition()
        self.gateway = GatewayStandIn(
            token, lambda: self.gateway_url + "/", self.channel_ids, self._notify
        )
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        """The REST base URL for `[discord] api_base`."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway URL for `[discord] gateway_url`."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def __aenter__(self) -> DiscordStandIn:
        app = web.Application()
        app.add_routes(self._routes())
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _routes(self) -> list[web.AbstractRouteDef]:
        api = "/api/v10"
        hook = api + "/webhooks/{app_id}/{token}"
        return [
            web.get(api + "/users/@me", self._bot_user),
            web.get(api + "/oauth2/applications/@me", self._application),
            web.get(api + "/gateway", self._gateway_info),
            web.get(api + "/gateway/bot", self._gateway_info),
            web.get(api + "/applications/{app_id}/commands", self._get_commands),
            web.put(api + "/applications/{app_id}/commands", self._put_commands),
            web.post(api + "/interactions/{id}/{token}/callback", self._callback),
            web.post(hook, self._followup),
            web.patch(hook + "/messages/@original", self._edit_original),
            web.delete(hook + "/messages/@original", self._delete_original),
            web.post(api + "/channels/{channel_id}/messages", self._channel_message),
            web.post(api + "/users/@me/channels", self._open_dm),
            web.get("/gateway/", self.gateway.handle),
            web.get("/gateway", self.gateway.handle),
            web.route("*", "/{tail:.*}", self._unknown),
        ]

    # ---- what tests call ----

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until `predicate()` holds (checked after every change the bot causes).

        A generous guard, not a timing claim: a test that never gets there fails, not hangs."""
        async with asyncio.timeout(30.0), self._changed:
            await self._changed.wait_for(predicate)

    def channel_messages(self, channel_id: int) -> list[PostedMessage]:
        """The messages posted to one channel (not interaction responses), in order."""
        return [m for m in self.messages if m.kind == "channel" and m.channel_id == channel_id]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected session."""
        await self.gateway.dispatch(event, data)

    async def send_reconnect(self) -> None:
        """Ask every connected client to reconnect (op 7); it should RESUME."""
        await self.gateway.send_reconnect()

    @property
    def unknown_routes(self) -> list[str]:
        """Requests and gateway opcodes the stand-in does not know: a test fails on any."""
        return self._unknown_requests + [f"gateway op {op}" for op in self.gateway.unknown_ops]

    @property
    def identifies(self) -> int:
        """How many sessions the bot started (IDENTIFY)."""
        return self.gateway.identifies

    @property
    def resumes(self) -> int:
        """How many times the bot resumed a session (RESUME)."""
        return self.gateway.resumes

    # ---- REST ----

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _bot_user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error_response(401, 0, "401: Unauthorized")
        return json_response(payloads.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(payloads.application())

    async def _gateway_info(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.commands)

    async def _put_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        if errors := payloads.command_errors(body):
            return error_response(400, 50035, "Invalid Form Body", errors)
        self.command_overwrites += 1
        self.commands = [payloads.stored_command(c, payloads.next_snowflake()) for c in body]
        await self._notify()
        return json_response(self.commands)

    async def _channel_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error_response(401, 0, "401: Unauthorized")
        channel_id = int(request.match_info["channel_id"])
        if self.rate_limits.get(channel_id, 0) > 0:
            self.rate_limits[channel_id] -= 1
            self.rate_limited += 1
            return _too_many_requests(self.retry_after)
        if status := self._failure(channel_id):
            code, text = _CHANNEL_ERRORS.get(status, (0, "Server Error"))
            return error_response(status, code, text)
        return await self._post(request, channel_id, "channel", None)

    async def _open_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: the bot's direct-message channel with a user."""
        if not self._authorized(request):
            return error_response(401, 0, "401: Unauthorized")
        user_id = int((await request.json())["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, payloads.next_snowflake())
        channel = {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [payloads.user(user_id, f"user{user_id}")],
        }
        return json_response(channel)

    def _failure(self, channel_id: int) -> int:
        posted, status = self.fail_after.get(channel_id, (0, 0))
        if status and len(self.channel_messages(channel_id)) >= posted:
            return status
        return self.channel_failures.get(channel_id, 0)

    async def _unknown(self, request: web.Request) -> web.Response:
        self._unknown_requests.append(f"{request.method} {request.path}")
        return error_response(404, 0, "404: Not Found")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _too_many_requests(retry_after: float) -> web.Response:
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Bucket": "channel-messages",
        "X-RateLimit-Scope": "user",
    }
    data = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return json_response(data, 429, headers)
