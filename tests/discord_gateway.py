"""The gateway half of the Discord stand-in: WebSocket sessions, READY, RESUME, dispatch.

It speaks plain-text JSON frames (discord.py asks for zlib-stream compression but reads text
frames as they are): HELLO, heartbeat ACKs, IDENTIFY answered by READY and GUILD_CREATE, RESUME
answered by RESUMED on the session's sequence, RECONNECT (op 7) on request, and any event a test
dispatches (INTERACTION_CREATE).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from tests import discord_payloads as payloads

HELLO, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, HEARTBEAT_ACK = 10, 1, 2, 6, 7, 11


class GatewayStandIn:
    """WebSocket sessions of the bot: one list of sockets per session (a RESUME adds one)."""

    def __init__(
        self,
        token: str,
        resume_url: Callable[[], str],
        channel_ids: list[int],
        notify: Callable[[], Awaitable[None]],
    ) -> None:
        self.token = token
        self.identifies = 0
        self.resumes = 0
        self.unknown_ops: list[int] = []
        self.answer_identify = True
        self._resume_url = resume_url
        self._channel_ids = channel_ids
        self._notify = notify
        self._sessions: dict[str, list[web.WebSocketResponse]] = {}
        self._sequence = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One gateway connection, from HELLO to close."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": HELLO, "d": {"heartbeat_interval": 41_250}})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                break
            await self._receive(socket, json.loads(frame.data))
        return socket

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every connected session."""
        for socket in self._current():
            await self._send_event(socket, event, data)

    async def send_reconnect(self) -> None:
        """Ask every connected client to reconnect, as Discord does before maintenance."""
        for socket in self._current():
            await socket.send_json({"op": RECONNECT, "d": None})

    async def close(self) -> None:
        """Close every socket."""
        for sockets in self._sessions.values():
            for socket in sockets:
                await socket.close()

    def _current(self) -> list[web.WebSocketResponse]:
        return [s[-1] for s in self._sessions.values() if s and not s[-1].closed]

    async def _send_event(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _receive(self, socket: web.WebSocketResponse, message: dict[str, Any]) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == HEARTBEAT:
            await socket.send_json({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY and data.get("token") == self.token:
            self.identifies += 1
            session_id = f"session-{payloads.next_snowflake()}"
            self._sessions[session_id] = [socket]
            if self.answer_identify:
                await self._ready(socket, session_id)
        elif (
            op == RESUME
            and data.get("token") == self.token
            and data["session_id"] in self._sessions
        ):
            self.resumes += 1
            self._sessions[data["session_id"]].append(socket)
            await self._send_event(socket, "RESUMED", {})
            await self._notify()
        elif op in (IDENTIFY, RESUME):
            await socket.close(code=4004)  # Authentication failed
        else:
            self.unknown_ops.append(int(op or 0))

    async def _ready(self, socket: web.WebSocketResponse, session_id: str) -> None:
        ready = {
            "v": 10,
            "user": payloads.bot_user(),
            "guilds": [{"id": str(payloads.GUILD_ID), "unavailable": True}],
            "session_id": session_id,
            "resume_gateway_url": self._resume_url(),
            "application": {"id": str(payloads.APPLICATION_ID), "flags": 0},
            "private_channels": [],
        }
        await self._send_event(socket, "READY", ready)
        await self._send_event(socket, "GUILD_CREATE", payloads.guild(self._channel_ids))
        await self._notify()
