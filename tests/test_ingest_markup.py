"""HTML fragments to text, and feed links announced by pages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.markup import extract_feed_links, extract_text
from bot.ingest.pages import discover_feeds


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("Plain text stays.", "Plain text stays."),
        ("<p>One.</p><p>Two.</p>", "One.\nTwo."),
        ("Line one<br>line two", "Line one\nline two"),
        ("<p>Fish &amp; chips &eacute;t&eacute;</p>", "Fish & chips été"),
        ("<p>Kept</p><script>alert('x')</script><style>p {}</style>", "Kept"),
        ("<ul><li>First</li><li>Second</li></ul>", "First\nSecond"),
        ("<p>  spaced \t out\u00a0 words </p>", "spaced out words"),
        (
            "<div><p>Nested <b>bold</b> and <a href='/x'>link</a>.</p></div>",
            "Nested bold and link.",
        ),
        ("", ""),
        ("<p>Before</p><![CDATx[ odd ]]><p>After</p>", "Before"),  # html.parser gave up
    ],
)
def test_extract_text(fragment: str, text: str) -> None:
    assert extract_text(fragment) == text


def test_feed_links_are_absolute_and_only_feeds() -> None:
    page = """<html><head><base href="https://news.example/section/">
    <link rel="stylesheet" href="/style.css">
    <link rel="alternate" hreflang="fr" href="/fr/">
    <link rel="Alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate feed" type="application/atom+xml; charset=utf-8" href="/atom">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""
    assert extract_feed_links(page, url="https://news.example/") == (
        "https://news.example/section/rss.xml",
        "https://news.example/atom",
    )


def test_feed_links_before_a_malformed_marked_section_are_found() -> None:
    page = '<link rel="alternate" type="application/rss+xml" href="/feed.xml"><![CDATx[ odd'
    assert extract_feed_links(page, url="https://news.example/") == (
        "https://news.example/feed.xml",
    )


def test_feed_links_urljoin_cannot_read_are_skipped() -> None:
    feed = '<link rel="alternate" type="application/rss+xml" href="{}">'
    page = feed.format("//[::1/feed") + feed.format("/feed.xml")
    assert extract_feed_links(page, url="https://news.example/") == (
        "https://news.example/feed.xml",
    )
    assert extract_feed_links('<base href="//[::1/">' + page, url="https://news.example/") == (
        "https://news.example/feed.xml",
    )


def test_discover_feeds_reads_bytes_in_any_ascii_compatible_encoding() -> None:
    page = (
        '<head><title>Caf\xe9</title><link rel="alternate" type="application/rss+xml" href="/f">'
    )
    assert discover_feeds(page.encode("cp1252"), url="http://a.example/x") == (
        "http://a.example/f",
    )


@given(st.text(alphabet=st.sampled_from("ab \t\r\n\f\v\u00a0\u2028\u0085\u2009\x1f"), max_size=40))
def test_plain_text_gets_one_space_between_words_and_no_blank_lines(text: str) -> None:
    expected = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    assert extract_text(text) == "\n".join(line for line in expected if line)
