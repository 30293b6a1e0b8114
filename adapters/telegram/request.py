"""AiohttpRequest: python-telegram-bot's requests to the Bot API sent through an aiohttp session.

python-telegram-bot builds each request and turns each answer into a result or a TelegramError;
the HTTP underneath is its `BaseRequest` interface, which PTB ships for httpx (HTTPXRequest) and
documents as the place to plug in another library. A delivery worker sends one request per
digest, and httpx with httpcore cost about 1.1 ms of CPU per request there, two thirds of the
worker's time; aiohttp (already installed: discord.py is built on it) costs a third of that.

Whether a failed request may have reached Telegram is what the publisher's error translation
needs to know. aiohttp's UploadTracker says whether the request was handed to the connection in
full: if not (no connection, no free connection in time, a kept-alive connection the server had
closed), Telegram cannot have acted on it, having at most part of it. Every failure becomes
python-telegram-bot's TimedOut or NetworkError caused by a RequestFailure that records this.
aiohttp never resends a POST on its own, and has no write timeout (a digest's request fits in
the socket's buffer; PTB's `write_timeout` is ignored). The Bot API's URL holds the bot token,
and aiohttp quotes the URL in some errors: a RequestFailure's text leaves it out, and ends the
exception chain.
Form values longer than `_CACHED_FORM_VALUE` (a digest's text, sent to every chat) are quoted
once per process while in use: quoting is character by character, a tenth of a request's CPU.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_CACHED_FORM_VALUE = 256
_FORM = "application/x-www-form-urlencoded"


class AiohttpRequest(BaseRequest):
    """Bot API requests over a pool of `connections` keep-alive connections."""

    __slots__ = (
        "_connect_timeout",
        "_connections",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_timeout",
    )

    def __init__(
        self,
        *,
        connections: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        pool_timeout: float = 30.0,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        # aiohttp's `connect` covers the wait for a free connection and the connecting itself.
        self._timeout = aiohttp.ClientTimeout(
            connect=pool_timeout + connect_timeout,
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """How long to wait for an answer once the request is sent."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the answer's status and body (PTB reads errors from it)."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise ValueError("AiohttpRequest sends no files")
        form = request_data.json_parameters if request_data is not None else {}
        upload = aiohttp.UploadTracker()
        try:
            async with self._session.request(
                method,
                url,
                data=encode_form(form).encode(),
                headers={"Content-Type": _FORM},
                timeout=self._timeout_for(read_timeout, connect_timeout, pool_timeout),
                allow_redirects=False,
                upload_tracker=upload,
            ) as answer:
                return answer.status, await answer.read()
        except Exception as exc:
            failure = RequestFailure(exc, url, sent=_handed_over(upload))
            timed_out = isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError))
            raise (TimedOut if timed_out else NetworkError)(str(failure)) from failure

    def _timeout_for(self, read: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        """The session's timeouts, or those PTB passed for this one request (None: no limit)."""
        default = BaseRequest.DEFAULT_NONE
        if read is default and connect is default and pool is default:
            return self._timeout
        read = self._read_timeout if read is default else read
        connect = self._connect_timeout if connect is default else connect
        pool = self._pool_timeout if pool is default else pool
        return aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )


class RequestFailure(Exception):
    """Why a Bot API request failed, without the URL; `sent`: whether the request was handed to
    the connection in full, so that Telegram may have acted on it."""

    def __init__(self, exc: Exception, url: str, *, sent: bool) -> None:
        text = str(exc).replace(url, "<Bot API URL>")
        super().__init__(f"aiohttp: {type(exc).__name__}: {text}")
        self.sent = sent


def _handed_over(upload: aiohttp.UploadTracker) -> bool:
    """Whether the whole request reached the connection (or that is not known yet)."""
    done = upload.upload_complete
    return not done.done() or done.exception() is None


def encode_form(data: Mapping[str, str]) -> str:
    """`urlencode(data)`, each long value quoted once per process while it is in use."""
    return "&".join(f"{quote_plus(k)}={_quoted_value(v)}" for k, v in data.items())


def _quoted_value(value: str) -> str:
    return _quoted_long(value) if len(value) > _CACHED_FORM_VALUE else quote_plus(value)


@functools.lru_cache(maxsize=64)
def _quoted_long(value: str) -> str:
    return quote_plus(value)
