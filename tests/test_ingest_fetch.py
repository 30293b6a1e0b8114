"""The fetcher against a real HTTP server on 127.0.0.1: caps, errors, redirects, 304."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.ingest.fetch import Fetcher
from tests.feedserver import FeedServer

CONFIG = SourcesConfig(
    allow_private_addresses=True, timeout_seconds=5.0, max_bytes=10_000, max_redirects=3
)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(CONFIG) as open_fetcher:
        yield open_fetcher


async def test_fetch_returns_body_validators_and_honest_user_agent(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/page",
        "<p>hello</p>",
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        headers={"Cache-Control": "public, max-age=900"},
    )
    result = await fetcher.fetch(server.url("/page"))
    assert result.content == b"<p>hello</p>"
    assert result.status == 200
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.cache_max_age == 900
    assert not result.not_modified
    assert server.last_headers["/page"]["User-Agent"] == CONFIG.user_agent


async def test_conditional_get_with_etag_returns_not_modified(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed", "<rss/>", etag='"v7"')
    result = await fetcher.fetch(server.url("/feed"), etag='"v7"')
    assert result.not_modified
    assert result.status == 304
    assert result.content == b""
    assert server.last_headers["/feed"]["If-None-Match"] == '"v7"'


async def test_conditional_get_with_last_modified_returns_not_modified(
    server: FeedServer, fetcher: Fetcher
) -> None:
    stamp = "Tue, 02 Jan 2024 10:00:00 GMT"
    server.add("/feed", "<rss/>", last_modified=stamp)
    assert (await fetcher.fetch(server.url("/feed"), last_modified=stamp)).not_modified
    changed = await fetcher.fetch(server.url("/feed"), last_modified="Mon, 01 Jan 2024 GMT")
    assert not changed.not_modified
    assert changed.content == b"<rss/>"


async def test_gzip_body_is_decoded(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/big", "news " * 500, gzip=True)
    result = await fetcher.fetch(server.url("/big"))
    assert result.content == b"news " * 500
    assert "gzip" in server.last_headers["/big"]["Accept-Encoding"]


async def test_page_larger_than_cap_with_content_length_is_refused(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/huge", "x" * 20_000)
    with pytest.raises(SourceError, match="larger than 10 kB"):
        await fetcher.fetch(server.url("/huge"))


async def test_page_larger_than_cap_without_content_length_is_cut_while_streaming(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/stream", b"y" * 300_000, chunked=True)
    with pytest.raises(SourceError, match="larger than 10 kB"):
        await fetcher.fetch(server.url("/stream"))


async def test_streamed_page_under_cap_is_read_whole(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/stream", b"z" * 9_000, chunked=True)
    assert (await fetcher.fetch(server.url("/stream"))).content == b"z" * 9_000


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00", "binary content (image/png)"),
        ("application/pdf", b"%PDF-1.4", "binary content (application/pdf)"),
        ("application/octet-stream", b"\x00\x01\x02", "binary content (application/octet-stream)"),
    ],
)
async def test_binary_content_is_refused(
    server: FeedServer, fetcher: Fetcher, content_type: str, body: bytes, reason: str
) -> None:
    server.add("/file", body, content_type=content_type)
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(server.url("/file"))
    assert caught.value.reason == reason


async def test_timeout_is_reported_with_its_length(server: FeedServer) -> None:
    server.add("/slow", "late", delay=30)
    async with Fetcher(SourcesConfig(allow_private_addresses=True, timeout_seconds=0.2)) as quick:
        with pytest.raises(SourceError) as caught:
            await quick.fetch(server.url("/slow"))
    assert caught.value.reason == "timed out after 0.2 s"


@pytest.mark.parametrize("status", [404, 500])
async def test_http_error_status_is_reported(
    server: FeedServer, fetcher: Fetcher, status: int
) -> None:
    server.add("/broken", "oops", status=status)
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(server.url("/broken"))
    assert caught.value.reason == f"HTTP {status}"
    assert caught.value.url == server.url("/broken")


async def test_redirects_are_followed_to_the_final_url(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.redirect("/old", "/middle", status=301)
    server.redirect("/middle", server.url("/new"))
    server.add("/new", "moved here")
    result = await fetcher.fetch(server.url("/old"))
    assert result.url == server.url("/new")
    assert result.content == b"moved here"


async def test_redirect_loop_is_detected(server: FeedServer, fetcher: Fetcher) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    with pytest.raises(SourceError, match="redirect loop"):
        await fetcher.fetch(server.url("/a"))
    assert server.requests["/a"] == 1


async def test_too_many_redirects_are_refused(server: FeedServer, fetcher: Fetcher) -> None:
    for hop in range(6):
        server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    server.add("/hop6", "never reached")
    with pytest.raises(SourceError, match=r"too many redirects \(more than 3\)"):
        await fetcher.fetch(server.url("/hop0"))
    assert server.requests["/hop6"] == 0


async def test_connection_refused_is_a_source_error(fetcher: Fetcher) -> None:
    async with FeedServer() as closed:
        url = closed.url("/gone")
    with pytest.raises(SourceError, match="could not connect"):
        await fetcher.fetch(url)


@pytest.mark.parametrize("url", ["http://[::1/feed", "http://\u2603..example/feed"])
async def test_a_malformed_url_is_a_source_error(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(SourceError, match="invalid URL"):
        await fetcher.fetch(url)


async def test_gzip_bomb_is_cut_at_the_cap_after_decoding(
    server: FeedServer, fetcher: Fetcher
) -> None:
    # A megabyte of zeros is about a kilobyte on the wire: only the decoded size trips the cap.
    server.add("/bomb", b"\0" * 1_000_000, content_type="text/xml", gzip=True)
    with pytest.raises(SourceError, match="larger than 10 kB"):
        await fetcher.fetch(server.url("/bomb"))


async def test_concurrency_is_bounded_per_host(server: FeedServer) -> None:
    for n in range(6):
        server.add(f"/slow{n}", "ok", delay=0.05)
    config = SourcesConfig(allow_private_addresses=True, concurrency=10, per_host_concurrency=2)
    async with Fetcher(config) as bounded:
        results = await asyncio.gather(*(bounded.fetch(server.url(f"/slow{n}")) for n in range(6)))
    assert [r.content for r in results] == [b"ok"] * 6
    assert 1 <= server.max_in_flight <= 2


async def test_concurrency_is_bounded_overall(server: FeedServer) -> None:
    for n in range(6):
        server.add(f"/slow{n}", "ok", delay=0.05)
    config = SourcesConfig(allow_private_addresses=True, concurrency=1, per_host_concurrency=4)
    async with Fetcher(config) as bounded:
        await asyncio.gather(*(bounded.fetch(server.url(f"/slow{n}")) for n in range(6)))
    assert server.max_in_flight == 1


async def test_waiting_for_a_free_slot_does_not_count_as_a_timeout(server: FeedServer) -> None:
    for n in range(8):
        server.add(f"/slow{n}", "ok", delay=0.15)
    config = SourcesConfig(allow_private_addresses=True, timeout_seconds=1.0, concurrency=1)
    async with Fetcher(config) as queued:
        results = await asyncio.gather(*(queued.fetch(server.url(f"/slow{n}")) for n in range(8)))
    assert len(results) == 8
