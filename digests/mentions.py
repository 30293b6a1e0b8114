"""Cue verbs and speaker mentions: the words next to a quote that say who said it.

`find_cues` finds speech verbs ("said", "told", "according to") with one regular expression
whose alternatives are the verbs' letter tree (`sa(?:id|ys?)`): twice as fast as a set lookup
per word, and several times faster than a flat alternation over ~250 verbs. `mention_before`
walks back from a cue to its subject (`Secretary General Jens Stoltenberg said`, `a spokesman
for the campaign said`, stepping over `on Friday`, `(R-Fla.)` and `, the party's nominee,`);
`mention_after` reads the subject of an inverted cue (`said Marta Okonkwo`, `according to
officials`). Hand-written rules, tuned on PolNeAR's train split: a parser would cost more than
the whole digest's time budget.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from digests.names import PRONOUNS, word_set
from digests.text import Span

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


def _letter_tree(words: Iterable[str]) -> str:
    """A pattern matching exactly `words`, as nested alternatives sharing their prefixes."""
    tree: dict[str, dict[str, Any]] = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}
    return _branch_pattern(tree)


def _branch_pattern(node: dict[str, dict[str, Any]]) -> str:
    branches = [
        re.escape(letter) + _branch_pattern(child) for letter, child in node.items() if letter
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


_CUE_CANDIDATE = re.compile(
    rf"\b(?:{_letter_tree(sorted(_CUES | _CUE_PHRASES.keys() | {'According'}))})\b"
)
TOKEN = re.compile(r"[^\W_](?:[\w’'.\-]*\w)?\.?|[,;:()—–]")
_SKIP = word_set(
    "has had have also later then once previously recently further again would will could "
    "might may can did does do not never always often once still just even later earlier "
    "simply reportedly repeatedly frequently publicly privately initially finally"
)
_PASSIVE = word_set("is was were are been being be")
DETERMINERS = word_set(
    "the a an his her their its our this that these those one another some many several most "
    "other both each every two three four"
)
_FORWARD_STOP = word_set(
    "in on at during while when who which that after before as to with from about and but "
    "because since if than"
)
INTRO = word_set(
    "in on at after before during while when since as but and so yet still now then however "
    "meanwhile later earlier yesterday today last speaking asked in addition instead though "
    "although if because for with without despite from by under over"
)
OPENERS = word_set("That This There It What Such Even Only Here Asked Like Unlike Under")
_OPENERS_LOWER = frozenset(w.lower() for w in OPENERS) - {"it"}
TIME = word_set(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december jan. feb. aug. sept. oct. nov. dec. "
    "night morning afternoon evening today yesterday tonight week weekend month year ago weeks "
    "days months years hours than less more two three four five six ten several few time past "
    "moment"
)
_PLACE_LINKS = frozenset(("of", "from", "in"))
_ASIDES = {")": ("(", 12), ",": (",", 30), "—": ("—", 30)}  # closing: opening, reach
_TIME_FILLERS = word_set("on in at during last this that the a early late next")
_NOT_NAMES = INTRO | _OPENERS_LOWER | TIME
_COORDINATORS = word_set("and but or")
_PREPOSITIONS = word_set("for of in at from with on")
_PARTICLES = word_set("de la van von der al bin da du di le of")


class Cue(NamedTuple):
    """A speech verb (or `according to`) found in the text."""

    start: int
    end: int
    word: str


def find_cues(text: str, lo: int, hi: int) -> Iterator[Cue]:
    """The cue words of `text[lo:hi]`, in order."""
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


def mention_before(text: str, lo: int, hi: int) -> Span | None:
    """The subject of a cue that ends at `hi`, within `text[lo:hi]` (None if there is none)."""
    tokens = list(TOKEN.finditer(text, lo, hi))
    i = _skip_aside(tokens, _skip_adverbials(tokens, len(tokens) - 1))
    if i < 0 or tokens[i].group() in _COORDINATORS:  # `… and said`: the sentence's subject
        return None
    i = _skip_place(tokens, i)
    word = tokens[i].group()
    if word.lower() in PRONOUNS:
        return _span(text, tokens[i].start(), tokens[i].end())
    first = _name_back(tokens, i) if word[0].isupper() else _noun_phrase_back(tokens, i)
    while first is not None and first < i and tokens[first].group().lower() in _NOT_NAMES:
        first += 1  # `When Trump`, `As Sen. Cruz`
    if first is None or tokens[first].group().lower() in _NOT_NAMES:
        return None
    if first >= 2 and tokens[first - 1].group() in _PREPOSITIONS:
        head = _noun_phrase_back(tokens, first - 2)  # `a spokesman for Trump`
        first = first if head is None else head
    return _span(text, tokens[first].start(), tokens[i].end())


def _skip_place(tokens: list[re.Match[str]], i: int) -> int:
    """`Cory James, 22, of Flint, Mich., said`: from `Flint` back to `Cory James`."""
    while i >= 0 and tokens[i].group()[0].isupper():
        first = _name_back(tokens, i)
        if first < 2 or tokens[first - 1].group() not in _PLACE_LINKS:
            return i
        if tokens[first - 2].group() != ",":
            return i
        back = _skip_aside(tokens, first - 2)
        if back < 0:
            return i
        i = back
    return i


def _skip_adverbials(tokens: list[re.Match[str]], i: int) -> int:
    """Step back over `has also`, `on Friday`, `Tuesday night`; -1 for a passive `was called`."""
    while i >= 0:
        word = tokens[i].group()
        if word.lower() in _PASSIVE:
            return -1
        if word.lower() in TIME or word[0].isdigit():
            i -= 1  # `on Friday`, `at the time`, `a few days later`
            while i >= 0 and tokens[i].group().lower() in _TIME_FILLERS:
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
    while i >= 0 and tokens[i].group() in _ASIDES:
        opening, reach = _ASIDES[tokens[i].group()]
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
        if word[0].isupper() and word.lower() not in DETERMINERS:
            first = j
        elif not (word in _PARTICLES and j > 0 and tokens[j - 1].group()[0].isupper()):
            break
        j -= 1
    return first


def _noun_phrase_back(tokens: list[re.Match[str]], i: int) -> int | None:
    for j in range(i, max(-1, i - 10), -1):
        word = tokens[j].group()
        if word == "," and j < i and j > 0 and tokens[j - 1].group().islower():
            continue  # `the bespectacled, 71-year-old diplomat`
        if not word[0].isalnum():
            break
        if word.lower() in DETERMINERS or (j < i and word.endswith(("’s", "'s"))):
            return j  # `the statement`, `Powell’s office`
    word = tokens[i].group()
    if word.endswith("s") and word.islower() and len(word) > 3:
        return i
    return None


def mention_after(text: str, lo: int, hi: int) -> Span | None:
    """The noun phrase that opens `text[lo:hi]`: a pronoun, a name or `the …` (or None)."""
    tokens = list(itertools.islice(TOKEN.finditer(text, lo, hi), 10))
    if not tokens or not tokens[0].group()[0].isalpha():
        return None
    word = tokens[0].group()
    if word.lower() in PRONOUNS:
        return _span(text, tokens[0].start(), tokens[0].end())
    if word.lower() in DETERMINERS:
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
