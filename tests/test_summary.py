"""Extractive summary: selection rules, the shipped scorer, and properties over any input."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.features import FEATURE_NAMES, extract_features, tokenize
from digests.summary import (
    MAX_CANDIDATES,
    SentenceScorer,
    extract_summary,
    is_quote_fragment,
    scorer_from_dict,
    select_sentences,
)
from digests.text import Span, clean_text, split_sentences

BRIDGE = [
    "The town council voted on Tuesday to close the Old Mill bridge after engineers found "
    "cracks in two of its three arches.",
    "The bridge, built in 1842, carries about 9,000 vehicles a day across the river Wend.",
    "Council leader Maria Okafor said the decision had been taken with great reluctance.",
    "Closed: the Old Mill bridge pictured on Tuesday evening.",
    "Traffic will be diverted through the town centre, adding up to 20 minutes to journeys.",
    "Shop owners on the high street fear that a long closure will drive customers away.",
    "Engineers said repairs could take 18 months and cost more than £4 million.",
    "A public meeting on the closure will be held at the town hall next Thursday.",
]


def spans_of(sentences: list[str]) -> tuple[str, tuple[Span, ...]]:
    """An article made of `sentences`, one space apart, and each sentence's span in it."""
    text = " ".join(sentences)
    spans, start = [], 0
    for sentence in sentences:
        start = text.index(sentence, start)
        spans.append(Span(start, start + len(sentence), sentence))
        start += len(sentence)
    return text, tuple(spans)


def trigrams(span: Span) -> set[tuple[str, ...]]:
    words = tokenize(span.text)
    return set(zip(words, words[1:], words[2:], strict=False))


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_returns_at_most_max_sentences_in_article_order(limit: int) -> None:
    text, sentences = spans_of(BRIDGE)
    summary = extract_summary(text, sentences, max_sentences=limit)
    assert 1 <= len(summary) <= limit
    starts = [s.start for s in summary]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)


def test_default_summary_has_three_sentences_and_keeps_the_lead() -> None:
    text, sentences = spans_of(BRIDGE)
    summary = extract_summary(text, sentences)
    assert len(summary) == 3
    assert summary[0] == sentences[0]


@pytest.mark.parametrize("budget", [120, 200, 300])
def test_respects_the_character_budget(budget: int) -> None:
    text, sentences = spans_of(BRIDGE)
    summary = extract_summary(text, sentences, max_chars=budget)
    assert summary
    assert sum(len(s.text) for s in summary) + len(summary) - 1 <= budget


def test_budget_smaller_than_every_sentence_gives_nothing() -> None:
    text, sentences = spans_of(BRIDGE)
    assert extract_summary(text, sentences, max_chars=20) == ()


def test_drops_a_sentence_that_repeats_a_chosen_one() -> None:
    caption = "Cracks were found in two of its three arches, engineers said on Tuesday."
    text, sentences = spans_of([*BRIDGE[:2], caption, *BRIDGE[2:]])
    summary = extract_summary(text, sentences, max_sentences=len(sentences))
    assert sentences[0] in summary
    assert sentences[2] not in summary
    for i, first in enumerate(summary):
        for second in summary[i + 1 :]:
            assert not trigrams(first) & trigrams(second)


def test_never_repeats_the_headline() -> None:
    headline = "Old Mill bridge closed after engineers find cracks in its arches"
    text, sentences = spans_of([headline + ".", *BRIDGE])
    summary = extract_summary(text, sentences, headline=headline)
    assert summary
    assert sentences[0] not in summary


@pytest.mark.parametrize("limit", [0, -1])
def test_empty_input_or_no_room_gives_nothing(limit: int) -> None:
    assert extract_summary("", ()) == ()
    text, sentences = spans_of(BRIDGE)
    assert extract_summary(text, sentences, max_sentences=limit) == ()


def test_cased_and_lowercased_text_give_the_same_choice() -> None:
    text, sentences = spans_of(BRIDGE)
    lower_text, lower_sentences = spans_of([s.lower() for s in BRIDGE])
    cased = extract_summary(text, sentences)
    lowered = extract_summary(lower_text, lower_sentences)
    assert [s.start for s in cased] == [s.start for s in lowered]


def test_features_ignore_case() -> None:
    idf = {"bridge": 3.0, "the": 1.0}
    cased = extract_features(BRIDGE, idf, 5.0)
    lowered = extract_features([s.lower() for s in BRIDGE], idf, 5.0)
    assert cased.shape == (len(BRIDGE), len(FEATURE_NAMES))
    np.testing.assert_array_equal(cased, lowered)


def test_works_on_sentences_from_the_product_splitter() -> None:
    cleaned = clean_text("\n\n".join([" ".join(BRIDGE[:4]), " ".join(BRIDGE[4:])]))
    sentences = split_sentences(cleaned.text, cleaned.paragraphs)
    summary = extract_summary(cleaned.text, sentences)
    assert summary
    assert all(cleaned.text[s.start : s.end] == s.text for s in summary)


def test_only_the_first_candidates_are_scored_in_a_very_long_article() -> None:
    body = [f"Inspector {i} checked crate {i} at dock {i} on day {i}." for i in range(3000)]
    text, sentences = spans_of(body)
    summary = extract_summary(text, sentences)
    assert len(summary) == 3
    assert all(s in sentences[:MAX_CANDIDATES] for s in summary)


def test_selection_skips_blocked_sentences_and_keeps_order() -> None:
    sentences = ["a b c d", "x y z", "a b c e", "p q"]
    assert select_sentences(sentences, [2, 0, 1, 3], max_sentences=3) == [2, 1, 3]


def test_a_sentence_cut_from_a_longer_quote_is_never_chosen() -> None:
    sentences = [
        "“The bridge is not safe. We will close it today,” the mayor said.",
        "“It is closed now.",
        "Nobody can cross it,” he added.",
        "Traffic goes through the centre.",
    ]
    assert select_sentences(sentences, [1, 2, 0, 3], max_sentences=2) == [0, 3]


@pytest.mark.parametrize(
    ("sentence", "fragment"),
    [
        ("“A whole quote,” she said.", False),
        ('"A whole quote," she said.', False),
        ("No quote at all.", False),
        ("“The start of a quote.", True),
        ("the end of a quote,” he said.", True),
        ('"The start of a straight quote.', True),
    ],
)
def test_quote_fragments_are_recognised(sentence: str, fragment: bool) -> None:
    assert is_quote_fragment(sentence) is fragment


def test_scorer_walks_trees_as_exported() -> None:
    # One tree: feature 1 <= 0.5 -> leaf +1.0, else -> leaf -2.0; a second, single-leaf tree.
    scorer = scorer_from_dict(
        {
            "idf": {},
            "unknown_idf": 1.0,
            "trees": {
                "feature": [[1, 0, 0], [0, 0, 0]],
                "threshold": [[0.5, 1e300, 1e300], [1e300, 0.0, 0.0]],
                "left": [[1, 1, 2], [0, 0, 0]],
                "value": [[0.0, 1.0, -2.0], [0.25, 0.0, 0.0]],
                "depth": 1,
            },
        }
    )
    assert isinstance(scorer, SentenceScorer)
    scores = scorer.score(np.array([[9.0, 0.5], [0.0, 0.7]]))
    np.testing.assert_allclose(scores, [1.25, -1.75])


def test_shipped_model_matches_the_features() -> None:
    raw = resources.files("digests").joinpath("data", "summary_model.json").read_text("utf-8")
    model = json.loads(raw)
    assert model["features"] == list(FEATURE_NAMES)
    assert max(max(row) for row in model["trees"]["feature"]) < len(FEATURE_NAMES)


sentence_text = st.text(st.characters(codec="utf-8"), min_size=0, max_size=80)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(sentence_text, max_size=12),
    headline=sentence_text,
    limit=st.integers(-1, 6),
    budget=st.one_of(st.none(), st.integers(0, 400)),
)
def test_any_input_gives_input_sentences(
    parts: list[str], headline: str, limit: int, budget: int | None
) -> None:
    text = ""
    spans = []
    for part in parts:
        start = len(text)
        text += part + " "
        spans.append(Span(start, start + len(part), part))
    summary = extract_summary(
        text, spans, headline=headline, max_sentences=limit, max_chars=budget
    )
    assert len(summary) <= max(limit, 0)
    assert all(any(s is span for span in spans) for s in summary)
    starts = [s.start for s in summary]
    assert starts == sorted(starts)
