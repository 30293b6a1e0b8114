"""Telegram's rules as the Bot API stand-in (tests/telegram_api.py) enforces them.

- parse_telegram_html: Telegram's HTML subset. Our own (html.parser plus a scan for bare `<` and
  `&`): no library implements Telegram's subset, and a lenient parser would let through what
  Telegram refuses.
- check_message_text: the length and emptiness checks, with Telegram's error texts.
- FloodModel: 30 messages/s overall, 1/s per chat, 20/min per group, as sliding windows.
- read_parameters / error_response: requests as python-telegram-bot sends them, errors as
  Telegram answers them.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

MESSAGE_LIMIT = 4096
_JSON_PARAMETERS = {"reply_markup", "link_preview_options", "commands", "allowed_updates", "scope"}
_INT_PARAMETERS = {"offset", "timeout", "limit", "message_id", "user_id"}
_PLAIN_TAGS = ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre")
_ALLOWED_TAGS: dict[str, frozenset[str]] = {
    **dict.fromkeys(_PLAIN_TAGS, frozenset()),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class EntityError(ValueError):
    """The text is not HTML that Telegram accepts."""


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset: collects the visible text, raises EntityError on anything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.open_tags: list[str] = []
        self.tags_seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise EntityError(f'Unsupported start tag "{tag}"')
        names = {name for name, _ in attrs}
        if names - _ALLOWED_TAGS[tag]:
            raise EntityError(f'Unsupported attribute in tag "{tag}"')
        values = dict(attrs)
        if tag == "a" and not (values.get("href") or "").startswith(("http://", "https://")):
            raise EntityError("Wrong or missing href in a tag")
        if tag == "span" and values.get("class") != "tg-spoiler":
            raise EntityError("Unsupported span class")
        self.open_tags.append(tag)
        self.tags_seen += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityError(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise EntityError(f'Unmatched end tag "{tag}"')
        self.open_tags.pop()
        self.tags_seen += 1

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise EntityError("Unexpected < or > outside a tag")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self.text.append(chr(code))

    def handle_comment(self, data: str) -> None:
        raise EntityError("Comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise EntityError("Declarations are not supported")

    def unknown_decl(self, data: str) -> None:
        raise EntityError("Declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise EntityError("Processing instructions are not supported")


@functools.lru_cache(maxsize=1024)  # a fan-out sends one text to many chats
def parse_telegram_html(raw: str) -> str:
    """The visible text of `raw` as Telegram shows it; EntityError if Telegram would refuse it."""
    if _BAD_AMPERSAND.search(raw):
        raise EntityError("Unsupported entity or bare &")
    parser = _TelegramHTML()
    parser.feed(raw)
    parser.close()
    if parser.open_tags:
        raise EntityError(
            f'Can\'t find end tag corresponding to start tag "{parser.open_tags[-1]}"'
        )
    if raw.count("<") != parser.tags_seen:
        raise EntityError("Unexpected < in the text")
    return "".join(parser.text)


def utf16_length(text: str) -> int:
    """Telegram's length measure."""
    return len(text.encode("utf-16-le")) // 2


class TelegramFailure(Exception):
    """An error answer: HTTP status, description and optional `parameters`."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class FloodModel:
    """Telegram's limits: 30 messages/s overall, 1/s per chat, 20 per `group_window` s per group.

    Rejected messages do not count. `retry_after` is whole seconds, at least 1, as Telegram's.
    """

    per_second: int = 30
    chat_interval: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0
    overall: deque[float] = field(default_factory=deque)
    last_in_chat: dict[int, float] = field(default_factory=dict)
    in_group: dict[int, deque[float]] = field(default_factory=dict)
    rejected: int = 0

    def admit(self, chat_id: int, now: float) -> None:
        """Count a message, or raise a 429 TelegramFailure if it exceeds a limit."""
        while self.overall and self.overall[0] <= now - 1.0:
            self.overall.popleft()
        waits = []
        if len(self.overall) >= self.per_second:
            waits.append(self.overall[0] + 1.0 - now)
        last = self.last_in_chat.get(chat_id)
        if last is not None and now - last < self.chat_interval:
            waits.append(last + self.chat_interval - now)
        group = self.in_group.setdefault(chat_id, deque()) if chat_id < 0 else None
        while group and group[0] <= now - self.group_window:
            group.popleft()
        if group is not None and len(group) >= self.group_per_minute:
            waits.append(group[0] + self.group_window - now)
        if waits:
            self.rejected += 1
            retry_after = max(1, math.ceil(max(waits)))
            raise TelegramFailure(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        self.overall.append(now)
        self.last_in_chat[chat_id] = now
        if group is not None:
            group.append(now)


def check_message_text(params: dict[str, Any]) -> tuple[str, str]:
    """The visible text and the raw text; a TelegramFailure as Telegram would answer."""
    raw = params.get("text") or ""
    text = raw
    if (params.get("parse_mode") or "").upper() == "HTML":
        try:
            text = parse_telegram_html(raw)
        except EntityError as exc:
            raise TelegramFailure(400, f"Bad Request: can't parse entities: {exc}") from exc
    elif params.get("parse_mode"):
        raise TelegramFailure(400, "Bad Request: unsupported parse_mode")
    if not text.strip():
        raise TelegramFailure(400, "Bad Request: message text is empty")
    if utf16_length(text) > MESSAGE_LIMIT:
        raise TelegramFailure(400, "Bad Request: message is too long")
    return text, raw


async def read_parameters(request: web.Request) -> dict[str, Any]:
    """Form fields as PTB sends them (non-strings JSON-encoded), or a JSON body."""
    if request.content_type == "application/json":
        body: dict[str, Any] = await request.json()
        return body
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            continue
        if key in _JSON_PARAMETERS:
            params[key] = json.loads(value)
        elif key in _INT_PARAMETERS or (key == "chat_id" and value.lstrip("-").isdigit()):
            params[key] = int(value)
        else:
            params[key] = value
    return params


def error_response(failure: TelegramFailure) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": failure.status,
        "description": failure.description,
    }
    if failure.parameters:
        body["parameters"] = failure.parameters
    return web.json_response(body, status=failure.status)
