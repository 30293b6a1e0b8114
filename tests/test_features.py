"""Summary features: words found and hashed by numpy agree with the regex definition of a word."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digests.features import hash_words

WORD = re.compile(r"\w+")


def regex_words(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in WORD.finditer(text)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "...",
        "The bridge, built in 1842, carries 9,000 vehicles.",
        "naïve café: “quoted” — x_y ²3 ٣٤ 東京 🙂 end",
        "the\x00the\x00The",
        "lone \ud800 surrogate",
    ],
)
def test_words_start_where_the_regex_finds_them(text: str) -> None:
    words = hash_words(text)
    found = regex_words(text)
    assert words.starts.tolist() == [start for start, _ in found]
    assert words.all_digits.tolist() == [word.isdigit() for _, word in found]


@given(st.text(max_size=200))
def test_equal_words_hash_equal_and_different_words_differently(text: str) -> None:
    words = hash_words(text)
    found = regex_words(text)
    assert len(words.starts) == len(found)
    by_hash: dict[int, str] = {}
    for (_, word), hashed in zip(found, words.hashes.tolist(), strict=True):
        assert by_hash.setdefault(hashed, word) == word
    assert len(by_hash) == len({word for _, word in found})
