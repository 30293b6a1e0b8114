"""Headline and standfirst.

The headline is the given `title` when there is one (the lines of the body that repeat it are
dropped), else the first paragraph of a plain-text article when it reads like a headline: short,
more text after it, and no final full stop unless it is in Title Case.
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
# A word list reads best as one string: SIM905 (split a literal) is waived for it.
_SECTION_LABELS = frozenset(
    "analysis opinion comment editorial explainer interview review live local national"  # noqa: SIM905
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
_MAX_TITLE_PARAGRAPHS = 3
_END_PUNCTUATION = " .!?…:;,\"”’'»“‘«"
_SHORT_WORD = 3  # "of", "the", "and" stay lowercase in Title Case
_MIN_TITLE_WORDS = 3
_TITLE_CASE_SHARE = 0.8


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
        used = _title_paragraphs(paragraphs, title, headline)
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


def comparable(line: str) -> str:
    """A line reduced for comparison: case-folded, single spaces, no punctuation at its ends."""
    return " ".join(line.casefold().split()).strip(_END_PUNCTUATION)


def _title_paragraphs(paragraphs: list[str], title: str, headline: str) -> int:
    """How many leading paragraphs repeat the given title (a title may be cut over lines)."""
    wanted = {comparable(title), comparable(headline)}
    joined = ""
    for count, paragraph in enumerate(paragraphs[:_MAX_TITLE_PARAGRAPHS], start=1):
        joined = f"{joined} {paragraph}" if joined else paragraph
        if comparable(joined) in wanted or comparable(strip_site_name(joined)) in wanted:
            return count
        if len(joined) > len(title):
            break
    return 0


def _reads_like_headline(paragraph: str) -> bool:
    """Short, and not ending like a sentence unless it is in Title Case."""
    if len(paragraph) > _MAX_HEADLINE_CHARS:
        return False
    return not paragraph.endswith(".") or _is_title_case(paragraph)


def _is_title_case(paragraph: str) -> bool:
    words = [w for w in paragraph.split() if len(w) > _SHORT_WORD and w[0].isalpha()]
    capitalized = sum(w[0].isupper() for w in words)
    return len(words) >= _MIN_TITLE_WORDS and capitalized >= _TITLE_CASE_SHARE * len(words)


def _reads_like_standfirst(paragraph: str) -> bool:
    return (
        len(paragraph) <= _MAX_STANDFIRST_CHARS
        and paragraph.count(" ") + 1 >= _MIN_STANDFIRST_WORDS
        and not ends_like_sentence(paragraph)
        and paragraph[0] not in "\"“‘'«"
    )
