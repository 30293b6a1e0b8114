"""build_digest on short articles written for these tests, and its JSON shape."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests import Digest, build_digest, digest_to_dict
from digests.text import PARAGRAPH_SEPARATOR, assemble_paragraphs, split_sentences

ARTICLE = """Harbour council backs night ferry after long debate — Analysis

The service will run every hour from May, the transport committee said

The harbour council voted 30 to 10 on Tuesday to fund a night ferry, ending years of argument \
over late travel to the islands, Mayor Elena Ruiz said after the vote.

“This is the most important decision we have taken in years. People have waited long enough,”\
She said. “We will run it on time.”

Ruiz added that the first sailings would leave the old quay at midnight. Councillor Tom Reyes \
called the budget “optimistic”and said costs would rise.

Island residents welcome the plan

Residents of the outer islands said the ferry would let them work late in the city. The \
operator said tickets would cost the same as day fares.

Share this story via social media



Related Articles

Ferry operator cuts winter sailings

Back to top button
"""


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _no_errors_logged() -> Iterator[None]:
    """Fail when build_digest had to fall back because one of its steps raised."""
    handler = _ErrorRecords()
    logger = logging.getLogger("digests")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


def _body_sentences(digest: Digest) -> set[tuple[int, int, str]]:
    if not digest.text:
        return set()
    body = assemble_paragraphs(digest.text.split(PARAGRAPH_SEPARATOR))
    return {(s.start, s.end, s.text) for s in split_sentences(body.text, body.paragraphs)}


def test_sample_style_article() -> None:
    with _no_errors_logged():
        digest = build_digest(ARTICLE)
    assert digest.headline == "Harbour council backs night ferry after long debate — Analysis"
    assert digest.standfirst.startswith("The service will run every hour")
    assert digest.text.startswith("The harbour council voted 30 to 10")
    assert digest.text.endswith("the same as day fares.")
    assert "“optimistic” and said" in digest.text
    assert "enough,” She said." in digest.text
    assert "Island residents welcome the plan" in digest.text
    assert 1 <= len(digest.summary) <= 3
    for span in digest.summary:
        assert "Island residents welcome the plan" not in span.text
        assert digest.standfirst not in span.text


def test_quote_that_opens_a_paragraph_keeps_its_offsets() -> None:
    digest = build_digest(ARTICLE)
    opening = "This is the most important decision we have taken in years."
    found = [q for q in digest.quotes if q.text.startswith(opening)]
    assert found
    quote = found[0]
    assert digest.text[quote.start : quote.end] == quote.text
    assert digest.text[quote.start - 1] == "“"


def test_summary_never_repeats_the_headline() -> None:
    title = "Night ferry approved"
    text = (
        "Night ferry approved.\n\nThe council voted on Tuesday to fund a night ferry.\n\n"
        "Tickets will cost the same as day fares."
    )
    digest = build_digest(text, title=title)
    assert digest.headline == title
    assert all("Night ferry approved" not in s.text for s in digest.summary)


def test_url_and_published_are_carried() -> None:
    digest = build_digest(ARTICLE, url="https://example.org/a")
    assert digest.url == "https://example.org/a"


def test_json_shape() -> None:
    data = digest_to_dict(build_digest(ARTICLE))
    assert list(data) == ["headline", "standfirst", "text", "summary", "quotes", "key_quotes"]
    assert data["summary"]
    assert all(set(s) == {"text", "start", "end"} for s in data["summary"])
    for quote in data["quotes"] + data["key_quotes"]:
        assert set(quote) == {"text", "start", "end", "speaker", "speaker_mention", "cue"}
        mention = quote["speaker_mention"]
        assert mention is None or set(mention) == {"text", "start", "end"}
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n ",
        "no sentence at all",
        "<html><body><p>Only <b>HTML</b> here &amp; there.</p></body></html>",
        "He said “this never closes. And “this neither. ” Or ”that.",
        "港口委员会周二投票决定资助夜间渡轮。居民表示欢迎。",
        "قال رئيس البلدية إن العبارة الليلية ستبدأ في مايو.",
        "The harbour council voted on Tuesday. " * 20_000,
        "“" * 10_000 + "”" * 10_000,
    ],
)
def test_any_input_gives_a_digest(text: str) -> None:
    with _no_errors_logged():
        digest = build_digest(text)
    assert isinstance(digest, Digest)
    json.dumps(digest_to_dict(digest))


PIECES = st.sampled_from(
    [
        "Mayor Elena Ruiz said",
        "He said",
        " ",
        ". ",
        ", ",
        "“",
        "”",
        '"',
        "\n",
        "\n\n",
        "We will run it on time",
        "Mr.",
        "Related Articles",
        "Share this story via social media",
        "Island residents welcome the plan",
        "<p>",
        "&amp;",
        "The council voted on Tuesday to fund a night ferry",
    ]
)
TEXTS = st.one_of(st.text(max_size=400), st.lists(PIECES, max_size=80).map("".join))


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.one_of(st.none(), st.text(max_size=40)))
def test_digest_offsets_and_sentences_hold_for_any_text(text: str, title: str | None) -> None:
    with _no_errors_logged():
        digest = build_digest(text, title=title)
    for quote in (*digest.quotes, *digest.key_quotes):
        assert digest.text[quote.start : quote.end] == quote.text
        mention = quote.speaker_mention
        if mention is not None:
            assert digest.text[mention.start : mention.end] == mention.text
    sentences = _body_sentences(digest)
    for span in digest.summary:
        assert (span.start, span.end, span.text) in sentences


LONG_QUOTE = (
    "Harbour pilots ended their strike on Monday after the port agreed to hire twelve more "
    "pilots, union leader Maren Olsen said.\n\n"
    "“We have waited three years for this. Twelve pilots will not solve everything. But the "
    "night shifts will finally be safe again,” Olsen said.\n\n"
    "Ships had queued outside the harbour for four days during the strike."
)


def test_no_summary_sentence_starts_or_ends_inside_a_quotation() -> None:
    digest = build_digest(LONG_QUOTE, title="Harbour pilots end strike")
    quotes = [(q.start, q.end) for q in digest.quotes]
    assert any(digest.text[s:e].count(". ") >= 2 for s, e in quotes), "a long quote was found"
    for sentence in digest.summary:
        for start, end in quotes:
            assert not start < sentence.start < end, sentence.text
            assert not start < sentence.end < end, sentence.text
    assert "Twelve pilots will not solve everything." not in [s.text for s in digest.summary]
