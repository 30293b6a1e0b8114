"""A local stand-in for Discord's REST API and gateway, for tests that run the real discord.py.

aiohttp HTTP and WebSocket on 127.0.0.1 (ephemeral port). It keeps the state a test asserts on:
the synced slash commands, every message posted (channel, content, embeds, allowed_mentions,
time), every interaction response, IDENTIFY and RESUME counts. Tests inject what Discord would
do: an INTERACTION_CREATE, a 429 with its headers, a 403/404/5xx for a channel, a RECONNECT.
Any route it does not know is recorded in `unknown_routes`, and the fixture fails the test.

JSON is sent with a bare `application/json` Content-Type: discord.py parses nothing else, and
aiohttp's `json_response` would add a charset.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests import discord_payloads as payloads

_EPHEMERAL = 1 << 6
_CHANNEL_ERRORS = {403: (50001, "Missing Access"), 404: (10003, "Unknown Channel")}


@dataclass
class PostedMessage:
    """One message the bot posted, as the stand-in received it."""

    channel_id: int
    body: dict[str, Any]
    kind: str  # "channel", "response", "followup" or "edit"
    message_id: int
    interaction_id: int | None = None
    at: float = field(default_factory=time.time)

    @property
    def content(self) -> str:
        """The message text."""
        return str(self.body.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The message's embeds."""
        return list(self.body.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        """Whether only the caller sees it."""
        return bool((self.body.get("flags") or 0) & _EPHEMERAL)


@dataclass
class InjectedInteraction:
    """A slash-command interaction the test sent, and how the bot answered it."""

    interaction_id: int
    token: str
    channel_id: int
    created: float
    callback_types: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)


class CommandHidden(AssertionError):
    """Discord would not show this command to this member (default_member_permissions)."""


class DiscordStandIn:
    """The stand-in server; use `async with DiscordStandIn() as discord_api:`.

    `channel_failures[channel] = status` makes every post to that channel fail (403 Missing
    Access, 404 Unknown Channel, or a 5xx); `fail_after[channel] = (n, status)` after n posts;
    `rate_limits[channel] = n` answers the next n posts with a 429.
    """

    def __init__(self, *, token: str = "test-token", ack_deadline: float = 3.0) -> None:
        self.token = token
        self.ack_deadline = ack_deadline
        self.channel_ids = [payloads.next_snowflake() for _ in range(3)]
        self.commands: list[dict[str, Any]] = []
        self.command_overwrites = 0
        self.messages: list[PostedMessage] = []
        self.interactions: dict[int, InjectedInteraction] = {}
        self.unknown_routes: list[str] = []
        self.identifies = 0
        self.resumes = 0
        self.channel_failures: dict[int, int] = {}
        self.fail_after: dict[int, tuple[int, int]] = {}
        self.rate_limits: dict[int, int] = {}
        self.rate_limited = 0
        self._sessions: dict[str, list[web.WebSocketResponse]] = {}
        self._sequence = 0
        self._changed = asyncio.Condition()
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
        for sockets in self._sessions.values():
            for socket in sockets:
                await socket.close()
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
            web.get("/gateway/", self._gateway),
            web.get("/gateway", self._gateway),
            web.route("*", "/{tail:.*}", self._unknown),
        ]

    # ---- what tests call ----

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until `predicate()` holds (checked after every change the bot causes).

        A generous guard, not a timing claim: a test that never gets there fails, not hangs."""
        async with asyncio.timeout(10.0), self._changed:
            await self._changed.wait_for(predicate)

    def channel_messages(self, channel_id: int) -> list[PostedMessage]:
        """The messages posted to one channel (not interaction responses), in order."""
        return [m for m in self.messages if m.kind == "channel" and m.channel_id == channel_id]

    def interaction_messages(self, interaction_id: int) -> list[PostedMessage]:
        """The response, edits and followups of one interaction, in order."""
        return [m for m in self.messages if m.interaction_id == interaction_id]

    async def inject_interaction(
        self,
        command: str,
        options: dict[str, str] | None = None,
        *,
        user_id: int = 700_000_000_000_000_001,
        permissions: int = payloads.MEMBER_PERMISSIONS,
        channel_id: int | None = None,
    ) -> InjectedInteraction:
        """Send INTERACTION_CREATE for a slash command, as a guild member with `permissions`."""
        spec = next((c for c in self.commands if c["name"] == command), None)
        assert spec is not None, f"/{command} was never synced"
        required = int(spec.get("default_member_permissions") or 0)
        if required & permissions != required:
            raise CommandHidden(f"/{command} needs permissions {required}")
        data = {
            "id": spec["id"],
            "name": command,
            "type": 1,
            "options": [
                {"name": name, "type": 3, "value": value}
                for name, value in (options or {}).items()
            ],
        }
        channel_id = channel_id or self.channel_ids[0]
        return await self._interact(2, data, channel_id, user_id=user_id, permissions=permissions)

    async def click(
        self, message: PostedMessage, label: str, **member: Any
    ) -> InjectedInteraction:
        """Press the button labelled `label` on a posted message (INTERACTION_CREATE, type 3)."""
        buttons = [b for row in message.body.get("components") or [] for b in row["components"]]
        [button] = [b for b in buttons if b.get("label") == label]
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._interact(3, data, message.channel_id, message=message, **member)

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        channel_id: int,
        *,
        message: PostedMessage | None = None,
        user_id: int = 700_000_000_000_000_001,
        permissions: int = payloads.MEMBER_PERMISSIONS,
    ) -> InjectedInteraction:
        interaction = InjectedInteraction(
            payloads.next_snowflake(),
            f"token-{payloads.next_snowflake()}",
            channel_id,
            time.time(),
        )
        self.interactions[interaction.interaction_id] = interaction
        event = payloads.interaction(
            interaction.interaction_id, interaction.token, kind, data, channel_id
        )
        event["member"] = payloads.member(user_id, permissions)
        if message is not None:
            event["message"] = payloads.message(channel_id, message.body, message.message_id)
        await self.dispatch("INTERACTION_CREATE", event)
        return interaction

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected session."""
        for sockets in self._sessions.values():
            if sockets and not sockets[-1].closed:
                self._sequence += 1
                await sockets[-1].send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def send_reconnect(self) -> None:
        """Ask every connected client to reconnect (op 7), as Discord does before maintenance."""
        for sockets in self._sessions.values():
            if sockets and not sockets[-1].closed:
                await sockets[-1].send_json({"op": 7, "d": None})

    # ---- REST ----

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _bot_user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(payloads.bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return _json(payloads.application())

    async def _gateway_info(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands)

    async def _put_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        if errors := payloads.command_errors(body):
            return _error(400, 50035, "Invalid Form Body", errors)
        self.command_overwrites += 1
        self.commands = [payloads.stored_command(c, payloads.next_snowflake()) for c in body]
        await self._notify()
        return _json(self.commands)

    async def _channel_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        channel_id = int(request.match_info["channel_id"])
        if self.rate_limits.get(channel_id, 0) > 0:
            self.rate_limits[channel_id] -= 1
            self.rate_limited += 1
            return _too_many_requests(0.05)
        if status := self._failure(channel_id):
            code, text = _CHANNEL_ERRORS.get(status, (0, "Server Error"))
            return _error(status, code, text)
        return await self._post(request, channel_id, "channel", None)

    def _failure(self, channel_id: int) -> int:
        posted, status = self.fail_after.get(channel_id, (0, 0))
        if status and len(self.channel_messages(channel_id)) >= posted:
            return status
        return self.channel_failures.get(channel_id, 0)

    async def _post(
        self, request: web.Request, channel_id: int, kind: str, interaction_id: int | None
    ) -> web.Response:
        body = await request.json()
        if errors := payloads.message_errors(body):
            return _error(400, 50035, "Invalid Form Body", errors)
        if not body.get("content") and not body.get("embeds"):
            return _error(400, 50006, "Cannot send an empty message")
        message_id = payloads.next_snowflake()
        self.messages.append(PostedMessage(channel_id, body, kind, message_id, interaction_id))
        await self._notify()
        return _json(payloads.message(channel_id, body, message_id))

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(int(request.match_info["id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        body = await request.json()
        code = self._callback_refusal(interaction)
        if code:
            interaction.errors.append(code)
            await self._notify()
            if code == 10062:
                return _error(404, 10062, "Unknown interaction")
            return _error(400, 40060, "Interaction has already been acknowledged.")
        response = await self._callback_response(request, interaction, body)
        interaction.callback_types.append(body["type"])
        await self._notify()
        return response

    def _callback_refusal(self, interaction: InjectedInteraction) -> int:
        if interaction.callback_types:
            return 40060
        if time.time() > interaction.created + self.ack_deadline:
            return 10062
        return 0

    async def _callback_response(
        self, request: web.Request, interaction: InjectedInteraction, body: dict[str, Any]
    ) -> web.Response:
        data = body.get("data") or {}
        message_id = payloads.next_snowflake()
        if body["type"] == 4:
            if errors := payloads.message_errors(data):
                return _error(400, 50035, "Invalid Form Body", errors)
            self.messages.append(
                PostedMessage(
                    interaction.channel_id,
                    data,
                    "response",
                    message_id,
                    interaction.interaction_id,
                )
            )
        return _json(
            {
                "interaction": {
                    "id": str(interaction.interaction_id),
                    "type": 2,
                    "response_message_id": str(message_id),
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & _EPHEMERAL),
                },
                "resource": {
                    "type": body["type"],
                    "message": payloads.message(interaction.channel_id, data, message_id),
                },
            }
        )

    def _interaction_for_hook(self, request: web.Request) -> InjectedInteraction | None:
        token = request.match_info["token"]
        if int(request.match_info["app_id"]) != payloads.APPLICATION_ID:
            return None
        found = [i for i in self.interactions.values() if i.token == token]
        return found[0] if found and found[0].callback_types else None

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_hook(request)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        return await self._post(
            request, interaction.channel_id, "followup", interaction.interaction_id
        )

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_hook(request)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        return await self._post(
            request, interaction.channel_id, "edit", interaction.interaction_id
        )

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_hook(request)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        self.messages = [
            m
            for m in self.messages
            if not (m.interaction_id == interaction.interaction_id and m.kind == "edit")
        ]
        await self._notify()
        return web.Response(status=204)

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown_routes.append(f"{request.method} {request.path}")
        return _error(404, 0, "404: Not Found")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- gateway ----

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                break
            await self._gateway_message(socket, json.loads(frame.data))
        return socket

    async def _gateway_message(
        self, socket: web.WebSocketResponse, message: dict[str, Any]
    ) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == 1:
            await socket.send_json({"op": 11})
        elif op == 2 and data["token"] == self.token:
            self.identifies += 1
            session_id = f"session-{payloads.next_snowflake()}"
            self._sessions[session_id] = [socket]
            await self._ready(socket, session_id)
        elif op == 6 and data["session_id"] in self._sessions and data["token"] == self.token:
            self.resumes += 1
            self._sessions[data["session_id"]].append(socket)
            self._sequence += 1
            await socket.send_json({"op": 0, "t": "RESUMED", "s": self._sequence, "d": {}})
            await self._notify()
        elif op in (1, 2, 6):
            await socket.close(code=4004)
        else:
            self.unknown_routes.append(f"gateway op {op}")

    async def _ready(self, socket: web.WebSocketResponse, session_id: str) -> None:
        ready = {
            "v": 10,
            "user": payloads.bot_user(),
            "guilds": [{"id": str(payloads.GUILD_ID), "unavailable": True}],
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url + "/",
            "application": {"id": str(payloads.APPLICATION_ID), "flags": 0},
            "private_channels": [],
        }
        for event, data in (("READY", ready), ("GUILD_CREATE", payloads.guild(self.channel_ids))):
            self._sequence += 1
            await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})
        await self._notify()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def _error(
    status: int, code: int, text: str, errors: dict[str, Any] | None = None
) -> web.Response:
    data: dict[str, Any] = {"code": code, "message": text}
    if errors:
        data["errors"] = errors
    return _json(data, status)


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
    return _json(data, 429, headers)
