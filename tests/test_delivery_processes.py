"""Scheduled delivery with real processes: `python -m bot run` started, killed with SIGKILL and
restarted; four `--role worker` processes sharing one PostgreSQL database; a Bot API outage.

The Bot API stand-in runs in its own process (tests/telegram_standin.py), so a kill cannot touch
it, and its delivery log is the truth about what each chat received. Subscriptions are written
straight into the database (tests/test_delivery.py's bulk helper), due half an hour ago by the
real clock, and the bundled sample articles are read before the bot starts.

What a kill -9 can honestly cost: Telegram's sendMessage has no idempotency key, so a request in
flight at the kill may or may not have arrived, and its row ends `unknown`, never resent. Rows
become `sending` only right before their request and the worker holds at most CONCURRENT_SENDS
sends at once, so at most that many rows are in doubt; every other chat gets exactly one digest.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.config import SAMPLE_FOLDER as SAMPLES
from bot.config import Config, SourcesConfig
from bot.delivery import CONCURRENT_SENDS
from bot.migrations import upgrade_schema
from bot.models import DeliveryStatus
from bot.store import Store, open_store, schema
from tests.stores import POSTGRES_URL, scratch_postgres
from tests.telegram_api import TOKEN
from tests.test_delivery import add_sample_articles, subscribe_chats

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Config(sources=SourcesConfig(folders=(str(SAMPLES),)))
UNSETTLED = {DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING}


@dataclass(frozen=True, slots=True)
class Row:
    """A ledger row as these tests look at it."""

    chat_id: int
    status: DeliveryStatus
    attempts: int
    message_id: str | None


class StandIn:
    """The Bot API stand-in process and its delivery log."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.root = base_url.removesuffix("/bot")

    async def sent(self) -> list[dict[str, Any]]:
        """Every message the stand-in delivered."""
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{self.root}/_standin/sent", timeout=30)
        return list(answer.json())

    async def outage(self, status: int, seconds: float) -> None:
        """Answer every send with `status` for `seconds`."""
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{self.root}/_standin/outage", params={"status": status, "seconds": seconds}
            )


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.telegram_standin",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        yield StandIn(line.decode().strip())
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (processes cannot be handed a per-test search_path)."""
    async with scratch_postgres("DATABASE") as name:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@asynccontextmanager
async def prepared_store(url: str, chats: int) -> AsyncIterator[Store]:
    """The schema, the sample articles, and `chats` subscribers due half an hour ago."""
    await upgrade_schema(url)
    async with open_store(url) as store:
        await add_sample_articles(store, CONFIG)
        now = datetime.now(UTC)
        due = now - timedelta(minutes=30)
        chat_ids = list(range(100_001, 100_001 + chats))
        at = due.strftime("%H:%M")
        await subscribe_chats(store, chat_ids, at=at, tz="UTC", now=now - timedelta(hours=1))
        yield store


def write_config(tmp_path: Path, url: str, standin: StandIn, **settings: float) -> Path:
    """A config for bot processes: this database, the stand-in, fast ticks."""
    delivery = {"tick_seconds": 0.5, "lease_seconds": 4.0} | settings
    rate = delivery.pop("max_per_second")
    lines = "\n".join(f"{key} = {value}" for key, value in delivery.items())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[sources]\nfolders = ["{SAMPLES}"]\n\n'
        f'[telegram]\nbase_url = "{standin.base_url}"\nmax_per_second = {rate}\n\n'
        f"[delivery]\n{lines}\n",
        encoding="utf-8",
    )
    return config


async def start_bot(config: Path, log: Path, *, role: str = "all") -> asyncio.subprocess.Process:
    """`python -m bot run --config ... --role ...`, its output in `log`."""
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot", "run", "--config", str(config), "--role", role),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
            cwd=config.parent,
        )


async def stop(process: asyncio.subprocess.Process, log: Path) -> None:
    """SIGTERM, then check it stopped cleanly."""
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), timeout=60)
    assert process.returncode == 0, f"see {log}"


async def ledger_rows(store: Store) -> list[Row]:
    """Every ledger row with its chat."""
    deliveries, subscriptions, chats = schema.deliveries, schema.subscriptions, schema.chats
    query = (
        select(
            chats.c.chat_id,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.platform_message_id,
        )
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .join(chats, chats.c.id == subscriptions.c.chat_row_id)
    )
    async with store.reading() as conn:
        return [
            Row(int(r[0]), DeliveryStatus(r[1]), r[2], r[3]) for r in await conn.execute(query)
        ]


async def wait_until(check: Callable[[], Any], within: float, what: str) -> None:
    """Poll the async `check` every 0.2 s until it is true."""
    for _ in range(int(within / 0.2)):
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {within} s: {what}")


def counted(messages: list[dict[str, Any]]) -> Counter[int]:
    """Messages per chat."""
    return Counter(int(m["chat_id"]) for m in messages)


def message_ids(messages: list[dict[str, Any]]) -> Iterator[tuple[int, str]]:
    """(chat, message id) of each message."""
    return ((int(m["chat_id"]), str(m["message_id"])) for m in messages)


@pytest.mark.postgres
async def test_kill_9_mid_fan_out_then_restart_sends_each_digest_at_most_once(
    tmp_path: Path, standin: StandIn, postgres_url: str
) -> None:
    chats = 2000
    async with prepared_store(postgres_url, chats) as store:
        config = write_config(tmp_path, postgres_url, standin, max_per_second=250.0)
        log = tmp_path / "bot.log"
        bot = await start_bot(config, log)
        try:
            await wait_until(
                lambda: _sent_at_least(standin, 400), 90, "400 digests before the kill"
            )
        finally:
            bot.kill()
            await bot.wait()
        at_kill = await standin.sent()
        in_doubt = Counter(r.status for r in await ledger_rows(store))[DeliveryStatus.SENDING]
        assert len(at_kill) < chats, "the kill came too late to test anything"
        assert in_doubt <= CONCURRENT_SENDS

        bot = await start_bot(config, log)
        try:
            await wait_until(lambda: _settled(store, chats), 120, "every delivery settled")
        finally:
            await stop(bot, log)
        rows = await ledger_rows(store)
        messages = await standin.sent()

    received = counted(messages)
    unknown = {r.chat_id for r in rows if r.status == DeliveryStatus.UNKNOWN}
    assert len(messages) > len(at_kill)  # the restarted process carried on
    assert max(received.values()) == 1  # no chat got two digests
    assert {r.status for r in rows} <= {DeliveryStatus.SENT, DeliveryStatus.UNKNOWN}
    assert len(unknown) <= in_doubt <= CONCURRENT_SENDS
    assert {r.chat_id for r in rows} - set(received) <= unknown
    sent = {(r.chat_id, r.message_id) for r in rows if r.status == DeliveryStatus.SENT}
    assert sent <= set(message_ids(messages))


@pytest.mark.postgres
async def test_four_workers_share_5000_digests_due_in_the_same_minute(
    tmp_path: Path, standin: StandIn, postgres_url: str
) -> None:
    chats = 5000
    async with prepared_store(postgres_url, chats) as store:
        config = write_config(tmp_path, postgres_url, standin, max_per_second=4000.0, senders=4)
        logs = [tmp_path / f"worker{i}.log" for i in range(4)]
        workers = [await start_bot(config, log, role="worker") for log in logs]
        try:
            await wait_until(lambda: _settled(store, chats), 120, "5000 digests sent")
        finally:
            for worker, log in zip(workers, logs, strict=True):
                await stop(worker, log)
        rows = await ledger_rows(store)
        messages = await standin.sent()

    assert len(messages) == chats
    assert len(counted(messages)) == chats
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {(r.chat_id, r.message_id) for r in rows} == set(message_ids(messages))


async def test_a_bot_api_outage_delays_digests_and_loses_none(
    tmp_path: Path, standin: StandIn
) -> None:
    chats = 300
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with prepared_store(url, chats) as store:
        config = write_config(tmp_path, url, standin, max_per_second=100.0)
        log = tmp_path / "bot.log"
        bot = await start_bot(config, log)
        try:
            await wait_until(lambda: _sent_at_least(standin, 30), 60, "30 digests")
            await standin.outage(502, seconds=4)
            await wait_until(lambda: _settled(store, chats), 90, "every delivery settled")
        finally:
            await stop(bot, log)
        rows = await ledger_rows(store)
        messages = await standin.sent()

    assert len(messages) == len(counted(messages)) == chats
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert max(r.attempts for r in rows) >= 2  # answered 502 at least once, then sent


async def _sent_at_least(standin: StandIn, count: int) -> bool:
    return len(await standin.sent()) >= count


async def _settled(store: Store, count: int) -> bool:
    rows = await ledger_rows(store)
    return len(rows) == count and not any(r.status in UNSETTLED for r in rows)
