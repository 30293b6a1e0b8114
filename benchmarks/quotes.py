"""Quote and speaker benchmark: `python benchmarks/quotes.py DATA.jsonl`.

Scores `digests.quotes.extract_quotes` against annotated quotations (PolNeAR-style JSON lines:
`text`, `quotes` with `start`, `end`, `speaker`, `speaker_start`, `speaker_end`), side by side with
bare quotation-mark pairing, as the team's evaluation README describes:

- a predicted quote matches a gold quote when their character overlap is at least half of the
  shorter span (one-to-one, greedy by overlap);
- quote+speaker: a matched pair is correct when the predicted mention overlaps the gold speaker
  span, or, neither being a pronoun, their last words agree ("Trump" = "Donald Trump");
  P = correct / predicted quotes with a speaker, R = correct / gold quotes with a speaker
  (column S-F1* has P = correct / every predicted quote, the stricter reading).

The extractor runs on the eval `text` as it is (paragraphs split on blank lines), so the offsets
line up with the gold.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digests.quotes import Quote, extract_quotes
from digests.text import Span

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BARE_QUOTE = re.compile(r"“([^”\n]*)(?:”|$)|\"([^\"\n]*)(?:\"|$)", re.MULTILINE)
PRONOUNS = frozenset(
    re.findall(
        r"\w+", "he she it they i we you him her his hers them their its who whom which this"
    )
)

Extractor = Callable[[str, Sequence[Span]], Sequence[Quote]]


@dataclass
class Tally:
    """Counts for one system over the whole data set."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    gold_with_speaker: int = 0
    predicted_with_speaker: int = 0
    speaker_correct: int = 0
    seconds: float = 0.0


def split_paragraphs(text: str) -> tuple[Span, ...]:
    """Paragraph spans of `text`, split on blank lines."""
    spans = []
    start = 0
    for match in _BLANK_LINE.finditer(text):
        spans.append(Span(start, match.start(), text[start : match.start()]))
        start = match.end()
    spans.append(Span(start, len(text), text[start:]))
    return tuple(s for s in spans if s.text.strip())


def extract_bare_pairs(text: str, paragraphs: Sequence[Span]) -> tuple[Quote, ...]:
    """Bare quotation-mark pairing within each line: the baseline, no speakers."""
    del paragraphs
    quotes = []
    for match in _BARE_QUOTE.finditer(text):
        group = 1 if match.group(1) is not None else 2
        start, end = match.span(group)
        if end > start:
            quotes.append(Quote(text[start:end], start, end, None, None, None))
    return tuple(quotes)


def _last_word(text: str) -> str:
    words = re.findall(r"[\w’'-]+", text.lower())
    return words[-1] if words else ""


def _is_pronoun(text: str) -> bool:
    return text.strip().lower() in PRONOUNS


def speaker_agrees(quote: Quote, gold: dict[str, Any]) -> bool:
    """Whether the predicted mention names the gold speaker (span overlap or last word)."""
    mention = quote.speaker_mention
    if mention is None or not gold.get("speaker"):
        return False
    g_start, g_end = gold["speaker_start"], gold["speaker_end"]
    if g_start is not None and mention.start < g_end and g_start < mention.end:
        return True
    if _is_pronoun(mention.text) or _is_pronoun(gold["speaker"]):
        return False
    return _last_word(mention.text) == _last_word(gold["speaker"]) != ""


def match_quotes(
    predicted: Sequence[Quote], gold: Sequence[dict[str, Any]]
) -> list[tuple[Quote, dict[str, Any]]]:
    """One-to-one greedy matching by overlap (at least half of the shorter span)."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            overlap = min(p.end, g["end"]) - max(p.start, g["start"])
            shorter = min(p.end - p.start, g["end"] - g["start"])
            if overlap > 0 and 2 * overlap >= shorter:
                candidates.append((-overlap, i, j))
    candidates.sort()
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((predicted[i], gold[j]))
    return pairs


def score_article(
    tally: Tally, predicted: Sequence[Quote], gold: Sequence[dict[str, Any]]
) -> None:
    """Add one article's counts to `tally`."""
    pairs = match_quotes(predicted, gold)
    tally.gold += len(gold)
    tally.predicted += len(predicted)
    tally.matched += len(pairs)
    tally.gold_with_speaker += sum(1 for g in gold if g.get("speaker"))
    tally.predicted_with_speaker += sum(1 for p in predicted if p.speaker_mention is not None)
    tally.speaker_correct += sum(1 for p, g in pairs if speaker_agrees(p, g))


def run(extractor: Extractor, rows: Iterable[dict[str, Any]]) -> Tally:
    """Score `extractor` over every row; time only the extraction."""
    tally = Tally()
    for row in rows:
        text = row["text"]
        started = time.perf_counter()
        predicted = extractor(text, split_paragraphs(text))
        tally.seconds += time.perf_counter() - started
        score_article(tally, predicted, row["quotes"])
    return tally


def prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (0 where undefined)."""
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def render_row(name: str, tally: Tally, articles: int) -> str:
    """One table row: quote P/R/F1, quote+speaker P/R/F1 (and F1 over all quotes), articles/s."""
    quote = prf(tally.matched, tally.predicted, tally.gold)
    speaker = prf(tally.speaker_correct, tally.predicted_with_speaker, tally.gold_with_speaker)
    strict = prf(tally.speaker_correct, tally.predicted, tally.gold_with_speaker)[2]
    rate = articles / tally.seconds if tally.seconds else float("inf")
    cells = " ".join(f"{v:6.3f}" for v in (*quote, *speaker, strict))
    return f"{name:<22} {cells} {rate:10.0f}"


def main() -> None:
    """Parse arguments, score both systems, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="JSON lines with text and gold quotes")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    print(f"{len(rows)} articles, {sum(len(r['quotes']) for r in rows)} gold quotes")
    header = ("Q-P", "Q-R", "Q-F1", "S-P", "S-R", "S-F1", "S-F1*")
    print(f"{'system':<22} " + " ".join(f"{h:>6}" for h in header) + f" {'articles/s':>10}")
    for name, extractor in (("bare pairing", extract_bare_pairs), ("newsdigest", extract_quotes)):
        print(render_row(name, run(extractor, rows), len(rows)))
    print("Q: quote match (overlap >= half the shorter span); S: quote and speaker both right;")
    print("S-P over predicted quotes with a speaker, S-R over gold quotes with a speaker;")
    print("S-F1*: the same with precision over every predicted quote, speaker or not.")


if __name__ == "__main__":
    main()
