"""The SSRF guard: which URLs the bot may fetch, decided after DNS resolution.

Only http and https are fetched. Unless `[sources] allow_private_addresses` is set, a URL whose
host resolves to any loopback, private, link-local, multicast, reserved or unspecified address
(IPv4-mapped and 6to4/Teredo-wrapped IPv6 included) is refused with BlockedAddressError. The
fetcher calls check_url() before the first request and again on every redirect hop.

DNS rebinding (the name resolving to a public address for the check and a private one for the
connection) is closed by the fetcher: plain-http requests are sent to the address checked here,
with the original Host header. For https the name is kept, because TLS certificate verification
already refuses a server that is not the named host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import BlockedAddressError, SourceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""resolve(host, port) -> the IP addresses (as strings) the host name resolves to."""

ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL that passed the guard, with the addresses it was checked against."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[Address, ...]


async def resolve_host(host: str, port: int) -> list[str]:
    """Resolve a host name with the event loop's resolver (getaddrinfo in a thread)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise SourceError(host, f"could not resolve {host}") from exc
    return [str(info[4][0]) for info in infos]


def is_public_address(address: Address) -> bool:
    """Whether an address is an ordinary public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def check_url(
    url: str, *, allow_private: bool, resolve: Resolver = resolve_host
) -> CheckedURL:
    """Refuse a URL with a scheme other than http(s), or one resolving to a non-public address."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed "["
        raise SourceError(url, "invalid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedAddressError(url, f"only http and https URLs are fetched, not {scheme}:")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise SourceError(url, "invalid port") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise SourceError(url, "URL has no host")
    if allow_private:
        return CheckedURL(url, scheme, host, port, ())
    addresses = await _addresses(url, host, port, resolve)
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddressError(url, f"{host} resolves to a non-public address ({address})")
    return CheckedURL(url, scheme, host, port, addresses)


async def _addresses(url: str, host: str, port: int, resolve: Resolver) -> tuple[Address, ...]:
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        found = await resolve(host, port)
    except SourceError as exc:
        raise SourceError(url, exc.reason) from exc
    addresses = tuple(ipaddress.ip_address(a.split("%", 1)[0]) for a in found)
    if not addresses:
        raise SourceError(url, f"could not resolve {host}")
    # IPv4 first: the pinned connection goes to addresses[0] and IPv6 is more often unrouted.
    return tuple(sorted(addresses, key=lambda a: a.version))
