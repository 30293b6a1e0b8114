"""Run the Bot API stand-in as its own process, for tests and benchmarks with real processes.

    python -m tests.telegram_standin [--port N] [--flood]

Prints the base URL to give python-telegram-bot (`http://127.0.0.1:PORT/bot`) and serves until
SIGINT or SIGTERM. `GET /_standin/sent` returns the delivery log as JSON;
`POST /_standin/outage?status=502&seconds=60` answers every send with that status for a while.
The token is tests.telegram_api.TOKEN.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from tests.telegram_api import TelegramAPI
from tests.telegram_rules import FloodModel


async def serve(port: int, *, flood: bool) -> None:
    """Serve until a signal; print the base URL once listening."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with TelegramAPI(flood=FloodModel() if flood else None, port=port) as api:
        print(api.base_url, flush=True)  # noqa: T201 - the caller reads the URL from stdout
        await stop.wait()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description="Telegram Bot API stand-in")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--flood", action="store_true", help="answer 429 over Telegram's limits")
    args = parser.parse_args()
    asyncio.run(serve(args.port, flood=args.flood))


if __name__ == "__main__":
    main()
