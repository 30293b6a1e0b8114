"""Who said a quote: the cue verb, the speaker as written, and the fullest name for it.

Rules over the words around each quote, tuned on the PolNeAR train split. A cue verb ("said",
"told", "according to") after the quote (`“…,” he said`, `“…,” said Trump`), or before it in the
same sentence (`Trump said: “…”`, `Trump called the plan “a disaster”`). Failing that, the
attribution of another quote in the same paragraph, or, for a paragraph that opens with a quote,
of the previous paragraph (long quotes and `Caddell continued:` lead-ins). `digests.names` turns
the mention into the fullest name the article uses. Hand-written because a parser-based
attributor is two orders of magnitude slower than the digest's budget (~0.3 ms an article) and
no more accurate here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digests.names import PRONOUNS, NameIndex, build_name_index, word_set
from digests.text import Span

if TYPE_CHECKING:
    from digests.quotes import QuotedSpan


_CUE_WORDS = (
    "say said says saying tell told tells telling add added adds adding write wrote writes "
    "writing tweet tweeted tweets tweeting ask asked asks asking explain explained explains "
    "explaining state stated states note noted notes noting continue continued continues "
    "reply replied replies replying respond responded responds responding declare declared "
    "declares argue argued argues arguing insist insisted insists admit admitted admits warn "
    "warned warns warning announce announced announces recall recalled recalls recalling "
    "acknowledge acknowledged acknowledges claim claimed claims claiming conclude concluded "
    "concludes remark remarked remarks observe observed observes suggest suggested suggests "
    "concede conceded concedes counter countered counters joke joked jokes joking quip quipped "
    "quips shout shouted shouts yell yelled yells predict predicted predicts promise promised "
    "promises pledge pledged pledges vow vowed vows complain complained complains boast "
    "boasted boasts caution cautioned cautions emphasize emphasized emphasizes stress stressed "
    "stresses post posted posts report reported reports testify testified testifies urge urged "
    "urges agree agreed agrees mused recount recounted recounts call called calls calling "
    "describe described describes describing read reads chant chanted chants accuse accused "
    "accuses accusing cite cited cites citing assure assured assures contend contended "
    "contends maintain maintained maintains assert asserted asserts exclaimed demand demanded "
    "demands wonder wondered wonders lament lamented laments confirm confirmed confirms "
    "proclaim proclaimed proclaims brag bragged brags tout touted touts opine opined opines "
    "retort retorted answered answer answers reiterate reiterated reiterates repeat repeated "
    "repeats email emailed emails text texted whispered screamed interjected blasted slammed "
    "mocked charged quoted quotes referring referred described dubbed labeled branded"
)
_CUE = re.compile(
    r"\b(?:[Aa]ccording to|pointed out|points out|went on|put it|"
    + "|".join(sorted(set(_CUE_WORDS.split()), key=len, reverse=True))
    + r")\b"
)
_TOKEN = re.compile(r"[^\W_](?:[\w’'.\-]*\w)?\.?|[,;:()—–]")
_SENTENCE_END = re.compile(
    r"(?<![A-Z])(?<!Mr)(?<!Ms)(?<!Dr)(?<!Jr)(?<!St)(?<!Mrs)(?<!Sen)(?<!Rep)(?<!Gov)(?<!Gen)"
    r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])"
)
_AFTER_OK_END = frozenset(",?!—–-…:;")
_SKIP = word_set(
    "has had have also later then once previously recently further again would will could "
    "might may can did does do not never always often once still just even later earlier "
    "simply reportedly repeatedly frequently publicly privately initially finally"
)
_PASSIVE = word_set("is was were are been being be")
_DETERMINERS = word_set(
    "the a an his her their its our this that these those one another some many several most "
    "other both each every two three four"
)
_FORWARD_STOP = word_set(
    "in on at during while when who which that after before as to with from about and but "
    "because since if than"
)
_PARTICLES = word_set("de la van von der al bin da du di le of")
_REACH = 220
_AFTER_REACH = 12


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
    names = build_name_index(text, spans)
    found = [_attribute_one(text, paragraphs, spans, i) for i in range(len(spans))]
    _inherit(text, paragraphs, spans, found)
    return [_resolved(credit, names) for credit in found]


def _attribute_one(
    text: str, paragraphs: Sequence[Span], spans: Sequence[QuotedSpan], i: int
) -> Attribution:
    span = spans[i]
    para = paragraphs[span.paragraph]
    same_para = [s for s in spans[max(0, i - 1) : i + 2] if s.paragraph == span.paragraph]
    before = [s for s in same_para if s.start < span.start]
    after = [s for s in same_para if s.start > span.start]
    prev_end = before[-1].mark_end if before else para.start
    next_start = after[0].mark_start if after else para.end
    trailing = _after_quote(text, span, next_start)
    if trailing is not NO_ATTRIBUTION:
        return trailing
    return _before_quote(text, max(prev_end, span.mark_start - _REACH), span.mark_start)


def _after_quote(text: str, span: QuotedSpan, limit: int) -> Attribution:
    lo = span.mark_end
    hi = _sentence_end_after(text, lo, min(limit, lo + _REACH))
    inside_end = text[span.start : span.end].rstrip(" \"”’'")[-1:]
    gap = text[lo:hi]
    if not (
        inside_end in _AFTER_OK_END
        or gap[:2].lstrip()[:1].islower()
        or gap.lstrip()[:1] in ",—–"
        or _short_clause(gap)
    ):
        return NO_ATTRIBUTION
    cue = _CUE.search(text, lo, hi)
    if cue is None or len(_TOKEN.findall(text, lo, cue.start())) > _AFTER_REACH:
        return NO_ATTRIBUTION
    if not text[lo : cue.start()].strip(" ,—–-\n"):
        mention = _walk_forward(text, cue.end(), hi)
    else:
        mention = _walk_back(text, lo, cue.start())
    return Attribution(None, mention, cue.group()) if mention else NO_ATTRIBUTION


def _short_clause(gap: str) -> bool:
    return len(gap.split()) <= 8 and bool(_CUE.search(gap))


def _before_quote(text: str, lo: int, hi: int) -> Attribution:
    lo = _sentence_start_before(text, lo, hi)
    cues = list(_CUE.finditer(text, lo, hi))
    for cue in reversed(cues):
        word = cue.group()
        if word.lower() == "according to":
            mention = _walk_forward(text, cue.end(), hi)
        elif word.endswith("ing"):
            continue  # a participle's subject is the main clause's: look further back
        else:
            mention = _walk_back(text, lo, cue.start())
        if mention is not None:
            return Attribution(None, mention, cues[-1].group())
    if text[lo:hi].rstrip().endswith(":") and not cues:
        mention = _walk_forward(text, lo, hi)
        return Attribution(None, mention, ":") if mention else NO_ATTRIBUTION
    return NO_ATTRIBUTION


def _sentence_start_before(text: str, lo: int, hi: int) -> int:
    start = lo
    for match in _SENTENCE_END.finditer(text, lo, hi):
        if match.end() < hi:
            start = match.end()
    return start


def _sentence_end_after(text: str, lo: int, hi: int) -> int:
    match = _SENTENCE_END.search(text, lo, hi)
    return match.start() + 1 if match else hi


def _walk_back(text: str, lo: int, hi: int) -> Span | None:
    tokens = list(_TOKEN.finditer(text, lo, hi))
    i = len(tokens) - 1
    while i >= 0 and _skippable(tokens[i].group()):
        if tokens[i].group().lower() in _PASSIVE:
            return None
        i -= 1
    if i >= 0 and tokens[i].group() == ",":
        i = _skip_apposition(tokens, i)
    if i < 0:
        return None
    word = tokens[i].group()
    if word.lower() in PRONOUNS:
        return _span(text, tokens[i].start(), tokens[i].end())
    if word[0].isupper():
        return _name_back(text, tokens, i)
    return _noun_phrase_back(text, tokens, i)


def _skippable(word: str) -> bool:
    low = word.lower()
    return (
        low in _SKIP or low in _PASSIVE or (word.islower() and low.endswith("ly") and len(low) > 4)
    )


def _skip_apposition(tokens: list[re.Match[str]], i: int) -> int:
    for j in range(i - 1, max(-1, i - 16), -1):
        if tokens[j].group() == ",":
            return j - 1
    return -1


def _name_back(text: str, tokens: list[re.Match[str]], i: int) -> Span:
    first = i
    j = i - 1
    while j >= 0:
        word = tokens[j].group()
        if word[0].isupper() and word.lower() not in _DETERMINERS:
            first = j
        elif not (word in _PARTICLES and j > 0 and tokens[j - 1].group()[0].isupper()):
            break
        j -= 1
    return _span(text, tokens[first].start(), tokens[i].end())


def _noun_phrase_back(text: str, tokens: list[re.Match[str]], i: int) -> Span | None:
    for j in range(i, max(-1, i - 6), -1):
        word = tokens[j].group()
        if not word[0].isalnum():
            break
        if word.lower() in _DETERMINERS:
            return _span(text, tokens[j].start(), tokens[i].end())
    word = tokens[i].group()
    if word.endswith("s") and word.islower() and len(word) > 3:
        return _span(text, tokens[i].start(), tokens[i].end())
    return None


def _walk_forward(text: str, lo: int, hi: int) -> Span | None:
    tokens = _TOKEN.finditer(text, lo, hi)
    first = next(tokens, None)
    if first is None or not first.group()[0].isalpha():
        return None
    word = first.group()
    if word.lower() in PRONOUNS:
        return _span(text, first.start(), first.end())
    if not (word[0].isupper() or word.lower() in _DETERMINERS):
        return None
    end = first.end()
    for count, token in enumerate(tokens):
        word = token.group()
        if not word[0].isalnum() or word.lower() in _FORWARD_STOP or count > 5:
            break
        if first.group()[0].isupper() and not (word[0].isupper() or word in _PARTICLES):
            break
        end = token.end()
    return _span(text, first.start(), end)


def _span(text: str, start: int, end: int) -> Span:
    while end > start and text[end - 1] in ".,":
        end -= 1
    return Span(start, end, text[start:end])


def _inherit(
    text: str, paragraphs: Sequence[Span], spans: Sequence[QuotedSpan], found: list[Attribution]
) -> None:
    """Credit quotes without a cue of their own: same paragraph first, then the previous one."""
    for i in range(len(spans)):
        if found[i] is NO_ATTRIBUTION and i > 0 and spans[i - 1].paragraph == spans[i].paragraph:
            found[i] = found[i - 1]
    for i in range(len(spans) - 2, -1, -1):
        if found[i] is NO_ATTRIBUTION and spans[i + 1].paragraph == spans[i].paragraph:
            found[i] = found[i + 1]
    for i, span in enumerate(spans):
        if found[i] is NO_ATTRIBUTION and _opens_paragraph(text, paragraphs, span):
            found[i] = _from_previous_paragraph(text, paragraphs, spans, found, i)


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
    if index == 0:
        return NO_ATTRIBUTION
    prev = paragraphs[index - 1]
    if text[prev.start : prev.end].rstrip().endswith(":"):
        lead_in = _before_quote(text, max(prev.start, prev.end - _REACH), prev.end)
        if lead_in is not NO_ATTRIBUTION:
            return lead_in
    if i > 0 and spans[i - 1].paragraph == index - 1:
        return found[i - 1]
    return NO_ATTRIBUTION


def _resolved(credit: Attribution, names: NameIndex) -> Attribution:
    if credit.mention is None:
        return credit
    return Attribution(names.resolve(credit.mention), credit.mention, credit.cue)
