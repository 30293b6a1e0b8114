"""The whole command set on Discord: the real router and service on SQLite, through discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.app import DiscordAdapter
from bot.chats import ChatRef, Platform
from bot.config import AdminsConfig, Config, DiscordConfig, SourcesConfig
from bot.ingest import Fetcher
from bot.router import CommandRouter
from bot.service import NewsService
from bot.store import Store
from tests.discord_api import DiscordStandIn
from tests.discord_interactions import CommandHidden, PostedMessage
from tests.discord_payloads import MANAGE_GUILD, MEMBER_PERMISSIONS
from tests.feedserver import FeedServer

ADMIN = 700_000_000_000_000_042
MODERATOR = MEMBER_PERMISSIONS | MANAGE_GUILD
RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Harbour Times</title><link>https://harbour.example/</link>
<item><title>Ferry @everyone timetable changes</title><link>https://harbour.example/ferry</link>
<guid>ferry</guid><description>The harbour board approved a new ferry timetable on Monday.
The first boat will leave at six in the morning. Fares stay the same for residents.
“We listened to the people who cross every day,” said Mira Holm, the board's chair.
</description></item>
<item><title>Lighthouse reopens to visitors</title><link>https://harbour.example/light</link>
<guid>light</guid><description>The old lighthouse reopened after two years of repairs.
Volunteers painted the tower and fixed the stairs. Entry is free on weekends.
“It belongs to everyone in this town,” said Jonas Eklund, who led the volunteers.
</description></item>
</channel></rss>"""


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        server.add("/harbour.xml", RSS, content_type="application/rss+xml")
        yield server


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    # Discord's 3-second deadline is tested on its own; a loaded CI machine must not trip it.
    async with DiscordStandIn(ack_deadline=30.0) as api:
        yield api
        assert api.unknown_routes == []


@pytest.fixture
async def adapter(discord_api: DiscordStandIn, store: Store) -> AsyncIterator[DiscordAdapter]:
    config = Config(
        sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0),
        admins=AdminsConfig(discord=(ADMIN,)),
        discord=DiscordConfig(
            api_base=discord_api.api_base, gateway_url=discord_api.gateway_url, token="test-token"
        ),
    )
    async with Fetcher(config.sources) as fetcher:
        router = CommandRouter(NewsService(store, config, fetcher), config)
        adapter = DiscordAdapter(config.discord, router, guild_ready_timeout=0.05)
        await adapter.start()
        yield adapter
        await adapter.stop()


async def _run(
    discord_api: DiscordStandIn, command: str, *values: str, **member: Any
) -> list[PostedMessage]:
    spec = next(c for c in discord_api.commands if c["name"] == command)
    options = dict(zip((o["name"] for o in spec["options"]), values, strict=False))
    interaction = await discord_api.inject_interaction(command, options, **member)
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(interaction.interaction_id))
    )
    return discord_api.interaction_messages(interaction.interaction_id)


def _text(messages: list[PostedMessage]) -> str:
    parts = [m.content for m in messages]
    parts += [
        f"{e.get('title', '')}\n{e.get('description', '')}" for m in messages for e in m.embeds
    ]
    return "\n".join(parts)


async def test_the_whole_command_set_on_discord(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, feeds: FeedServer, store: Store
) -> None:
    admin = {"user_id": ADMIN, "permissions": MODERATOR}
    feed = feeds.url("/harbour.xml")
    assert "Harbour Times" in _text(await _run(discord_api, "addsource", feed, **admin))
    latest = await _run(discord_api, "latest", "5")
    titles = [e.get("title") for m in latest for e in m.embeds]
    assert "Lighthouse reopens to visitors" in titles
    assert "Ferry @\u200beveryone timetable changes" in titles
    assert all(m.body["allowed_mentions"] == {"parse": []} for m in discord_api.messages)
    assert "Mira Holm" in _text(await _run(discord_api, "quotes", "Holm"))
    assert "Lighthouse" in _text(await _run(discord_api, "search", "lighthouse"))
    assert "Harbour Times" in _text(await _run(discord_api, "sources"))
    assert "harbour.xml" in _text(await _run(discord_api, "export", **admin))
    for command in ("start", "help", "digest", "stats"):
        assert _text(await _run(discord_api, command, **admin))


async def test_a_channel_subscribes_and_changes_its_settings(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, store: Store
) -> None:
    channel = discord_api.channel_ids[2]
    moderator = {"permissions": MODERATOR, "channel_id": channel}
    subscribed = _text(await _run(discord_api, "subscribe", "07:30", "Europe/Berlin", **moderator))
    assert "07:30" in subscribed
    chat = ChatRef(Platform.DISCORD, str(channel))
    subscription = await store.get_subscription(chat)
    assert subscription is not None
    assert (subscription.at, subscription.tz) == ("07:30", "Europe/Berlin")
    assert "08:15" in _text(await _run(discord_api, "settings", "time", "08:15", **moderator))
    refused = await _run(discord_api, "unsubscribe", channel_id=channel)
    assert refused[0].ephemeral
    assert "Unsubscribed" in _text(await _run(discord_api, "unsubscribe", **moderator))


async def test_admin_commands_are_refused_to_members_and_non_admins(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, feeds: FeedServer, store: Store
) -> None:
    feed = feeds.url("/harbour.xml")
    with pytest.raises(CommandHidden):
        await discord_api.inject_interaction("addsource", {"url": feed})
    [refusal] = await _run(discord_api, "addsource", feed, permissions=MODERATOR)
    assert refusal.ephemeral
    assert "admins" in _text([refusal])
    assert await store.list_sources() == []


async def test_bad_arguments_get_the_usage_line(
    discord_api: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    [answer] = await _run(discord_api, "latest", "99")
    assert answer.ephemeral
    assert "Usage: /latest [n] [source]" in _text([answer])


VALLEY = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Valley Post</title><link>https://valley.example/</link>
<item><title>Mill reopens as a museum</title><link>https://valley.example/mill</link>
<guid>mill</guid><description>The old paper mill opened its doors as a museum on Saturday.
Visitors can see the water wheel turn again. School classes get in free.
“Our grandparents worked here, and now our children can learn how,” said Ada Lind.
</description></item>
<item><title>Bus line to the lake returns</title><link>https://valley.example/bus</link>
<guid>bus</guid><description>The summer bus line to the lake will run again from June.
Buses leave the station every hour. Bikes can ride along for a small fee.
“People asked for it all winter,” said Tomas Berg, who runs the line.
</description></item>
</channel></rss>"""


async def test_latest_with_only_a_source_option_reads_it_as_the_source(
    discord_api: DiscordStandIn, adapter: DiscordAdapter, feeds: FeedServer
) -> None:
    admin = {"user_id": ADMIN, "permissions": MODERATOR}
    feeds.add("/valley.xml", VALLEY, content_type="application/rss+xml")
    added = _text(await _run(discord_api, "addsource", feeds.url("/valley.xml"), **admin))
    assert "Added source #1: Valley Post" in added
    await _run(discord_api, "addsource", feeds.url("/harbour.xml"), **admin)  # the newest
    # Read as `/latest 1`, this would be the newest story of all: one of the harbour's.
    interaction = await discord_api.inject_interaction("latest", {"source": "1"})
    await discord_api.wait_for(
        lambda: bool(discord_api.interaction_messages(interaction.interaction_id))
    )
    answer = discord_api.interaction_messages(interaction.interaction_id)
    titles = [e.get("title") for m in answer for e in m.embeds]
    assert "Bus line to the lake returns" in titles
    assert "Mill reopens as a museum" in titles
    assert not {"Lighthouse reopens to visitors", "Ferry @\u200beveryone timetable changes"} & set(
        titles
    )
