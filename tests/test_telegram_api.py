"""The Bot API stand-in refuses what Telegram refuses: these tests keep the other tests honest."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.telegram.publisher import open_telegram_publisher
from bot.chats import ChatRef, Platform
from bot.config import TelegramConfig
from bot.errors import RetryableDeliveryError
from bot.replies import plain_reply
from tests.telegram_api import TOKEN, TelegramAPI
from tests.telegram_rules import EntityError, FloodModel, TelegramFailure, parse_telegram_html

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>",
        "a < b",
        "a & b",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        '<a href="javascript:alert(1)">x</a>',
        '<b class="x">attribute</b>',
        "x</>y",
        "&nbsp;",
        "<br/>",
        "<!-- comment -->",
    ],
)
def test_html_telegram_refuses(raw: str) -> None:
    with pytest.raises(EntityError):
        parse_telegram_html(raw)


def test_html_telegram_accepts() -> None:
    raw = (
        "<b>b</b><i>i</i><u>u</u><s>s</s><code>c</code><pre>p</pre><tg-spoiler>t</tg-spoiler>"
        '<a href="https://x.example/?a=1&amp;b=2">l</a><blockquote>q</blockquote>'
        "&lt;&gt;&amp;&quot;&#39;&#x1F600;"
    )
    assert parse_telegram_html(raw) == "bius" + "cptlq" + "<>&\"'😀"


def test_flood_model_limits() -> None:
    flood = FloodModel()
    for chat in range(30):
        flood.admit(chat, 0.0)
    with pytest.raises(TelegramFailure) as caught:
        flood.admit(99, 0.5)
    assert (caught.value.status, caught.value.parameters) == (429, {"retry_after": 1})
    flood.admit(99, 1.01)
    with pytest.raises(TelegramFailure):
        flood.admit(99, 1.5)  # the same chat within a second
    group = FloodModel(per_second=1000)
    for n in range(20):
        group.admit(-5, 1.1 * n)
    with pytest.raises(TelegramFailure) as caught:
        group.admit(-5, 22.5)  # a 21st message within a minute
    assert caught.value.parameters == {"retry_after": 38}
    assert group.rejected == 1


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    async with TelegramAPI() as api:
        yield api


async def _call(
    client: httpx.AsyncClient, api: TelegramAPI, method: str, **data: object
) -> dict[str, Any]:
    response = await client.post(f"{api.base_url}{TOKEN}/{method}", data=data)
    body: dict[str, Any] = response.json()
    return body


async def test_send_message_errors_read_like_telegrams(api: TelegramAPI) -> None:
    async with httpx.AsyncClient() as client:
        unclosed = await _call(
            client, api, "sendMessage", chat_id=1, text="<b>x", parse_mode="HTML"
        )
        empty = await _call(client, api, "sendMessage", chat_id=1, text=" ")
        long = await _call(client, api, "sendMessage", chat_id=1, text="x" * 4097)
        fits = await _call(
            client, api, "sendMessage", chat_id=1, text="&amp;" * 4096, parse_mode="HTML"
        )
    assert unclosed["description"].startswith("Bad Request: can't parse entities: ")
    assert empty["description"] == "Bad Request: message text is empty"
    assert long["description"] == "Bad Request: message is too long"
    assert fits["ok"] is True
    assert [m.text for m in api.sent] == ["&" * 4096]


async def test_a_second_poller_gets_409(api: TelegramAPI) -> None:
    async with httpx.AsyncClient() as client:
        first = asyncio.create_task(_call(client, api, "getUpdates", timeout=2))
        await api.wait_for(lambda: api.polling)
        second = await _call(client, api, "getUpdates", timeout=0)
        api.type_command("/help", chat_id=1, user_id=1)
        first_body = await first
    assert second["error_code"] == 409
    assert [u["message"]["text"] for u in first_body["result"]] == ["/help"]


async def test_updates_are_confirmed_by_offset(api: TelegramAPI) -> None:
    first_id = api.type_command("/start", chat_id=1, user_id=1)
    api.type_command("/help", chat_id=1, user_id=1)
    async with httpx.AsyncClient() as client:
        both = await _call(client, api, "getUpdates", timeout=0)
        rest = await _call(client, api, "getUpdates", offset=first_id + 1, timeout=0)
    assert len(both["result"]) == 2
    assert [u["message"]["text"] for u in rest["result"]] == ["/help"]


async def test_unknown_methods_and_wrong_tokens_are_recorded(api: TelegramAPI) -> None:
    async with httpx.AsyncClient() as client:
        unknown = await _call(client, api, "sendPhoto", chat_id=1)
        wrong = await client.post(f"{api.base_url}0:wrong/getMe")
    assert unknown["error_code"] == 404
    assert wrong.status_code == 401
    assert api.unknown_methods == ["sendPhoto"]


async def test_the_stand_in_runs_as_its_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.telegram_standin",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPOSITORY,
    )
    try:
        assert process.stdout is not None
        base_url = (await process.stdout.readline()).decode().strip()
        config = TelegramConfig(token=TOKEN, base_url=base_url)
        async with open_telegram_publisher(config) as publisher, httpx.AsyncClient() as client:
            await publisher.publish(ChatRef(Platform.TELEGRAM, "7"), plain_reply("hello"))
            root = base_url.removesuffix("/bot")
            await client.post(f"{root}/_standin/outage", params={"status": 502, "seconds": 60})
            with pytest.raises(RetryableDeliveryError):
                await publisher.publish(ChatRef(Platform.TELEGRAM, "8"), plain_reply("lost?"))
            log = (await client.get(f"{root}/_standin/sent")).json()
    finally:
        process.terminate()
        assert await process.wait() == 0
    assert [(m["chat_id"], m["text"]) for m in log] == [(7, "hello")]
