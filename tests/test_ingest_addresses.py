"""The SSRF guard: private addresses and odd schemes are refused, on every redirect hop too.

The redirect tests need a host the guard treats as public whose server still runs on
127.0.0.1. Nothing in the guard is patched: the Fetcher's injectable resolver maps
"news.example" to a public address (93.184.216.34), and the transport given to the Fetcher
stands in for the internet, routing that one public address to the local server. Everything
after the first hop (the redirect, its resolution and its check) is the real code path.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import SourcesConfig
from bot.errors import BlockedAddressError, SourceError
from bot.ingest.addresses import check_url, is_public_address
from bot.ingest.fetch import Fetcher
from tests.feedserver import FeedServer

GUARDED = SourcesConfig(allow_private_addresses=False, timeout_seconds=5.0)
PUBLIC_IP = "93.184.216.34"
NAMES = {"news.example": [PUBLIC_IP], "intranet.example": ["10.0.0.7"]}


async def fake_dns(host: str, port: int) -> list[str]:
    return NAMES.get(host, [])


class InternetStandIn(httpx.AsyncBaseTransport):
    """Routes requests for PUBLIC_IP to the local test server; refuses anything else."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.host, request.headers["Host"]))
        if request.url.host != PUBLIC_IP:
            raise httpx.ConnectError("unroutable in this test", request=request)
        request.url = request.url.copy_with(host="127.0.0.1", port=self.server.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://10.1.2.3/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://intranet.example/feed",
    ],
)
async def test_private_addresses_are_refused(url: str) -> None:
    async with Fetcher(GUARDED, resolve=fake_dns) as fetcher:
        with pytest.raises(BlockedAddressError, match="non-public address"):
            await fetcher.fetch(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://news.example/feed", "gopher://news.example:70/1"]
)
async def test_schemes_other_than_http_are_refused(url: str) -> None:
    async with Fetcher(GUARDED, resolve=fake_dns) as fetcher:
        with pytest.raises(BlockedAddressError, match="only http and https"):
            await fetcher.fetch(url)


async def test_localhost_is_refused_through_the_real_resolver() -> None:
    with pytest.raises(BlockedAddressError):
        await check_url("http://localhost/", allow_private=False)


async def test_unresolvable_host_is_a_source_error() -> None:
    with pytest.raises(SourceError, match=r"could not resolve nowhere\.example"):
        await check_url("http://nowhere.example/", allow_private=False, resolve=fake_dns)


async def test_public_host_is_fetched_at_the_checked_address(server: FeedServer) -> None:
    server.add("/feed", "<rss/>", content_type="application/rss+xml")
    internet = InternetStandIn(server)
    async with Fetcher(GUARDED, transport=internet, resolve=fake_dns) as fetcher:
        result = await fetcher.fetch("http://news.example/feed")
    assert result.content == b"<rss/>"
    assert result.url == "http://news.example/feed"
    # Pinned: the connection went to the address the guard checked, named by its Host header.
    assert internet.seen == [(PUBLIC_IP, "news.example")]


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:{port}/secret", "http://intranet.example/secret"]
)
async def test_redirect_from_public_host_to_private_address_is_refused(
    server: FeedServer, target: str
) -> None:
    server.add("/secret", "internal data")
    server.redirect("/start", target.format(port=server.port))
    internet = InternetStandIn(server)
    async with Fetcher(GUARDED, transport=internet, resolve=fake_dns) as fetcher:
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch("http://news.example/start")
    assert caught.value.url == target.format(port=server.port)
    assert server.requests["/start"] == 1
    assert server.requests["/secret"] == 0
    assert len(internet.seen) == 1


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 wrapping 127.0.0.1
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
