"""Discord API objects as the Discord stand-in sends them, and the message limits it enforces.

The shapes follow Discord's API v10 documentation, with only the fields discord.py 2.7 reads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

BOT_USER_ID = 900_000_000_000_000_001
APPLICATION_ID = 900_000_000_000_000_002
OWNER_ID = 900_000_000_000_000_003
GUILD_ID = 900_000_000_000_000_100

MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
VIEW_CHANNEL = 1 << 10
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
_snowflakes = itertools.count(900_000_000_000_100_000)


def next_snowflake() -> int:
    """A new unique id."""
    return next(_snowflakes)


def now_iso() -> str:
    """The current time as Discord writes timestamps."""
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def bot_user() -> dict[str, Any]:
    """The bot's own user (GET /users/@me)."""
    return {**user(BOT_USER_ID, "newsdigest", bot=True), "verified": True, "mfa_enabled": False}


def application() -> dict[str, Any]:
    """The bot's application (GET /oauth2/applications/@me)."""
    return {
        "id": str(APPLICATION_ID),
        "name": "newsdigest",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(OWNER_ID, "owner"),
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
        "interactions_endpoint_url": None,
    }


def channel(channel_id: int) -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": f"news-{channel_id % 1000}",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def guild(channel_ids: list[int]) -> dict[str, Any]:
    """The test guild as GUILD_CREATE carries it."""
    everyone = {
        "id": str(GUILD_ID),
        "name": "@everyone",
        "permissions": str(MEMBER_PERMISSIONS),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": str(GUILD_ID),
        "name": "Newsroom",
        "icon": None,
        "owner_id": str(OWNER_ID),
        "unavailable": False,
        "member_count": 2,
        "roles": [everyone],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [channel(cid) for cid in channel_ids],
        "threads": [],
        "members": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "joined_at": now_iso(),
        "large": False,
    }


def member(user_id: int, permissions: int) -> dict[str, Any]:
    """A guild member as an interaction carries it (with resolved permissions)."""
    return {
        "user": user(user_id, f"reader{user_id % 1000}"),
        "roles": [],
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "permissions": str(permissions),
    }


def interaction(
    interaction_id: int, token: str, kind: int, data: dict[str, Any], channel_id: int
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload from a guild channel (add the member)."""
    return {
        "id": str(interaction_id),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "token": token,
        "version": 1,
        "guild_id": str(GUILD_ID),
        "guild": {"id": str(GUILD_ID), "features": [], "locale": "en-US"},
        "channel_id": str(channel_id),
        "channel": channel(channel_id),
        "app_permissions": str(MEMBER_PERMISSIONS),
        "attachment_size_limit": 10_485_760,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "locale": "en-US",
        "guild_locale": "en-US",
        "data": data,
    }


def direct_interaction(event: dict[str, Any], user_id: int) -> dict[str, Any]:
    """The same interaction sent from a direct-message channel: no guild, a user not a member."""
    someone = user(user_id, f"reader{user_id % 1000}")
    direct = {k: v for k, v in event.items() if k not in ("guild_id", "guild", "member")}
    channel_id = event["channel_id"]
    direct["channel"] = {"id": channel_id, "type": 1, "recipients": [someone], "flags": 0}
    return {**direct, "user": someone, "context": 1, "app_permissions": "0"}


def message(channel_id: int, body: dict[str, Any], message_id: int) -> dict[str, Any]:
    """A message object for a message the bot posted."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": bot_user(),
        "content": body.get("content") or "",
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "pinned": False,
        "type": 0,
        "flags": body.get("flags") or 0,
        "components": body.get("components") or [],
    }


def stored_command(command: dict[str, Any], command_id: int) -> dict[str, Any]:
    """A command as Discord stores and returns it: ids added, permissions as a string."""
    permissions = command.get("default_member_permissions")
    options = [
        {key: value for key, value in option.items() if key != "required" or value}
        for option in command.get("options") or []
    ]
    return {
        **command,
        "id": str(command_id),
        "application_id": str(APPLICATION_ID),
        "version": str(next_snowflake()),
        "type": command.get("type", 1),
        "options": options,
        "default_member_permissions": None if permissions is None else str(permissions),
    }


def command_errors(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's validation of a bulk command overwrite: an error tree, empty when valid."""
    errors: dict[str, Any] = {}
    for index, command in enumerate(commands):
        found = _named_errors(command) or {}
        options = command.get("options") or []
        if len(options) > 25:
            found["options"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for number, option in enumerate(options):
            if option_errors := _named_errors(option):
                found.setdefault("options", {})[str(number)] = option_errors
        if found:
            errors[str(index)] = found
    return errors


def _named_errors(item: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    name = str(item.get("name", ""))
    if not COMMAND_NAME.match(name) or name != name.lower():
        found["name"] = _error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if not 1 <= len(str(item.get("description", ""))) <= 100:
        found["description"] = _error(
            "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    return found


def message_errors(body: dict[str, Any], embed_total: int = 6000) -> dict[str, Any]:
    """Discord's limits on one message's content and embeds: an error tree, empty when valid."""
    errors: dict[str, Any] = {}
    if len(body.get("content") or "") > 2000:
        errors["content"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        found, size = _embed_errors(embed)
        total += size
        if found:
            errors.setdefault("embeds", {})[str(index)] = found
    if total > embed_total:
        errors["embeds"] = _error(
            "BASE_TYPE_MAX_LENGTH", f"Embed size exceeds maximum size of {embed_total}"
        )
    if found := _component_errors(body.get("components") or []):
        errors["components"] = found
    return errors


_EMBED_LIMITS = {"title": 256, "description": 4096}


def _embed_errors(embed: dict[str, Any]) -> tuple[dict[str, Any], int]:
    texts = {key: str(embed.get(key) or "") for key in _EMBED_LIMITS}
    texts["footer.text"] = str((embed.get("footer") or {}).get("text") or "")
    texts["author.name"] = str((embed.get("author") or {}).get("name") or "")
    limits = {**_EMBED_LIMITS, "footer.text": 2048, "author.name": 256}
    fields = embed.get("fields") or []
    for number, field in enumerate(fields):
        texts[f"fields.{number}.name"] = str(field.get("name") or "")
        texts[f"fields.{number}.value"] = str(field.get("value") or "")
        limits[f"fields.{number}.name"] = 256
        limits[f"fields.{number}.value"] = 1024
    found = {
        key: _error("BASE_TYPE_MAX_LENGTH", f"Must be {limits[key]} or fewer in length.")
        for key, text in texts.items()
        if len(text) > limits[key]
    }
    if len(fields) > 25:
        found["fields"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    return found, sum(len(text) for text in texts.values())


def _error(code: str, text: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": text}]}


def _component_errors(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """At most 5 action rows of at most 5 buttons; labels 80, custom ids 100 characters."""
    found: dict[str, Any] = {}
    if len(rows) > 5:
        found.update(_error("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    for number, row in enumerate(rows):
        buttons = row.get("components") or []
        too_long = [
            button
            for button in buttons
            if len(button.get("label") or "") > 80 or len(button.get("custom_id") or "") > 100
        ]
        if len(buttons) > 5 or too_long:
            found[str(number)] = _error("BASE_TYPE_MAX_LENGTH", "Button row over its limits.")
    return found
