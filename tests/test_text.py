"""Cleaning of scraped text and sentence splitting, on short texts written for these tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.text import PARAGRAPH_SEPARATOR, clean_text, split_sentences

BODY_ONE = "The harbour council met on Tuesday to discuss the new ferry timetable for the winter."
BODY_TWO = "Officials said the changes would take effect in December, after a public consultation."


def _sentences(raw: str) -> list[str]:
    cleaned = clean_text(raw)
    return [s.text for s in split_sentences(cleaned.text, cleaned.paragraphs)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The plan was “mentioned”Lindqvist spoke.", "was “mentioned” Lindqvist spoke."),
        ("It changed their history.”It was seen as a threat.", "history.” It was seen"),
        ("“It must not escalate,”He said.", "escalate,” He said."),
        ("The estimate was “optimistic”and he warned.", "“optimistic” and he"),
        ("It was the end of an era.’Then came the vote.", "era.’ Then came"),
        ("He said“We will go.”", "said “We will go.”"),
        ("She said,“No.”", "said, “No.”"),
        ('The plan was "mentioned"Lindqvist spoke.', 'was "mentioned" Lindqvist spoke.'),
        ('"It must not escalate,"He said.', '"It must not escalate," He said.'),
        ('He said"We will go."', 'said "We will go."'),
    ],
)
def test_glued_quotes_are_separated(raw: str, expected: str) -> None:
    assert expected in clean_text(raw).text


@pytest.mark.parametrize(
    "text",
    [
        "The U.S.’s envoy didn’t come. Rock ’n’ roll stayed.",
        'A 12" pipe burst. He said "yes" and "no".',
        "”Hej” sa han.",
    ],
)
def test_apostrophes_and_well_spaced_quotes_are_left_alone(text: str) -> None:
    assert clean_text(text).text == text


@pytest.mark.parametrize(
    "line",
    [
        "Share this story via social media",
        "Share on Facebook",
        "Facebook Twitter Email",
        "Related Articles",
        "Back to top button",
        "Read more",
        "Read more: Ferry operator cuts winter sailings",
        "Sign up for our newsletter",
        "Subscribe to our free morning briefing",
        "We use cookies to improve your experience on our site.",
        "Accept all cookies",
        "Cookie settings",
        "Photo: Staff walk out of the depot on Monday. (Credit: Newsroom Agency)",
        "Image caption, The ferry at dawn",
        "Harbour workers at the quay / Getty Images",
        "By Jane Okafor",
        "By Jane Okafor and Tom Reyes, Harbour Gazette",
        "By Wire Service staff",
        "Published: 10:42 GMT, 4 March 2022",
        "Updated 2 hours ago",
        "Published: 14:33 GMT, 12 October 2013 | Updated: 14:35 GMT, 12 October 2013",
        "Advertisement",
        "Scroll down for video",
        ".image-wrap img {",
        "text-align: left;",
        "}",
        "© 2024 Harbour Gazette. All rights reserved.",
    ],
)
def test_boilerplate_lines_are_dropped(line: str) -> None:
    cleaned = clean_text(f"{BODY_ONE}\n\n{line}\n\n{BODY_TWO}")
    assert [p.text for p in cleaned.paragraphs] == [BODY_ONE, BODY_TWO]


@pytest.mark.parametrize(
    "prose",
    [
        "By Monday, the troops had left the city.",
        "Sources close to the minister said talks had failed.",
        "He was born on 4 March 1950.",
        "Copyright law is changing fast, the minister said.",
        "Share prices fell 3 percent on the news.",
    ],
)
def test_prose_that_looks_like_boilerplate_is_kept(prose: str) -> None:
    cleaned = clean_text(f"{BODY_ONE}\n\n{prose}\n\n{BODY_TWO}")
    assert prose in [p.text for p in cleaned.paragraphs]


def test_boilerplate_tail_and_related_headlines_are_dropped() -> None:
    raw = (
        f"{BODY_ONE}\n\n{BODY_TWO}\n\nShare this story via social media\n\n\n\n"
        "Related Articles\n\nFerry operator cuts winter sailings\n\n"
        "Mayor opens new bus station\n\nBack to top button"
    )
    assert clean_text(raw).text == f"{BODY_ONE}\n\n{BODY_TWO}"


def test_crosshead_stays_in_text_but_is_not_a_sentence() -> None:
    raw = f"{BODY_ONE}\n\nFerry users call for a night service\n\n{BODY_TWO}"
    cleaned = clean_text(raw)
    assert [c.text for c in cleaned.crossheads] == ["Ferry users call for a night service"]
    assert "Ferry users call for a night service" in cleaned.text
    assert _sentences(raw) == [BODY_ONE, BODY_TWO]


def test_short_question_on_its_own_is_a_crosshead() -> None:
    cleaned = clean_text(f"{BODY_ONE}\n\nWhat happens next?\n\n{BODY_TWO}")
    assert [c.text for c in cleaned.crossheads] == ["What happens next?"]


def test_paragraphs_are_separated_by_one_blank_line_and_spans_match() -> None:
    cleaned = clean_text(f"  {BODY_ONE}  \n\n\n\n\t{BODY_TWO}\n")
    assert cleaned.text == BODY_ONE + PARAGRAPH_SEPARATOR + BODY_TWO
    for span in cleaned.paragraphs:
        assert cleaned.text[span.start : span.end] == span.text


def test_single_lines_are_paragraphs_as_extractors_write_them() -> None:
    cleaned = clean_text(f"{BODY_ONE}\n{BODY_TWO}")
    assert [p.text for p in cleaned.paragraphs] == [BODY_ONE, BODY_TWO]


def test_hard_wrapped_lines_are_joined() -> None:
    raw = (
        "The harbour council met on Tuesday to\ndiscuss the new ferry timetable.\n\n"
        "Officials said the changes would\ntake effect in December.\n\n"
        "A consultation will open\nnext week.\n"
    )
    assert [p.text for p in clean_text(raw).paragraphs] == [
        "The harbour council met on Tuesday to discuss the new ferry timetable.",
        "Officials said the changes would take effect in December.",
        "A consultation will open next week.",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Caf\u0065\u0301 owners\u00a0met\u200b today.", "Café owners met today."),
        ("Line one.\r\nLine two.", "Line one.\n\nLine two."),
        ("Line one.\u2028Line two.\rLine three.", "Line one.\n\nLine two.\n\nLine three."),
        ("Tabs\tand   spaces\x0bhere.", "Tabs and spaces here."),
        ("Fish &amp; chips &#8212; cheap.", "Fish & chips — cheap."),
    ],
)
def test_whitespace_unicode_and_entities_are_normalized(raw: str, expected: str) -> None:
    assert clean_text(raw).text == expected


def test_leftover_html_is_stripped() -> None:
    raw = (
        "<p>Ferries will run &amp; buses too.</p><script>var x = '<p>';</script>"
        '<div class="x"><b>Second</b> paragraph here.</div><!-- note -->'
    )
    cleaned = clean_text(raw)
    assert [p.text for p in cleaned.paragraphs] == [
        "Ferries will run & buses too.",
        "Second paragraph here.",
    ]


def test_wire_dateline_is_dropped() -> None:
    cleaned = clean_text("PORT MERROW (Reuters) - The council approved the bridge.")
    assert cleaned.text == "The council approved the bridge."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Mr. Okafor went to the port. He met Gen. Reyes on Jan. 5 at St. Mary's.",
            ["Mr. Okafor went to the port.", "He met Gen. Reyes on Jan. 5 at St. Mary's."],
        ),
        (
            "The U.S. Navy said it would leave. It moved to the U.S. The crew stayed.",
            ["The U.S. Navy said it would leave.", "It moved to the U.S.", "The crew stayed."],
        ),
        (
            "J. K. Rowling wrote it. Dr. Watson agreed.",
            ["J. K. Rowling wrote it.", "Dr. Watson agreed."],
        ),
        (
            "Prices rose 3.5 percent in 2015. Analysts expected 2.1 percent.",
            ["Prices rose 3.5 percent in 2015.", "Analysts expected 2.1 percent."],
        ),
        (
            "Wait... What happened? Nobody knows! He paused... and then left.",
            ["Wait...", "What happened?", "Nobody knows!", "He paused... and then left."],
        ),
        (
            "“It will not spread beyond the harbour.” He said the talks would go on.",
            ["“It will not spread beyond the harbour.”", "He said the talks would go on."],
        ),
        (
            "“Are you sure?” she asked. The meeting is at 5 p.m. on Friday at No. 10 Main St.",
            [
                "“Are you sure?” she asked.",
                "The meeting is at 5 p.m. on Friday at No. 10 Main St.",
            ],
        ),
        (
            "It cost $4.5bn, e.g. for ferries. See Fig. 3 for details.",
            ["It cost $4.5bn, e.g. for ferries.", "See Fig. 3 for details."],
        ),
    ],
)
def test_sentence_splitting(raw: str, expected: list[str]) -> None:
    assert _sentences(raw) == expected


def test_inline_boilerplate_is_not_a_sentence() -> None:
    raw = "The ferry left at dawn. Scroll down for video. It reached the island by noon."
    assert _sentences(raw) == ["The ferry left at dawn.", "It reached the island by noon."]


def test_sentences_never_cross_a_paragraph_break() -> None:
    raw = "The vote was held on a wet Tuesday in the old town hall by the harbour\n\nIt passed."
    assert _sentences(raw) == [
        "The vote was held on a wet Tuesday in the old town hall by the harbour",
        "It passed.",
    ]


def test_lowercased_tokenized_text_is_split() -> None:
    raw = "the u.s. said it would act . mr. smith agreed . prices rose 3.5 percent ."
    assert _sentences(raw) == [
        "the u.s. said it would act .",
        "mr. smith agreed .",
        "prices rose 3.5 percent .",
    ]


@pytest.mark.parametrize(
    "raw",
    ["", "   \n\n  ", "...", "“", "<p></p>", "a" * 200_000, " . " * 50_000, "“a" * 50_000],
)
def test_degenerate_input_gives_consistent_spans(raw: str) -> None:
    cleaned = clean_text(raw)
    for span in split_sentences(cleaned.text, cleaned.paragraphs):
        assert cleaned.text[span.start : span.end] == span.text


PIECES = st.sampled_from(
    [
        "Okafor said",
        " ",
        ". ",
        "“",
        "”",
        '"',
        "’",
        "\n",
        "\n\n",
        "Mr.",
        "U.S.",
        "3.5",
        "...",
        "?",
        "Related Articles",
        "<p>",
        "&amp;",
        "\u00a0",
        "\u200b",
        "e\u0301",
        "the port",
        "Ferry users call for a night service",
    ]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_cleaning_and_splitting_keep_offsets_consistent(raw: str) -> None:
    cleaned = clean_text(raw)
    assert PARAGRAPH_SEPARATOR.join(p.text for p in cleaned.paragraphs) == cleaned.text
    for span in cleaned.paragraphs:
        assert cleaned.text[span.start : span.end] == span.text
        assert span.text == span.text.strip()
        assert "\n" not in span.text
    previous_end = 0
    for span in split_sentences(cleaned.text, cleaned.paragraphs):
        assert cleaned.text[span.start : span.end] == span.text
        assert span.start >= previous_end
        assert span.text.strip() == span.text
        assert not any(c.start <= span.start < c.end for c in cleaned.crossheads)
        previous_end = span.end
