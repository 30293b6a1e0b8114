"""Pure digest building: text in, Digest out. No asyncio, no I/O, no database, no platform."""

from digests.digest import Digest, build_digest, digest_to_dict, quote_to_dict
from digests.quotes import Quote
from digests.text import CleanText, Span, clean_text, split_sentences

__all__ = [
    "CleanText",
    "Digest",
    "Quote",
    "Span",
    "build_digest",
    "clean_text",
    "digest_to_dict",
    "quote_to_dict",
    "split_sentences",
]
