"""Who is talking to the bot, and where: the platform-neutral identity of chats and callers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """The chat platforms newsdigest speaks."""

    TELEGRAM = "telegram"
    DISCORD = "discord"
    CONSOLE = "console"


class ChatKind(StrEnum):
    """Private chat, group (or Discord guild channel), or broadcast channel."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on a platform; `chat_id` is the platform's id as text."""

    platform: Platform
    chat_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """The user who sent a command, and the chat they sent it in."""

    chat: ChatRef
    user_id: str
    chat_kind: ChatKind = ChatKind.PRIVATE
    is_chat_admin: bool = False
    display_name: str = ""
