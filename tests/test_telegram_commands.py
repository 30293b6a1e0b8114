"""The whole command set on Telegram: the real router and service on SQLite, through
python-telegram-bot polling the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.app import TelegramAdapter
from adapters.telegram.pacing import FloodLimits, TelegramPacer
from bot.chats import ChatRef, Platform
from bot.commands import COMMANDS
from bot.config import AdminsConfig, Config, SourcesConfig, TelegramConfig
from bot.ingest import Fetcher
from bot.router import CommandRouter
from bot.service import NewsService
from bot.store import Store
from tests.feedserver import FeedServer
from tests.telegram_api import TOKEN, SentMessage, TelegramAPI

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Valley Courier</title><link>https://valley.example/</link>
<item><title>Tram line 4 closes for &lt;b&gt;repairs&lt;/b&gt; &amp; upgrades</title>
<link>https://valley.example/tram</link><guid>tram</guid>
<description>Tram line 4 will close for three weeks from Monday while the tracks are replaced.
Replacement buses will run every ten minutes. The city expects the work to finish in May.
“The old rails are forty years old and it shows,” said Petra Lindqvist, the transport director.
</description></item>
<item><title>Library extends opening hours</title><link>https://valley.example/library</link>
<guid>library</guid><description>The central library will stay open until ten at night.
Students asked for more quiet places to work before exams. The change starts next week.
“People told us evenings matter most,” said Omar Haddad, the head librarian.
</description></item>
</channel></rss>"""
ADMIN = 4242
USER = 5151
FAST = FloodLimits(per_second=10_000, chat_interval=0.0, group_per_minute=10_000, margin=0.0)


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        server.add("/valley.xml", RSS, content_type="application/rss+xml")
        yield server


@pytest.fixture
async def adapter(api: TelegramAPI, store: Store) -> AsyncIterator[TelegramAdapter]:
    config = Config(
        sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0),
        admins=AdminsConfig(telegram=(ADMIN,)),
        telegram=TelegramConfig(token=TOKEN, base_url=api.base_url),
    )
    async with Fetcher(config.sources) as fetcher:
        router = CommandRouter(NewsService(store, config, fetcher), config)
        adapter = TelegramAdapter(
            config.telegram, router, pacer=TelegramPacer(FAST), poll_timeout=1
        )
        await adapter.start()
        yield adapter
        await adapter.stop()


async def _run(
    api: TelegramAPI,
    text: str,
    *,
    chat_id: int = USER,
    user_id: int = USER,
    chat_type: str = "private",
) -> list[SentMessage]:
    """Type a command and return the messages it was answered with."""
    before = len([m for m in api.sent if m.chat_id == chat_id])
    api.type_command(text, chat_id=chat_id, user_id=user_id, chat_type=chat_type)
    sent = await api.wait_for_messages(before + 1, chat_id=chat_id)
    return sent[before:]


def _text(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


async def test_the_whole_command_set_on_telegram(
    api: TelegramAPI, adapter: TelegramAdapter, feeds: FeedServer
) -> None:
    feed = feeds.url("/valley.xml")
    assert "Valley Courier" in _text(
        await _run(api, f"/addsource {feed}", chat_id=ADMIN, user_id=ADMIN)
    )
    latest = _text(await _run(api, "/latest 1"))
    assert "Library extends opening hours" in latest or "Tram line 4" in latest
    [with_button] = [m for m in api.sent if m.reply_markup]
    [[more]] = with_button.reply_markup["inline_keyboard"]  # type: ignore[index]
    api.press_button(with_button, more["callback_data"], user_id=USER)
    pages = _text(await api.wait_for_messages(2, chat_id=USER))
    assert "Library extends opening hours" in pages
    assert "Tram line 4 closes for repairs & upgrades" in pages
    assert "Petra Lindqvist" in _text(await _run(api, "/quotes Lindqvist"))
    assert "Library" in _text(await _run(api, "/search library"))
    assert "Valley Courier" in _text(await _run(api, "/sources"))
    assert "valley.xml" in _text(await _run(api, "/export", chat_id=ADMIN, user_id=ADMIN))
    for command in ("/start", "/help", "/digest", "/stats", "/settings"):
        assert _text(await _run(api, command, chat_id=ADMIN, user_id=ADMIN))
    assert all(m.parse_mode == "HTML" for m in api.sent)
    assert {c["command"] for c in api.commands} == {spec.name for spec in COMMANDS}


async def test_a_group_subscribes_only_through_its_admins(
    api: TelegramAPI, adapter: TelegramAdapter, store: Store
) -> None:
    group = ChatRef(Platform.TELEGRAM, "-300")

    async def in_group(text: str, user_id: int) -> str:
        return _text(await _run(api, text, chat_id=-300, user_id=user_id, chat_type="supergroup"))

    api.admins[-300] = {77}
    assert "admins" in await in_group("/subscribe 07:30 Europe/Berlin", 78)
    assert await store.get_subscription(group) is None
    assert "07:30" in await in_group("/subscribe 07:30 Europe/Berlin", 77)
    subscription = await store.get_subscription(group)
    assert subscription is not None
    assert (subscription.at, subscription.tz) == ("07:30", "Europe/Berlin")
    assert "Unsubscribed" in await in_group("/unsubscribe", 77)


async def test_a_channel_admin_subscribes_the_channel(
    api: TelegramAPI, adapter: TelegramAdapter, store: Store
) -> None:
    api.post_in_channel("/subscribe 06:45", chat_id=-100777)
    [answer] = await api.wait_for_messages(1, chat_id=-100777)
    assert "06:45" in answer.text
    assert await store.get_subscription(ChatRef(Platform.TELEGRAM, "-100777")) is not None


async def test_a_lone_surrogate_in_a_command_is_replaced_not_an_internal_error(
    api: TelegramAPI, adapter: TelegramAdapter
) -> None:
    await _run(api, "/subscribe 07:30 Europe/Berlin")
    reply = _text(await _run(api, "/settings include bud\ud800get"))
    assert "bud?get" in reply
    assert "failed" not in reply


async def test_non_admins_are_refused_and_bad_arguments_get_the_usage_line(
    api: TelegramAPI, adapter: TelegramAdapter, feeds: FeedServer, store: Store
) -> None:
    refusal = _text(await _run(api, f"/addsource {feeds.url('/valley.xml')}"))
    assert "admins" in refusal
    assert await store.list_sources() == []
    assert "Usage: /latest [n] [source]" in _text(await _run(api, "/latest 99"))
    assert "Usage: /search <words>" in _text(await _run(api, "/search"))
