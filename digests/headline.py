"""Headline and standfirst.

Placeholder contract (to be filled in by the engine work).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    """The article's headline and standfirst, and the body that follows them."""

    headline: str
    standfirst: str
    body: str


def extract_heading(raw: str, title: str | None = None) -> Heading:
    """Split a plain-text article into headline, standfirst and body (placeholder)."""
    if title:
        return Heading(headline=title.strip(), standfirst="", body=raw)
    first, _, rest = raw.strip().partition("\n")
    return Heading(headline=first.strip(), standfirst="", body=rest)
