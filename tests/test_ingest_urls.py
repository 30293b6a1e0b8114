"""canonical_url(): one spelling per article."""

from __future__ import annotations

import pytest

from bot.ingest.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.COM/News/Story", "https://example.com/News/Story"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&ref=twitter", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&c=", "https://example.com/a?a=1&b=2&c="),
        ("https://example.com/a?page=2&utm_term=x", "https://example.com/a?page=2"),
        ("https://example.com/amp/news/story", "https://example.com/news/story"),
        ("https://example.com/news/story/amp/", "https://example.com/news/story"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story"),
        ("https://amp.example.com/news/story", "https://example.com/news/story"),
        ("https://example.com/news/story?amp", "https://example.com/news/story"),
        ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
        ("https://example.com/news/story?outputType=amp", "https://example.com/news/story"),
        (
            "https://example.com/news/story?outputType=print",
            "https://example.com/news/story?outputType=print",
        ),
        ("https://example.com/news/amplifier", "https://example.com/news/amplifier"),
        ("https://amp.com/story", "https://amp.com/story"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("file:///srv/news/a.txt", "file:///srv/news/a.txt"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("https://AMP.Example.com:443/amp/a/?utm_source=x&z=1&a=2#top")
    assert canonical_url(once) == once == "https://example.com/a?a=2&z=1"
