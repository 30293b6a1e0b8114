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

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from digests.names import PRONOUNS, NameIndex, build_name_index, word_set
from digests.text import Span

if TYPE_CHECKING:
    from digests.quotes import QuotedSpan


# Speech verbs; forms that are mostly nouns in news copy ("a call", "his remarks") are left out.
_CUE_WORDS = (
    "say said says saying tell told tells telling add added adds adding write wrote writes "
    "writing tweeted tweets tweeting ask asked asks asking explain explained explains "
    "explaining stated noted notes noting continued continues replied replies replying "
    "responded responds responding declare declared declares argue argued argues arguing insist "
    "insisted insists admit admitted admits warn warned warns warning announced announces "
    "recalled recalls recalling acknowledge acknowledged acknowledges claimed claims claiming "
    "concluded concludes remarked observed observes suggested suggests concede conceded concedes "
    "countered joked jokes joking quipped quips shouted yelled predict predicted predicts "
    "promised pledged vowed vows complained complains boasted boasts cautioned emphasized "
    "emphasizes stressed posted reported reports testified testifies urged urges agree agreed "
    "agrees mused recounted recounts called calls calling described describes describing reads "
    "chanted accused accuses accusing cited cites citing assured assures contended contends "
    "maintained maintains asserted asserts exclaimed demanded wondered wonders lamented laments "
    "confirmed confirms proclaimed proclaims bragged brags touted touts opined opines retorted "
    "answered reiterated reiterates repeated emailed texted whispered screamed interjected "
    "blasted slammed mocked charged quoted referring referred dubbed labeled branded remarking "
    "declaring stating insisting suggesting blamed praised criticized thanked questioned vented "
    "indicated implied alleged fumed barked denounced dismissed mocks thinks thought pressed read "
    "cried screamed hollered"
)
_CUES = word_set(_CUE_WORDS)
_CUE_CANDIDATE = re.compile(r"\b(?:[a-z]+|According)\b")
# Cues of two words, by their first word: `according to`, `pointed out`, `shot back`.
_CUE_PHRASES = {
    "according": re.compile(r" to\b"),
    "pointed": re.compile(r" out\b"),
    "points": re.compile(r" out\b"),
    "went": re.compile(r" on\b"),
    "put": re.compile(r" it\b"),
    "puts": re.compile(r" it\b"),
    "shot": re.compile(r" back\b"),
    "fired": re.compile(r" back\b"),
}
_TOKEN = re.compile(r"[^\W_](?:[\w’'.\-]*\w)?\.?|[,;:()—–]")
_SENTENCE_END = re.compile(
    r"(?<![A-Z])(?<!Mr)(?<!Ms)(?<!Dr)(?<!Jr)(?<!St)(?<!Mrs)(?<!Sen)(?<!Rep)(?<!Gov)(?<!Gen)"
    r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n"
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
_INTRO = word_set(
    "in on at after before during while when since as but and so yet still now then however "
    "meanwhile later earlier yesterday today last speaking asked in addition instead though "
    "although if because for with without despite from by under over"
)
_OPENERS = word_set("That This There It What Such Even Only Here Asked Like Unlike Under")
_OPENERS_LOWER = frozenset(w.lower() for w in _OPENERS) - {"it"}
_TIME = word_set(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december jan. feb. aug. sept. oct. nov. dec. "
    "night morning afternoon evening today yesterday tonight week weekend month year ago weeks "
    "days months years hours than less more two three four five six ten several few"
)
_TIME_PREPOSITIONS = word_set("on in at during last this early late next")
_NOT_NAMES = _INTRO | _OPENERS_LOWER | _TIME
_RELATIVE_PRONOUNS = word_set("who which that")
_NOUN_MARKERS = _DETERMINERS | {"to"}  # `his promise`, `a statement to read`
_COORDINATORS = word_set("and but or")
_SHORT_LEAD = 5
_CONJUNCTIONS = word_set("and but so yet still now then also")
_PREPOSITIONS = word_set("for of in at from with on")
_PARTICLES = word_set("de la van von der al bin da du di le of")
_REACH = 220
_AFTER_REACH = 80  # characters between a closing mark and its cue


class Cue(NamedTuple):
    """A speech verb (or `according to`) found in the text."""

    start: int
    end: int
    word: str


def find_cues(text: str, lo: int, hi: int) -> Iterator[Cue]:
    """The cue words of `text[lo:hi]`, in order: a set lookup per word, not a big regex."""
    for match in _CUE_CANDIDATE.finditer(text, lo, hi):
        word = match.group()
        if word in _CUES:
            yield Cue(match.start(), match.end(), word)
            continue
        tail = _CUE_PHRASES.get(word.lower())
        if tail is not None:
            rest = tail.match(text, match.end(), hi)
            if rest is not None:
                yield Cue(match.start(), rest.end(), text[match.start() : rest.end()])


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
    lo = _sentence_start_before(text, max(prev_end, span.mark_start - _REACH), span.mark_start)
    if text[span.start].islower():  # a fragment inside a sentence: its verb comes first
        leading = _before_quote(text, lo, span.mark_start, cued_only=True)
        if leading is not NO_ATTRIBUTION:
            return leading
    trailing = _after_quote(text, span, next_start)
    if trailing is not NO_ATTRIBUTION:
        return trailing
    return _before_quote(text, lo, span.mark_start)


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
        mention = _walk_forward(text, cue.end, hi)
    else:  # `he said`, or `…, if she didn't win by much, said David Wasserman`
        mention = _walk_back(text, lo, cue.start)
        if mention is None and between.endswith(","):
            mention = _walk_forward(text, cue.end, hi)
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
    cues = [c for c in find_cues(text, lo, hi) if not _is_noun_use(text, lo, c)]
    for cue in cues:
        word = cue.word
        if word.startswith(("according", "According")):
            mention = _walk_forward(text, cue.end, hi)
        elif word.endswith("ing"):  # `Ryan saying`; after a comma, the main clause's subject
            mention = _adjacent_subject(text, lo, cue.start)
        else:
            mention = _walk_back(text, lo, cue.start)
        if mention is not None:
            return Attribution(None, mention, word)
    if cued_only:
        return NO_ATTRIBUTION
    if not cues and text[lo:hi].rstrip().endswith(":"):  # `Bush: “The mission is …”`
        short = len(_TOKEN.findall(text, lo, hi)) <= _SHORT_LEAD
        lead = _walk_forward(text, lo, hi) if short else _sentence_subject(text, lo, hi)
        return Attribution(None, lead, ":") if lead else NO_ATTRIBUTION
    subject = _sentence_subject(text, lo, hi)
    if subject is None:
        return NO_ATTRIBUTION
    return Attribution(None, subject, cues[0].word if cues else None)


def _adjacent_subject(text: str, lo: int, hi: int) -> Span | None:
    previous = _TOKEN.findall(text, max(lo, hi - 40), hi)
    if not previous or not (previous[-1][0].isupper() or previous[-1].lower() in PRONOUNS):
        return None
    return _walk_back(text, lo, hi)


def _is_noun_use(text: str, lo: int, cue: Cue) -> bool:
    """`his promise`, `Rubio's claim`, `the call`: the cue word is a noun here."""
    previous = _TOKEN.findall(text, max(lo, cue.start - 30), cue.start)
    if not previous:
        return False
    word = previous[-1]
    return word.lower() in _NOUN_MARKERS or word.endswith(("’s", "'s", "s’"))


def _could_be_named(text: str, mention: Span) -> bool:
    """`Horrified at …, ` opens a sentence; a one-word name also shows up mid-sentence."""
    word = mention.text
    if not word[:1].isupper() or " " in word or word.lower() in PRONOUNS:
        return True
    return re.search(rf"[a-z,] {re.escape(word)}\b", text) is not None


def _sentence_subject(text: str, lo: int, hi: int) -> Span | None:
    """The subject of a sentence with a partial quote: `Comey indicated that … “…”`."""
    tokens = list(_TOKEN.finditer(text, lo, min(hi, lo + _REACH)))
    if not tokens:
        return None
    start = 0
    opener = tokens[0].group()
    if opener.lower() in _CONJUNCTIONS:
        start = 1
    elif opener.lower() in _INTRO or opener.endswith(("ly", "ing")) or opener in _OPENERS:
        commas = [k for k, t in enumerate(tokens[:20]) if t.group() == ","]
        if not commas:
            return None
        start = commas[0] + 1
    if start >= len(tokens):
        return None
    mention = _walk_forward(text, tokens[start].start(), hi)
    if mention is None or not _could_be_named(text, mention):
        return None
    following = _TOKEN.search(text, mention.end, hi)
    if following and following.group() == ",":  # `Marty West, a professor at Harvard, called`
        closing = text.find(",", following.end(), hi)
        following = _TOKEN.search(text, closing + 1, hi) if 0 < closing < hi else None
    return mention if following and following.group().islower() else None


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
    i = _skip_aside(tokens, _skip_adverbials(tokens, len(tokens) - 1))
    if i < 0 or tokens[i].group() in _COORDINATORS:  # `… and said`: the sentence's subject
        return None
    word = tokens[i].group()
    if word.lower() in PRONOUNS:
        return _span(text, tokens[i].start(), tokens[i].end())
    first = _name_back(tokens, i) if word[0].isupper() else _noun_phrase_back(tokens, i)
    while first is not None and first < i and tokens[first].group().lower() in _NOT_NAMES:
        first += 1  # `When Trump`, `As Sen. Cruz`
    if first is None or tokens[first].group().lower() in _NOT_NAMES:
        return None
    if first >= 2 and tokens[first - 1].group() in _PREPOSITIONS:
        first = _noun_phrase_back(tokens, first - 2) or first  # `a spokesman for Trump`
    return _span(text, tokens[first].start(), tokens[i].end())


def _skip_adverbials(tokens: list[re.Match[str]], i: int) -> int:
    """Step back over `has also`, `on Friday`, `Tuesday night`; -1 for a passive `was called`."""
    while i >= 0:
        word = tokens[i].group()
        if word.lower() in _PASSIVE:
            return -1
        if word.lower() in _TIME or word[0].isdigit():
            i -= 1
            if i >= 0 and tokens[i].group().lower() in _TIME_PREPOSITIONS:
                i -= 1
        elif _skippable(word):
            i -= 1
        else:
            break
    return i


def _skippable(word: str) -> bool:
    low = word.lower()
    return (
        low in _SKIP or low in _PASSIVE or (word.islower() and low.endswith("ly") and len(low) > 4)
    )


def _skip_aside(tokens: list[re.Match[str]], i: int) -> int:
    """Step back over `(R-Fla.)` and `, the party's nominee,` between a speaker and the cue."""
    for closing, opening, reach in ((")", "(", 12), (",", ",", 30), ("—", "—", 30)):
        if i >= 0 and tokens[i].group() == closing:
            for j in range(i - 1, max(-1, i - reach), -1):
                if tokens[j].group() == opening:
                    i = j - 1
                    break
            else:
                return -1
    return i


def _name_back(tokens: list[re.Match[str]], i: int) -> int:
    first = i
    j = i - 1
    while j >= 0:
        word = tokens[j].group()
        if word[0].isupper() and word.lower() not in _DETERMINERS:
            first = j
        elif not (word in _PARTICLES and j > 0 and tokens[j - 1].group()[0].isupper()):
            break
        j -= 1
    return first


def _noun_phrase_back(tokens: list[re.Match[str]], i: int) -> int | None:
    for j in range(i, max(-1, i - 10), -1):
        word = tokens[j].group()
        if not word[0].isalnum():
            break
        if word.lower() in _DETERMINERS or (j < i and word.endswith(("’s", "'s"))):
            return j  # `the statement`, `Powell’s office`
    word = tokens[i].group()
    if word.endswith("s") and word.islower() and len(word) > 3:
        return i
    return None


def _walk_forward(text: str, lo: int, hi: int) -> Span | None:
    tokens = list(itertools.islice(_TOKEN.finditer(text, lo, hi), 10))
    if not tokens or not tokens[0].group()[0].isalpha():
        return None
    word = tokens[0].group()
    if word.lower() in PRONOUNS:
        return _span(text, tokens[0].start(), tokens[0].end())
    if word.lower() in _DETERMINERS:
        return _noun_phrase_forward(text, tokens)
    if word[0].isupper():
        return _name_forward(text, tokens, 0)
    for k, token in enumerate(tokens[1:5], start=1):  # `said election lawyer Joe Birkenstock`
        if token.group()[0].isupper():
            return _name_forward(text, tokens, k, tokens[0].start())
        if not token.group().isalpha() or token.group() in _FORWARD_STOP:
            break
    return None


def _name_forward(
    text: str, tokens: list[re.Match[str]], k: int, start: int | None = None
) -> Span:
    end = tokens[k].end()
    for token in tokens[k + 1 :]:
        word = token.group()
        if not (word[0].isupper() or word in _PARTICLES):
            break
        end = token.end()
    return _span(text, tokens[k].start() if start is None else start, end)


def _noun_phrase_forward(text: str, tokens: list[re.Match[str]]) -> Span:
    end = tokens[0].end()
    proper = False
    for token in tokens[1:7]:
        word = token.group()
        if not word[0].isalnum() or word.lower() in _FORWARD_STOP or (proper and word.islower()):
            break
        proper = word[0].isupper()  # `the FBI lists`: a name ends the phrase
        end = token.end()
    return _span(text, tokens[0].start(), end)


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
        lo = _sentence_start_before(text, max(prev.start, prev.end - _REACH), prev.end)
        lead_in = _before_quote(text, lo, prev.end)
        if lead_in is not NO_ATTRIBUTION:
            return lead_in
    if i > 0 and spans[i - 1].paragraph == index - 1:
        return found[i - 1]
    return NO_ATTRIBUTION


def _resolved(credit: Attribution, names: NameIndex) -> Attribution:
    if credit.mention is None:
        return credit
    return Attribution(names.resolve(credit.mention), credit.mention, credit.cue)
