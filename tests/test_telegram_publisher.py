"""TelegramPublisher through the real python-telegram-bot and the Bot API stand-in, with each
HTTP implementation under PTB: its own HTTPXRequest and our AiohttpRequest."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from adapters.telegram.pacing import FloodLimits, TelegramPacer
from adapters.telegram.publisher import TelegramPublisher, open_telegram_publisher
from adapters.telegram.request import AiohttpRequest
from bot.chats import ChatRef, Platform
from bot.config import TelegramConfig
from bot.errors import (
    AmbiguousDeliveryError,
    ConfigError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from bot.replies import Button, Heading, Link, Paragraph, Reply, Section, Text, plain_reply
from tests.telegram_api import TOKEN, TelegramAPI, running_telegram_api
from tests.telegram_rules import parse_telegram_html

# No pacing delays in these tests: pacing has its own tests below and in the benchmark.
FAST = FloodLimits(per_second=10_000, chat_interval=0.0, group_per_minute=10_000, margin=0.0)


def _request(kind: str, *, read_timeout: float = 2.0) -> BaseRequest:
    if kind == "httpx":
        return HTTPXRequest(connection_pool_size=8, read_timeout=read_timeout)
    return AiohttpRequest(connections=8, read_timeout=read_timeout)


@pytest.fixture(params=["httpx", "aiohttp"])
def http(request: pytest.FixtureRequest) -> str:
    """Which HTTP implementation python-telegram-bot sends through."""
    return str(request.param)


@pytest.fixture
async def bot(api: TelegramAPI, http: str) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, request=_request(http)) as bot:
        yield bot


def _chat(chat_id: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(chat_id))


def _publisher(bot: Bot, **kwargs: object) -> TelegramPublisher:
    return TelegramPublisher(bot, pacer=TelegramPacer(FAST), **kwargs)  # type: ignore[arg-type]


def _digest(stories: int) -> Reply:
    return Reply(
        sections=tuple(
            Section(
                (
                    Heading((Link(f"Story {n} <b>", f"https://news.example/{n}"),)),
                    Paragraph((Text(f"Summary {n}: a < b & c. " * 20),)),
                )
            )
            for n in range(stories)
        ),
        buttons=(Button("More", "/latest 5 5"),),
    )


async def test_publish_returns_first_message_id_and_disables_previews(
    api: TelegramAPI, bot: Bot
) -> None:
    message_id = await _publisher(bot).publish(_chat(42), _digest(2))
    [sent] = api.sent
    assert message_id == str(sent.message_id)
    assert sent.parse_mode == "HTML"
    assert sent.link_preview_options == {"is_disabled": True}
    assert sent.text.startswith("Story 0 <b>\nSummary 0: a < b & c.")
    assert sent.reply_markup == {
        "inline_keyboard": [[{"text": "More", "callback_data": "/latest 5 5"}]]
    }


async def test_long_reply_arrives_as_several_valid_messages_in_order(
    api: TelegramAPI, bot: Bot
) -> None:
    reply = _digest(20)
    first_id = await _publisher(bot).publish(_chat(7), reply)
    sent = api.sent
    assert len(sent) >= 3
    assert first_id == str(sent[0].message_id)
    headlines = [line for m in sent for line in m.text.split("\n") if line.startswith("Story")]
    assert headlines == [f"Story {n} <b>" for n in range(20)]
    assert all(len(m.text) <= 4096 and parse_telegram_html(m.raw) == m.text for m in sent)
    assert [m.reply_markup is not None for m in sent] == [False] * (len(sent) - 1) + [True]


async def test_link_previews_can_be_turned_on(api: TelegramAPI, bot: Bot) -> None:
    await _publisher(bot, link_previews=True).publish(_chat(42), plain_reply("hi"))
    assert api.sent[0].link_preview_options == {"is_disabled": False}


async def test_429_waits_retry_after_then_succeeds(api: TelegramAPI, bot: Bot) -> None:
    api.rate_limit_next(chat_id=5, retry_after=1)
    await _publisher(bot).publish(_chat(5), plain_reply("after the wait"))
    assert [m.text for m in api.sent] == ["after the wait"]
    assert api.calls.count("sendMessage") == 2


async def test_429_beyond_the_attempts_is_retryable(api: TelegramAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests", parameters={"retry_after": 120})
    with pytest.raises(RetryableDeliveryError) as caught:
        await _publisher(bot).publish(_chat(5), plain_reply("x"))
    assert caught.value.retry_after == 120
    assert api.sent == []


async def test_403_is_permanent(api: TelegramAPI, bot: Bot) -> None:
    api.blocked.add(99)
    with pytest.raises(PermanentDeliveryError, match="blocked"):
        await _publisher(bot).publish(_chat(99), plain_reply("hello"))
    assert api.sent == []


async def test_cant_parse_entities_resends_plain_text_and_logs(
    api: TelegramAPI, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail_next(
        "sendMessage", 400, 'Bad Request: can\'t parse entities: Unsupported start tag "x"'
    )
    reply = Reply(sections=(Section((Heading((Link("Title & co", "https://n.example/a"),)),)),))
    with caplog.at_level(logging.WARNING, logger="adapters.telegram.publisher"):
        await _publisher(bot).publish(_chat(3), reply)
    [sent] = api.sent
    assert sent.parse_mode is None
    assert sent.text == "Title & co (https://n.example/a)"
    assert "rejected our HTML" in caplog.text


async def test_migrated_group_is_followed_and_reported(api: TelegramAPI, bot: Bot) -> None:
    api.migrations[-100] = -1001234
    moves: list[tuple[ChatRef, ChatRef]] = []

    async def on_chat_migrated(old: ChatRef, new: ChatRef) -> None:
        moves.append((old, new))

    publisher = _publisher(bot, on_chat_migrated=on_chat_migrated)
    await publisher.publish(_chat(-100), plain_reply("to the supergroup"))
    assert [(m.chat_id, m.text) for m in api.sent] == [(-1001234, "to the supergroup")]
    assert moves == [(_chat(-100), _chat(-1001234))]


async def test_server_error_is_retryable(api: TelegramAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(RetryableDeliveryError):
        await _publisher(bot).publish(_chat(1), plain_reply("x"))


async def test_a_timeout_after_sending_is_ambiguous(api: TelegramAPI, http: str) -> None:
    api.stall_next("sendMessage", 3.0)
    request = _request(http, read_timeout=1.0)  # getMe, not stalled, has time on a busy machine
    async with Bot(TOKEN, base_url=api.base_url, request=request) as slow_bot:
        with pytest.raises(AmbiguousDeliveryError):
            await _publisher(slow_bot).publish(_chat(1), plain_reply("slow"))


async def test_connection_refused_is_retryable(monkeypatch: pytest.MonkeyPatch, http: str) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with running_telegram_api() as api:
        bot = Bot(TOKEN, base_url=api.base_url, request=_request(http))
        await bot.initialize()
    try:
        with pytest.raises(RetryableDeliveryError):
            await _publisher(bot).publish(_chat(1), plain_reply("the server is gone"))
    finally:
        await bot.shutdown()


async def test_failure_after_the_first_message_is_ambiguous(api: TelegramAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway", after=1, times=10)
    with pytest.raises(AmbiguousDeliveryError, match="partly delivered"):
        await _publisher(bot).publish(_chat(1), _digest(20))
    assert len(api.sent) == 1


async def test_a_fan_out_to_50_chats_arrives_in_order(api: TelegramAPI, bot: Bot) -> None:
    publisher = _publisher(bot)
    reply = _digest(20)
    for chat_id in range(1, 51):
        await publisher.publish(_chat(chat_id), reply)
    per_chat = len(api.sent) // 50
    assert per_chat >= 3
    assert [m.chat_id for m in api.sent] == [c for c in range(1, 51) for _ in range(per_chat)]
    first_chat = [m.text for m in api.sent if m.chat_id == 1]
    assert all([m.text for m in api.sent if m.chat_id == c] == first_chat for c in range(2, 51))


async def test_a_sending_only_publisher_reports_a_refused_token_without_quoting_it(
    api: TelegramAPI,
) -> None:
    config = TelegramConfig(token="999:not-the-token", base_url=api.base_url)
    with pytest.raises(ConfigError, match=r"telegram\.token") as caught:
        async with open_telegram_publisher(config):
            pass
    assert "not-the-token" not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_opened_publisher_sends_the_same_digest_text_to_every_chat(
    api: TelegramAPI,
) -> None:
    # Its Bot form-encodes a long text once and reuses it: every chat must get it intact.
    reply = plain_reply("Café «quoted» & a+b = c; 100% of 5 > 4?\n" * 12)
    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    async with open_telegram_publisher(config, pacer=TelegramPacer(FAST)) as publisher:
        for chat_id in (41, 42, -1003):
            await publisher.publish(_chat(chat_id), reply)
    assert [sent.chat_id for sent in api.sent] == [41, 42, -1003]
    assert len({sent.text for sent in api.sent}) == 1
    assert api.sent[0].text.count("Café «quoted» & a+b = c; 100% of 5 > 4?") == 12


async def test_no_free_aiohttp_connection_in_time_is_retryable_and_never_shows_the_token(
    api: TelegramAPI,
) -> None:
    # One connection: while a stalled send holds it, the other send waits for it in vain.
    # Generous timeouts, still well under the stall: a loaded machine is slow to connect.
    api.stall_next("sendMessage", 4.0)
    request = AiohttpRequest(connections=1, pool_timeout=0.5, connect_timeout=1.0)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
        publisher = _publisher(bot)
        sends = [publisher.publish(_chat(c), plain_reply(f"to {c}")) for c in (1, 2)]
        results = await asyncio.gather(*sends, return_exceptions=True)
    [failure] = [r for r in results if isinstance(r, BaseException)]
    assert isinstance(failure, RetryableDeliveryError)
    assert "ConnectionTimeoutError" in str(failure)
    assert TOKEN not in "".join(traceback.format_exception(failure))
    assert len(api.sent) == 1


async def test_a_restarted_server_gets_the_send_once_over_aiohttp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The kept-alive connection is closed by the server: the pool drops it, or the send fails
    # before any of it was handed over (retryable, never ambiguous).
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with running_telegram_api() as api:
        port = api.port
        bot = Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest())
        await bot.initialize()
    try:
        async with TelegramAPI(port=port) as again:
            try:
                await _publisher(bot).publish(_chat(1), plain_reply("after the restart"))
            except RetryableDeliveryError:
                await _publisher(bot).publish(_chat(1), plain_reply("after the restart"))
        assert [m.text for m in again.sent] == ["after the restart"]
    finally:
        await bot.shutdown()
