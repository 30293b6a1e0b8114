"""Who said a quote: which cue and mention credit it, and the fullest name for the mention.

The strategy, tuned on PolNeAR's train split: a cue verb after the quote (`“…,” he said`,
`“…,” said Trump`), or before it in the same sentence (`Trump said: “…”`); for a fragment inside a
sentence (`Trump called the plan “a disaster”`) the verb before it comes first. Failing a cue,
the sentence's subject, the attribution of another quote in the same paragraph, or, for a
paragraph that opens with a quote, the previous paragraph's (long quotes, `Caddell continued:`
lead-ins). `digests.mentions` reads the words around a cue; `digests.names` turns a mention into
the fullest name the article uses. Rules rather than a parser: a parser-based attributor is two
orders of magnitude slower than the digest's budget (~0.3 ms an article) and no more accurate
on this data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digests.mentions import (
    DETERMINERS,
    INTRO,
    OPENERS,
    TIME,
    TOKEN,
    Cue,
    find_cues,
    mention_after,
    mention_before,
)
from digests.names import PRONOUNS, NameIndex, build_name_index, word_set
from digests.text import Span

if TYPE_CHECKING:
    from digests.quotes import QuotedSpan


# The mark comes first and the look-behinds (which include it) after: a pattern opening with
# look-behinds runs them at every position of the text.
_SENTENCE_END = re.compile(
    r"[.!?](?<![A-Z].)(?<!Mr.)(?<!Ms.)(?<!Dr.)(?<!Jr.)(?<!St.)(?<!Mrs.)(?<!Sen.)(?<!Rep.)"
    r"(?<!Gov.)(?<!Gen.)[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n"
)
_AFTER_OK_END = frozenset(",?!—–-…:;")
_RELATIVE_PRONOUNS = word_set("who which that")
_NOUN_MARKERS = DETERMINERS | {"to"}  # `his promise`, `a statement to read`
_SHORT_LEAD = 5
_SIGNATURE = re.compile(r"[-—–]\s*([A-Z][\w’'.]*(?:[ \t]+[A-Z][\w’'.]*)*?)\.?\s*(?:[,(]|$)")
_DASHED_NAME = re.compile(r"[-—–]\s*([A-Z][\w’'.]*(?:[ \t]+[A-Z][\w’'.]*)*)\s*:\s*$")
_POSSESSIVE = ("’s", "'s", "s’")
_SUBORDINATORS = word_set("when after before while since if although though because once until")
_CONJUNCTIONS = word_set("and but so yet still now then also")
_REACH = 220
_NAME_REACH = 4000  # how far to look for a one-word name used mid-sentence
_MID_SENTENCE = frozenset("abcdefghijklmnopqrstuvwxyz,")
_AFTER_REACH = 80  # characters between a closing mark and its cue


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who a quote is credited to: resolved name, mention as written, cue verb."""

    speaker: str | None = None
    mention: Span | None = None
    cue: str | None = None


NO_ATTRIBUTION = Attribution()


def attribute_quotes(
    text: str, paragraphs: Sequence[Span], spans: Sequence[QuotedSpan]
) -> list[Attribution]:
    """An attribution for every quoted span (NO_ATTRIBUTION where nobody is credited)."""
    if not spans:  # no quote: the article's names are not needed
        return []
    names = build_name_index(text, spans)
    found = [_attribute_one(text, paragraphs, spans, i) for i in range(len(spans))]
    _inherit(text, paragraphs, spans, found)
    return [_resolved(credit, names) for credit in found]


def _attribute_one(
    text: str, paragraphs: Sequence[Span], spans: Sequence[QuotedSpan], i: int
) -> Attribution:
    span = spans[i]
    para = paragraphs[span.paragraph]
    prev_end, next_start = para.start, para.end
    if i > 0 and spans[i - 1].paragraph == span.paragraph:
        prev_end = spans[i - 1].mark_end
    if i + 1 < len(spans) and spans[i + 1].paragraph == span.paragraph:
        next_start = spans[i + 1].mark_start
    lo = max(prev_end, span.mark_start - _REACH)
    partial = text[span.start].islower() and not _attributed_right_after(text, span)
    if partial:  # a fragment inside a sentence: its verb comes first
        lo = _sentence_start_before(text, lo, span.mark_start)
        leading = _before_quote(text, lo, span.mark_start, cued_only=True)
        if leading is not NO_ATTRIBUTION:
            return leading
    trailing = _after_quote(text, span, next_start)
    if trailing is not NO_ATTRIBUTION:
        return trailing
    if not partial:
        lo = _sentence_start_before(text, lo, span.mark_start)
    # Between two quotes of one sentence with no cue: the first quote's speaker (see _inherit).
    return _before_quote(text, lo, span.mark_start, cued_only=lo == prev_end > para.start)


def _attributed_right_after(text: str, span: QuotedSpan) -> bool:
    """`…, calling Trump “an orange buffoon,” Susan said`: the cue right after the quote wins."""
    if text[span.end - 1 : span.end] != ",":
        return False
    cue = next(find_cues(text, span.mark_end, span.mark_end + 30), None)
    return cue is not None and len(TOKEN.findall(text, span.mark_end, cue.start)) <= 3


def _after_quote(text: str, span: QuotedSpan, limit: int) -> Attribution:
    lo = span.mark_end
    hi = _sentence_end_after(text, lo, min(limit, lo + _REACH))
    inside_end = text[span.start : span.end].rstrip(" \"”’'")[-1:]
    gap = text[lo:hi]
    if not (
        inside_end in _AFTER_OK_END
        or gap[:2].lstrip()[:1].islower()
        or gap.lstrip()[:1] in ",—–"
        or _short_clause(text, lo, hi)
    ):
        return NO_ATTRIBUTION
    cue = next(find_cues(text, lo, hi), None)
    if cue is None or cue.start - lo > _AFTER_REACH or cue.word.endswith("ing"):
        return NO_ATTRIBUTION  # a participle's subject is the main clause's, before the quote
    between = text[lo : cue.start].rstrip()
    if not between.strip(" ,—–-\n"):
        mention = mention_after(text, cue.end, hi)
    else:  # `he said`, or `…, if she didn't win by much, said David Wasserman`
        mention = mention_before(text, lo, cue.start)
        if mention is None and between.endswith(","):
            mention = mention_after(text, cue.end, hi)
    if mention is None or _relative_to_quote(text, lo, mention):
        return NO_ATTRIBUTION
    return Attribution(None, mention, cue.word)


def _relative_to_quote(text: str, lo: int, mention: Span) -> bool:
    """`a “chief trade prosecutor” who reports to …`: the pronoun is the quoted thing."""
    return mention.text.lower() in _RELATIVE_PRONOUNS and not text[lo : mention.start].strip()


def _short_clause(text: str, lo: int, hi: int) -> bool:
    """`“….” Trump said.`: a whole sentence that is only a speaker and a cue."""
    gap = text[lo:hi].strip()
    return gap[-1:] in ".!?" and len(gap.split()) <= 6 and any(find_cues(text, lo, hi))


def _before_quote(text: str, lo: int, hi: int, cued_only: bool = False) -> Attribution:
    cues = [c for c in find_cues(text, lo, hi) if _is_main_verb(text, lo, c)]
    relative: Attribution | None = None
    for k, cue in enumerate(cues):
        word = cue.word
        if word.startswith(("according", "According")):
            mention = mention_after(text, cue.end, hi)
        elif word.endswith("ing"):  # `Ryan saying`; after a comma, the main clause's subject
            mention = _adjacent_subject(text, lo, cue.start)
            if mention is None and not _aside_before(text, cues[k + 1 :]):
                break
        else:
            mention = mention_before(text, lo, cue.start)
            if mention is None and text[lo : cue.start].rstrip().endswith(","):
                mention = _named_after(text, cue.end, hi)  # `The paradox, says Carl Anthony,`
        if mention is not None and mention.text.lower() in _RELATIVE_PRONOUNS:
            relative = relative or Attribution(None, mention, word)  # `Trump, who told aides`
        elif mention is not None:
            return Attribution(None, mention, word)
    if relative is not None:
        return relative
    if cued_only:
        return NO_ATTRIBUTION
    if not cues and text[lo:hi].rstrip().endswith(":"):  # `Bush: “The mission is …”`
        return _colon_lead(text, lo, hi)
    subject = _sentence_subject(text, lo, hi)
    if subject is None:
        return NO_ATTRIBUTION
    return Attribution(None, subject, cues[0].word if cues else None)


def _aside_before(text: str, later: list[Cue]) -> bool:
    """`X, noting the size of the fleet, said`: the participle was an aside before a cue."""
    return any(text[max(0, cue.start - 4) : cue.start].rstrip().endswith(",") for cue in later)


def _colon_lead(text: str, lo: int, hi: int) -> Attribution:
    """`Bush: “…”`, `But polls agreed - HuffPollster: “…”`, `Her reply was: “…”`."""
    dashed = _DASHED_NAME.search(text, lo, hi)
    if dashed is not None:
        lead: Span | None = Span(dashed.start(1), dashed.end(1), dashed.group(1))
    elif len(TOKEN.findall(text, lo, hi)) <= _SHORT_LEAD:
        lead = mention_after(text, lo, hi)
    else:
        lead = _sentence_subject(text, lo, hi)
    return Attribution(None, lead, ":") if lead else NO_ATTRIBUTION


def _adjacent_subject(text: str, lo: int, hi: int) -> Span | None:
    previous = TOKEN.findall(text, max(lo, hi - 40), hi)
    if not previous or not (previous[-1][0].isupper() or previous[-1].lower() in PRONOUNS):
        return None
    return mention_before(text, lo, hi)


def _is_main_verb(text: str, lo: int, cue: Cue) -> bool:
    """Not a noun (`his promise`, `Rubio's claim`) nor in a clause like `When Trump announced`."""
    previous = TOKEN.findall(text, max(lo, cue.start - 30), cue.start)
    if previous and (previous[-1].lower() in _NOUN_MARKERS or previous[-1].endswith(_POSSESSIVE)):
        return False
    if len(previous) >= 2 and previous[-2].lower() == "what":  # `railed against what he calls`
        return False
    clause = max(lo, text.rfind(",", lo, cue.start) + 1)
    opener = TOKEN.search(text, clause, cue.start)
    return opener is None or opener.group().lower() not in _SUBORDINATORS


def _named_after(text: str, lo: int, hi: int) -> Span | None:
    mention = mention_after(text, lo, hi)
    return mention if mention is not None and mention.text[:1].isupper() else None


def _could_be_named(text: str, mention: Span) -> bool:
    """`Horrified at …, ` opens a sentence; a one-word name also shows up mid-sentence nearby."""
    word = mention.text
    if not word[:1].isupper() or " " in word or word.lower() in PRONOUNS:
        return True
    lo, hi = max(0, mention.start - _NAME_REACH), min(len(text), mention.end + _NAME_REACH)
    found = text.find(" " + word, lo, hi)
    while found > lo:
        if text[found - 1] in _MID_SENTENCE and not text[found + len(word) + 1 :][:1].isalnum():
            return True
        found = text.find(" " + word, found + 1, hi)
    return False


def _sentence_subject(text: str, lo: int, hi: int) -> Span | None:
    """The subject of a sentence with a partial quote: `Comey indicated that … “…”`."""
    tokens = list(TOKEN.finditer(text, lo, min(hi, lo + _REACH)))
    if not tokens:
        return None
    start = 0
    opener = tokens[0].group()
    if opener.lower() in _CONJUNCTIONS:
        start = 1
        opener = tokens[1].group() if len(tokens) > 1 else ""
    if (
        opener.lower() in INTRO
        or opener.endswith(("ly", "ing"))
        or opener in OPENERS
        or (_time_phrase(tokens, start))
    ):
        commas = [k for k, t in enumerate(tokens[:20]) if t.group() == ","]
        if not commas:
            return None
        start = max(start, commas[0] + 1)
    if start >= len(tokens):
        return None
    mention = mention_after(text, tokens[start].start(), hi)
    if mention is None or not _could_be_named(text, mention):
        return None
    following = TOKEN.search(text, mention.end, hi)
    if following and following.group() == ",":  # `Marty West, a professor at Harvard, called`
        closing = text.find(",", following.end(), hi)
        following = TOKEN.search(text, closing + 1, hi) if 0 < closing < hi else None
    return mention if following and following.group().islower() else None


def _time_phrase(tokens: list[re.Match[str]], start: int) -> bool:
    """`But a few days later, Trump …`: an opening time phrase before a comma."""
    for token in tokens[start : start + 6]:
        word = token.group().lower()
        if word == ",":
            return False
        if word in TIME:
            return True
    return False


def _sentence_start_before(text: str, lo: int, hi: int) -> int:
    start = lo
    for match in _SENTENCE_END.finditer(text, lo, hi):
        if match.end() < hi:
            start = match.end()
    return start


def _sentence_end_after(text: str, lo: int, hi: int) -> int:
    match = _SENTENCE_END.search(text, lo, hi)
    return match.start() + 1 if match else hi


def _inherit(
    text: str, paragraphs: Sequence[Span], spans: Sequence[QuotedSpan], found: list[Attribution]
) -> None:
    """Credit quotes without a cue of their own: same paragraph first, then the previous one."""
    for i, span in enumerate(spans):
        last_in_paragraph = i + 1 == len(spans) or spans[i + 1].paragraph != span.paragraph
        if (
            found[i] is NO_ATTRIBUTION
            and last_in_paragraph
            and span.paragraph + 1 < len(paragraphs)
        ):
            found[i] = _signed_below(text, paragraphs[span.paragraph + 1])
    for i in range(1, len(spans)):
        if found[i] is NO_ATTRIBUTION and _same_line(text, spans[i - 1], spans[i]):
            found[i] = found[i - 1]
    for i in range(len(spans) - 2, -1, -1):
        if found[i] is NO_ATTRIBUTION and _same_line(text, spans[i], spans[i + 1]):
            found[i] = found[i + 1]
    for i, span in enumerate(spans):
        first_in_paragraph = i == 0 or spans[i - 1].paragraph != span.paragraph
        if found[i] is not NO_ATTRIBUTION:
            continue
        if first_in_paragraph and _opens_paragraph(text, paragraphs, span):
            found[i] = _from_previous_paragraph(text, paragraphs, spans, found, i)


def _same_line(text: str, first: QuotedSpan, second: QuotedSpan) -> bool:
    """Same paragraph and no line break between: some sources end paragraphs with one."""
    if first.paragraph != second.paragraph:
        return False
    return text.find("\n", first.mark_end, second.mark_start) < 0


def _signed_below(text: str, para: Span) -> Attribution:
    """A quote followed by a signature paragraph: `- Hillary Clinton.`"""
    signed = _SIGNATURE.match(text, para.start, para.end)
    if signed is None:
        return NO_ATTRIBUTION
    return Attribution(None, Span(signed.start(1), signed.end(1), signed.group(1)), "-")


def _opens_paragraph(text: str, paragraphs: Sequence[Span], span: QuotedSpan) -> bool:
    return not text[paragraphs[span.paragraph].start : span.mark_start].strip()


def _from_previous_paragraph(
    text: str,
    paragraphs: Sequence[Span],
    spans: Sequence[QuotedSpan],
    found: list[Attribution],
    i: int,
) -> Attribution:
    index = spans[i].paragraph
    if (
        spans[i].continues and i > 0
    ):  # the journalistic convention for a quote over several paragraphs
        return found[i - 1]
    if index == 0:
        return NO_ATTRIBUTION
    prev = paragraphs[index - 1]
    if text[max(prev.start, prev.end - 8) : prev.end].rstrip().endswith(":"):
        lo = _sentence_start_before(text, max(prev.start, prev.end - _REACH), prev.end)
        lead_in = _before_quote(text, lo, prev.end)
        if lead_in is not NO_ATTRIBUTION:
            return lead_in
    if i > 0 and spans[i - 1].paragraph == index - 1:
        return found[i - 1]
    lo = _sentence_start_before(text, max(prev.start, prev.end - _REACH), prev.end)
    return _before_quote(text, lo, prev.end, cued_only=True)  # `Howard continued his remarks.`


def _resolved(credit: Attribution, names: NameIndex) -> Attribution:
    if credit.mention is None:
        return credit
    speaker = names.resolve(credit.mention)
    if credit.cue is None and speaker and not speaker[:1].isupper():
        speaker = None  # a sentence's subject is a speaker only when it names someone
    return Attribution(speaker, credit.mention, credit.cue)
