"""Ingestion: fetching sources (httpx, behind the SSRF guard) and reading feeds, pages and folders.

The poller calls read_source(); the store uses canonical_url(), content_hash() and
NearDuplicateIndex for dedup; the service uses parse_opml() and render_opml(). None of these
modules touch the database.

Notes for callers (all additions with defaults, no renamed API):
- read_source(known_guids=...) skips entries already stored, so their full text is not fetched
  again on every poll; full_text=False turns full-text fetching off.
- A folder source (file:// URL or path) must lie inside a folder listed in `[sources] folders`,
  or read_source raises BlockedAddressError: chat admins must not read the server's disk.
- ArticleDraft.url and .canonical_url are None for a feed entry without a link.
- parse_opml raises UsageError for invalid or hostile OPML (the user's input is at fault).
- Fetcher(resolve=...) takes the DNS resolver, for tests that map names to addresses.
"""

from bot.ingest.addresses import check_url, is_public_address, resolve_host
from bot.ingest.feeds import FeedEntry, ParsedFeed, parse_feed
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.folders import LocalArticle, scan_folder
from bot.ingest.opml import OpmlOutline, parse_opml, render_opml
from bot.ingest.pages import PageArticle, discover_feeds, extract_page
from bot.ingest.similarity import NearDuplicateIndex, content_hash, signature
from bot.ingest.sources import ArticleDraft, SourceRead, is_local_source, read_source
from bot.ingest.urls import canonical_url

__all__ = [
    "ArticleDraft",
    "FeedEntry",
    "FetchResult",
    "Fetcher",
    "LocalArticle",
    "NearDuplicateIndex",
    "OpmlOutline",
    "PageArticle",
    "ParsedFeed",
    "SourceRead",
    "canonical_url",
    "check_url",
    "content_hash",
    "discover_feeds",
    "extract_page",
    "is_local_source",
    "is_public_address",
    "parse_feed",
    "parse_opml",
    "read_source",
    "render_opml",
    "resolve_host",
    "scan_folder",
    "signature",
]
