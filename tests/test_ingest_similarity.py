"""Near-duplicate detection and content hashes."""

from __future__ import annotations

import zlib

import numpy as np
from datasketch import MinHash

from bot.ingest.similarity import (
    NUM_PERM,
    SCHEME,
    SEED,
    NearDuplicateIndex,
    _shingles,
    content_hash,
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


def test_signature_matches_a_minhash_that_derives_its_own_permutations() -> None:
    # stored signatures stay comparable with ones made before the permutations were shared
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32)
    minhash.update_batch(_shingles(WIRE))
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


def test_content_hash_ignores_case_spacing_and_punctuation() -> None:
    assert content_hash("Hello,  World!\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")
    assert len(content_hash("")) == 64
