"""Interactions in the Discord stand-in: slash commands and button presses, and their answers.

The callback enforces Discord's rules: acknowledge within the deadline (3 s; 10062 Unknown
interaction after it) and only once (40060); followups and edits of @original need the
acknowledgement first. Every answer is logged as a PostedMessage. Also the records and JSON
responses the whole stand-in shares.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests import discord_payloads as payloads

_EPHEMERAL = 1 << 6


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


class InteractionRoutes:
    """The interaction half of DiscordStandIn (which provides dispatch and _notify)."""

    commands: list[dict[str, Any]]
    messages: list[PostedMessage]
    interactions: dict[int, InjectedInteraction]
    ack_deadline: float
    channel_ids: list[int]
    embed_total_limit: int

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (DiscordStandIn sends it to the bot)."""
        raise NotImplementedError

    async def _notify(self) -> None:
        raise NotImplementedError

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
        direct: bool = False,
    ) -> InjectedInteraction:
        """Send INTERACTION_CREATE for a slash command, as a guild member with `permissions`
        (or, `direct`, from the user's direct-message channel with the bot)."""
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
        return await self._interact(
            2, data, channel_id, user_id=user_id, permissions=permissions, direct=direct
        )

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
        direct: bool = False,
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
        if direct:
            event = payloads.direct_interaction(event, user_id)
        else:
            event["member"] = payloads.member(user_id, permissions)
        if message is not None:
            event["message"] = payloads.message(channel_id, message.body, message.message_id)
        await self.dispatch("INTERACTION_CREATE", event)
        return interaction

    async def _post(
        self, request: web.Request, channel_id: int, kind: str, interaction_id: int | None
    ) -> web.Response:
        body = await request.json()
        if errors := payloads.message_errors(body, self.embed_total_limit):
            return error_response(400, 50035, "Invalid Form Body", errors)
        if not body.get("content") and not body.get("embeds"):
            return error_response(400, 50006, "Cannot send an empty message")
        message_id = payloads.next_snowflake()
        self.messages.append(PostedMessage(channel_id, body, kind, message_id, interaction_id))
        await self._notify()
        return json_response(payloads.message(channel_id, body, message_id))

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(int(request.match_info["id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return error_response(404, 10062, "Unknown interaction")
        body = await request.json()
        code = self._callback_refusal(interaction)
        if code:
            interaction.errors.append(code)
            await self._notify()
            if code == 10062:
                return error_response(404, 10062, "Unknown interaction")
            return error_response(400, 40060, "Interaction has already been acknowledged.")
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
                return error_response(400, 50035, "Invalid Form Body", errors)
            self.messages.append(
                PostedMessage(
                    interaction.channel_id,
                    data,
                    "response",
                    message_id,
                    interaction.interaction_id,
                )
            )
        return json_response(
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
            return error_response(404, 10015, "Unknown Webhook")
        return await self._post(
            request, interaction.channel_id, "followup", interaction.interaction_id
        )

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_hook(request)
        if interaction is None:
            return error_response(404, 10015, "Unknown Webhook")
        return await self._post(
            request, interaction.channel_id, "edit", interaction.interaction_id
        )

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_hook(request)
        if interaction is None:
            return error_response(404, 10015, "Unknown Webhook")
        self.messages = [
            m
            for m in self.messages
            if not (m.interaction_id == interaction.interaction_id and m.kind == "edit")
        ]
        await self._notify()
        return web.Response(status=204)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def error_response(
    status: int, code: int, text: str, errors: dict[str, Any] | None = None
) -> web.Response:
    """A Discord error: its JSON error code, message and (for 50035) the field errors."""
    data: dict[str, Any] = {"code": code, "message": text}
    if errors:
        data["errors"] = errors
    return json_response(data, status)
