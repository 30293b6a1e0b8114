"""People's names in an article: the fullest form of each, and who a pronoun stands for.

One pass over the capitalized runs of the text collects every name, strips titles ("Secretary
General", "Sen.", "Russian President") and remembers the title a name came with, so that
"Stoltenberg", "the secretary general" and "He" can all be turned into "Jens Stoltenberg".
A pronoun stands for the most recent person named as a sentence or clause subject (outside
quotes) or credited as a speaker before it: a simple rule that is right most of the time in news
copy, at the cost of a bounded scan back over the capitalized words before the pronoun.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digests.text import Span

if TYPE_CHECKING:
    from digests.quotes import QuotedSpan


def word_set(listing: str) -> frozenset[str]:
    """The set of the words of a whitespace-separated listing."""
    return frozenset(listing.split())


PRONOUNS = word_set("he she they i we it who which him her his them their")
_PERSON_PRONOUNS = word_set("he she i who him her his")
# Two or more capitalized words: where full names (and their titles) are learnt.
_NAME_RUN = re.compile(
    r"[A-Z][\w’'\-]*\.?(?:[ \t]+(?:(?:de|la|van|von|der|bin|al|da|du|di|le)[ \t]+)?"
    r"[A-Z][\w’'\-]*\.?)+"
)
_CAPITALIZED = re.compile(r"\b[A-Z][\w’'\-]*")
_TRAILING_NAME = re.compile(r"[A-Z][\w’'\-.]*(?:\s+[A-Z][\w’'\-.]*)*$")
_ANTECEDENT_REACH = 800
# Capitalized words (titles, first names) right before a name, up to where the run starts.
_NAME_PREFIX = re.compile(r"(?:[A-Z][\w’'.\-]*[ \t]+)+$")
_FOLLOWING_WORD = re.compile(r"[ \t]+([a-z]+)\b")  # right after a name: its verb, if a subject
_NOT_VERBS = word_set(
    "for of at with from in on to by and or that who which as than about after before into"
)
_CLAUSE_OPENERS = frozenset('.!?:;,\n“”"(—')
_TITLES = word_set(
    """president vice secretary general sen senator rep representative gov governor mr mrs ms
    dr prof professor prime minister chairman chairwoman chair chief justice attorney speaker
    leader majority minority judge mayor rev gen col lt sgt capt adm ambassador director
    commissioner spokesman spokeswoman ceo king queen prince princess pope former candidate
    inspector superintendent detective constable sergeant lieutenant colonel commander captain
    coach chancellor councillor councilor premier mp mep grandmaster
    nominee democratic republican gop state house senate campaign manager adviser advisor
    press white sheriff officer lady first u.s us federal national council deputy assistant
    executive communications strategist pollster host anchor editor columnist analyst
    the a an in on at but and or so yet if as when while after before since for from with by
    of to this that these those his her their its our my your we i he she they it there
    here what who how why where then now meanwhile however still also even just yes no not
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december last next"""
)
_NATIONALITY_ENDINGS = ("an", "ese", "ish", "ic", "i")
_NATIONALITY = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ian|ic|i)$")
_ORGANIZATION = word_set(
    """house news party committee department post times university network senate congress
    court council association america states union agency office center centre institute
    foundation group journal review times media press campaign administration county city
    street fund bank inc corp company club church school college tv radio magazine"""
)


class NameIndex:
    """The article's people: fullest name by last word and by title, and where each appears."""

    __slots__ = ("_by_last", "_by_title", "_quoted_ends", "_quoted_starts", "_speakers", "_text")

    def __init__(self, text: str, quoted: Sequence[QuotedSpan]) -> None:
        self._text = text
        self._quoted_starts = [q.start for q in quoted]
        self._quoted_ends = [q.end for q in quoted]
        self._by_last: dict[str, str] = {}
        self._by_title: dict[str, str] = {}
        self._speakers: list[tuple[int, str]] = []  # named speakers resolved so far
        for run in dict.fromkeys(_NAME_RUN.findall(text)):
            _learn(run, self._by_last, self._by_title)

    def full_name(self, written: str) -> str | None:
        """The fullest name the article uses for a name as written ("Stoltenberg")."""
        name = _name_in(written)
        if name is None or " " in name:
            return name
        return self._by_last.get(name.lower(), name)

    def resolve(self, mention: Span) -> str | None:
        """The speaker a mention stands for: a name, a title's holder or a pronoun's antecedent."""
        written = mention.text.strip()
        low = written.lower()
        if low in PRONOUNS:
            return self._antecedent(mention.start) if low in _PERSON_PRONOUNS else None
        named = _TRAILING_NAME.search(written)  # `Sen. Cruz`, `election lawyer Joe Birkenstock`
        if named and _names_the_speaker(written, named):
            name = self.full_name(named.group())
            if name:
                self._speakers.append((mention.start, name))
            return name
        words = [w for w in low.split() if w not in _FUNCTION_WORDS]
        if words:
            found = self._by_title.get(" ".join(words)) or self._by_title.get(words[-1])
            if found:
                return found
        return written[:1].lower() + written[1:]  # `the statement`, `a source`

    def _antecedent(self, position: int) -> str | None:
        """The last person named as a subject (outside quotes) or as a speaker before here."""
        lo = max(0, position - _ANTECEDENT_REACH)
        if self._speakers and self._speakers[-1][0] > lo:
            lo = self._speakers[-1][0]
        for word in reversed(list(_CAPITALIZED.finditer(self._text, lo, position))):
            written = word.group()
            name = self._by_last.get(written.lower())
            if name is None and written.endswith(("s", "’")):
                name = self._by_last.get(_bare(written).lower())
            if name is not None and self._is_subject(word.start(), word.end()):
                return name
        if self._speakers and self._speakers[-1][0] >= lo:
            return self._speakers[-1][1]
        return None

    def _is_subject(self, start: int, end: int) -> bool:
        """Whether the name opens a clause or comes before its verb, outside any quote."""
        if self._quoted(start):
            return False
        verb = _FOLLOWING_WORD.match(self._text, end, end + 40)
        possessive = self._text[end - 2 : end] in ("’s", "'s")
        if verb is not None and not possessive and verb.group(1) not in _NOT_VERBS:
            return True  # `Union leader Marta Okonkwo disagreed`
        before = _NAME_PREFIX.search(self._text, max(0, start - 80), start)
        opening = before.start() if before else start
        preceding = self._text[max(0, opening - 2) : opening].strip()
        return not preceding or preceding[-1] in _CLAUSE_OPENERS

    def _quoted(self, position: int) -> bool:
        index = bisect.bisect_right(self._quoted_starts, position) - 1
        return index >= 0 and position < self._quoted_ends[index]


_LINKS = word_set("for of at with from in to by and or")
_FUNCTION_WORDS = word_set("the a an his her their its our this that of former then")
_TITLE_NOUNS = word_set(
    """president secretary general senator governor chairman chief justice speaker leader
    judge mayor ambassador director commissioner spokesman spokeswoman ceo minister"""
)


def _names_the_speaker(written: str, named: re.Match[str]) -> bool:
    """`union leader Marta Okonkwo` is Okonkwo; `a spokesman for Trump` and `The Times` are not."""
    if named.group().split()[0].lower() in _FUNCTION_WORDS:
        return False
    return not any(w in _LINKS for w in written[: named.start()].lower().split())


def build_name_index(text: str, quoted: Sequence[QuotedSpan]) -> NameIndex:
    """Collect the names of `text`; quoted spans never supply a pronoun's antecedent."""
    return NameIndex(text, quoted)


def _learn(run: str, by_last: dict[str, str], by_title: dict[str, str]) -> None:
    person = _person_in(run)
    if person is None:
        return
    name, title = person
    last = name.rsplit(None, 1)[-1].lower()
    known = by_last.get(last)
    if known is None or (known.split()[0] == name.split()[0] and len(name) > len(known)):
        by_last[last] = name
    if title:
        by_title.setdefault(title, name)
        head = title.rsplit(None, 1)[-1]
        if head in _TITLE_NOUNS:
            by_title.setdefault(head, name)


@functools.lru_cache(maxsize=4096)
def _name_in(written: str) -> str | None:
    """A name as written without its titles and possessive ("Sen. Cruz’s" is "Cruz")."""
    words = _strip_titles(written.split())
    return " ".join(words) if words else None


@functools.lru_cache(maxsize=4096)
def _person_in(run: str) -> tuple[str, str] | None:
    """A person's name and title in a run of capitalized words (cached: names recur)."""
    raw = run.split()
    words = _strip_titles(raw)
    if len(words) < 2 or _is_organization(words):
        return None
    titles = [w.lower().rstrip(".") for w in raw[: len(raw) - len(words)]]
    return " ".join(words), " ".join(w for w in titles if w not in _FUNCTION_WORDS)


def _strip_titles(words: list[str]) -> list[str]:
    start = 0
    while start < len(words) and (
        words[start].lower().rstrip(".") in _TITLES or _is_nationality(words, start)
    ):
        start += 1
    for k in range(start, len(words) - 1):  # `Harbour Commissioner Ingrid Lindqvist`
        if words[k][:1].isupper() and words[k].lower().rstrip(".") in _TITLES:
            start = k + 1
    kept = words[start:]
    if kept:
        last = kept[-1]
        for suffix in ("’s", "'s", "’", "."):
            if last.endswith(suffix) and len(last) > len(suffix) + 1:
                last = last[: -len(suffix)]
        kept[-1] = last
    return kept


def _is_nationality(words: list[str], index: int) -> bool:
    """`Israeli` in "Israeli Benjamin Netanyahu", not `Susan` or `Mei` in "Susan Collins" or
    "Mei Tanaka": first names end like nationalities too, so one is only dropped when a first
    and a last name remain after it."""
    word = words[index]
    enough = len(words) - index > 2
    return enough and word.endswith(_NATIONALITY_ENDINGS) and bool(_NATIONALITY.match(word))


def _bare(word: str) -> str:
    for suffix in ("’s", "'s", "’"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _is_organization(words: list[str]) -> bool:
    return any(w.lower() in _ORGANIZATION for w in words)
