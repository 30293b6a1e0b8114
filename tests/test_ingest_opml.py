"""OPML import and export, and hostile OPML refused."""

from __future__ import annotations

import pytest

from bot.errors import UsageError
from bot.ingest.opml import OpmlOutline, parse_opml, render_opml

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My feeds</title></head><body>
  <outline text="Local">
    <outline text="Harbour Gazette" type="rss" xmlUrl="https://harbour.example/feed.xml"/>
    <outline text="Sub-folder"><outline title="Valley &amp; Post" text="VP"
      xmlUrl="https://valley.example/rdf"/></outline>
  </outline>
  <outline text="No URL here"/>
  <outline text="Harbour again" xmlUrl="https://harbour.example/feed.xml"/>
</body></opml>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY a "laugh">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<opml version="2.0"><body><outline text="&d;" xmlUrl="https://x.example/"/></body></opml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://x.example/"/></body></opml>"""


def test_nested_outlines_are_all_found_once() -> None:
    assert parse_opml(NESTED) == (
        OpmlOutline("https://harbour.example/feed.xml", "Harbour Gazette"),
        OpmlOutline("https://valley.example/rdf", "Valley & Post"),
    )


def test_round_trip_keeps_urls_and_titles() -> None:
    outlines = (
        OpmlOutline("https://a.example/feed?x=1&y=2", 'Quotes "and" <angles>'),
        OpmlOutline("https://b.example/atom", "Café Ünïcode"),
    )
    document = render_opml(outlines, "newsdigest sources & more")
    assert "<title>newsdigest sources &amp; more</title>" in document
    assert parse_opml(document) == outlines
    assert parse_opml(document.encode("utf-8")) == outlines


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_hostile_opml_is_refused(hostile: str) -> None:
    with pytest.raises(UsageError, match="DTD"):
        parse_opml(hostile)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("<opml><body><outline></body>", "not valid OPML"), ("<rss/>", "not an OPML document")],
)
def test_invalid_opml_is_a_usage_error(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_opml(text)


def test_a_lone_surrogate_in_pasted_opml_is_replaced_not_a_crash() -> None:
    text = (
        '<opml version="2.0"><body><outline type="rss" text="Val\ud800ley"'
        ' xmlUrl="https://valley.example/feed.xml"/></body></opml>'
    )
    assert parse_opml(text) == (
        OpmlOutline(url="https://valley.example/feed.xml", title="Val?ley"),
    )
