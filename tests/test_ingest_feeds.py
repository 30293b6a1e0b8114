"""parse_feed(): links, relative ones included, as absolute URLs; feedparser's text repair."""

from __future__ import annotations

import copy

import feedparser
import feedparser.html
import feedparser.mixin
import pytest

from bot.errors import SourceError
from bot.ingest.feeds import build_cp1252_table, copy_flat_dicts, parse_feed

FEED_URL = "https://news.example/section/feed.xml"
BODY = "The council met on Tuesday. " * 30


def rss(link: str, channel_link: str = "/") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Gazette</title>'
        f"<link>{channel_link}</link><item><title>Council</title><link>{link}</link>"
        f"<guid>c-1</guid><description>{BODY}</description></item></channel></rss>"
    ).encode()


def test_absolute_links_are_kept() -> None:
    feed = parse_feed(rss("https://other.example/a/1?x=1"), url=FEED_URL)
    assert feed.entries[0].url == "https://other.example/a/1?x=1"


def test_relative_links_resolve_against_the_feed_url() -> None:
    feed = parse_feed(rss("/news/council", channel_link="home"), url=FEED_URL)
    assert feed.entries[0].url == "https://news.example/news/council"
    assert feed.link == "https://news.example/section/home"
    assert parse_feed(rss("council-2"), url=FEED_URL).entries[0].url == (
        "https://news.example/section/council-2"
    )


def test_a_link_urljoin_cannot_read_is_kept_as_it_is() -> None:
    feed = parse_feed(rss("//[::1/x", channel_link="//[::1/"), url=FEED_URL)
    assert (feed.entries[0].url, feed.link) == ("//[::1/x", "//[::1/")


def test_atom_xml_base_applies_before_the_feed_url() -> None:
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:base="https://cdn.example/blog/"><title>Blog</title><id>urn:b</id>'
        '<entry><title>Post</title><id>urn:b:1</id><link href="posts/1"/>'
        f'<content type="text">{BODY}</content></entry>'
        '<entry xml:base="/archive/"><title>Old</title><id>urn:b:2</id><link href="2"/>'
        f'<content type="text">{BODY}</content></entry></feed>'
    ).encode()
    entries = parse_feed(atom, url=FEED_URL).entries
    assert [e.url for e in entries] == [
        "https://cdn.example/blog/posts/1",
        "https://cdn.example/archive/2",
    ]


def test_an_entry_without_a_link_has_none() -> None:
    feed = parse_feed(rss(""), url=FEED_URL)
    assert feed.entries[0].url is None
    assert feed.entries[0].guid == "c-1"


def test_the_cp1252_table_translates_every_code_point_as_feedparsers_dict() -> None:
    table = build_cp1252_table(feedparser.html._cp1252)
    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000)
    assert every.translate(table) == every.translate(feedparser.html._cp1252)
    assert feedparser.mixin._cp1252 == table  # in effect: a feedparser upgrade could undo it


def test_c1_controls_in_a_feed_become_the_windows_1252_characters_meant() -> None:
    body = "\u0093We will rebuild\u0094, said the mayor \u2014 caf\u00e9 \U0001f600. " * 30
    feed = parse_feed(
        rss("https://news.example/a/1").replace(BODY.encode(), body.encode()), url=FEED_URL
    )
    assert feed.entries[0].text.startswith(
        "\u201cWe will rebuild\u201d, said the mayor \u2014 caf\u00e9 \U0001f600."
    )


def test_references_to_characters_no_text_may_hold_become_replacement_characters() -> None:
    feed = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A &#xD800; b &#55296; c &#0; d &#x110000; &#x201C;e&#x201D;"
        b" f &#99999999999; &#x1FFFFFFFFF; &#0000000000000000065;</title>"
        b"<link>https://news.example/1</link><guid>g&#xDFFF;1</guid>"
        b"<description>" + BODY.encode() + b"</description></item></channel></rss>"
    )
    [entry] = parse_feed(feed, url=FEED_URL).entries
    assert entry.title == "A \ufffd b \ufffd c \ufffd d \ufffd \u201ce\u201d f \ufffd \ufffd A"
    assert entry.guid == "g\ufffd1"


@pytest.mark.parametrize(
    "declaration",
    [b'<?xml version="1.0" encoding="ut\xfff-8"?>', b'<?xml version="1.0" encoding="utf\x00-8"?>'],
)
def test_a_garbled_encoding_declaration_is_a_source_error_not_a_crash(declaration: bytes) -> None:
    feed = declaration + rss("https://news.example/1").split(b"?>", 1)[1]
    with pytest.raises(SourceError, match="unreadable feed"):
        parse_feed(feed, url=FEED_URL)


def test_flat_dicts_are_copied_and_anything_else_deep_copied() -> None:
    flat = feedparser.FeedParserDict({"type": "text/html", "language": None, "base64": 0})
    copied = copy_flat_dicts(flat)
    assert copied == flat
    assert copied is not flat
    assert type(copied) is feedparser.FeedParserDict
    nested = {"links": [{"href": "https://news.example/1"}]}
    deep = copy_flat_dicts(nested)
    assert deep == nested
    assert deep["links"][0] is not nested["links"][0]
    assert feedparser.mixin.copy.deepcopy is copy_flat_dicts  # in effect


def test_feedparser_reads_the_same_with_its_own_deepcopy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<title type="html">A &amp;lt;b&amp;gt;blog</title><id>urn:b</id><entry>'
        '<title>Post</title><id>urn:b:1</id><link href="https://blog.example/1"/>'
        f'<summary type="text">{BODY}</summary><content type="html">&lt;p&gt;{BODY}&lt;/p&gt;'
        "</content></entry></feed>"
    ).encode()
    fast = feedparser.parse(rss("https://news.example/1")), feedparser.parse(atom)
    monkeypatch.setattr(feedparser.mixin, "copy", copy)
    assert (feedparser.parse(rss("https://news.example/1")), feedparser.parse(atom)) == fast
