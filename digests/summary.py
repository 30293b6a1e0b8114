"""Extractive summary.

Placeholder contract (to be filled in by the summary work).
"""

from __future__ import annotations

from collections.abc import Sequence

from digests.text import Span


def extract_summary(
    text: str,
    sentences: Sequence[Span],
    *,
    headline: str = "",
    max_sentences: int = 3,
    max_chars: int | None = None,
) -> tuple[Span, ...]:
    """The summary sentences, chosen among `sentences`, in article order (placeholder: lead)."""
    del text, headline, max_chars
    return tuple(sentences[:max_sentences])
