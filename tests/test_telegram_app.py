"""TelegramAdapter end to end: python-telegram-bot polling the Bot API stand-in.

The router here records what reaches it and answers with hostile text, so these tests are about
the adapter: command parsing, callers, buttons, channels, webhook mode, and the token in logs.
tests/test_telegram_commands.py runs the real CommandRouter through the same path.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.telegram.app import TelegramAdapter
from adapters.telegram.pacing import FloodLimits, TelegramPacer
from bot.chats import Caller, ChatKind, ChatRef, Platform
from bot.commands import COMMANDS
from bot.config import TelegramConfig
from bot.errors import ConfigError
from bot.replies import Bold, Button, Paragraph, Reply, Section, Text
from tests.telegram_api import TOKEN, TelegramAPI

FAST = FloodLimits(per_second=10_000, chat_interval=0.0, group_per_minute=10_000, margin=0.0)
HOSTILE = "<script>x</script> a < b & c <b>"


class RecordingRouter:
    """Answers every command with its own text, hostile characters and a More button."""

    def __init__(self) -> None:
        self.calls: list[tuple[Caller, str]] = []

    async def handle(self, caller: Caller, text: str) -> Reply:
        self.calls.append((caller, text))
        if text == "/stats boom":
            raise RuntimeError("the router broke")
        paragraph = Paragraph((Bold(text), Text(f" {HOSTILE}")))
        return Reply(sections=(Section((paragraph,)),), buttons=(Button("More", "/latest 5 +5"),))


@pytest.fixture
def router() -> RecordingRouter:
    return RecordingRouter()


@pytest.fixture
async def adapter(api: TelegramAPI, router: RecordingRouter) -> AsyncIterator[TelegramAdapter]:
    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    adapter = TelegramAdapter(config, router, pacer=TelegramPacer(FAST), poll_timeout=1)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def test_every_command_reaches_the_router_and_its_reply_arrives(
    api: TelegramAPI, router: RecordingRouter, adapter: TelegramAdapter
) -> None:
    for spec in COMMANDS:
        api.type_command(f"/{spec.name} some args", chat_id=10, user_id=10)
    sent = await api.wait_for_messages(len(COMMANDS), chat_id=10)
    expected = {f"/{spec.name} some args" for spec in COMMANDS}
    assert {text for _, text in router.calls} == expected
    assert {m.text for m in sent} == {f"{text} {HOSTILE}" for text in expected}
    assert all(m.parse_mode == "HTML" and "<script>" not in m.raw for m in sent)
    caller = router.calls[0][0]
    assert caller.chat == ChatRef(Platform.TELEGRAM, "10")
    assert (caller.user_id, caller.chat_kind, caller.is_chat_admin) == (
        "10",
        ChatKind.PRIVATE,
        True,
    )


async def test_command_menu_is_registered(api: TelegramAPI, adapter: TelegramAdapter) -> None:
    assert [c["command"] for c in api.commands] == [spec.name for spec in COMMANDS]


async def test_command_addressed_to_the_bot_by_name(
    api: TelegramAPI, router: RecordingRouter, adapter: TelegramAdapter
) -> None:
    api.type_command("/Latest@newsdigest_bot 3 bbc", chat_id=-20, user_id=5, chat_type="group")
    api.type_command("/latest@some_other_bot 3", chat_id=-20, user_id=5, chat_type="group")
    api.type_command("/help", chat_id=-20, user_id=5, chat_type="group")
    await api.wait_for_messages(2, chat_id=-20)
    assert sorted(text for _, text in router.calls) == ["/help", "/latest 3 bbc"]


async def test_group_callers_are_checked_for_admin_rights(
    api: TelegramAPI, router: RecordingRouter, adapter: TelegramAdapter
) -> None:
    api.admins[-30] = {7}
    api.type_command("/subscribe 07:30", chat_id=-30, user_id=7, chat_type="supergroup")
    await api.wait_for_messages(1, chat_id=-30)
    api.type_command("/subscribe 07:30", chat_id=-30, user_id=8, chat_type="supergroup")
    await api.wait_for_messages(2, chat_id=-30)
    api.type_command("/settings", chat_id=-30, user_id=7, chat_type="supergroup")
    await api.wait_for_messages(3, chat_id=-30)
    admin_flags = {c.user_id: (c.chat_kind, c.is_chat_admin) for c, _ in router.calls}
    assert admin_flags == {"7": (ChatKind.GROUP, True), "8": (ChatKind.GROUP, False)}
    assert api.calls.count("getChatMember") == 2  # the admin's second command used the cache


async def test_channel_posts_are_commands_from_the_channels_admins(
    api: TelegramAPI, router: RecordingRouter, adapter: TelegramAdapter
) -> None:
    api.post_in_channel("/subscribe 08:00 Europe/Berlin", chat_id=-1005)
    await api.wait_for_messages(1, chat_id=-1005)
    [(caller, text)] = router.calls
    assert text == "/subscribe 08:00 Europe/Berlin"
    assert caller.chat == ChatRef(Platform.TELEGRAM, "-1005")
    assert (caller.chat_kind, caller.is_chat_admin) == (ChatKind.CHANNEL, True)


async def test_more_button_runs_its_command(
    api: TelegramAPI, router: RecordingRouter, adapter: TelegramAdapter
) -> None:
    api.type_command("/latest 5", chat_id=11, user_id=11)
    [first] = await api.wait_for_messages(1, chat_id=11)
    assert first.reply_markup == {
        "inline_keyboard": [[{"text": "More", "callback_data": "/latest 5 +5"}]]
    }
    api.press_button(first, "/latest 5 +5", user_id=11)
    await api.wait_for_messages(2, chat_id=11)
    assert [text for _, text in router.calls] == ["/latest 5", "/latest 5 +5"]
    assert len(api.callback_answers) == 1


async def test_group_upgrade_is_reported(api: TelegramAPI, router: RecordingRouter) -> None:
    moves: list[tuple[ChatRef, ChatRef]] = []

    async def on_chat_migrated(old: ChatRef, new: ChatRef) -> None:
        moves.append((old, new))

    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    adapter = TelegramAdapter(config, router, on_chat_migrated=on_chat_migrated, poll_timeout=1)
    async with adapter:
        api.push_update(
            "message",
            {
                "message_id": 1,
                "date": 0,
                "chat": api.chat_json(-40),
                "migrate_to_chat_id": -10040,
            },
        )
        await api.wait_for(lambda: bool(moves), within=5.0)
    assert moves == [(ChatRef(Platform.TELEGRAM, "-40"), ChatRef(Platform.TELEGRAM, "-10040"))]


async def test_the_token_never_reaches_the_logs(
    api: TelegramAPI, router: RecordingRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = TelegramConfig(token=TOKEN, base_url=api.base_url)
    adapter = TelegramAdapter(config, router, pacer=TelegramPacer(FAST), poll_timeout=1)
    await adapter.start()
    api.blocked.add(12)
    api.type_command("/help", chat_id=12, user_id=12)
    await api.wait_for(lambda: "Forbidden" in caplog.text or "blocked" in caplog.text)
    await adapter.stop()
    assert "sendMessage" in caplog.text
    assert "<token>" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_webhook_mode_checks_the_secret_token(
    api: TelegramAPI, router: RecordingRouter
) -> None:
    port = _free_port()
    config = TelegramConfig(
        token=TOKEN,
        base_url=api.base_url,
        webhook_url="https://bot.example/telegram/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret",
    )
    adapter = TelegramAdapter(config, router, pacer=TelegramPacer(FAST))
    await adapter.start()
    try:
        assert api.webhook["url"] == "https://bot.example/telegram/hook"
        assert api.webhook["secret_token"] == "s3cret"
        update = {"update_id": 1, "message": _command_message("/help", 13)}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        async with httpx.AsyncClient() as client:
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            refused = await client.post(url, json=update, headers=wrong)
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            accepted = await client.post(url, json=update, headers=right)
        await api.wait_for_messages(1, chat_id=13)
    finally:
        await adapter.stop()
    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert [text for _, text in router.calls] == ["/help"]
    assert "getUpdates" not in api.calls


def _command_message(text: str, chat_id: int) -> dict[str, object]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": chat_id, "type": "private", "first_name": "U"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "U"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }


async def test_a_failing_command_is_logged_and_the_bot_keeps_answering(
    api: TelegramAPI,
    router: RecordingRouter,
    adapter: TelegramAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.type_command("/stats boom", chat_id=14, user_id=14)
    await api.wait_for(lambda: "the router broke" in caplog.text)
    api.type_command("/help", chat_id=14, user_id=14)
    [answer] = await api.wait_for_messages(1, chat_id=14)
    assert answer.text.startswith("/help")
    assert "Telegram update failed" in caplog.text


async def test_a_refused_token_is_a_config_error(
    api: TelegramAPI, router: RecordingRouter
) -> None:
    config = TelegramConfig(token="999:not-the-token", base_url=api.base_url)
    with pytest.raises(ConfigError, match=r"telegram\.token") as caught:
        await TelegramAdapter(config, router).start()
    assert caught.value.__cause__ is None
    assert "not-the-token" not in str(caught.value)


async def test_an_unreachable_bot_api_is_a_config_error(router: RecordingRouter) -> None:
    config = TelegramConfig(token=TOKEN, base_url=f"http://127.0.0.1:{_free_port()}/bot")
    with pytest.raises(ConfigError, match=r"telegram\.base_url"):
        await TelegramAdapter(config, router).start()
