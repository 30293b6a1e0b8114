"""The `newsdigest` command: wiring of config, store, ingestion, scheduler and adapters."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from bot.chats import Platform
from bot.config import SAMPLE_FOLDER, Config, load_config
from bot.errors import ConfigError

# The store, the scheduler and the adapters are imported where they are used, so that
# `newsdigest digest` starts in a fraction of the time `newsdigest run` needs.
if TYPE_CHECKING:
    from adapters.telegram.pacing import TelegramPacer
    from bot.publisher import Publisher
    from bot.runtime import Core


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdigest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    digest = commands.add_parser("digest", help="print the digest of one article")
    digest.add_argument("source", nargs="?", help="a file, a URL, or - for standard input")
    digest.add_argument(
        "--format",
        choices=["text", "json", "jsonl"],
        help="text for a person (default), json, or jsonl (the default with --input)",
    )
    digest.add_argument(
        "--input", help='a JSONL file of articles {"id", "text", "title"?}, or - (batch mode)'
    )
    run = commands.add_parser("run", help="run the bot")
    run.add_argument("--config", help="a TOML config file (default: the demo on sample articles)")
    run.add_argument(
        "--console", action="store_true", help="also chat in the terminal when tokens are set"
    )
    run.add_argument(
        "--role",
        choices=["all", "worker"],
        default="all",
        help="all: the whole bot (default); worker: only send scheduled digests (several "
        "workers may share one PostgreSQL database)",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--config", help="a TOML config file")
    migrate.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsdigest` command."""
    # python-telegram-bot 22 warns on every 429 unless told to give retry_after as a timedelta.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    if args.command == "digest":
        from bot.digest_command import run_digest_command

        return run_digest_command(args)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = _load_config(args)
        if args.command == "migrate":
            from bot.migrations import upgrade_schema

            asyncio.run(upgrade_schema(config.database.url))
            print(f"newsdigest: the database at {_safe_url(config.database.url)} is up to date")
            return 0
        return asyncio.run(_run(config, console=args.console, role=args.role))
    except ConfigError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _load_config(args: argparse.Namespace) -> Config:
    """The config file if given; without one, the demo set-up on the bundled sample articles."""
    config = load_config(args.config, os.environ)
    if args.config is None:
        sources = dataclasses.replace(config.sources, folders=(str(SAMPLE_FOLDER),))
        config = dataclasses.replace(config, sources=sources)
    return config


async def _run(config: Config, *, console: bool, role: str) -> int:
    """Run the bot until the console input ends, or until SIGINT/SIGTERM (even mid start-up)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    work = _serve(config, console=console) if role == "all" else _send_only(config)
    serving = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not serving.done():
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        return 0
    return serving.result()


async def _serve(config: Config, *, console: bool) -> int:
    """Start everything, then serve until the console input ends (or forever)."""
    from adapters.console.app import ConsoleAdapter
    from bot.runtime import open_core
    from bot.scheduler import build_scheduler

    publishers: dict[Platform, Publisher] = {}
    async with AsyncExitStack() as stack:
        core = await stack.enter_async_context(open_core(config))
        await core.add_folder_sources(config.sources.folders)
        platforms = await _start_platforms(stack, core, publishers)
        terminal = None
        if console or not platforms:
            terminal = ConsoleAdapter(core.router, sys.stdout, prompt=sys.stdin.isatty())
            publishers[Platform.CONSOLE] = terminal.publisher
        core.deliver_with(publishers)
        await core.tick()
        scheduler = build_scheduler(core.ticks, clock=core.clock)
        scheduler.start()
        stack.push_async_callback(scheduler.stop)
        if terminal is None:
            await asyncio.Event().wait()
        else:
            await terminal.run(sys.stdin)
    return 0


async def _send_only(config: Config) -> int:
    """A worker: plan and send scheduled digests through REST; no updates, no polling."""
    from adapters.discord.publisher import DiscordPublisher, rest_client
    from adapters.telegram.publisher import open_telegram_publisher
    from bot.runtime import open_core
    from bot.scheduler import build_scheduler

    publishers: dict[Platform, Publisher] = {}
    async with AsyncExitStack() as stack:
        core = await stack.enter_async_context(open_core(config, upgrade=False, polls=False))
        if config.telegram.token:
            publishers[Platform.TELEGRAM] = await stack.enter_async_context(
                open_telegram_publisher(
                    config.telegram,
                    pacer=_telegram_pacer(config),
                    on_chat_migrated=core.service.move_chat,
                )
            )
        if config.discord.token:
            client = await stack.enter_async_context(rest_client(config.discord))
            publishers[Platform.DISCORD] = DiscordPublisher(client)
        if not publishers:
            raise ConfigError("telegram.token", "a worker needs a platform token to send with")
        core.deliver_with(publishers)
        scheduler = build_scheduler(core.ticks, clock=core.clock)
        scheduler.remove_job("poll")  # the `all` process reads the sources
        scheduler.start()
        stack.push_async_callback(scheduler.stop)
        await asyncio.Event().wait()
    return 0


async def _start_platforms(
    stack: AsyncExitStack, core: Core, publishers: dict[Platform, Publisher]
) -> list[Platform]:
    """Start the Telegram and Discord adapters whose tokens are set; return their platforms."""
    config = core.config
    if config.telegram.token:
        from adapters.telegram.app import TelegramAdapter

        telegram = TelegramAdapter(
            config.telegram,
            core.router,
            pacer=_telegram_pacer(config),
            on_chat_migrated=core.service.move_chat,
        )
        await stack.enter_async_context(telegram)
        publishers[Platform.TELEGRAM] = telegram.publisher
    if config.discord.token:
        from adapters.discord.app import DiscordAdapter

        discord = await stack.enter_async_context(DiscordAdapter(config.discord, core.router))
        publishers[Platform.DISCORD] = discord.publisher
    return [platform for platform in publishers if platform is not Platform.CONSOLE]


def _telegram_pacer(config: Config) -> TelegramPacer:
    """This process's share of the bot token's rate: [telegram] max_per_second / senders."""
    from adapters.telegram.pacing import FloodLimits, TelegramPacer

    rate = config.telegram.max_per_second / config.delivery.senders
    return TelegramPacer(FloodLimits(per_second=rate))


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
