"""One store suite, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from adapters.console.render import render_text
from bot.chats import ChatRef, Platform
from bot.models import DeliveryStatus, Filters, NewArticle, QuoteRow, SourceKind
from bot.store import Store, open_store
from bot.store.articles import _COSTS
from bot.store.engine import WRITE, SQLiteConnection
from bot.store.schedule import first_due_after
from bot.views import render_stats
from tests.stores import BACKENDS, database, migrated_store

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CHAT = ChatRef(Platform.TELEGRAM, "42")


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with migrated_store(request.param, tmp_path) as opened:
        yield opened


async def _source(store: Store, url: str = "https://news.example/feed") -> int:
    source = await store.add_source(
        url=url,
        kind=SourceKind.FEED,
        title=url.split("/")[2],
        interval_minutes=30,
        added_by="admin",
        now=NOW,
    )
    return source.id


def _article(source_id: int, n: int, **changes: object) -> NewArticle:
    values: dict[str, object] = {
        "source_id": source_id,
        "url": f"https://news.example/story-{n}?utm_source=x",
        "canonical_url": f"https://news.example/story-{n}",
        "guid": f"guid-{n}",
        "headline": f"Harbour council votes on ferry plan {n}",
        "text": f"The harbour council met on Tuesday about ferries. Story number {n}.",
        "summary": ("The harbour council met on Tuesday about ferries.",),
        "quotes": (
            QuoteRow(text="We will keep the ferries running", speaker="Maria Lopez", is_key=True),
            QuoteRow(text="unclear", speaker=None),
        ),
        "published": NOW - timedelta(hours=n),
        "fetched_at": NOW + timedelta(minutes=n),
        "content_hash": f"hash-{n}",
    }
    values.update(changes)
    return NewArticle(**values)  # type: ignore[arg-type]


async def test_sources_are_added_listed_and_due(store: Store) -> None:
    first = await _source(store)
    second = await _source(store, "https://other.example/rss")
    assert [s.id for s in await store.due_sources(NOW)] == [first, second]
    await store.record_fetch_success(
        first, now=NOW, next_fetch_at=NOW + timedelta(minutes=30), etag='"v1"', last_modified=None
    )
    assert [s.id for s in await store.due_sources(NOW)] == [second]
    await store.save_articles([_article(first, 1)], now=NOW)
    listed = {s.id: s for s in await store.list_sources()}
    assert listed[first].article_count == 1
    assert listed[first].etag == '"v1"'
    assert listed[second].article_count == 0
    assert await store.remove_source(first)
    assert not await store.remove_source(first)
    assert await store.latest_articles(5) == []


async def test_fetch_failures_keep_the_first_failure_time_and_can_pause(store: Store) -> None:
    source_id = await _source(store)
    later = NOW + timedelta(hours=1)
    await store.record_fetch_failure(
        source_id, now=NOW, error="HTTP 500", next_fetch_at=later, pause=False
    )
    await store.record_fetch_failure(
        source_id, now=later, error="HTTP 502", next_fetch_at=later, pause=True
    )
    source = await store.get_source(source_id)
    assert source is not None
    assert (source.failing_since, source.last_error, source.failures) == (NOW, "HTTP 502", 2)
    assert source.paused
    assert await store.due_sources(later + timedelta(days=1)) == []


async def test_articles_are_deduplicated_by_url_guid_and_content_hash(store: Store) -> None:
    source_id = await _source(store)
    saved = await store.save_articles([_article(source_id, 1), _article(source_id, 2)], now=NOW)
    assert len(saved) == 2
    duplicates = [
        _article(source_id, 3, canonical_url="https://news.example/story-1"),
        _article(source_id, 4, guid="guid-2"),
        _article(source_id, 5, content_hash="hash-1"),
    ]
    assert await store.save_articles(duplicates, now=NOW) == []
    assert (await store.stats()).stories == 2  # no story is left for the refused duplicates
    known = await store.find_known_articles(
        source_id, guids=["guid-2"], canonical_urls=[], content_hashes=["hash-1"]
    )
    assert sorted(k.canonical_url for k in known) == [
        "https://news.example/story-1",
        "https://news.example/story-2",
    ]


async def test_an_article_reads_back_as_it_was_saved(store: Store) -> None:
    source_id = await _source(store)
    item = _article(
        source_id,
        1,
        standfirst="A standfirst.",
        summary=("First sentence.", "Second, with “quotes”."),
        signature=bytes(range(256)),
    )
    [saved] = await store.save_articles([item], now=NOW)
    [article] = await store.load_articles([saved.id])
    assert (article.headline, article.standfirst, article.summary, article.guid) == (
        item.headline,
        item.standfirst,
        item.summary,
        item.guid,
    )
    assert (article.published, article.fetched_at) == (item.published, item.fetched_at)
    assert article.key_quotes == (item.quotes[0],)
    assert await store.recent_signatures(NOW) == [(item.canonical_url, item.signature)]


async def test_a_naive_datetime_is_refused_not_stored_in_some_zone(store: Store) -> None:
    source_id = await _source(store)
    naive = _article(source_id, 1, published=datetime(2026, 3, 20, 9, 0))  # noqa: DTZ001
    with pytest.raises((ValueError, StatementError), match="naive"):  # SQLAlchemy's wraps it
        await store.save_articles([naive], now=NOW)
    assert (await store.stats()).articles == 0


async def test_the_second_of_two_copies_in_one_batch_is_refused_with_its_quotes(
    store: Store,
) -> None:
    source_id = await _source(store)
    first = _article(source_id, 1)
    copy = _article(source_id, 2, canonical_url=first.canonical_url)
    saved = await store.save_articles([first, copy], now=NOW)
    assert [s.canonical_url for s in saved] == [first.canonical_url]
    stats = await store.stats()
    assert (stats.articles, stats.stories) == (1, 1)
    quotes = await store.quotes_of([saved[0].id])
    assert quotes == {saved[0].id: first.quotes}


async def test_latest_is_newest_first_paged_and_by_source(store: Store) -> None:
    one = await _source(store)
    two = await _source(store, "https://other.example/rss")
    await store.save_articles([_article(one, n) for n in range(1, 6)], now=NOW)
    await store.save_articles([_article(two, 9)], now=NOW)
    latest = await store.latest_articles(3)
    assert [a.headline[-1] for a in latest] == ["9", "5", "4"]
    assert [a.headline[-1] for a in await store.latest_articles(2, offset=3)] == ["3", "2"]
    assert {a.source_id for a in await store.latest_articles(10, source_id=one)} == {one}
    assert latest[0].key_quotes == (
        QuoteRow(text="We will keep the ferries running", speaker="Maria Lopez", is_key=True),
    )
    assert latest[0].source_title == "other.example"


async def test_full_text_search_covers_headlines_text_quotes_and_speakers(store: Store) -> None:
    source_id = await _source(store)
    await store.save_articles(
        [
            _article(source_id, 1),
            _article(
                source_id,
                2,
                headline="Snowstorm closes mountain passes",
                text="Drivers waited for hours as ploughs cleared the roads.",
                quotes=(QuoteRow(text="Stay at home tonight", speaker="Jonas Berg"),),
            ),
        ],
        now=NOW,
    )
    assert [a.headline for a in await store.search_articles("snowstorm", 5)] == [
        "Snowstorm closes mountain passes"
    ]
    assert len(await store.search_articles("ploughs", 5)) == 1
    assert len(await store.search_articles("Berg", 5)) == 1
    assert len(await store.search_articles("home tonight", 5)) == 1
    assert await store.search_articles("volcano", 5) == []
    assert await store.search_articles('"AND OR NOT(', 5) == []


async def test_a_page_of_distinct_tokens_is_stored_and_its_start_searchable(
    store: Store,
) -> None:
    source_id = await _source(store)
    dump = " ".join(f"token{i:07x}" for i in range(250_000))  # 3 MB, no word twice
    [saved] = await store.save_articles([_article(source_id, 1, text=dump)], now=NOW)
    assert [a.id for a in await store.search_articles("token0000abc", 5)] == [saved.id]


async def test_search_finds_the_newest_matches_of_common_and_rare_words(store: Store) -> None:
    source_id = await _source(store)
    rare = {3, 40, 700}
    saved = await store.save_articles(
        [
            _article(source_id, n, text=f"Story {n} about the lighthouse keeper." * (n in rare))
            for n in range(1, 1301)
        ],
        now=NOW,
    )
    ids = [a.id for a in saved]
    if store.is_postgresql:  # as autovacuum does after a load: the planner's statistics
        async with store.writing() as conn:
            await conn.execute(text("ANALYZE articles"))
    # every article: equal rank, so the newest first
    assert await store.search_article_ids("harbour", 5) == sorted(ids, reverse=True)[:5]
    found = await store.search_article_ids("lighthouse keeper", 5)
    assert found == [ids[n - 1] for n in sorted(rare, reverse=True)]


def _window_text(n: int) -> str:
    """Every 2nd article mentions a tram, every 16th a pier (never both); some of them twice
    (ranked higher)."""
    words = [word for word, every, rest in _FREQUENT if n % every == rest]
    twice = [word for word in words if n in _RANKED_HIGHER[word]]
    return " ".join(["Story", str(n), "about the", *words, *twice]) + "."


_FREQUENT = (("tram", 2, 0), ("pier", 16, 1))
_MATCHES_ABOVE = text(
    "SELECT count(*) FROM articles WHERE id > :floor "
    "AND search_vector @@ plainto_tsquery('english', :word)"
)
_PLAN = text(
    "SELECT * FROM article_search_plan(:q, :search_window, :filter_cost, :posting_cost, "
    ":span_windows, :span_share)"
)
_RANKED_HIGHER = {"tram": (3700, 3000), "pier": (1009, 401)}
"""In the newest SEARCH_WINDOW (200) matches of each word, and beyond them."""


async def test_search_ranks_the_newest_window_of_matches_of_frequent_words(store: Store) -> None:
    # 4,000 articles: on PostgreSQL, "tram" is found among the newest ids alone and "pier" is
    # not (it is searched again over every id); both rank the newest 200 matches only.
    source_id = await _source(store)
    saved = await store.save_articles(
        [_article(source_id, n, text=_window_text(n)) for n in range(1, 4001)], now=NOW
    )
    ids = {n: a.id for n, a in enumerate(saved, start=1)}
    if store.is_postgresql:
        async with store.writing() as conn:
            await conn.execute(text("ANALYZE articles"))
        async with store.reading() as conn:
            for word, floor_holds_the_window in (("tram", True), ("pier", False)):
                floor = (await conn.execute(_PLAN, {"q": word, **_COSTS})).one().floor_id
                assert floor is not None
                held = (
                    await conn.execute(_MATCHES_ABOVE, {"floor": floor, "word": word})
                ).scalar_one()
                assert (held >= 200) is floor_holds_the_window
    for word, every, rest in _FREQUENT:
        inside, beyond = _RANKED_HIGHER[word]
        newest = [ids[n] for n in range(4000, 0, -1) if n % every == rest]
        assert ids[inside] in newest[:200]
        assert ids[beyond] not in newest[:200]
        found = await store.search_article_ids(word, 4)
        assert found == [ids[inside], *[i for i in newest if i != ids[inside]][:3]]


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "newest_first"), [("harbour", True), ("lighthouse", False)])
async def test_postgresql_search_reads_common_words_newest_first_and_rare_ones_by_index(
    tmp_path: Path, query: str, newest_first: bool
) -> None:
    async with migrated_store("postgresql", tmp_path) as store:
        source_id = await _source(store)
        saved = await store.save_articles(
            [
                _article(source_id, n, text=f"The lighthouse {n}." if n == 9 else f"Story {n}.")
                for n in range(1, 1301)
            ],
            now=NOW,
        )
        names = ("enable_bitmapscan", "enable_indexscan", "enable_seqscan")
        async with store.reading() as conn:  # never analyzed: the planner chooses alone
            plan = (await conn.execute(_PLAN, {"q": query, **_COSTS})).one()
        assert (plan.newest_first, plan.floor_id) == (None, None)
        async with store.writing() as conn:
            await conn.execute(text("ANALYZE articles"))
        async with store.reading() as conn:
            plan = (await conn.execute(_PLAN, {"q": query, **_COSTS})).one()
            found = await store._search(conn, query, 3)
            after = {name: (await conn.execute(text(f"SHOW {name}"))).scalar() for name in names}
        assert plan.newest_first is newest_first
        ids = [a.id for a in saved]
        assert found == ([ids[8]] if query == "lighthouse" else ids[::-1][:3])
        # the settings the search switched off hold in the search function only: the rest of
        # the transaction (loading the articles found) plans as usual
        assert after == dict.fromkeys(names, "on")


_CHOICE = text(
    "SELECT * FROM article_search_choice(:matches, :rows, :first_id, :last_id, :search_window, "
    ":filter_cost, :posting_cost, :span_windows, :span_share)"
)


async def _choice(
    store: Store, matches: float, rows: float, first_id: int = 1, last_id: int = 100_000
) -> tuple[bool, int | None]:
    values = {"matches": matches, "rows": rows, "first_id": first_id, "last_id": last_id}
    async with store.reading() as conn:
        row = (await conn.execute(_CHOICE, values | _COSTS)).one()
    return row.newest_first, row.floor_id


@pytest.mark.postgres
async def test_the_newest_rows_are_walked_only_when_matches_are_many(tmp_path: Path) -> None:
    async with migrated_store("postgresql", tmp_path) as store:
        assert (await _choice(store, 90_000, 100_000))[0]  # 200 matches in the newest 223 rows
        assert not (await _choice(store, 1_000, 100_000))[0]  # in the newest 20,000: index
        assert not (await _choice(store, 0, 100_000))[0]
        assert (await _choice(store, 5_000, 10_000, last_id=10_000))[0]  # in the newest 400
        assert not (await _choice(store, 5_000, 100_000))[0]  # in the newest 4,000
        # 200 in the newest 2,000: a walk tests 2,000 vectors; the index reads 10,000 postings
        # and fetches 600 rows (the first floor's), cheaper
        assert not (await _choice(store, 10_000, 100_000))[0]


@pytest.mark.postgres
async def test_the_first_search_looks_at_three_windows_of_matches_or_an_eighth_of_the_ids(
    tmp_path: Path,
) -> None:
    async with migrated_store("postgresql", tmp_path) as store:
        assert await _choice(store, 10_000, 100_000) == (False, 100_000 - 6_000)
        # rare, or so the estimate says
        assert await _choice(store, 100, 100_000) == (False, 100_000 - 12_500)
        assert await _choice(store, 0, 100_000) == (False, 100_000 - 12_500)
        assert await _choice(store, 10_000, 100_000, 50_001, 150_000) == (False, 150_000 - 6_000)
        # an eighth of the ids cannot hold a window
        assert await _choice(store, 500, 1_500, last_id=1_500) == (False, None)
        assert await _choice(store, 90_000, 100_000) == (True, None)  # walked: no floor


_NOW_AND_A_PAUSE = text("SELECT now(), pg_sleep(0.01)")


@pytest.mark.postgres
async def test_reads_of_one_statement_skip_the_transaction_and_only_they(tmp_path: Path) -> None:
    # each statement its own transaction: now() (the transaction's start) moves between them
    async with migrated_store("postgresql", tmp_path) as store:
        for _ in range(2):  # the pooled connection comes back transactional
            async with store.reading_each_statement() as conn:
                each = [(await conn.execute(_NOW_AND_A_PAUSE)).one()[0] for _ in range(2)]
            async with store.reading() as conn:
                one = [(await conn.execute(_NOW_AND_A_PAUSE)).one()[0] for _ in range(2)]
            assert each[0] < each[1]
            assert one[0] == one[1]


async def test_deleted_articles_leave_the_search_index(store: Store) -> None:
    source_id = await _source(store)
    await store.save_articles([_article(source_id, 1)], now=NOW)
    await store.remove_source(source_id)
    assert await store.search_articles("harbour", 5) == []


async def test_near_duplicates_join_one_story_listing_every_source(store: Store) -> None:
    one = await _source(store)
    two = await _source(store, "https://wire.example/rss")
    [first] = await store.save_articles([_article(one, 1)], now=NOW)
    [second] = await store.save_articles(
        [_article(two, 2)], now=NOW + timedelta(hours=1), near_duplicate_of=[first.canonical_url]
    )
    assert second.story_id == first.story_id
    assert await store.story_source_titles([first.story_id]) == {
        first.story_id: ("news.example", "wire.example")
    }
    [lonely] = await store.save_articles([_article(one, 3)], now=NOW)
    ranked = await store.story_ids_since(None, limit=10)
    assert ranked[0] == (first.story_id, first.id, 2)
    assert ranked[1] == (lonely.story_id, lonely.id, 1)
    assert await store.story_ids_since(NOW + timedelta(minutes=30), limit=10) == [ranked[0]]


async def test_articles_read_back_with_their_key_quotes_and_story_sources_in_order(
    store: Store,
) -> None:
    # what latest, search and digests show: read in the same statement as the articles
    first, wire, last = [
        await _source(store, url)
        for url in ("https://a.example/rss", "https://wire.example/rss", "https://z.example/rss")
    ]
    said = [QuoteRow(text=f"Quote {n}", speaker="Anna Berg", is_key=n != 1) for n in range(4)]
    [lead] = await store.save_articles([_article(last, 1, quotes=tuple(said))], now=NOW)
    await store.save_articles(
        [_article(first, 2), _article(wire, 3, quotes=())],
        now=NOW,
        near_duplicate_of=[lead.canonical_url, lead.canonical_url],
    )
    [alone] = await store.save_articles([_article(wire, 4, quotes=())], now=NOW)
    by_id = {a.id: a for a in await store.latest_articles(10)}
    assert by_id[lead.id].key_quotes == (said[0], said[2], said[3])  # in the article's order
    # by source id (the order the sources were added), not the order they carried the story
    assert by_id[lead.id].story_sources == ("a.example", "wire.example", "z.example")
    assert (by_id[alone.id].key_quotes, by_id[alone.id].story_sources) == ((), ("wire.example",))
    [found] = await store.search_articles("story number 1", 5)
    assert found == by_id[lead.id]


async def test_a_story_carried_by_two_sources_in_one_batch_counts_both(store: Store) -> None:
    one = await _source(store)
    two = await _source(store, "https://wire.example/rss")
    batch = [_article(one, 1), _article(two, 2)]
    saved = await store.save_articles(
        batch, now=NOW, near_duplicate_of=[None, batch[0].canonical_url]
    )
    assert saved[0].story_id == saved[1].story_id
    assert await store.story_ids_since(None, limit=10) == [(saved[0].story_id, saved[0].id, 2)]


async def test_chats_settings_and_subscriptions(store: Store) -> None:
    chat = await store.ensure_chat(CHAT, at="08:00", tz="UTC", now=NOW)
    assert chat.filters == Filters()
    again = await store.ensure_chat(CHAT, at="09:00", tz="Europe/Paris", now=NOW)
    assert (again.id, again.at) == (chat.id, "08:00")
    await store.update_chat(CHAT, tz="Europe/Berlin", filters=Filters(include=("ferry",)))
    assert await store.get_subscription(CHAT) is None
    await store.subscribe(CHAT, next_due_at=NOW, now=NOW)
    subscription = await store.get_subscription(CHAT)
    assert subscription is not None
    assert (subscription.tz, subscription.filters.include) == ("Europe/Berlin", ("ferry",))
    assert await store.unsubscribe(CHAT)
    assert not await store.unsubscribe(CHAT)


async def _subscribe(store: Store, chat: ChatRef, at: str, tz: str, now: datetime) -> None:
    await store.ensure_chat(chat, at=at, tz=tz, now=now)
    await store.subscribe(chat, next_due_at=first_due_after(now, at, tz), now=now)


async def test_planning_is_idempotent(store: Store) -> None:
    await _subscribe(store, CHAT, "08:00", "UTC", NOW)
    due = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    assert await store.plan_deliveries(due - timedelta(seconds=1)) == 0
    assert await store.plan_deliveries(due) == 1
    assert await store.plan_deliveries(due) == 0
    assert await store.plan_deliveries(due + timedelta(hours=3)) == 0
    [delivery] = await store.deliveries_of(CHAT)
    assert (delivery.period, delivery.status) == (date(2026, 3, 21), DeliveryStatus.PENDING)
    subscription = await store.get_subscription(CHAT)
    assert subscription is not None
    assert subscription.next_due_at == due + timedelta(days=1)


async def test_missed_periods_catch_up_once_within_the_window(store: Store) -> None:
    await _subscribe(store, CHAT, "08:00", "UTC", NOW)
    # Down from before the 21st's 08:00 until the 23rd at 13:00: only the 23rd is sent.
    back = datetime(2026, 3, 23, 13, 0, tzinfo=UTC)
    assert await store.plan_deliveries(back, catch_up_hours=6) == 1
    assert [(d.period, d.status) for d in await store.deliveries_of(CHAT)] == [
        (date(2026, 3, 23), DeliveryStatus.PENDING)
    ]
    # Down again over the 24th's 08:00 and back at 15:00: too late, skipped.
    assert await store.plan_deliveries(datetime(2026, 3, 24, 15, 0, tzinfo=UTC)) == 0
    assert (await store.deliveries_of(CHAT))[-1].status == DeliveryStatus.SKIPPED


@pytest.mark.parametrize(
    ("first_day", "expected_utc"),
    [
        # Spring forward: 02:30 does not exist on 29 March; it is read as 03:30 CEST.
        (date(2026, 3, 28), ["01:30", "01:30", "00:30"]),
        # Fall back: 02:30 happens twice on 25 October; the first (CEST) one is used.
        (date(2026, 10, 24), ["00:30", "00:30", "01:30"]),
    ],
)
async def test_one_digest_a_day_across_daylight_saving_changes(
    store: Store, first_day: date, expected_utc: list[str]
) -> None:
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=3)
    await _subscribe(store, CHAT, "02:30", "Europe/Berlin", start)
    now = start
    while now < start + timedelta(days=3):
        await store.plan_deliveries(now)
        now += timedelta(minutes=30)
    rows = await store.deliveries_of(CHAT)
    assert [d.period for d in rows] == [first_day + timedelta(days=i) for i in range(3)]
    assert [d.not_before.strftime("%H:%M") for d in rows if d.not_before] == expected_utc


async def test_claim_lease_finish_retry_fail_and_expire(store: Store) -> None:
    chats = [ChatRef(Platform.TELEGRAM, str(i)) for i in range(4)]
    for chat in chats:
        await _subscribe(store, chat, "08:00", "UTC", NOW)
    due = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    assert await store.plan_deliveries(due) == 4
    claimed = await store.claim_deliveries(due, limit=10, lease_seconds=60)
    assert [d.status for d in claimed] == [DeliveryStatus.CLAIMED] * 4
    assert await store.claim_deliveries(due, limit=10, lease_seconds=60) == []
    sent, retried, failed, lost = claimed
    assert await store.start_sending(claimed, due, lease_seconds=60) == {d.id for d in claimed}
    await store.finish_delivery(sent.id, "m-1", now=due)
    await store.retry_delivery(retried.id, due + timedelta(seconds=30), error="429")
    await store.fail_delivery(failed.id, "bot was blocked", True, now=due)
    assert await store.claim_deliveries(due, limit=10, lease_seconds=60) == []
    [again] = await store.claim_deliveries(due + timedelta(seconds=30), limit=10, lease_seconds=1)
    assert (again.id, again.attempts) == (retried.id, 2)
    stats = await store.stats()
    assert (stats.deliveries_sent, stats.deliveries_failed, stats.deliveries_in_flight) == (
        1,
        1,
        2,
    )
    # Claimed but never sent: pending again; sending when the lease ran out: unknown.
    assert await store.expire_leases(due + timedelta(minutes=5)) == 1
    stats = await store.stats()
    assert (stats.deliveries_pending, stats.deliveries_in_flight) == (1, 0)
    assert stats.deliveries_unknown == 1
    shown = render_text(render_stats(stats))
    assert "1 sent, 1 pending, 1 failed, 1 unknown (interrupted mid-send, not resent)" in shown
    statuses = {d.id: (await store.get_delivery(d.id)) for d in claimed}
    assert statuses[sent.id].status == DeliveryStatus.SENT  # type: ignore[union-attr]
    assert statuses[sent.id].platform_message_id == "m-1"  # type: ignore[union-attr]
    assert statuses[failed.id].status == DeliveryStatus.FAILED  # type: ignore[union-attr]
    assert statuses[lost.id].status == DeliveryStatus.UNKNOWN  # type: ignore[union-attr]
    assert statuses[retried.id].status == DeliveryStatus.PENDING  # type: ignore[union-attr]
    blocked = await store.get_subscription(failed.chat)
    assert blocked is not None
    assert blocked.paused
    assert await store.plan_deliveries(due + timedelta(days=1)) == 3
    assert await store.prune_deliveries(due + timedelta(days=1)) == 3


async def test_claims_by_platform(store: Store) -> None:
    discord_chat = ChatRef(Platform.DISCORD, "d-1")
    await _subscribe(store, CHAT, "08:00", "UTC", NOW)
    await _subscribe(store, discord_chat, "08:00", "UTC", NOW)
    due = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    await store.plan_deliveries(due)
    claimed = await store.claim_deliveries(due, 10, 60, platform=Platform.DISCORD)
    assert [d.chat for d in claimed] == [discord_chat]


async def test_the_payload_is_built_once_and_finishing_moves_the_digest_window(
    store: Store,
) -> None:
    await _subscribe(store, CHAT, "08:00", "UTC", NOW)
    due = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
    await store.plan_deliveries(due)
    [delivery] = await store.claim_deliveries(due, 1, 60)
    first = await store.set_delivery_payload(delivery.id, {"stories": [1]}, digest_until=due)
    second = await store.set_delivery_payload(delivery.id, {"stories": [2]}, digest_until=due)
    assert first == second == {"stories": [1]}
    await store.finish_delivery(delivery.id, "m-9", now=due)
    chat = await store.get_chat(CHAT)
    assert chat is not None
    assert chat.last_digest_at == due


@pytest.mark.postgres
async def test_concurrent_claimers_get_disjoint_deliveries(tmp_path: Path) -> None:
    async with migrated_store("postgresql", tmp_path) as store:
        for i in range(60):
            await _subscribe(store, ChatRef(Platform.TELEGRAM, str(i)), "08:00", "UTC", NOW)
        due = datetime(2026, 3, 21, 8, 0, tzinfo=UTC)
        assert await store.plan_deliveries(due) == 60
        batches = await asyncio.gather(*(store.claim_deliveries(due, 7, 60) for _ in range(12)))
        ids = [d.id for batch in batches for d in batch]
        assert len(ids) == len(set(ids)) == 60


async def test_stats_count_what_is_stored(store: Store) -> None:
    source_id = await _source(store)
    await store.save_articles([_article(source_id, 1)], now=NOW)
    await _subscribe(store, CHAT, "08:00", "UTC", NOW)
    stats = await store.stats()
    assert (stats.sources, stats.articles, stats.stories, stats.subscriptions) == (1, 1, 1, 1)


async def test_an_item_can_join_the_story_of_an_earlier_item_of_its_batch(store: Store) -> None:
    source_id = await _source(store)
    saved = await store.save_articles(
        [_article(source_id, 1), _article(source_id, 2), _article(source_id, 3)],
        now=NOW,
        near_duplicate_of=[None, "https://news.example/story-1", None],
    )
    assert saved[0].story_id == saved[1].story_id != saved[2].story_id


async def test_a_refused_article_still_leads_its_batchs_near_duplicates_to_one_story(
    store: Store,
) -> None:
    source_id = await _source(store)
    [stored] = await store.save_articles([_article(source_id, 1)], now=NOW)
    batch = [
        _article(source_id, 5, content_hash="hash-1"),  # refused: stored meanwhile
        _article(source_id, 6),
    ]
    saved = await store.save_articles(
        batch, now=NOW, near_duplicate_of=[None, batch[0].canonical_url]
    )
    assert [s.canonical_url for s in saved] == [batch[1].canonical_url]
    assert saved[0].story_id != stored.story_id
    assert (await store.stats()).stories == 2
    ranked = await store.story_ids_since(None, limit=10)
    assert {story for story, _, _ in ranked} == {stored.story_id, saved[0].story_id}


async def test_stories_started_in_one_batch_belong_to_their_own_articles(store: Store) -> None:
    source_id = await _source(store)
    await store.save_articles([_article(source_id, 1)], now=NOW)
    batch = [_article(source_id, n) for n in (2, 3, 4)]
    saved = await store.save_articles(batch, now=NOW + timedelta(minutes=1))
    ranked = await store.story_ids_since(NOW, limit=10)
    assert {story: lead for story, lead, _ in ranked} == {s.story_id: s.id for s in saved}
    assert len({s.story_id for s in saved}) == 3


async def test_move_chat_keeps_settings_and_refuses_a_taken_id(store: Store) -> None:
    old, new = ChatRef(Platform.TELEGRAM, "-5"), ChatRef(Platform.TELEGRAM, "-1005")
    taken = ChatRef(Platform.TELEGRAM, "-7")
    await store.ensure_chat(old, at="07:30", tz="Europe/Berlin", now=NOW)
    await store.ensure_chat(taken, at="09:00", tz="UTC", now=NOW)
    assert await store.move_chat(old, new)
    assert await store.get_chat(old) is None
    moved = await store.get_chat(new)
    assert moved is not None
    assert (moved.at, moved.tz) == ("07:30", "Europe/Berlin")
    assert not await store.move_chat(new, taken)
    assert not await store.move_chat(old, ChatRef(Platform.TELEGRAM, "-9"))


class SlowToOpen(SQLiteConnection):
    """A database on a slow disk: opening it takes 0.3 s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.3)
        super().__init__(*args, **kwargs)


async def test_closing_waits_for_the_threads_of_cancelled_connections(tmp_path: Path) -> None:
    # A tick cancelled at shutdown while it connects leaves aiosqlite's worker thread opening
    # the database; were the loop closed before it was done, the thread would die with "Event
    # loop is closed".
    async with database("sqlite", tmp_path) as db:
        await db.upgrade()
        before = set(threading.enumerate())
        async with open_store(db.url, connect_args={"factory": SlowToOpen}) as store:

            async def count() -> None:
                async with store.reading() as conn:
                    await conn.execute(text("SELECT 1"))

            tasks = [asyncio.create_task(count()) for _ in range(2)]
            await asyncio.sleep(0.05)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            opening = [t for t in set(threading.enumerate()) - before if t.is_alive()]
            assert len(opening) == 2
        assert not any(t.is_alive() for t in opening)


async def test_a_connection_closed_in_the_middle_of_a_statement_leaves_no_lock(
    tmp_path: Path,
) -> None:
    # A tick cancelled between a statement and the fetch of its rows has its connection
    # invalidated and closed; the next writer must not wait until the statement's cursor is
    # garbage collected (it would fail with "database is locked" after the busy timeout).
    async with database("sqlite", tmp_path) as db:
        await db.upgrade()
        async with open_store(db.url) as store:
            source_id = await _source(store)
            conn = await store.engine.connect()
            await conn.execution_options(**{WRITE: True})
            await conn.begin()
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            unfinished = await driver.execute("UPDATE sources SET title = 'x' RETURNING id")
            await conn.invalidate()
            await conn.close()
            async with store.writing() as writer:
                await writer.execute(text("UPDATE sources SET title = 'y'"))
            assert unfinished is not None  # still referenced: never collected before here
            [source] = await store.list_sources()
            assert (source.id, source.title) == (source_id, "y")
