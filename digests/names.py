"""People's names in an article: the fullest form of each, and who a pronoun stands for.

One pass over the capitalized runs of the text collects every name, strips titles ("Secretary
General", "Sen.", "Russian President") and remembers the title a name came with, so that
"Stoltenberg", "the secretary general" and "He" can all be turned into "Jens Stoltenberg".
A pronoun stands for the most recent person named outside a quote before it: a simple rule that
is right most of the time in news copy, at the cost of one binary search.
"""

from __future__ import annotations

import bisect
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
_NAME_RUN = re.compile(
    r"[A-Z][\w’'\-]*\.?(?:[ \t]+(?:(?:de|la|van|von|der|bin|al|da|du|di|le)[ \t]+)?"
    r"[A-Z][\w’'\-]*\.?)*"
)
_TITLES = word_set(
    """president vice secretary general sen senator rep representative gov governor mr mrs ms
    dr prof professor prime minister chairman chairwoman chair chief justice attorney speaker
    leader majority minority judge mayor rev gen col lt sgt capt adm ambassador director
    commissioner spokesman spokeswoman ceo king queen prince princess pope former candidate
    nominee democratic republican gop state house senate campaign manager adviser advisor
    press white sheriff officer lady first u.s us federal national council deputy assistant
    executive communications strategist pollster host anchor editor columnist analyst
    the a an in on at but and or so yet if as when while after before since for from with by
    of to this that these those his her their its our my your we i he she they it there
    here what who how why where then now meanwhile however still also even just yes no not
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december last next"""
)
_NATIONALITY = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ian|ic|i)$")
_ORGANIZATION = word_set(
    """house news party committee department post times university network senate congress
    court council association america states union agency office center centre institute
    foundation group journal review times media press campaign administration county city
    street fund bank inc corp company club church school college tv radio magazine"""
)


class NameIndex:
    """The article's people: fullest name by last word and by title, and where each appears."""

    __slots__ = ("_by_last", "_by_title", "_people", "_positions")

    def __init__(
        self,
        by_last: dict[str, str],
        by_title: dict[str, str],
        people: Sequence[tuple[int, str]],
    ) -> None:
        self._by_last = by_last
        self._by_title = by_title
        self._people = [name for _, name in people]
        self._positions = [pos for pos, _ in people]

    def full_name(self, written: str) -> str | None:
        """The fullest name the article uses for a name as written ("Stoltenberg")."""
        words = _strip_titles(written.split())
        if not words:
            return None
        if len(words) >= 2:
            return " ".join(words)
        return self._by_last.get(words[0].lower(), words[0])

    def resolve(self, mention: Span) -> str | None:
        """The speaker a mention stands for: a name, a title's holder or a pronoun's antecedent."""
        written = mention.text.strip()
        low = written.lower()
        if low in PRONOUNS:
            return self._antecedent(mention.start) if low in _PERSON_PRONOUNS else None
        if written[:1].isupper():
            return self.full_name(written)
        title = " ".join(w for w in low.split() if w not in _TITLES or w in _TITLE_NOUNS)
        return self._by_title.get(title, written)

    def _antecedent(self, position: int) -> str | None:
        index = bisect.bisect_left(self._positions, position)
        return self._people[index - 1] if index else None


_TITLE_NOUNS = word_set(
    """president secretary general senator governor chairman chief justice speaker leader
    judge mayor ambassador director commissioner spokesman spokeswoman ceo minister"""
)


def build_name_index(text: str, quoted: Sequence[QuotedSpan]) -> NameIndex:
    """Collect the names of `text` (outside quotes for pronoun antecedents) in one pass."""
    runs = [(m.start(), m.group()) for m in _NAME_RUN.finditer(text)]
    by_last: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for _, run in runs:
        _learn(run, by_last, by_title)
    people = []
    q = 0
    for start, run in runs:
        while q < len(quoted) and quoted[q].end <= start:
            q += 1
        if q < len(quoted) and quoted[q].start <= start:
            continue
        words = _strip_titles(run.split())
        if words and not _is_organization(words) and (len(words) >= 2 or _known(words, by_last)):
            people.append((start, by_last.get(words[-1].lower(), " ".join(words))))
    return NameIndex(by_last, by_title, people)


def _known(words: list[str], by_last: dict[str, str]) -> bool:
    return words[-1].lower() in by_last


def _learn(run: str, by_last: dict[str, str], by_title: dict[str, str]) -> None:
    raw = run.split()
    words = _strip_titles(raw)
    if len(words) < 2 or _is_organization(words):
        return
    name = " ".join(words)
    last = words[-1].lower()
    known = by_last.get(last)
    if known is None or (known.split()[0] == words[0] and len(name) > len(known)):
        by_last[last] = name
    titles = [w.lower().rstrip(".") for w in raw[: len(raw) - len(words)]]
    title = " ".join(w for w in titles if w in _TITLE_NOUNS)
    if title:
        by_title.setdefault(title, name)


def _strip_titles(words: list[str]) -> list[str]:
    start = 0
    while start < len(words) and (
        words[start].lower().rstrip(".") in _TITLES or _NATIONALITY.match(words[start])
    ):
        start += 1
    kept = words[start:]
    if kept:
        last = kept[-1]
        for suffix in ("’s", "'s", "’", "."):
            if last.endswith(suffix) and len(last) > len(suffix) + 1:
                last = last[: -len(suffix)]
        kept[-1] = last
    return kept


def _is_organization(words: list[str]) -> bool:
    return any(w.lower() in _ORGANIZATION for w in words)
