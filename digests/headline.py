"""Headline and standfirst.

The headline is the given `title` when there is one, else the first paragraph of a plain-text
article when it reads like a headline (short, not ending with a full stop, more text after it).
A trailing site name is dropped: the last " | " segment, or a short Title-Case segment after
" - " or " – " ("... - Reuters"), or after " — " only when it names a news outlet. Section
labels ("— Analysis", "- Opinion", "— Local") are kept: they tell the reader what kind of piece
it is, and they are part of what the outlet printed as the headline.

The standfirst (dek) is the paragraph right after the headline when it is not prose: it has no
final punctuation, as in "The alliance should not ... its secretary general said". Both are
removed from the body, so the summary can never repeat them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digests.boilerplate import ends_like_sentence
from digests.text import CleanText, clean_text, drop_leading_paragraphs

_MAX_HEADLINE_CHARS = 250
_MAX_STANDFIRST_CHARS = 400
_MIN_STANDFIRST_WORDS = 4
_SITE_SEPARATOR = re.compile(r" (\||-|–|—|::|·|•) ")
_SECTION_LABELS = frozenset(
    "analysis opinion comment editorial explainer interview review live local national"  # noqa: SIM905 - a word list reads best as one string
    " world business sport sports politics exclusive factbox feature features podcast"
    " video watch photos update breaking obituary letters".split()
)
_OUTLET_WORD = re.compile(
    r"(?i)\b(?:news|times|post|reuters|bbc|cnn|ap|afp|guardian|journal|herald|tribune|daily|press"
    r"|telegraph|mail|online|today|network|tv|radio|insider|wire|gazette|observer|independent"
    r"|express|standard|chronicle|agency|media)\b|\.(?:com|org|net|co\.uk|news)\b"
)
_TITLE_WORD = re.compile(r"[A-Z0-9][\w.'’&-]*|of|the|and|for|on|in|de|la")
_MAX_SITE_WORDS = 5


@dataclass(frozen=True, slots=True)
class Heading:
    """The article's headline and standfirst, and the cleaned body that follows them."""

    headline: str
    standfirst: str
    body: CleanText


def extract_heading(cleaned: CleanText, title: str | None = None) -> Heading:
    """Split a cleaned article into headline, standfirst and body."""
    paragraphs = [p.text for p in cleaned.paragraphs]
    if title and title.strip():
        headline = strip_site_name(_clean_title(title))
        used = 1 if paragraphs and _same_line(paragraphs[0], title, headline) else 0
    elif len(paragraphs) > 1 and _reads_like_headline(paragraphs[0]):
        headline, used = strip_site_name(paragraphs[0]), 1
    else:
        return Heading(headline="", standfirst="", body=cleaned)
    standfirst = ""
    if len(paragraphs) > used + 1 and _reads_like_standfirst(paragraphs[used]):
        standfirst, used = paragraphs[used], used + 1
    return Heading(headline, standfirst, drop_leading_paragraphs(cleaned, used))


def strip_site_name(headline: str) -> str:
    """The headline without a trailing site name (" - Reuters", " | BBC News")."""
    separators = list(_SITE_SEPARATOR.finditer(headline))
    if not separators:
        return headline
    last = separators[-1]
    head, site = headline[: last.start()].strip(), headline[last.end() :].strip()
    if head and site and _is_site_name(site, last.group(1)):
        return head
    return headline


def _is_site_name(segment: str, separator: str) -> bool:
    words = segment.split()
    if len(words) > _MAX_SITE_WORDS or segment.lower().strip(" .:") in _SECTION_LABELS:
        return False
    if separator in ("|", "::", "·", "•"):
        return True
    if separator == "—":
        return bool(_OUTLET_WORD.search(segment))
    return all(_TITLE_WORD.fullmatch(word) for word in words)


def _clean_title(title: str) -> str:
    paragraphs = clean_text(title).paragraphs
    return " ".join(p.text for p in paragraphs) if paragraphs else " ".join(title.split())


def _same_line(paragraph: str, title: str, headline: str) -> bool:
    line = paragraph.casefold()
    return line in {" ".join(title.split()).casefold(), headline.casefold()} or (
        strip_site_name(paragraph).casefold() == headline.casefold()
    )


def _reads_like_headline(paragraph: str) -> bool:
    return len(paragraph) <= _MAX_HEADLINE_CHARS and not paragraph.endswith(".")


def _reads_like_standfirst(paragraph: str) -> bool:
    return (
        len(paragraph) <= _MAX_STANDFIRST_CHARS
        and paragraph.count(" ") + 1 >= _MIN_STANDFIRST_WORDS
        and not ends_like_sentence(paragraph)
        and paragraph[0] not in "\"“‘'«"
    )
