"""Near-duplicate detection and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
from datasketch import MinHash
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.similarity import (
    NUM_PERM,
    SCHEME,
    SEED,
    NearDuplicateIndex,
    _word_characters,
    content_hash,
    minhash_values,
    shingle_hashes,
    signature,
)

WIRE = (
    "The central bank raised interest rates by a quarter point on Wednesday, citing persistent "
    "inflation in services and a tight labour market. Officials said further increases were "
    "possible if price growth did not slow in the coming months. Markets had expected the move, "
    "and shares rose slightly after the announcement. The governor told reporters that the "
    "committee was united and that the economy remained resilient despite higher borrowing "
    "costs for households and firms across the country."
)
SITE_A = f"Breaking news from the Harbour Gazette.\n{WIRE}\nSign up for our morning newsletter."
SITE_B = (
    f"Business | Economy | Markets\n{WIRE}\nReporting by the wire service; editing by staff.\n"
    "Follow us for more stories like this one."
)
UNRELATED = (
    "A local football club won the regional cup final after a penalty shoot-out on Saturday "
    "evening, with the goalkeeper saving two spot kicks in front of a crowd of thousands. The "
    "coach praised the players' resilience and said the victory belonged to the whole town, "
    "which had raised money for the team's travel to the final."
)


def test_same_wire_story_with_different_boilerplate_is_found() -> None:
    index = NearDuplicateIndex()
    assert index.add_and_find("gazette-1", SITE_A)[1] == []
    assert index.add_and_find("herald-9", SITE_B)[1] == ["gazette-1"]


def test_unrelated_story_is_not_a_near_duplicate() -> None:
    index = NearDuplicateIndex()
    index.add("gazette-1", SITE_A)
    assert index.query(UNRELATED) == []


def test_index_rebuilt_from_stored_signatures_finds_the_same() -> None:
    stored = {"gazette-1": signature(SITE_A), "sport-2": signature(UNRELATED)}
    rebuilt = NearDuplicateIndex()
    for key, value in stored.items():
        rebuilt.add_signature(key, value)
    assert len(rebuilt) == 2
    assert rebuilt.query(SITE_B) == ["gazette-1"]
    rebuilt.remove("gazette-1")
    assert rebuilt.query(SITE_B) == []


def reference_shingle_hashes(text: str) -> list[int]:
    """shingle_hashes' definition, one Python integer at a time."""
    modulo = 2**64
    words = []
    for word in re.findall(r"\w+", text.lower()):
        value = 0
        for character in word:
            value = (value * 0x100000001B3 + ord(character)) % modulo
        words.append(value)
    grams = zip(words, words[1:], words[2:], strict=False)
    first, second = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F
    return [((a * first + b * second + c) % modulo) >> 32 for a, b, c in grams]


@given(st.text(alphabet=st.sampled_from("ab É_1 ,.“”—\n😀𝔘İß"), max_size=60))
def test_shingle_hashes_follow_their_definition_over_any_text(text: str) -> None:
    assert shingle_hashes(text).tolist() == reference_shingle_hashes(text)


def test_shingle_hashes_of_a_news_text() -> None:
    hashes = shingle_hashes(WIRE)
    assert hashes.tolist() == reference_shingle_hashes(WIRE)
    assert len(hashes) == len(re.findall(r"\w+", WIRE)) - 2
    assert len(set(hashes.tolist())) == len(hashes)  # no two of its shingles collide


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=50))
def test_minhash_values_are_datasketchs_affine32_minhash(hashes: list[int]) -> None:
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)
    minhash.update_batch(hashes)
    assert (
        minhash_values(np.array(hashes, dtype=np.uint32)).tolist() == minhash.hashvalues.tolist()
    )


def test_signature_is_the_minhash_of_the_shingle_hashes_as_little_endian_bytes() -> None:
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int)
    minhash.update_batch(shingle_hashes(WIRE).tolist())
    assert signature(WIRE) == minhash.hashvalues.astype(np.dtype("<u4")).tobytes()


def test_short_texts_are_never_near_duplicates() -> None:
    index = NearDuplicateIndex()
    assert signature("Two words") == b""
    index.add("a", "Two words")
    assert "a" not in index
    assert index.query("Two words") == []


def test_adding_a_key_twice_keeps_one_entry() -> None:
    index = NearDuplicateIndex()
    index.add("gazette-1", SITE_A)
    index.add("gazette-1", SITE_A)
    assert len(index) == 1


def reference_content_hash(text: str) -> str:
    """content_hash's definition, with the regular expression."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


@given(st.text(alphabet=st.sampled_from("aB É_1 ,.“”—\n😀𝔘İßﬁ²"), max_size=60))
def test_content_hash_follows_its_definition_over_any_text(text: str) -> None:
    assert content_hash(text) == reference_content_hash(text)


def test_content_hash_of_a_news_text_follows_its_definition() -> None:
    assert content_hash(SITE_B) == reference_content_hash(SITE_B)


def test_word_characters_are_what_the_regular_expression_calls_word_characters() -> None:
    basic_plane = "".join(chr(point) for point in range(0x10000) if not 0xD800 <= point < 0xE000)
    astral = "𝔘😀𐐀𝟘🀄"  # a math letter, an emoji, a Deseret letter, a math digit, a tile
    text = basic_plane + astral
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    expected = [re.fullmatch(r"\w", character) is not None for character in text]
    assert _word_characters(points).tolist() == expected


def test_content_hash_ignores_case_spacing_and_punctuation() -> None:
    assert content_hash("Hello,  World!\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")
    assert len(content_hash("")) == 64
