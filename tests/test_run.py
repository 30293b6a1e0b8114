"""`newsdigest run` as a user starts it: a real process, both platform adapters at once.

The bot process talks to the Telegram Bot API stand-in and the Discord stand-in served by this
test on 127.0.0.1, on a SQLite file, with the bundled sample folder as its source. The token must
never reach the process's logs, and SIGTERM must stop it cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.config import SAMPLE_FOLDER
from tests.discord_api import DiscordStandIn
from tests.telegram_api import TOKEN, TelegramAPI

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:discord")

USER = 4242


def write_config(tmp_path: Path, telegram: TelegramAPI, discord: DiscordStandIn) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path}/bot.db"

[sources]
folders = ["{SAMPLE_FOLDER}"]

[admins]
telegram = [{USER}]

[telegram]
base_url = "{telegram.base_url}"

[discord]
api_base = "{discord.api_base}"
gateway_url = "{discord.gateway_url}"
""",
        encoding="utf-8",
    )
    return config


async def test_run_serves_telegram_and_discord_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with TelegramAPI() as telegram, DiscordStandIn() as discord:
        config = write_config(tmp_path, telegram, discord)
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DISCORD_BOT_TOKEN": discord.token,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            "--verbose",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        try:
            await telegram.wait_for(lambda: telegram.polling, within=60)
            async with asyncio.timeout(60):
                await discord.wait_for(lambda: discord.identifies >= 1)
            assert {c["command"] for c in telegram.commands} >= {"latest", "quotes", "addsource"}

            telegram.type_command("/latest 2", chat_id=77, user_id=USER)
            [reply] = await telegram.wait_for_messages(1, chat_id=77, within=30)
            assert "Latest stories" in reply.text
            telegram.type_command("/quotes Tanaka", chat_id=77, user_id=USER)
            replies = await telegram.wait_for_messages(2, chat_id=77, within=30)
            assert "I knew I had to take risks" in replies[1].text
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        logs = stderr.decode()
        assert process.returncode == 0, logs
        assert TOKEN not in logs
        assert TOKEN.split(":")[1] not in logs
        assert discord.token not in logs
        assert telegram.unknown_methods == []
        assert discord.unknown_routes == []
        del stdout
