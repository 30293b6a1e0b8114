"""Pure digest building: text in, Digest out. No asyncio, no I/O, no database, no platform."""

from digests.digest import Digest, build_digest
from digests.quotes import Quote
from digests.text import Span

__all__ = ["Digest", "Quote", "Span", "build_digest"]
