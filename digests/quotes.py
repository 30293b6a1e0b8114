"""Direct quotations and who said them.

Placeholder contract (to be filled in by the quotes work).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digests.text import Span


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation; offsets point into the cleaned text, quotation marks excluded."""

    text: str
    start: int
    end: int
    speaker: str | None
    speaker_mention: Span | None
    cue: str | None


def extract_quotes(text: str, paragraphs: Sequence[Span]) -> tuple[Quote, ...]:
    """Every direct quotation in `text`, in order (placeholder: none)."""
    del text, paragraphs
    return ()


def select_key_quotes(quotes: Sequence[Quote], n: int = 3) -> tuple[Quote, ...]:
    """The `n` most informative quotes with a named speaker, in article order."""
    named = [q for q in quotes if q.speaker]
    return tuple(named[:n])
