"""A chat's keyword filters: plain words, or /regular expressions/ run by RE2.

RE2 (the `google-re2` package) matches in time linear in the text, so no filter a user types can
hang the bot, whatever the pattern. Plain words match whole words, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import re2

from bot.errors import UsageError


@dataclass(frozen=True, slots=True)
class KeywordFilter:
    """One compiled keyword: a plain word or phrase, or an RE2 pattern."""

    keyword: str
    pattern: object

    def matches(self, text: str) -> bool:
        """True if the keyword occurs in `text`."""
        return self.pattern.search(text) is not None  # type: ignore[attr-defined]


def compile_keyword(keyword: str) -> KeywordFilter:
    """Compile `word` or `/regex/`; a bad regular expression is a UsageError."""
    keyword = keyword.strip()
    if not keyword:
        raise UsageError("a keyword filter cannot be empty")
    if len(keyword) > 2 and keyword.startswith("/") and keyword.endswith("/"):
        options = re2.Options()
        options.case_sensitive = False
        try:
            return KeywordFilter(keyword, re2.compile(keyword[1:-1], options))
        except re2.error as exc:
            raise UsageError(f"not a valid regular expression: {keyword}") from exc
    return KeywordFilter(keyword, re.compile(rf"\b{re.escape(keyword)}\b", re.IGNORECASE))


def compile_keywords(keywords: Iterable[str]) -> tuple[KeywordFilter, ...]:
    """Compile every keyword (UsageError for the first bad one)."""
    return tuple(compile_keyword(keyword) for keyword in keywords)


def passes(text: str, include: Sequence[KeywordFilter], exclude: Sequence[KeywordFilter]) -> bool:
    """True if `text` matches some include keyword (or there are none) and no exclude keyword."""
    if include and not any(k.matches(text) for k in include):
        return False
    return not any(k.matches(text) for k in exclude)
