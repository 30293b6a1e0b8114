"""Headline and standfirst, from a given title or from the first lines of a plain-text article."""

from __future__ import annotations

import pytest

from digests.headline import extract_heading, strip_site_name
from digests.text import clean_text

HEADLINE = "Harbour council backs night ferry after long debate"
STANDFIRST = "The service will run every hour from May, the transport committee said"
LEDE = "The harbour council voted 30 to 10 on Tuesday to fund a night ferry service."
SECOND = "Officials said the first sailings would leave the old quay at midnight."


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (f"{HEADLINE} - Reuters", HEADLINE),
        (f"{HEADLINE} | BBC News", HEADLINE),
        (f"{HEADLINE} – Harbour Gazette", HEADLINE),
        (f"{HEADLINE} — The Harbour Times", HEADLINE),
        (f"{HEADLINE} :: example.com", HEADLINE),
        (f"{HEADLINE} — Analysis", f"{HEADLINE} — Analysis"),
        (f"{HEADLINE} - Opinion", f"{HEADLINE} - Opinion"),
        (f"{HEADLINE} — Local", f"{HEADLINE} — Local"),
        ("Ferries return — and so do the crowds", "Ferries return — and so do the crowds"),
        ("Council votes - then changes its mind", "Council votes - then changes its mind"),
        (HEADLINE, HEADLINE),
    ],
)
def test_trailing_site_name_is_dropped_but_section_labels_kept(title: str, expected: str) -> None:
    assert strip_site_name(title) == expected


def test_headline_and_standfirst_from_plain_text() -> None:
    raw = f"{HEADLINE} - Harbour Gazette\n\n{STANDFIRST}\n\n{LEDE}\n\n{SECOND}"
    heading = extract_heading(clean_text(raw))
    assert heading.headline == HEADLINE
    assert heading.standfirst == STANDFIRST
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"
    assert heading.body.paragraphs[0].start == 0


def test_no_standfirst_when_the_second_line_is_prose() -> None:
    heading = extract_heading(clean_text(f"{HEADLINE}\n\n{LEDE}\n\n{SECOND}"))
    assert (heading.headline, heading.standfirst) == (HEADLINE, "")
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"


def test_given_title_wins_and_a_repeated_title_line_leaves_the_body() -> None:
    raw = f"{HEADLINE}\n\n{LEDE}\n\n{SECOND}"
    heading = extract_heading(clean_text(raw), title=f"{HEADLINE} | Harbour Gazette")
    assert heading.headline == HEADLINE
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"


def test_given_title_with_a_body_that_opens_with_a_standfirst() -> None:
    raw = f"{STANDFIRST}\n\n{LEDE}\n\n{SECOND}"
    heading = extract_heading(clean_text(raw), title=HEADLINE)
    assert (heading.headline, heading.standfirst) == (HEADLINE, STANDFIRST)
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"


@pytest.mark.parametrize(
    "raw",
    [
        f"{LEDE}\n\n{SECOND}",  # the first paragraph is a sentence, not a headline
        f"{LEDE} {SECOND}",  # one paragraph: nothing to take a headline from
        "",
    ],
)
def test_no_headline_when_the_text_has_none(raw: str) -> None:
    cleaned = clean_text(raw)
    heading = extract_heading(cleaned)
    assert (heading.headline, heading.standfirst) == ("", "")
    assert heading.body == cleaned


def test_body_crossheads_are_shifted_with_the_body() -> None:
    raw = f"{HEADLINE}\n\n{LEDE}\n\nNight ferry users welcome the plan\n\n{SECOND}"
    body = extract_heading(clean_text(raw)).body
    assert [body.text[c.start : c.end] for c in body.crossheads] == [
        "Night ferry users welcome the plan"
    ]


def test_title_repeated_over_two_lines_with_a_full_stop_leaves_the_body() -> None:
    title = "Ferry approved; Islanders cheer the vote"
    raw = f"Ferry approved;\nIslanders cheer the vote.\n\n{LEDE}\n\n{SECOND}"
    heading = extract_heading(clean_text(raw), title=title)
    assert heading.headline == title
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"


def test_title_case_first_line_is_a_headline_even_with_a_full_stop() -> None:
    raw = f"Harbour Council Backs Night Ferry After Long Debate.\n\n{LEDE}\n\n{SECOND}"
    heading = extract_heading(clean_text(raw))
    assert heading.headline == "Harbour Council Backs Night Ferry After Long Debate."
    assert heading.body.text == f"{LEDE}\n\n{SECOND}"
