"""Test-wide settings, and the Telegram Bot API stand-in most Telegram tests talk to."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.stores import migrated_store
from tests.telegram_api import TelegramAPI, running_telegram_api

# python-telegram-bot 22 warns (an error under filterwarnings=error) whenever it builds a 429
# error, unless retry_after is asked for as a timedelta; `newsdigest run` sets the same.
os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[TelegramAPI]:
    """A running Bot API stand-in without flood limits (files with a flood model define
    their own)."""
    async with running_telegram_api() as stand_in:
        yield stand_in


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated SQLite store in the test's folder (the store suite defines its own, over
    every backend)."""
    async with migrated_store("sqlite", tmp_path) as opened:
        yield opened
