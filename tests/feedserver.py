"""A small real HTTP server on 127.0.0.1 that serves feeds and pages to tests.

    async with FeedServer() as server:
        server.add("/feed.xml", RSS, content_type="application/rss+xml", etag='"v1"')
        url = server.url("/feed.xml")
        ...
        assert server.requests["/feed.xml"] == 1

Each path answers with a registered Route: status, body, headers, an optional delay (for
timeouts), chunked streaming without Content-Length, gzip, and ETag / Last-Modified validators
that produce 304 on a matching conditional GET. server.redirect() adds a redirect. The server
counts requests per path and the most requests it answered at once (max_in_flight).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from aiohttp import web


@dataclass(slots=True)
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False
    gzip: bool = False


class FeedServer:
    """An aiohttp server on an ephemeral 127.0.0.1 port; use with `async with`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        self.port = 0

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        await self._runner.cleanup()

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def add(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        delay: float = 0.0,
        chunked: bool = False,
        gzip: bool = False,
    ) -> Route:
        """Serve `body` on `path` (after `delay` seconds; streamed if `chunked`)."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if etag:
            all_headers["ETag"] = etag
        if last_modified:
            all_headers["Last-Modified"] = last_modified
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(data, status, all_headers, delay, chunked, gzip)
        self.routes[path] = route
        return route

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Answer `path` with a redirect to `location`."""
        self.routes[path] = Route(status=status, headers={"Location": location})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests[path] += 1
        self.last_headers[path] = dict(request.headers)
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay:
            await self._sleep(route.delay)
        if _not_modified(request, route):
            return web.Response(status=304, headers=_validators(route))
        if route.chunked:
            return await self._stream(request, route)
        response = web.Response(status=route.status, body=route.body, headers=route.headers)
        if route.gzip:
            response.enable_compression(web.ContentCoding.gzip)
        return response

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), delay)

    async def _stream(self, request: web.Request, route: Route) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=route.headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        step = 64 * 1024
        try:
            for start in range(0, len(route.body), step):
                await response.write(route.body[start : start + step])
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client hung up after its size cap: exactly what the test wanted
        return response


def _not_modified(request: web.Request, route: Route) -> bool:
    etag = route.headers.get("ETag")
    if etag and request.headers.get("If-None-Match") == etag:
        return True
    modified = route.headers.get("Last-Modified")
    return bool(modified) and request.headers.get("If-Modified-Since") == modified


def _validators(route: Route) -> dict[str, str]:
    return {k: v for k, v in route.headers.items() if k in ("ETag", "Last-Modified")}
