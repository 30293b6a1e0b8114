"""Polling over real HTTP on 127.0.0.1, into a real SQLite store (and PostgreSQL where marked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import text

from bot.config import Config, SourcesConfig
from bot.ingest import Fetcher, NearDuplicateIndex
from bot.models import SourceKind
from bot.polling import (
    INDEX_WINDOW,
    forget_old_articles,
    load_near_duplicate_index,
    poll_due_sources,
)
from bot.store import Store
from tests.feedserver import FeedServer
from tests.stores import BACKENDS, migrated_store

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
CONFIG = Config(sources=SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0))

TOPICS = {
    "bridge": (
        "Engineers closed the old river bridge on Monday after inspectors found cracks in two "
        "of its steel supports. Traffic was sent over the northern crossing, where queues "
        "reached three kilometres by the evening rush hour."
    ),
    "library": (
        "The city library will open on Sundays from next month, the council said, after a "
        "petition gathered eleven thousand signatures. Extra staff will be hired for the "
        "weekend shifts and the reading rooms will stay open until six."
    ),
    "orchard": (
        "A late frost damaged most of the apple blossom in the valley orchards this week, and "
        "growers expect a harvest half the usual size. Several farms said they would ask the "
        "regional government for emergency support."
    ),
}
FILLER = (
    " Residents told reporters they had followed the news closely. Officials promised a "
    "further statement later in the week, once more details were known, and said that "
    "everyone affected would be contacted directly by letter or by telephone."
)


def _story(topic: str, tail: str = "") -> str:
    return f"{TOPICS[topic]}{FILLER}{tail} “We are doing everything we can,” said Anna Berg."


def _rss(items: list[tuple[str, str, str, str]], ttl: int | None = None) -> str:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{guid}</guid>"
        f"<description>{escape(text)}</description></item>"
        for guid, title, link, text in items
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Valley News</title><link>https://valley.example/</link>{ttl_tag}"
        f"{entries}</channel></rss>"
    )


def _items(topics: list[str], prefix: str = "g") -> list[tuple[str, str, str, str]]:
    return [
        (f"{prefix}-{t}", f"News about the {t}", f"https://valley.example/{t}", _story(t))
        for t in topics
    ]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(CONFIG.sources) as opened:
        yield opened


async def _add(store: Store, url: str, interval: int = 30) -> int:
    source = await store.add_source(
        url=url,
        kind=SourceKind.FEED,
        title="",
        interval_minutes=interval,
        added_by="test",
        now=NOW,
    )
    return source.id


async def test_a_tick_stores_new_articles_once(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", _rss(_items(["bridge", "library"])), etag='"v1"')
    source_id = await _add(store, server.url("/feed.xml"))
    report = await poll_due_sources(store, fetcher, CONFIG, NOW)
    assert (report.sources, report.new_articles, report.failed) == (1, 2, ())
    source = await store.get_source(source_id)
    assert source is not None
    assert (source.title, source.etag) == ("Valley News", '"v1"')
    assert source.next_fetch_at == NOW + timedelta(minutes=30)
    again = await poll_due_sources(store, fetcher, CONFIG, NOW)
    assert again == replace(report, sources=0, new_articles=0)
    later = await poll_due_sources(store, fetcher, CONFIG, NOW + timedelta(minutes=31))
    assert (later.not_modified, later.new_articles) == (1, 0)
    headlines = {a.headline for a in await store.latest_articles(10)}
    assert headlines == {"News about the bridge", "News about the library"}
    [article] = await store.search_articles("Berg", 1)
    assert article.key_quotes[0].speaker == "Anna Berg"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_control_characters_in_guids_links_and_titles_do_not_stop_a_feed(
    backend: str, tmp_path: Path, server: FeedServer, fetcher: Fetcher
) -> None:
    items = [
        (
            "g-\x00bridge",
            "News about\x00 the bridge",
            "https://valley.example/bridge\x01",
            _story("bridge"),
        ),
        (
            "g-library",
            "News about the library\x1f",
            "https://valley.example/library",
            _story("library"),
        ),
    ]
    server.add("/feed.xml", _rss(items).replace("Valley News", "Valley\x00 News"))
    async with migrated_store(backend, tmp_path) as store:
        source_id = await _add(store, server.url("/feed.xml"))
        report = await poll_due_sources(store, fetcher, CONFIG, NOW)
        assert (report.new_articles, report.failed) == (2, ())
        source = await store.get_source(source_id)
        assert source is not None
        assert source.title == "Valley News"
        headlines = {a.headline for a in await store.latest_articles(10)}
        assert headlines == {"News about the bridge", "News about the library"}
        assert await store.recent_guids(source_id) == {"g-bridge", "g-library"}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_guids_and_links_too_long_for_an_index_are_stored_once(
    backend: str, tmp_path: Path, server: FeedServer, fetcher: Fetcher
) -> None:
    long_guid = "g-" + "".join(f"{n * 2654435761 % 2**32:08x}" for n in range(400))
    long_link = "https://valley.example/r?to=" + long_guid[::-1]
    items = [(long_guid, "News about the bridge", long_link, _story("bridge"))]
    server.add("/feed.xml", _rss(items))
    async with migrated_store(backend, tmp_path) as store:
        await _add(store, server.url("/feed.xml"), interval=1)
        first = await poll_due_sources(store, fetcher, CONFIG, NOW)
        again = await poll_due_sources(store, fetcher, CONFIG, NOW + timedelta(minutes=2))
        assert (first.new_articles, first.failed, again.new_articles, again.failed) == (
            1,
            (),
            0,
            (),
        )
        [article] = await store.latest_articles(10)
        assert article.url == long_link


@pytest.mark.postgres
async def test_an_article_the_database_refuses_leaves_the_rest_of_its_feed_stored(
    tmp_path: Path, server: FeedServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    server.add("/feed.xml", _rss(_items(["bridge", "library", "orchard"])))
    async with migrated_store("postgresql", tmp_path) as store:
        async with store.writing() as conn:  # a value this database cannot hold, made up
            await conn.execute(text(REFUSE_LIBRARY))
            await conn.execute(text(REFUSE_LIBRARY_TRIGGER))
        source_id = await _add(store, server.url("/feed.xml"))
        report = await poll_due_sources(store, fetcher, CONFIG, NOW)
        assert (report.new_articles, report.failed) == (2, ())
        headlines = {a.headline for a in await store.latest_articles(10)}
        assert headlines == {"News about the bridge", "News about the orchard"}
        source = await store.get_source(source_id)
        assert source is not None
        assert source.failures == 0
    assert "https://valley.example/library refused by the database" in caplog.text


REFUSE_LIBRARY = """
CREATE FUNCTION refuse_library() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.headline LIKE '%library%' THEN
        RAISE EXCEPTION 'value too odd to store' USING ERRCODE = '22000';
    END IF;
    RETURN NEW;
END $$
"""
REFUSE_LIBRARY_TRIGGER = (
    "CREATE TRIGGER refuse_library BEFORE INSERT ON articles "
    "FOR EACH ROW EXECUTE FUNCTION refuse_library()"
)


async def test_items_whose_guid_changes_on_every_fetch_are_not_duplicated(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", _rss(_items(["bridge"], prefix="first")))
    await _add(store, server.url("/feed.xml"))
    await poll_due_sources(store, fetcher, CONFIG, NOW)
    server.add("/feed.xml", _rss(_items(["bridge", "orchard"], prefix="second")))
    report = await poll_due_sources(store, fetcher, CONFIG, NOW + timedelta(hours=1))
    assert report.new_articles == 1
    assert len(await store.latest_articles(10)) == 2


async def test_failures_back_off_and_pause_the_source_after_a_day(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", "oops", status=500)
    server.add("/good.xml", _rss(_items(["library"])))
    broken = await _add(store, server.url("/feed.xml"))
    await _add(store, server.url("/good.xml"))
    report = await poll_due_sources(store, fetcher, CONFIG, NOW)
    assert (report.failed, report.new_articles) == ((broken,), 1)
    waits = []
    now = NOW
    for _ in range(3):
        source = await store.get_source(broken)
        assert source is not None
        assert source.next_fetch_at is not None
        waits.append(source.next_fetch_at - now)
        now = source.next_fetch_at
        await poll_due_sources(store, fetcher, CONFIG, now)
    assert waits == [timedelta(minutes=30), timedelta(minutes=60), timedelta(minutes=120)]
    source = await store.get_source(broken)
    assert source is not None
    assert source.failing_since == NOW
    assert "500" in (source.last_error or "")
    assert not source.paused
    report = await poll_due_sources(store, fetcher, CONFIG, NOW + timedelta(hours=24))
    assert report.paused == (broken,)
    due = await store.due_sources(NOW + timedelta(days=30))
    assert broken not in {s.id for s in due}


async def test_feed_ttl_lengthens_the_interval(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", _rss(_items(["orchard"]), ttl=120))
    source_id = await _add(store, server.url("/feed.xml"))
    await poll_due_sources(store, fetcher, CONFIG, NOW)
    source = await store.get_source(source_id)
    assert source is not None
    assert source.next_fetch_at == NOW + timedelta(minutes=120)


async def test_near_duplicates_from_two_sources_become_one_story(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    wire = [("w-1", "Bridge shut", "https://wire.example/bridge", _story("bridge"))]
    local = [
        (
            "l-1",
            "Old bridge closed",
            "https://town.example/b",
            _story("bridge", " Subscribe to our newsletter."),
        )
    ]
    server.add("/wire.xml", _rss(wire + _items(["library"])))
    server.add("/local.xml", _rss(local))
    await _add(store, server.url("/wire.xml"))
    index = NearDuplicateIndex()
    await poll_due_sources(store, fetcher, CONFIG, NOW, index=index)
    await _add(store, server.url("/local.xml"))
    await poll_due_sources(store, fetcher, CONFIG, NOW, index=index)
    ranked = await store.story_ids_since(None, limit=10)
    assert [count for _, _, count in ranked] == [2, 1]
    titles = await store.story_source_titles([ranked[0][0]])
    assert len(titles[ranked[0][0]]) == 2


async def test_the_index_forgets_articles_older_than_its_window(
    store: Store, server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", _rss(_items(["bridge"])))
    await _add(store, server.url("/feed.xml"))
    index = NearDuplicateIndex()
    await poll_due_sources(store, fetcher, CONFIG, NOW, index=index)
    assert "https://valley.example/bridge" in index
    assert await forget_old_articles(store, index, NOW + INDEX_WINDOW) == 0
    assert await forget_old_articles(store, index, NOW + INDEX_WINDOW + timedelta(days=1)) == 1
    assert "https://valley.example/bridge" not in index
    rebuilt = await load_near_duplicate_index(store, NOW + timedelta(hours=1))
    assert "https://valley.example/bridge" in rebuilt
