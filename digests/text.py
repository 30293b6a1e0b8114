"""Cleaning of scraped article text and sentence splitting.

`clean_text` turns scraped text (plain text, or text with leftover HTML) into paragraphs
separated by one blank line: Unicode in NFC, one space between words, boilerplate lines dropped,
punctuation glued to a closing quote repaired. Crossheads stay in the text as paragraphs.

`split_sentences` is written here rather than taken from a library because the libraries are
too slow for the digest's budget (pysbd splits about 25 articles/s, NLTK's punkt about 900/s;
the whole digest must beat punkt): candidate boundaries come from one compiled regular
expression, and Python looks only at each candidate's neighbouring words (abbreviations,
initials, ellipses, closing quotes), so time is linear in the text's length.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from digests.boilerplate import (
    ends_like_sentence,
    is_boilerplate,
    is_boilerplate_sentence,
    is_crosshead,
    is_tail_marker,
)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the cleaned text: `text == cleaned[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class CleanText:
    """Cleaned article body: paragraphs separated by one blank line; crossheads among them."""

    text: str
    paragraphs: tuple[Span, ...]
    crossheads: tuple[Span, ...]


PARAGRAPH_SEPARATOR = "\n\n"

_HTML_TAG_HINT = re.compile(r"<(?:[a-zA-Z][\w-]{0,20}|/[a-zA-Z][\w-]{0,20}|!--)[^<>]{0,2000}>")
_HIDDEN_BLOCK = re.compile(r"(?is)<(script|style|noscript)\b[^>]{0,2000}>")
_BLOCK_TAG = re.compile(
    r"(?i)</?(?:p|div|br|h[1-6]|li|ul|ol|tr|table|section|article|header|footer|blockquote|figure"
    r"|figcaption|aside|nav)\b[^<>]{0,2000}>"
)
_ANY_TAG = re.compile(r"<(?:[a-zA-Z][\w-]{0,20}|/[a-zA-Z][\w-]{0,20})(?:\s[^<>]{0,2000})?/?>")
_COMMENT = re.compile(r"<!--[^<>]{0,2000}-->")
_LINE_BREAKS = "\r\u2028\u2029\x85"
_LINE_BREAK = re.compile(rf"[{_LINE_BREAKS}]\n?")
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u00ad\u200b-\u200d\u2060\ufeff]")
# Punctuation glued to a quote mark: `was “mentioned”Stoltenberg`, `history.’It`, `said“We`.
# Each pattern starts with its quote mark (a look-behind after it) so the scan stays fast: one
# pattern per mark, as an alternation of two marks is scanned ten times slower.
_GLUED_AFTER_DOUBLE = re.compile(r"”(?<=\S”)(?=[^\W_])")
_GLUED_AFTER_SINGLE = re.compile(r"’(?<=[.,!?]’)(?=[^\W_])(?!s\b)")
_GLUED_BEFORE_OPEN = re.compile(r"“(?<=[\w,.:;!?]“)")
# A straight quote glued to a word on both sides: which side it belongs to depends on parity.
_GLUED_STRAIGHT = re.compile(r'"(?<=[\w,.:;!?]")(?=[^\W_])')
_STRAIGHT_QUOTE_OR_LINE = re.compile(r'["\n]')
_DATELINE = re.compile(
    r"(?i)^(?:[A-Z][\w .,'’/-]{0,40}?\s?)?\(\s?(?:cnn|reuters|ap|afp|upi|bloomberg|ap photo)\s?\)"
    r"\s?(?:--|[-—–:])\s?"
)
_DATELINE_PARAGRAPHS = 3

# Sentence boundaries: final punctuation, closing quotes or brackets, a space, the next word.
_BOUNDARY = re.compile(r"([.!?…]+)([\"”’'»)\]]*) (?=(\S{1,24}))")
_HAS_WORD = re.compile(r"[^\W_]")
_CAPITALIZED_START = re.compile(r"[.!?][\"”’']? [\"“‘']?[A-Z]")
_OPENING = "\"“‘'«([{"
# Word lists read best as one string each: SIM905 (split a literal) is waived for them.
_TITLES = frozenset(
    "mr mrs ms messrs dr prof gen sen sens rep reps gov govs lt col capt sgt maj adm cmdr"  # noqa: SIM905
    " rev fr hon pres supt insp det cpl pte brig st mt ft esq".split()
)
_BEFORE_NUMBERS = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol pp fig art ch sec op"  # noqa: SIM905
    " approx est tel ext".split()
)
_NEVER_FINAL = frozenset(["e.g", "i.e", "cf", "viz", "vs", "v", "al"])
_SOMETIMES_FINAL = frozenset(["etc", "inc", "corp", "ltd", "co", "bros", "llc", "plc", "jr", "sr"])
_ABBREVIATIONS = _TITLES | _BEFORE_NUMBERS | _NEVER_FINAL | _SOMETIMES_FINAL
_SENTENCE_STARTERS = frozenset(
    "the a an he she it they we i you but and in on at this that these those there his"  # noqa: SIM905
    " her their its our my if when while after before as so yet however meanwhile also"
    " some many most one two three what why how who where no not officials police both all"
    " each".split()
)
_WORD_LOOKBACK = 30


def clean_text(raw: str) -> CleanText:
    """Clean scraped text into paragraphs separated by one blank line."""
    text = _normalize(raw)
    paragraphs = _drop_boilerplate(_split_paragraphs(text))
    return assemble_paragraphs(_strip_datelines(paragraphs))


def assemble_paragraphs(paragraphs: Sequence[str]) -> CleanText:
    """Join cleaned paragraphs with one blank line and record their spans and the crossheads."""
    spans = []
    pos = 0
    for paragraph in paragraphs:
        spans.append(Span(pos, pos + len(paragraph), paragraph))
        pos += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    crossheads = tuple(s for s in spans if is_crosshead(s.text))
    return CleanText(PARAGRAPH_SEPARATOR.join(paragraphs), tuple(spans), crossheads)


def split_sentences(text: str, paragraphs: Sequence[Span]) -> tuple[Span, ...]:
    """The body's sentences, without crossheads and inline boilerplate ("Scroll down...")."""
    # Lowercased text (no capital at all) needs no search; islower() stops at a first capital.
    lowercase = text.islower() or _CAPITALIZED_START.search(text) is None
    sentences: list[Span] = []
    for paragraph in paragraphs:
        if not is_crosshead(paragraph.text):
            sentences.extend(_paragraph_sentences(text, paragraph, lowercase))
    return tuple(sentences)


def _paragraph_sentences(text: str, paragraph: Span, lowercase: bool) -> list[Span]:
    sentences: list[Span] = []
    start = paragraph.start
    for match in _BOUNDARY.finditer(text, start, paragraph.end):
        lookback = match.start() - _WORD_LOOKBACK
        if _is_sentence_end(text, match, lookback if lookback > start else start, lowercase):
            if (sentence := _body_sentence(text, start, match.end(2))) is not None:
                sentences.append(sentence)
            start = match.end()
    if start < paragraph.end and (sentence := _body_sentence(text, start, paragraph.end)):
        sentences.append(sentence)
    return sentences


def _body_sentence(text: str, start: int, end: int) -> Span | None:
    """The sentence text[start:end], unless it has no word or is inline boilerplate."""
    # Most sentences open with a letter: only the others need the search for a word.
    if not text[start].isalnum() and not _HAS_WORD.search(text, start, end):
        return None
    sentence = text[start:end]
    return None if is_boilerplate_sentence(sentence) else Span(start, end, sentence)


def _is_sentence_end(text: str, match: re.Match[str], lookback: int, lowercase: bool) -> bool:
    punct, closer, following = match.group(1, 2, 3)
    word_start = text.rfind(" ", lookback, match.start()) + 1 or lookback
    word = text[word_start : match.start()].lstrip(_OPENING)
    quoted = following[0] in _OPENING
    following = following.lstrip(_OPENING)
    first = following[:1]
    if not first:
        return True
    if "?" in punct or "!" in punct:
        return not first.islower() or (lowercase and not closer)
    if punct != ".":  # an ellipsis ends a sentence only before a capital
        return first.isupper() or (first.isdigit() and not lowercase)
    return _is_period_end(word, closer, following, lowercase) or (quoted and first.isupper())


def _is_period_end(word: str, closer: str, following: str, lowercase: bool) -> bool:
    """Whether a full stop after `word` ends the sentence, given the word that follows."""
    key = word.lower()
    first = following[0]
    if closer:
        return lowercase or not first.islower()
    if len(word) > 1 and key not in _ABBREVIATIONS and "." not in key:  # most words
        return lowercase or not first.islower()
    if key in _TITLES or key in _NEVER_FINAL:
        return False
    if key in _BEFORE_NUMBERS:
        return first.isupper() or (lowercase and first.isalpha())
    if len(word) == 1 and word.isalpha():
        return False
    if key in _SOMETIMES_FINAL or ("." in key and key.replace(".", "").isalpha()):
        if first.islower() and not lowercase:
            return False
        return following.rstrip(",.;:").lower() in _SENTENCE_STARTERS
    return lowercase or not first.islower()


def _normalize(raw: str) -> str:
    text = _LINE_BREAK.sub("\n", raw) if any(c in raw for c in _LINE_BREAKS) else raw
    if "<" in text and _HTML_TAG_HINT.search(text):
        text = _strip_html(text)
    if "&" in text:
        text = html.unescape(text)
    if not text.replace("\n", "").isprintable():  # invisible characters are all unprintable
        text = _INVISIBLE.sub("", text)
    if '"' in text:
        text = _repair_straight_quotes(text)
    if text.isascii():  # nothing below can match ASCII text
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _GLUED_AFTER_DOUBLE.sub("” ", text)
    text = _GLUED_AFTER_SINGLE.sub("’ ", text)
    return _GLUED_BEFORE_OPEN.sub(" “", text)


def _repair_straight_quotes(text: str) -> str:
    """Space straight quotes glued to words: `said"We go,"He said` -> `said "We go," He said`.

    A mark after a space opens and one before a space closes; a mark glued on both sides opens
    or closes by its parity on the line. One pass over the marks: linear.
    """
    if _GLUED_STRAIGHT.search(text) is None:
        return text
    pieces = []
    last = 0
    opening = True  # whether the next mark glued on both sides opens, by parity on the line
    for match in _STRAIGHT_QUOTE_OR_LINE.finditer(text):
        pos = match.start()
        if text[pos] == "\n":
            opening = True
            continue
        before, after = text[pos - 1 : pos] or " ", text[pos + 1 : pos + 2] or " "
        if before.isspace() or after.isspace():
            opening = not before.isspace()
        elif opening:
            if before.isalnum() or before in ",:;":
                pieces += [text[last:pos], " "]
                last = pos
            opening = False
        else:
            if after.isalnum():
                pieces += [text[last : pos + 1], " "]
                last = pos + 1
            opening = True
    pieces.append(text[last:])
    return "".join(pieces)


def _strip_html(text: str) -> str:
    text = _remove_hidden_blocks(text)
    text = _COMMENT.sub("", text)
    text = _BLOCK_TAG.sub("\n\n", text)
    return _ANY_TAG.sub("", text)


def _remove_hidden_blocks(text: str) -> str:
    """Drop <script>, <style> and <noscript> blocks; str.find keeps this linear."""
    pieces = []
    pos = 0
    lowered = text.lower()
    while (match := _HIDDEN_BLOCK.search(text, pos)) is not None:
        pieces.append(text[pos : match.start()])
        close = lowered.find(f"</{match.group(1).lower()}", match.end())
        if close < 0:
            return "".join(pieces)
        pos = lowered.find(">", close) + 1 or len(text)
    pieces.append(text[pos:])
    return "".join(pieces)


def _split_paragraphs(text: str) -> list[str]:
    """Paragraphs, one space between words; hard-wrapped text has its lines joined."""
    lines = [_single_spaced(line) for line in text.split("\n")]
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    if _is_hard_wrapped(blocks):
        return [" ".join(block) for block in blocks if block]
    return [line for line in lines if line]


def _single_spaced(line: str) -> str:
    """The line with one space between words; most lines already are, so test that first."""
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line  # printable means no tab, no-break or other space that split() would see
    return " ".join(line.split())


def _is_hard_wrapped(blocks: list[list[str]]) -> bool:
    """Whether blank lines separate paragraphs and single newlines only wrap long lines."""
    blocks = [block for block in blocks if block]
    lines = [line for block in blocks for line in block]
    if len(blocks) < 2 or len(lines) < 2 * len(blocks):
        return False
    long_lines = sum(len(line) > 100 for line in lines)
    return long_lines * 10 <= len(lines)


def _drop_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop boilerplate lines, and the headline lists that follow "Related Articles"."""
    kept = []
    in_tail = False
    for paragraph in paragraphs:
        if is_boilerplate(paragraph):
            in_tail = in_tail or is_tail_marker(paragraph)
            continue
        if in_tail and not ends_like_sentence(paragraph):
            continue
        in_tail = False
        kept.append(paragraph)
    return kept


def _strip_datelines(paragraphs: list[str]) -> list[str]:
    """Drop a wire dateline ("LONDON (Reuters) -", "(CNN) --") opening a first paragraph."""
    for i, paragraph in enumerate(paragraphs[:_DATELINE_PARAGRAPHS]):
        match = _DATELINE.match(paragraph)
        if match and match.end() < len(paragraph):
            paragraphs[i] = paragraph[match.end() :]
    return paragraphs


def drop_leading_paragraphs(cleaned: CleanText, count: int) -> CleanText:
    """The same cleaned text without its first `count` paragraphs (headline, standfirst)."""
    if count <= 0:
        return cleaned
    return assemble_paragraphs([p.text for p in cleaned.paragraphs[count:]])
