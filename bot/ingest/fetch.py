"""The fetcher: one guarded, bounded, conditional HTTP GET per call, over httpx.

Fetcher follows redirects itself (httpx's follow_redirects would skip the SSRF guard on later
hops), checks every hop with bot.ingest.addresses, caps the body size while streaming (after
gzip decoding, so a compressed bomb is cut too), refuses binary content, and bounds concurrency
overall and per host with semaphores. Every failure is a SourceError with a short reason.
The timeout applies to each hop: to resolving its name, and to its request and body once the
hop holds its semaphores (time spent waiting for a free slot is not the server's slowness).

The client ignores proxy environment variables (trust_env=False): a proxy would connect to
whatever the name resolves to on its side, past the guard.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import httpx

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.ingest.addresses import CheckedURL, Resolver, check_url, resolve_host

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = ("text/", "application/xml", "application/json", "application/javascript")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one fetch returned; `url` is the final URL after redirects."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    cache_max_age: int | None


class Fetcher:
    """Fetches URLs for sources; use as `async with Fetcher(config) as fetcher`."""

    def __init__(
        self,
        config: SourcesConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver = resolve_host,
    ) -> None:
        self.config = config
        self._resolve = resolve
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(config.timeout_seconds),
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=False,
        )
        self._overall = asyncio.Semaphore(config.concurrency)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.per_host_concurrency)
        )

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.__aexit__(exc_type, exc, tb)

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `url`, following redirects; raise SourceError with a short reason on failure."""
        try:
            return await self._follow(url, _validators(etag, last_modified))
        except (TimeoutError, httpx.TimeoutException) as exc:
            reason = f"timed out after {self.config.timeout_seconds:g} s"
            raise SourceError(url, reason) from exc
        except httpx.HTTPError as exc:
            raise SourceError(url, _describe(exc)) from exc
        except httpx.InvalidURL as exc:
            raise SourceError(url, "invalid URL") from exc

    async def _follow(self, url: str, validators: dict[str, str]) -> FetchResult:
        seen = {url}
        for _ in range(self.config.max_redirects + 1):
            async with asyncio.timeout(self.config.timeout_seconds):
                checked = await check_url(
                    url, allow_private=self.config.allow_private_addresses, resolve=self._resolve
                )
            result = await self._get(checked, validators)
            if isinstance(result, FetchResult):
                return result
            url = result
            if url in seen:
                raise SourceError(url, "redirect loop")
            seen.add(url)
        raise SourceError(url, f"too many redirects (more than {self.config.max_redirects})")

    async def _get(self, checked: CheckedURL, validators: dict[str, str]) -> FetchResult | str:
        """One hop: a FetchResult, or the absolute URL a redirect points to.

        The timeout starts once the hop holds its semaphores: waiting in line is not slowness.
        """
        request = self._client.build_request(
            "GET", _pinned_url(checked), headers={"Host": _host_header(checked), **validators}
        )
        async with (
            self._overall,
            self._per_host[checked.host],
            asyncio.timeout(self.config.timeout_seconds),
        ):
            response = await self._client.send(request, stream=True)
            try:
                return await self._read(checked.url, response)
            finally:
                await response.aclose()

    async def _read(self, url: str, response: httpx.Response) -> FetchResult | str:
        status = response.status_code
        if status in _REDIRECTS and "location" in response.headers:
            return urljoin(url, response.headers["location"])
        if status == 304:
            return _result(url, response, b"", not_modified=True)
        if status >= 300:
            raise SourceError(url, f"HTTP {status}")
        content_type = response.headers.get("content-type")
        _refuse_binary_type(url, content_type)
        content = await self._body(url, response)
        if content_type is None or "octet-stream" in content_type:
            _refuse_binary_bytes(url, content, content_type)
        return _result(url, response, content, not_modified=False)

    async def _body(self, url: str, response: httpx.Response) -> bytes:
        limit = self.config.max_bytes
        too_large = SourceError(url, f"larger than {_megabytes(limit)}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)


def _validators(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _pinned_url(checked: CheckedURL) -> str:
    """Plain http goes to the checked address, so DNS cannot change between check and connect."""
    if checked.scheme != "http" or not checked.addresses:
        return checked.url
    return str(httpx.URL(checked.url).copy_with(host=str(checked.addresses[0])))


def _host_header(checked: CheckedURL) -> str:
    """The Host header for the URL's name (IDNA-encoded, port only when not the default)."""
    return httpx.URL(checked.url).netloc.decode("ascii")


def _result(
    url: str, response: httpx.Response, content: bytes, *, not_modified: bool
) -> FetchResult:
    headers = response.headers
    return FetchResult(
        url=url,
        status=response.status_code,
        content=content,
        content_type=headers.get("content-type"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        not_modified=not_modified,
        cache_max_age=_cache_max_age(headers.get("cache-control", "")),
    )


def _cache_max_age(cache_control: str) -> int | None:
    if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def _refuse_binary_type(url: str, content_type: str | None) -> None:
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media.startswith(_TEXT_TYPES) or media.endswith(("+xml", "+json")):
        return
    if media == "application/octet-stream":
        return  # misconfigured servers send feeds like this: judged by the bytes instead
    raise SourceError(url, f"binary content ({media})")


def _refuse_binary_bytes(url: str, content: bytes, content_type: str | None) -> None:
    if b"\x00" in content[:1024]:
        media = (content_type or "unknown type").split(";", 1)[0].strip()
        raise SourceError(url, f"binary content ({media})")


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit / 1000:g} kB"


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.DecodingError):
        return "could not decode the response"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server broke the HTTP protocol"
    return type(exc).__name__
