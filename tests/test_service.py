"""The service's use cases, over a real SQLite store and feeds served from 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.chats import ChatRef, Platform
from bot.config import Config, DigestConfig, SourcesConfig
from bot.errors import BlockedAddressError, NotFound, SourceError, UsageError
from bot.ingest import Fetcher
from bot.models import Filters
from bot.service import NewsService
from bot.store import Store
from tests.feedserver import FeedServer
from tests.test_polling import _items, _rss, _story

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
CONFIG = Config(
    sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0),
    digest=DigestConfig(timezone="Europe/Berlin", stories=5),
)
CHAT = ChatRef(Platform.CONSOLE, "local")


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        server_ = running
        server_.add("/valley.xml", _rss(_items(["bridge", "library"])))
        server_.add("/orchard.xml", _rss(_items(["orchard"], prefix="o")))
        yield server_


@pytest.fixture
async def service(store: Store) -> AsyncIterator[NewsService]:
    async with Fetcher(CONFIG.sources) as fetcher:
        yield NewsService(store, CONFIG, fetcher, clock=Clock())


async def test_add_source_reports_what_it_found_and_stores_it(
    service: NewsService, server: FeedServer
) -> None:
    report = await service.add_source(server.url("/valley.xml"), "admin-1")
    assert (report.title, report.kind, report.items, report.new_articles) == (
        "Valley News",
        "feed",
        2,
        2,
    )
    assert report.source.added_by == "admin-1"
    with pytest.raises(UsageError, match="already a source"):
        await service.add_source(server.url("/valley.xml"), "admin-1")
    [health] = await service.list_sources()
    assert health.healthy
    assert health.article_count == 2


async def test_adding_a_paused_source_again_resumes_it_with_its_articles(
    service: NewsService, store: Store, server: FeedServer
) -> None:
    url = server.url("/valley.xml")
    report = await service.add_source(url, "admin-1")
    source_id = report.source.id
    server.add("/valley.xml", "broken", status=500)
    await store.record_fetch_failure(
        source_id, now=NOW, error="HTTP 500", next_fetch_at=NOW, pause=True
    )
    [health] = await service.list_sources()
    assert health.source.paused
    with pytest.raises(SourceError):  # still broken: it stays paused
        await service.add_source(url, "admin-1")
    assert (await service.list_sources())[0].source.paused

    server.add("/valley.xml", _rss(_items(["bridge", "library", "orchard"])))
    resumed = await service.add_source(url, "admin-1")
    assert resumed.resumed
    assert (resumed.source.id, resumed.items, resumed.new_articles) == (source_id, 1, 1)
    [health] = await service.list_sources()
    assert health.healthy
    assert not health.source.paused
    assert health.article_count == 3
    assert [s.id for s in await store.due_sources(NOW + timedelta(hours=1))] == [source_id]


async def test_add_source_refuses_unreadable_and_private_sources(
    service: NewsService, store: Store, server: FeedServer
) -> None:
    with pytest.raises(SourceError, match="404"):
        await service.add_source(server.url("/missing.xml"), "admin")
    async with Fetcher(SourcesConfig()) as guarded:
        strict = NewsService(store, Config(), guarded)
        with pytest.raises(BlockedAddressError):
            await strict.add_source(server.url("/valley.xml"), "admin")
    assert await service.list_sources() == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://news\x00.example/feed", "control characters"),
        ("https://news.example/feed\x1b[2J", "control characters"),
        ("https://news.example/" + "a" * 2000, "over 2,000 characters"),
    ],
)
async def test_add_source_refuses_urls_no_source_could_have(
    service: NewsService, url: str, reason: str
) -> None:
    with pytest.raises(UsageError, match=reason):
        await service.add_source(url, "admin")
    assert await service.list_sources() == []


async def test_latest_search_and_quotes(service: NewsService, server: FeedServer) -> None:
    await service.add_source(server.url("/valley.xml"), "admin")
    await service.add_source(server.url("/orchard.xml"), "admin")
    assert [e.headline for e in await service.latest(1)] == ["News about the orchard"]
    only = await service.latest(5, source="1")
    assert {e.headline for e in only} == {"News about the bridge", "News about the library"}
    [hit] = await service.search("frost apple")
    assert hit.headline == "News about the orchard"
    assert hit.summary
    assert hit.sources == ("Valley News",)
    with pytest.raises(UsageError):
        await service.search("  ")
    by_speaker = await service.quotes("anna berg")
    assert by_speaker
    assert {q.speaker for q in by_speaker} == {"Anna Berg"}
    assert await service.quotes("nobody-said-this") == []
    assert len(await service.quotes(n=2)) == 2
    with pytest.raises(NotFound):
        await service.latest(5, source="no such source")


async def test_digest_ranks_filters_and_moves_on(
    service: NewsService, store: Store, server: FeedServer
) -> None:
    await service.add_source(server.url("/valley.xml"), "admin")
    local = [("x", "Bridge again", "https://town.example/b", _story("bridge", " More later."))]
    server.add("/town.xml", _rss(local))
    await service.add_source(server.url("/town.xml"), "admin")
    digest = await service.digest_for(CHAT)
    assert [e.headline for e in digest] == ["News about the bridge", "News about the library"]
    assert digest[0].importance == 2
    assert len(digest[0].sources) == 2
    await service.update_settings(CHAT, include=["library"])
    assert [e.headline for e in await service.digest_for(CHAT)] == ["News about the library"]
    await service.update_settings(CHAT, include=[], exclude=["/bri?dge/"])
    assert [e.headline for e in await service.digest_for(CHAT)] == ["News about the library"]
    with pytest.raises(UsageError, match="regular expression"):
        await service.update_settings(CHAT, include=["/(unclosed/"])
    later = NOW + timedelta(hours=1)
    assert await service.digest_for(CHAT, since=later) == []


async def test_subscribe_settings_and_unsubscribe(service: NewsService) -> None:
    settings = await service.settings(CHAT)
    assert (settings.at, settings.tz, settings.subscribed) == ("08:00", "Europe/Berlin", False)
    subscription = await service.subscribe(CHAT, "07:30", "Europe/Berlin")
    assert subscription.next_due_at == datetime(2026, 5, 5, 5, 30, tzinfo=UTC)
    assert subscription.filters == Filters(length=5)
    changed = await service.update_settings(CHAT, at="12:00", length=3)
    assert changed.next_due_at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert changed.filters.length == 3
    with pytest.raises(UsageError, match="time zone"):
        await service.subscribe(CHAT, "07:30", "Mars/Olympus")
    with pytest.raises(UsageError, match="HH:MM"):
        await service.subscribe(CHAT, "25:00")
    assert await service.unsubscribe(CHAT)
    assert not (await service.settings(CHAT)).subscribed


async def test_delivery_digest_is_built_once(
    service: NewsService, store: Store, server: FeedServer
) -> None:
    await service.add_source(server.url("/valley.xml"), "admin")
    await service.subscribe(CHAT, "10:00", "UTC")
    await store.plan_deliveries(NOW + timedelta(hours=1))
    [delivery] = await store.claim_deliveries(NOW + timedelta(hours=1), 1, 60)
    first = await service.delivery_digest(delivery)
    server.add("/valley.xml", _rss(_items(["orchard"], prefix="z")))
    await service.remove_source(server.url("/valley.xml"))
    stored = await store.get_delivery(delivery.id)
    assert stored is not None
    assert await service.delivery_digest(stored) == first
    assert len(first) == 2


async def test_opml_import_and_export(service: NewsService, server: FeedServer) -> None:
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        f'<outline text="Valley" xmlUrl="{server.url("/valley.xml")}"/>'
        f'<outline text="Gone" xmlUrl="{server.url("/gone.xml")}"/></body></opml>'
    )
    results = dict(await service.import_opml(opml, "admin"))
    assert isinstance(results[server.url("/gone.xml")], str)
    assert not isinstance(results[server.url("/valley.xml")], str)
    exported = await service.export_opml()
    assert server.url("/valley.xml") in exported
    assert "gone.xml" not in exported
    stats = await service.stats()
    assert (stats.sources, stats.articles) == (1, 2)


async def test_opml_import_from_a_url(service: NewsService, server: FeedServer) -> None:
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        f'<outline text="Valley" xmlUrl="{server.url("/valley.xml")}"/></body></opml>'
    )
    server.add("/subscriptions.opml", opml, content_type="text/x-opml")
    results = dict(await service.import_opml(server.url("/subscriptions.opml"), "admin"))
    assert list(results) == [server.url("/valley.xml")]
    assert not isinstance(results[server.url("/valley.xml")], str)
