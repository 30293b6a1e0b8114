"""End to end through the console adapter: commands in, rendered replies out, digests on time.

A real SQLite file, a real feed served over HTTP from 127.0.0.1, the real service and router; only
the clock is the test's, so the daily digest can be walked across daylight-saving changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import signal
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from adapters.console.app import ConsoleAdapter
from bot.chats import Platform
from bot.config import Config, load_config
from bot.runtime import Core, open_core
from tests.feedserver import FeedServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:discord")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


STORIES = [
    (
        "Library to reopen after flood repairs",
        "The city library will reopen on Monday after six months of repairs, Mayor Anna "
        "Lindgren said on Thursday. “We will open the doors at nine, and every child who comes "
        "gets a new book,” Lindgren said. Repairs cost 2.4 million euros.",
    ),
    (
        "Ferry service adds night crossings",
        "The island ferry will run two extra night crossings from next week, the operator "
        "said. “Demand has doubled since the summer,” said operations director Karl Weiss. "
        "Tickets go on sale on Friday.",
    ),
    (
        "Orchestra names new conductor",
        "The city orchestra has named Lea Moreau as its new chief conductor. “This orchestra "
        "has a sound unlike any other,” Moreau told reporters. She starts in September.",
    ),
    (
        "Stadium roof passes safety test",
        "The new stadium roof passed its final safety inspection, engineers said on Tuesday. "
        "“The roof can carry twice the snow load the code requires,” said chief engineer "
        "Omar Haddad. The first match is planned for April.",
    ),
    (
        "Bakery wins regional bread prize",
        "A family bakery in the old town won the regional bread prize on Saturday. “My "
        "grandmother would be proud,” said baker Ines Duarte. The bakery opened in 1952.",
    ),
]


def rss(items: list[tuple[str, str]], published: datetime) -> str:
    """An RSS 2.0 feed of (title, text) items."""
    entries = "".join(
        f"<item><title>{title}</title><link>https://news.example/{i}</link>"
        f"<guid>https://news.example/{i}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description><![CDATA[<p>{text}</p>]]></description></item>"
        for i, (title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>City News</title><link>https://news.example/</link>{entries}</channel></rss>"
    )


class Terminal:
    """A console session: type lines, read what the bot printed since the last look."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.out = io.StringIO()
        self.console = ConsoleAdapter(core.router, self.out)
        core.deliver_with({Platform.CONSOLE: self.console.publisher})

    async def type(self, *lines: str) -> str:
        await self.console.run(io.StringIO("".join(line + "\n" for line in lines)))
        return self.read()

    def read(self) -> str:
        """What was printed since the last read, with line wrapping undone."""
        text = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return " ".join(text.split())

    async def at(self, moment: datetime) -> str:
        """Move the clock to `moment`, run the ticks, return what was printed."""
        self.core.clock.now = moment  # type: ignore[attr-defined]
        await self.core.tick()
        return self.read()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feeds:
        yield feeds


def make_config(tmp_path: Path, *, console_admin: bool = True) -> Config:
    config = load_config(None, {})
    return dataclasses.replace(
        config,
        database=dataclasses.replace(config.database, url=f"sqlite+aiosqlite:///{tmp_path}/t.db"),
        sources=dataclasses.replace(config.sources, allow_private_addresses=True),
        admins=dataclasses.replace(config.admins, console=console_admin),
    )


@pytest.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Terminal]:
    clock = Clock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    async with open_core(make_config(tmp_path), clock=clock) as core:
        yield Terminal(core)


def serve(server: FeedServer, items: list[tuple[str, str]], published: datetime) -> str:
    server.add("/feed.xml", rss(items, published), content_type="application/rss+xml")
    return server.url("/feed.xml")


async def test_admin_adds_a_feed_and_reads_latest_quotes_and_search(
    terminal: Terminal, server: FeedServer
) -> None:
    url = serve(server, STORIES[:2], terminal.core.clock())
    added = await terminal.type(f"/addsource {url}")
    assert "Added source #1: City News (feed, 2 items, 2 new articles)" in added

    latest = await terminal.type("/latest")
    assert "Library to reopen after flood repairs <https://news.example/0>" in latest
    assert "Ferry service adds night crossings" in latest

    quotes = await terminal.type("/quotes Lindgren")
    said = "“We will open the doors at nine, and every child who comes gets a new book”"
    assert f"{said} — Anna Lindgren" in quotes
    assert "— Anna Lindgren" in quotes
    assert "Ferry" not in quotes

    found = await terminal.type("/search ferry")
    assert "Ferry service adds night crossings" in found
    assert "Library" not in found

    sources = await terminal.type("/sources")
    assert "#1 City News (feed, 2 articles, ok)" in sources

    from_source = await terminal.type("/latest 5 city")
    assert "Latest stories from City News" in from_source
    assert "Ferry service adds night crossings" in from_source
    assert "no source 'Valley'" in await terminal.type("/latest 5 Valley")


async def test_a_non_admin_cannot_add_a_source(tmp_path: Path, server: FeedServer) -> None:
    url = serve(server, STORIES[:1], datetime(2026, 3, 27, tzinfo=UTC))
    config = make_config(tmp_path, console_admin=False)
    async with open_core(config, clock=Clock(datetime(2026, 3, 27, 10, tzinfo=UTC))) as core:
        terminal = Terminal(core)
        refused = await terminal.type(f"/addsource {url}")
        assert "/addsource is for admins only." in refused
        assert "No sources yet" in await terminal.type("/sources")
        assert server.requests["/feed.xml"] == 0
        help_text = await terminal.type("/help")
        assert "/latest [n] [source]" in help_text
        assert "/addsource" not in help_text


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/latest 0", "n must be between 1 and 20. Usage: /latest [n] [source]"),
        ("/latest 500", "n must be between 1 and 20"),
        ("/search", "Usage: /search <words>"),
        ("/subscribe 25:99", "“25:99” is not a time; use HH:MM, like 07:30."),
        ("/subscribe 07:30 Mars/Olympus", "“Mars/Olympus” is not a time zone"),
        ("/subscribe 07:30 Europe/Berlin extra", "Usage: /subscribe [time] [timezone]"),
        ("/addsource", "Usage: /addsource <url>"),
        ("/addsource http://a.example two", "Usage: /addsource <url>"),
        ("/removesource", "Usage: /removesource <source>"),
        ("/removesource 42", "42"),
        ("/settings length many", "Usage: /settings [time HH:MM"),
        ("/settings include /(a+)+$/", "Daily digest: not subscribed"),
        ("/frobnicate", "Unknown command /frobnicate. Type /help for the list."),
    ],
)
async def test_malformed_commands_get_one_line_answers(
    terminal: Terminal, line: str, answer: str
) -> None:
    printed = await terminal.type(line)
    assert answer in printed
    assert "Traceback" not in printed


async def test_subscribed_console_gets_its_digest_at_local_time_across_dst(
    terminal: Terminal, server: FeedServer
) -> None:
    start = terminal.core.clock()
    url = serve(server, STORIES[:1], start)
    await terminal.type(f"/addsource {url}")
    subscribed = await terminal.type("/subscribe 07:30 Europe/Berlin")
    assert "Subscribed: a daily digest at 07:30 (Europe/Berlin)." in subscribed
    assert "Sat 28 Mar 07:30 CET" in subscribed

    # Saturday 28 March, still winter time: 07:30 CET is 06:30 UTC.
    assert "daily digest" not in await terminal.at(datetime(2026, 3, 28, 6, 29, tzinfo=UTC))
    first = await terminal.at(datetime(2026, 3, 28, 6, 30, tzinfo=UTC))
    assert "Your daily digest" in first
    assert "Library to reopen after flood repairs" in first
    assert "Your daily digest" not in await terminal.at(datetime(2026, 3, 28, 6, 45, tzinfo=UTC))

    # Sunday 29 March, clocks went forward at 02:00: 07:30 CEST is 05:30 UTC.
    serve(server, STORIES[:2], datetime(2026, 3, 28, 12, tzinfo=UTC))
    await terminal.at(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert "Your daily digest" not in await terminal.at(datetime(2026, 3, 29, 5, 29, tzinfo=UTC))
    second = await terminal.at(datetime(2026, 3, 29, 5, 30, tzinfo=UTC))
    assert "Your daily digest" in second
    assert "Ferry service adds night crossings" in second
    assert "Library to reopen" not in second, "a story is in one digest only"
    assert "Your daily digest" not in await terminal.at(datetime(2026, 3, 29, 6, 30, tzinfo=UTC))


async def test_autumn_dst_change_gives_one_digest_a_day(
    terminal: Terminal, server: FeedServer
) -> None:
    terminal.core.clock.now = datetime(2026, 10, 23, 12, tzinfo=UTC)  # type: ignore[attr-defined]
    url = serve(server, STORIES[:1], terminal.core.clock())
    await terminal.type(f"/addsource {url}", "/subscribe 07:30 Europe/Berlin")

    # Saturday 24 October, summer time: 05:30 UTC.
    assert "Your daily digest" in await terminal.at(datetime(2026, 10, 24, 5, 30, tzinfo=UTC))
    serve(server, STORIES[:2], datetime(2026, 10, 24, 12, tzinfo=UTC))
    await terminal.at(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    # Sunday 25 October, clocks went back at 03:00: 07:30 CET is 06:30 UTC.
    assert "Your daily digest" not in await terminal.at(datetime(2026, 10, 25, 5, 30, tzinfo=UTC))
    assert "Your daily digest" not in await terminal.at(datetime(2026, 10, 25, 6, 29, tzinfo=UTC))
    assert "Your daily digest" in await terminal.at(datetime(2026, 10, 25, 6, 30, tzinfo=UTC))


async def test_unsubscribe_stops_the_digest(terminal: Terminal, server: FeedServer) -> None:
    url = serve(server, STORIES[:1], terminal.core.clock())
    await terminal.type(f"/addsource {url}", "/subscribe 07:30 Europe/Berlin")
    assert "Unsubscribed" in await terminal.type("/unsubscribe")
    assert "not subscribed" in await terminal.type("/settings")
    assert "Your daily digest" not in await terminal.at(datetime(2026, 3, 28, 6, 30, tzinfo=UTC))
    assert "was not subscribed" in await terminal.type("/unsubscribe")


async def test_digest_now_honours_keyword_filters(terminal: Terminal, server: FeedServer) -> None:
    url = serve(server, STORIES, terminal.core.clock())
    await terminal.type(f"/addsource {url}")
    await terminal.type("/settings exclude ferry,bakery")
    digest = await terminal.type("/digest")
    assert "Library to reopen" in digest
    assert "Ferry" not in digest
    assert "Bakery" not in digest
    await terminal.type("/settings include /conduct(or|ing)/")
    only = await terminal.type("/digest")
    assert "Orchestra names new conductor" in only
    assert "Library" not in only


async def test_latest_offers_more_and_the_button_command_pages(
    terminal: Terminal, server: FeedServer
) -> None:
    url = serve(server, STORIES, terminal.core.clock())
    await terminal.type(f"/addsource {url}")
    first = await terminal.type("/latest 2")
    assert "[More: /latest 2 +2]" in first
    second = await terminal.type("/latest 2 +2")
    shown_first = {title for title, _ in STORIES if title in first}
    shown_second = {title for title, _ in STORIES if title in second}
    assert len(shown_first) == 2
    assert len(shown_second) == 2
    assert not shown_first & shown_second


def test_piped_input_answers_each_line_and_exits(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/latest 2\n/quotes Vasquez\n/sources\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    out = result.stdout
    assert out.index("Latest stories") < out.index("Quotes: Vasquez") < out.index("Sources")
    assert "— Elena Vasquez" in out
    assert "samples (folder, 6 articles, ok)" in out
    assert (tmp_path / "newsdigest.db").exists()


async def test_digest_processes_read_the_due_sources(tmp_path: Path, server: FeedServer) -> None:
    config = make_config(tmp_path)
    config = dataclasses.replace(
        config, sources=dataclasses.replace(config.sources, digest_processes=1)
    )
    clock = Clock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    async with open_core(config, clock=clock) as core:
        assert isinstance(core.ticks.executor, ProcessPoolExecutor)
        terminal = Terminal(core)
        await terminal.type(f"/addsource {serve(server, STORIES[:1], clock())}")
        serve(server, STORIES[:3], clock())
        later = await terminal.at(datetime(2026, 3, 27, 11, 0, tzinfo=UTC))
        assert later == ""
        latest = await terminal.type("/latest")
        assert "Orchestra names new conductor" in latest
        assert "“This orchestra has a sound unlike any other” — Lea Moreau" in (
            await terminal.type("/quotes Moreau")
        )


async def test_a_source_failing_for_a_day_is_paused_the_admin_told_and_resumed_on_request(
    terminal: Terminal, server: FeedServer
) -> None:
    start = terminal.core.clock()
    url = serve(server, STORIES[:1], start)
    assert "Added source #1" in await terminal.type(f"/addsource {url}")
    server.add("/feed.xml", "<html>gone</html>", status=500)
    for hour in range(1, 30):  # the poll tick backs off, then pauses the source after 24 hours
        printed = await terminal.at(start + timedelta(hours=hour))
        if printed:
            break
    assert "Paused after failing for 24 hours" in printed
    assert "#1 City News: HTTP 500" in printed
    assert f"Once it works again: /addsource {url}" in printed
    assert "paused after failing" in await terminal.type("/sources")
    assert await terminal.at(start + timedelta(hours=40)) == ""  # told once; never read again

    serve(server, STORIES[:2], start + timedelta(hours=40))
    resumed = await terminal.type(f"/addsource {url}")
    assert "Resumed source #1: City News (feed, 1 item, 1 new article)" in resumed
    assert "#1 City News (feed, 2 articles, ok)" in await terminal.type("/sources")


async def test_a_killed_digest_process_is_replaced_and_no_source_blamed(
    tmp_path: Path, server: FeedServer
) -> None:
    config = make_config(tmp_path)
    config = dataclasses.replace(
        config, sources=dataclasses.replace(config.sources, digest_processes=1)
    )
    clock = Clock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    async with open_core(config, clock=clock) as core:
        terminal = Terminal(core)
        await terminal.type(f"/addsource {serve(server, STORIES[:1], clock())}")
        pool = core.ticks.executor
        assert pool is not None
        loop = asyncio.get_running_loop()
        os.kill(await loop.run_in_executor(pool, os.getpid), signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):  # the pool notices its process died
            await _until_broken(pool)
        serve(server, STORIES[:3], clock())
        assert await terminal.at(datetime(2026, 3, 27, 11, 0, tzinfo=UTC)) == ""
        assert core.ticks.executor is not pool
        assert "#1 City News (feed, 1 article, ok)" in await terminal.type("/sources")
        await terminal.at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
        assert "Orchestra names new conductor" in await terminal.type("/latest")


async def _until_broken(pool: Executor) -> None:
    """Run no-ops in the pool until it refuses (a guard of 5 s, not a timing claim)."""
    loop = asyncio.get_running_loop()
    for _ in range(100):
        await loop.run_in_executor(pool, os.getpid)
        await asyncio.sleep(0.05)
