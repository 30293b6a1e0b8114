"""Quotes, speakers and key quotes, on short texts written for these tests."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.quotes import Quote, extract_quotes, select_key_quotes
from digests.text import Span

LEAD = (
    "Harbour Commissioner Ingrid Lindqvist said on Friday that the ferry service would not "
    "be cut, after a meeting of the port board."
)


def _paragraphs(text: str) -> tuple[Span, ...]:
    spans = []
    start = 0
    for part in [*re.finditer(r"\n\s*\n", text), None]:
        end = part.start() if part else len(text)
        if text[start:end].strip():
            spans.append(Span(start, end, text[start:end]))
        start = part.end() if part else end
    return tuple(spans)


def _quotes(text: str) -> tuple[Quote, ...]:
    return extract_quotes(text, _paragraphs(text))


def _only(text: str) -> Quote:
    quotes = _quotes(text)
    assert len(quotes) == 1, quotes
    return quotes[0]


@pytest.mark.parametrize(
    ("text", "quoted", "mention", "speaker", "cue"),
    [
        (
            "“The timetable stays as it is,” Lindqvist said.",
            "The timetable stays as it is,",
            "Lindqvist",
            "Lindqvist",
            "said",
        ),
        (
            '"The timetable stays as it is," Lindqvist said.',
            "The timetable stays as it is,",
            "Lindqvist",
            "Lindqvist",
            "said",
        ),
        (
            "“We will not cut a single crossing,” said Marta Okonkwo, a union official.",
            "We will not cut a single crossing,",
            "Marta Okonkwo",
            "Marta Okonkwo",
            "said",
        ),
        (
            "Marta Okonkwo told reporters: “Nobody asked the crews what they think.”",
            "Nobody asked the crews what they think.",
            "Marta Okonkwo",
            "Marta Okonkwo",
            "told",
        ),
        (
            "The fares will rise in spring, according to Marta Okonkwo, who runs the union.",
            None,
            None,
            None,
            None,
        ),
        (
            "“The fares will rise in spring,” according to Marta Okonkwo, who runs the union.",
            "The fares will rise in spring,",
            "Marta Okonkwo",
            "Marta Okonkwo",
            "according to",
        ),
        (
            "Okonkwo called the decision “a betrayal of every island family” on Monday.",
            "a betrayal of every island family",
            "Okonkwo",
            "Okonkwo",
            "called",
        ),
    ],
)
def test_quote_and_speaker(
    text: str, quoted: str | None, mention: str | None, speaker: str | None, cue: str | None
) -> None:
    quotes = _quotes(text)
    if quoted is None:
        assert quotes == ()
        return
    (quote,) = quotes
    assert quote.text == quoted
    assert quote.speaker_mention is not None
    assert quote.speaker_mention.text == mention
    assert quote.speaker == speaker
    assert quote.cue == cue


def test_pronoun_after_a_named_speaker_resolves_to_the_full_name() -> None:
    text = f"{LEAD}\n\n“The ferries are a lifeline. We will keep them running,” she said."
    quote = _only(text)
    assert quote.speaker_mention == Span(text.index("she said"), text.index("she said") + 3, "she")
    assert quote.speaker == "Ingrid Lindqvist"


def test_title_before_name_is_not_part_of_the_speaker() -> None:
    text = "“Every crossing will run,” Harbour Commissioner Ingrid Lindqvist said on Friday."
    assert _only(text).speaker == "Ingrid Lindqvist"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("“I was scared,” said Mei Tanaka, 16, who lives nearby.", "Mei Tanaka"),
        ("“We will vote no,” said Susan Collins.", "Susan Collins"),
        ("“It works,” Eric Naidoo told reporters.", "Eric Naidoo"),
        ("“We act,” said Israeli Prime Minister Benjamin Netanyahu.", "Benjamin Netanyahu"),
        ("“We act,” said Kenyan Wanjiru Mwangi.", "Wanjiru Mwangi"),
        ("“It is over,” Chief Inspector John Smith told reporters.", "John Smith"),
        ("“I made one mistake,” said Grandmaster Viktor Sorensen.", "Viktor Sorensen"),
    ],
)
def test_first_names_that_end_like_nationalities_stay(text: str, speaker: str) -> None:
    assert _only(text).speaker == speaker


def test_surname_and_title_resolve_to_the_full_name() -> None:
    text = (
        f"{LEAD}\n\n“The board agreed with me,” Lindqvist said.\n\n"
        "“The money is there,” the harbour commissioner added."
    )
    first, second = _quotes(text)
    assert first.speaker == "Ingrid Lindqvist"
    assert second.speaker_mention is not None
    assert second.speaker_mention.text == "the harbour commissioner"
    assert second.speaker == "Ingrid Lindqvist"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "“We are tired,” said union leader Marta Okonkwo.\n\n"
            "She added that the crews would strike. “Nobody listens to us,” she said.",
            "Marta Okonkwo",
        ),
        (
            f"{LEAD}\n\nUnion leader Marta Okonkwo disagreed with her on Monday.\n\n"
            "“The crews are paid too little and they know it,” she said.",
            "Marta Okonkwo",
        ),
    ],
)
def test_pronoun_resolves_to_the_last_subject_or_speaker(text: str, speaker: str) -> None:
    assert _quotes(text)[-1].speaker == speaker


def test_someone_speaking_for_a_person_is_not_that_person() -> None:
    quote = _only("“We are tired,” a spokesman for Marta Okonkwo said.")
    assert quote.speaker_mention is not None
    assert quote.speaker_mention.text == "a spokesman for Marta Okonkwo"
    assert select_key_quotes([quote]) == ()


def test_quote_running_over_paragraphs_keeps_its_speaker() -> None:
    text = (
        "Lindqvist continued:\n\n"
        "“The first thing we did was count the passengers. There were more than we thought.\n\n"
        "“Then we counted the boats, and there were fewer.”\n\nThe board will meet again."
    )
    first, second = _quotes(text)
    assert first.text.startswith("The first thing")
    assert first.text.endswith("we thought.")
    assert second.text == "Then we counted the boats, and there were fewer."
    assert first.speaker == second.speaker == "Lindqvist"
    assert first.cue == "continued"


def test_second_quote_of_a_paragraph_shares_the_speaker() -> None:
    text = "“The ferries stay,” Lindqvist said. “The buses are another matter.”"
    first, second = _quotes(text)
    assert second.text == "The buses are another matter."
    assert second.speaker_mention == first.speaker_mention


def test_glued_attribution_after_a_closing_mark() -> None:
    text = f"{LEAD}\n\n“It must not spread beyond the islands,”He said."
    quote = _only(text)
    assert quote.text == "It must not spread beyond the islands,"
    assert quote.speaker_mention is not None
    assert quote.speaker_mention.text == "He"
    assert quote.speaker == "Ingrid Lindqvist"


def test_scare_quote_is_not_a_key_quote() -> None:
    text = f"{LEAD}\n\nThe option of a night ferry was “mentioned” at the meeting."
    quotes = _quotes(text)
    assert all(q.kind == "phrase" for q in quotes)
    assert select_key_quotes(quotes) == ()


def test_scare_quote_nobody_could_have_said_is_dropped() -> None:
    assert _quotes("A “temporary” timetable.") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lindqvist said “the ferries will run all winter", ["the ferries will run all winter"]),
        ("The stray mark” changes nothing here.", []),
        ("“One,” he said, “two", ["One,", "two"]),
        (
            "“Open quote never closed.\n\nA new paragraph without marks.",
            ["Open quote never closed."],
        ),
        ("", []),
        ("“”", []),
    ],
)
def test_unbalanced_marks(text: str, expected: list[str]) -> None:
    assert [q.text for q in _quotes(text)] == expected


def test_nested_marks_of_the_other_kind_stay_inside() -> None:
    text = '"The sign said “Closed” all week," Okonkwo said.'
    quote = _only(text)
    assert quote.text == "The sign said “Closed” all week,"
    assert quote.speaker == "Okonkwo"


def test_mixed_straight_and_curly_marks_pair_up() -> None:
    text = '"The boats are full every morning,” said Marta Okonkwo, a union official.'
    quote = _only(text)
    assert quote.text == "The boats are full every morning,"
    assert quote.speaker == "Marta Okonkwo"


def test_signature_paragraph_credits_the_quote_above() -> None:
    text = "“I will look into the timetable myself.”\n\n- Ingrid Lindqvist.\n\nShe did not."
    quote = _only(text)
    assert quote.speaker == "Ingrid Lindqvist"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "Lindqvist, who has told the board she will stay, said on Friday: "
            "“The ferries are not for sale.”",
            "Lindqvist",
        ),
        (
            "When Okonkwo asked about the winter timetable, Lindqvist replied: "
            "“Nothing will change before spring.”",
            "Lindqvist",
        ),
        (
            "Sen. Marta Okonkwo (D-Ore.), noting the size of the fleet, said, "
            "“We cannot run it on goodwill alone.”",
            "Marta Okonkwo",
        ),
        (
            "Cory James, 22, of Flint, Mich., said the timetable was “rigged against us.”",
            "Cory James",
        ),
    ],
)
def test_main_clause_speaker_wins_over_a_subordinate_one(text: str, speaker: str) -> None:
    assert _only(text).speaker == speaker


def test_key_quotes_prefer_long_quotes_from_distinct_speakers_in_article_order() -> None:
    text = (
        f"{LEAD}\n\n"
        "“We will keep every crossing, summer and winter, for as long as I am here,” "
        "Lindqvist said.\n\n"
        "“Fine,” Okonkwo said.\n\n"
        "“The crews have waited three years for an answer and they deserve one,” "
        "said Marta Okonkwo.\n\n"
        "“Every island family depends on the boats, and the board knows it,” Lindqvist added."
    )
    keys = select_key_quotes(_quotes(text), n=2)
    assert [q.speaker for q in keys] == ["Ingrid Lindqvist", "Marta Okonkwo"]
    assert keys[0].start < keys[1].start
    assert all(q.text != "Fine," for q in select_key_quotes(_quotes(text)))


def test_unresolved_pronoun_is_not_a_key_quote() -> None:
    quotes = _quotes("“The boats are old and the crews are tired of waiting,” he said.")
    assert quotes[0].speaker_mention is not None
    assert quotes[0].speaker is None
    assert select_key_quotes(quotes) == ()


_ARTICLE_TEXT = st.text(
    alphabet=st.sampled_from(list("“”\"'’ ,.:;!?\n\nabcHeSsaidtoldTrumpLindqvist")), max_size=300
)


@settings(max_examples=300, deadline=None)
@given(_ARTICLE_TEXT)
def test_any_text_gives_quotes_whose_offsets_hold(text: str) -> None:
    for quote in _quotes(text):
        assert quote.text == text[quote.start : quote.end]
        assert quote.text.strip()
        mention = quote.speaker_mention
        if mention is not None:
            assert mention.text == text[mention.start : mention.end]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["“A b c d,” he said.", "Smith said: “", "x", "”", "\n\n"])))
def test_any_mix_of_attributions_never_raises(parts: list[str]) -> None:
    text = " ".join(parts)
    quotes = _quotes(text)
    keys = select_key_quotes(quotes)
    assert set(keys) <= set(quotes)


@settings(max_examples=100, deadline=None)
@given(_ARTICLE_TEXT, st.integers(min_value=0, max_value=5))
def test_key_quotes_are_named_and_in_article_order(text: str, n: int) -> None:
    keys = select_key_quotes(_quotes(text), n=n)
    assert len(keys) <= n
    assert [q.start for q in keys] == sorted(q.start for q in keys)
    assert all((q.speaker or "")[:1].isupper() and q.kind != "phrase" for q in keys)
