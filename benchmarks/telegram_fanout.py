"""One digest to many Telegram chats through TelegramPublisher and the Bot API stand-in.

Two runs:
- without the flood model and without pacing: how many messages/s the bot side can push
  (target: at least 500/s, so that Telegram's own limit is always the bottleneck);
- with the stand-in's flood model (Telegram's real limits: 30/s overall, 1/s per chat, 20/min per
  group) and the real pacer: the wall time against the minimum the limits allow, the 429s the
  stand-in answered, the 429s left unhandled (publish raised), and whether every chat got the
  digest exactly once.

The stand-in runs in its own process so that it does not share a core with the bot side.

    .venv/bin/python benchmarks/telegram_fanout.py                 # 10,000 chats, then 600 paced
    .venv/bin/python benchmarks/telegram_fanout.py --chats 2000 --flood-chats 300
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# The stand-in lives in tests/, which is not installed: run from any directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram.pacing import TelegramPacer
from adapters.telegram.publisher import TelegramPublisher
from bot.chats import ChatRef, Platform
from bot.errors import DeliveryError
from bot.replies import Heading, Link, Paragraph, Quote, Reply, Section, Text
from tests.telegram_api import TOKEN, TelegramAPI
from tests.telegram_rules import FloodModel

# Senders at once. More connections cost more than they bring: httpcore scans its whole pool
# for every request, and one process cannot use more than a core anyway.
CONCURRENCY = 8


def _digest() -> Reply:
    """A digest of eight stories that fits in one Telegram message."""
    stories = tuple(
        Section(
            (
                Heading((Link(f"Council approves bridge plan, part {n}", f"https://n.ex/{n}"),)),
                Paragraph((Text("The council voted 7 to 2 for the new bridge. " * 4),)),
                Quote("We will build it on time & on budget", "Mayor Jane Roe"),
            )
        )
        for n in range(8)
    )
    return Reply(sections=stories)


def _serve(conn: Connection, flood: bool) -> None:
    """The stand-in's process: serve until asked for the report."""
    asyncio.run(_serve_async(conn, flood))


async def _serve_async(conn: Connection, flood: bool) -> None:
    async with TelegramAPI(flood=FloodModel() if flood else None) as api:
        conn.send(api.port)
        cpu_started = time.process_time()
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        cpu = time.process_time() - cpu_started
        per_chat = Counter(m.chat_id for m in api.sent)
        conn.send(
            {
                "messages": len(api.sent),
                "chats": len(per_chat),
                "served_once": all(count == 1 for count in per_chat.values()),
                "rejected": api.flood.rejected if api.flood else 0,
                "unknown": api.unknown_methods,
                "cpu": cpu,
            }
        )


@dataclass
class Result:
    """One run's figures."""

    label: str
    chats: int
    wall: float
    cpu: float
    failures: int
    server: dict[str, Any]
    flood: bool

    @property
    def served_once(self) -> bool:
        """Every chat got the digest, none twice."""
        return bool(self.server["served_once"]) and self.server["chats"] == self.chats

    @property
    def per_second(self) -> float:
        """Messages delivered per second of wall time."""
        return float(self.server["messages"]) / self.wall


async def _fan_out(port: int, chats: int, pacer: TelegramPacer | None) -> tuple[float, float, int]:
    """Publish the digest to chats 1..N with CONCURRENCY senders: wall and CPU time, failures."""
    request = HTTPXRequest(connection_pool_size=CONCURRENCY, read_timeout=30, pool_timeout=30)
    base_url = f"http://127.0.0.1:{port}/bot"
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        publisher = TelegramPublisher(bot, pacer=pacer)
        digest = _digest()
        queue = iter(range(1, chats + 1))
        failures = 0

        async def sender() -> None:
            nonlocal failures
            for chat_id in queue:
                try:
                    await publisher.publish(ChatRef(Platform.TELEGRAM, str(chat_id)), digest)
                except DeliveryError:
                    failures += 1

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        return wall, cpu, failures


def run(label: str, chats: int, *, flood: bool) -> Result:
    """Start the stand-in in a process, fan out, and collect its report."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child, flood), daemon=True)
    server.start()
    port = parent.recv()
    pacer = TelegramPacer() if flood else None
    wall, cpu, failures = asyncio.run(_fan_out(port, chats, pacer))
    parent.send("report")
    report = parent.recv()
    server.join(timeout=10)
    return Result(label, chats, wall, cpu, failures, report, flood)


_COLUMNS = (
    ("run", 26),
    ("chats", 6),
    ("msgs", 6),
    ("wall s", 7),
    ("msg/s", 6),
    ("bot ms/msg", 11),
    ("api ms/msg", 11),
    ("min s", 6),
    ("wall/min", 9),
    ("429 sent", 9),
    ("unhandled", 10),
    ("once", 5),
)


def _row(r: Result) -> list[str]:
    messages = max(1, r.server["messages"])
    minimum = math.floor((r.chats - 1) / 30)
    return [
        r.label,
        str(r.chats),
        str(r.server["messages"]),
        f"{r.wall:.2f}",
        f"{r.per_second:.0f}",
        f"{1000 * r.cpu / messages:.2f}",
        f"{1000 * r.server['cpu'] / messages:.2f}",
        str(minimum) if r.flood else "-",
        f"{r.wall / minimum:.3f}" if r.flood and minimum > 0 else "-",
        str(r.server["rejected"]),
        str(r.failures),
        "yes" if r.served_once else "NO",
    ]


def _print_table(results: list[Result]) -> None:
    print(
        "".join(
            f"{name:<{width}}" if i == 0 else f"{name:>{width}}"
            for i, (name, width) in enumerate(_COLUMNS)
        )
    )
    for r in results:
        cells = zip(_row(r), _COLUMNS, strict=True)
        print(
            "".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, (_, w)) in enumerate(cells))
        )
    print(
        "bot/api ms/msg: CPU per message of the bot side and of the stand-in's process "
        "(1000 / bot ms/msg is what one free core could push).\n"
        "min s: the shortest time 30 messages per 1-s window allow, floor((N-1)/30). "
        "429 sent: answered by the flood model; unhandled: publish raised."
    )


def main() -> None:
    """Run both configurations and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="chats without flood limits")
    parser.add_argument("--flood-chats", type=int, default=600, help="chats with flood limits")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    results = [run("no flood model, no pacing", args.chats, flood=False)]
    if args.flood_chats:
        results.append(run("flood model, paced", args.flood_chats, flood=True))
    _print_table(results)
    for r in results:
        if r.server["unknown"]:
            print(f"unknown Bot API methods in {r.label}: {r.server['unknown']}")


if __name__ == "__main__":
    main()
