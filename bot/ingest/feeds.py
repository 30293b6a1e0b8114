"""Feeds: RSS 0.9x/1.0/2.0 and Atom bytes into ParsedFeed, with feedparser.

feedparser detects the encoding from the bytes, the XML declaration and the HTTP header (and
recovers from a wrong or missing one), recovers what it can from malformed XML and applies the
feed's own xml:base to links. Its HTML sanitizer is switched off: entries are turned into
plain text (bot.ingest.markup drops tags, scripts and styles) and never shown as HTML, and the
sanitizer took two thirds of the parsing time. It is not told the feed's URL either: it would
resolve every link, GUID and content element against it (a sixth of the remaining time); the few
links that are relative are resolved here instead. What it cannot make a feed of at all
(an HTML page, garbage) is a SourceError "not a feed".

feedparser passes every element's text through `str.translate` with a dict that maps the C1
controls (U+0080-U+009F) to the Windows-1252 characters they were meant to be. On Python before
3.13 a dict lookup that misses raises and clears a KeyError for every character of a text that
is not pure ASCII (curly quotes, dashes, accents: every news article), which made that one line
a third of feedparser's time. `speed_up_feedparser` gives feedparser the same mapping as a
string indexed by code point: identical output (a test compares both over every code point), no
exception per character. It also gives feedparser's mixin a `copy.deepcopy` that copies a flat
dict of strings, numbers and flags (an element's content parameters, copied twice an entry) as
a new dict, which is what a deep copy of one is, and deep-copies anything else: a seventh of
what was left of feedparser's time.
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urljoin

import feedparser
import feedparser.mixin

from bot.errors import SourceError
from bot.ingest.markup import extract_text, remove_controls
from bot.ingest.similarity import content_hash
from bot.ingest.urls import bounded_key

SNIPPET_CHARS = 600
"""An entry with less text than this (and a link) is a snippet: its full text is fetched."""

_TITLE_WORDS = 12
_SCALARS = (str, int, float, bool, type(None))
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{4,})|0*([0-9]{5,})|[xX]?0+);")
"""The references that can name what no text holds: zero, or four hex or five decimal digits and
more (common ones, like &#8217;, are not matched, so not looked at)."""
_ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_READ_MORE = re.compile(
    r"(…|\.\.\.|\[…\]|\[\.\.\.\]|\b(read more|continue reading|read the full (story|article)"
    r"|full story|more\s*»)\W*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One feed item; `text` is plain text, `published` an aware UTC datetime or None."""

    guid: str
    url: str | None
    title: str
    text: str
    is_snippet: bool
    published: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """A parsed feed: its title, kind ("rss", "atom" or "rdf"), ttl and entries."""

    title: str
    kind: str
    ttl_minutes: int | None
    link: str | None
    entries: tuple[FeedEntry, ...]


def speed_up_feedparser() -> None:
    """Give feedparser its Windows-1252 repair table as a string, and a deepcopy that copies
    flat dicts directly, once (see the module's docstring)."""
    mapping = getattr(feedparser.mixin, "_cp1252", None)
    if isinstance(mapping, dict):
        feedparser.mixin._cp1252 = build_cp1252_table(mapping)
    if getattr(feedparser.mixin, "copy", None) is copy:
        feedparser.mixin.copy = SimpleNamespace(deepcopy=copy_flat_dicts)


def copy_flat_dicts(value: Any) -> Any:
    """copy.deepcopy(value), done as a plain copy when `value` is a dict of immutable scalars."""
    if isinstance(value, dict) and all(isinstance(v, _SCALARS) for v in value.values()):
        return type(value)(value)
    return copy.deepcopy(value)


def build_cp1252_table(mapping: dict[int, str]) -> str:
    """The characters U+0000-U+FFFF, each replaced by its value in `mapping` if it has one.

    str.translate looks each code point up as an index: a hit returns the character, and only
    code points beyond the table (outside the Basic Multilingual Plane) miss and stay unchanged.
    """
    table = [chr(code) for code in range(0x10000)]
    for code, replacement in mapping.items():
        table[code] = replacement
    return "".join(table)


speed_up_feedparser()


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes; raise SourceError("not a feed") when nothing feed-like is in them."""
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(
            _without_invalid_references(content),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser raises on some malformed input (a garbled encoding)
        raise SourceError(url, f"unreadable feed ({type(exc).__name__}: {exc})") from exc
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        raise SourceError(url, "not a feed")
    entries = (_entry(raw, url) for raw in parsed.entries)
    meta = parsed.feed
    return ParsedFeed(
        title=remove_controls(extract_text(meta.get("title") or "")) or url,
        kind=_kind(version),
        ttl_minutes=_ttl(meta.get("ttl")),
        link=_absolute(meta.get("link"), url),
        entries=tuple(entry for entry in entries if entry is not None),
    )


def _without_invalid_references(content: bytes) -> bytes:
    """The feed with character references to what no text may hold (NUL, a surrogate, beyond
    U+10FFFF) replaced by U+FFFD's: on one of them feedparser's lenient parser raised, and the
    whole feed failed at every read."""
    if b"&#" not in content:
        return content
    return _CHARACTER_REFERENCE.sub(_valid_reference, content)


def _valid_reference(match: re.Match[bytes]) -> bytes:
    hexadecimal, decimal = match.groups()
    digits = hexadecimal or decimal or b""
    code = 0 if len(digits) > 8 else int(digits or b"0", 16 if hexadecimal else 10)
    valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
    return match.group(0) if valid else b"&#xFFFD;"


def _kind(version: str) -> str:
    if version in ("rss090", "rss10"):
        return "rdf"
    return "atom" if version.startswith("atom") else "rss"


def _ttl(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _absolute(link: str | None, feed_url: str) -> str | None:
    """The link, resolved against the feed's URL when it is relative; None when empty."""
    link = (link or "").strip()
    if not link or _ABSOLUTE.match(link):
        return link or None
    try:
        return urljoin(feed_url, link)
    except ValueError:  # "Invalid IPv6 URL": "//[::1/x"; kept, the fetch refuses it later
        return link


def _entry(raw: Any, feed_url: str) -> FeedEntry | None:
    url = _absolute(remove_controls(raw.get("link") or ""), feed_url)
    text = _entry_text(raw)
    title = remove_controls(extract_text(raw.get("title") or "").replace("\n", " "))
    if not (url or text or title):
        return None
    guid = remove_controls(raw.get("id") or "").strip() or url
    guid = bounded_key(guid) if guid else "sha256:" + content_hash(f"{title}\n{text}")
    return FeedEntry(
        guid=guid,
        url=url,
        title=title or _first_words(text),
        text=text,
        is_snippet=url is not None and _is_snippet(text),
        published=_published(raw),
    )


def _entry_text(raw: Any) -> str:
    """The longest of the entry's content blocks and its summary, as plain text."""
    candidates = [block.get("value") or "" for block in raw.get("content") or ()]
    candidates.append(raw.get("summary") or "")
    return max((extract_text(c) for c in candidates), key=len)


def _is_snippet(text: str) -> bool:
    return len(text) < SNIPPET_CHARS or _READ_MORE.search(text[-60:]) is not None


def _first_words(text: str) -> str:
    words = text.split()
    if len(words) <= _TITLE_WORDS:
        return " ".join(words)
    return " ".join(words[:_TITLE_WORDS]) + "…"


def _published(raw: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get, not FeedParserDict's: that maps a missing key to another, with a warning.
        stamp: time.struct_time | None = dict.get(raw, key)
        if stamp is not None:
            try:
                return datetime(*stamp[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None
