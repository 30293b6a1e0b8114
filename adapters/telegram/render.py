"""Render a Reply as Telegram HTML messages, split at Telegram's 4,096-unit limit.

Telegram counts a message's length after entity parsing (the visible text). We bound the raw
HTML instead, measured in UTF-16 code units: the raw HTML is never shorter than the text it
shows, and UTF-16 units are never fewer than characters, so a message within the bound is within
Telegram's limit whichever way it counts. The price is a few more messages for link-heavy replies.

Splitting keeps a Section whole whenever it fits in a message; a Section that alone is over the
limit is split between its blocks, and a block that alone is over it between words (a single
over-long word between characters). Text is split *before* it is escaped and wrapped in tags, so
a cut never lands inside a tag or an entity: every message is valid HTML on its own.

The splitter is our own: python-telegram-bot has no splitting helper, and general HTML splitters
know nothing of Sections or of Telegram's tag set.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.replies import (
    Block,
    Bold,
    Code,
    Heading,
    Inline,
    Italic,
    Link,
    Paragraph,
    Quote,
    Reply,
    Section,
    Text,
)

MESSAGE_LIMIT = 4096
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Tag:
    """An HTML tag Telegram accepts: its name and its full opening text."""

    name: str
    opening: str

    @property
    def closing(self) -> str:
        """The matching end tag."""
        return f"</{self.name}>"


BOLD = Tag("b", "<b>")
ITALIC = Tag("i", "<i>")
CODE = Tag("code", "<code>")
BLOCKQUOTE = Tag("blockquote", "<blockquote>")


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text with the tags around it, outermost first."""

    text: str
    tags: tuple[Tag, ...] = ()


def utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Telegram measures."""
    return len(text.encode("utf-16-le")) // 2


def render_reply(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The reply as HTML messages in order, each at most `limit` UTF-16 units of raw HTML."""
    messages: list[str] = []
    current = ""
    for section in reply.sections:
        blocks = [block_runs(block) for block in section.blocks]
        whole = "\n".join(render_runs(runs) for runs in blocks if _visible(runs))
        if not whole:
            continue
        joined = f"{current}\n\n{whole}" if current else whole
        if utf16_length(joined) <= limit:
            current = joined
            continue
        if current:
            messages.append(current)
        if utf16_length(whole) <= limit:
            current = whole
            continue
        pieces = _split_section(section, limit)
        messages.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        messages.append(current)
    return messages


def split_plain_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text cut into messages of at most `limit` units: between paragraphs, then words."""
    paragraph_runs = [[Run(p)] for p in text.split("\n\n") if p.strip()]
    return _pack(
        [_runs_pieces(runs, limit, escape=False) for runs in paragraph_runs], "\n\n", limit
    )


def _split_section(section: Section, limit: int) -> list[str]:
    """An over-long section: whole blocks where they fit, over-long blocks cut between words."""
    return _pack([_runs_pieces(block_runs(b), limit) for b in section.blocks], "\n", limit)


def _pack(groups: list[list[str]], separator: str, limit: int) -> list[str]:
    """Greedily join rendered pieces into messages; a group's pieces are joined without a gap."""
    messages: list[str] = []
    current = ""
    for group in groups:
        for index, piece in enumerate(group):
            gap = separator if index == 0 else ""
            joined = f"{current}{gap}{piece}" if current else piece
            if utf16_length(joined) <= limit:
                current = joined
                continue
            if current.strip():
                messages.append(current.strip())
            current = piece
    if current.strip():
        messages.append(current.strip())
    return messages


def _runs_pieces(runs: list[Run], limit: int, *, escape: bool = True) -> list[str]:
    """Rendered pieces of a block, each within `limit`, cut between words (or characters)."""
    render = render_runs if escape else _plain
    if not _visible(runs):
        return []
    whole = render(runs)
    if utf16_length(whole) <= limit:
        return [whole]
    chunks: list[list[Run]] = [[]]
    size = 0
    for run in _word_runs(runs, limit, escape=escape):
        cost = _cost(run, escape=escape)
        if chunks[-1] and size + cost > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(run)
        size += cost
    return [render(chunk) for chunk in chunks if _visible(chunk)]


def _visible(runs: list[Run]) -> bool:
    """Whether the runs show anything: Telegram refuses a message of only whitespace."""
    return any(not run.text.isspace() and run.text for run in runs)


def _word_runs(runs: list[Run], limit: int, *, escape: bool) -> list[Run]:
    """Runs of one word each; a word too long for a message is cut into character slices."""
    words: list[Run] = []
    for run in runs:
        for word in _WORDS.findall(run.text):
            words.extend(_slices(Run(word, run.tags), limit, escape=escape))
    return words


def _slices(run: Run, limit: int, *, escape: bool) -> list[Run]:
    if _cost(run, escape=escape) <= limit:
        return [run]
    overhead = _cost(Run("", run.tags), escape=escape)
    # An escaped character takes at most 6 units ("&quot;" is the longest we produce).
    step = max(1, (limit - overhead) // (6 if escape else 2))
    return [Run(run.text[i : i + step], run.tags) for i in range(0, len(run.text), step)]


def _cost(run: Run, *, escape: bool) -> int:
    """An upper bound of the run's rendered length, whatever runs surround it."""
    text = html.escape(run.text, quote=False) if escape else run.text
    tags = sum(len(t.opening) + len(t.closing) for t in run.tags) if escape else 0
    return utf16_length(text) + tags


def _plain(runs: list[Run]) -> str:
    return "".join(run.text for run in runs)


def render_runs(runs: list[Run]) -> str:
    """HTML for a sequence of runs, opening and closing tags as the runs' tag stacks change."""
    out: list[str] = []
    open_tags: tuple[Tag, ...] = ()
    for run in runs:
        if not run.text:
            continue
        shared = 0
        while (
            shared < min(len(open_tags), len(run.tags)) and open_tags[shared] == run.tags[shared]
        ):
            shared += 1
        out.extend(tag.closing for tag in reversed(open_tags[shared:]))
        out.extend(tag.opening for tag in run.tags[shared:])
        out.append(html.escape(run.text, quote=False))
        open_tags = run.tags
    out.extend(tag.closing for tag in reversed(open_tags))
    return "".join(out)


def block_runs(block: Block) -> list[Run]:
    """The runs of one block: a heading is bold, a quote a blockquote with its speaker."""
    if isinstance(block, Heading):
        return _inline_runs(block.inlines, (BOLD,))
    if isinstance(block, Paragraph):
        return _inline_runs(block.inlines, ())
    if isinstance(block, Quote):
        runs = [Run(f"“{block.text}”", (BLOCKQUOTE,))]
        if block.speaker:
            runs += [Run("\n— ", (BLOCKQUOTE,)), Run(block.speaker, (BLOCKQUOTE, ITALIC))]
        return runs
    runs = []
    for index, item in enumerate(block.items):
        runs.append(Run(("\n" if index else "") + "• "))
        runs.extend(_inline_runs(item, ()))
    return runs


def _inline_runs(inlines: tuple[Inline, ...], outer: tuple[Tag, ...]) -> list[Run]:
    return [Run(piece.text, outer + _inline_tags(piece, outer)) for piece in inlines]


def _inline_tags(piece: Inline, outer: tuple[Tag, ...]) -> tuple[Tag, ...]:
    if isinstance(piece, Link):
        return (_link_tag(piece.url),) if _is_web_url(piece.url) else ()
    tag = {Bold: BOLD, Italic: ITALIC, Code: CODE, Text: None}[type(piece)]
    return () if tag is None or tag in outer else (tag,)


def _link_tag(url: str) -> Tag:
    return Tag("a", f'<a href="{html.escape(url, quote=True)}">')


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def render_plain_fallback(message: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text of one of our HTML messages, links as "text (url)", cut to fit `limit`."""
    linked = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", message)
    return split_plain_text(html.unescape(_TAG.sub("", linked)), limit) or ["…"]
