"""Render a Reply as Discord messages: embeds within every Discord limit, text escaped.

One embed per section (more when a section's text is over the description limit); embeds are
packed into messages of at most 10 embeds and 6,000 characters, keeping a section's embeds in one
message whenever they fit, so a long digest spans several messages in order. The reply's buttons
go on the last message as Discord buttons (adapters.discord.buttons); a command too long for a
button's custom_id becomes a command hint in the text instead.

Escaping: discord.utils.escape_markdown and escape_mentions do most of it; on top of them this
module neutralises what they leave alone (`<@id>` with short ids, `<#channel>`, `<t:...>`
timestamps, `</command:id>` links, numbered-list markers) because article text must never format,
link or mention anything. Sending also uses AllowedMentions.none(), so nothing can ping anyway.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote

import discord

from adapters.discord.buttons import BUTTONS_PER_MESSAGE, fits_as_button
from bot.replies import (
    Block,
    Bold,
    BulletList,
    Button,
    Code,
    Heading,
    Inline,
    Italic,
    Link,
    Paragraph,
    Quote,
    Reply,
    Section,
    reply_to_plain_text,
)

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
EMBED_COLOUR = 0x2B6CB0

_SPECIAL_TAG = re.compile(r"<(?=[@#/:]|a:|t:|id:)")
_NUMBERED_LIST = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
_SAFE_URL = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One Discord message: its text, its embeds and its buttons."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = ()
    buttons: tuple[Button, ...] = ()


@functools.lru_cache(maxsize=4096)
def escape_text(text: str) -> str:
    """Text shown literally on Discord: no markdown, mentions, channel links or timestamps."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = discord.utils.escape_markdown(text)
    text = discord.utils.escape_mentions(text)
    text = _SPECIAL_TAG.sub("<\u200b", text)
    return _NUMBERED_LIST.sub(r"\1\\.", text)


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """The reply as messages in order, each within Discord's content and embed limits."""
    return list(_render_reply(reply))


# A digest fans out to many channels as equal Replies: render each once (Embeds are only read).
@functools.lru_cache(maxsize=64)
def _render_reply(reply: Reply) -> tuple[DiscordMessage, ...]:
    packed = _pack_embeds([render_section(section) for section in reply.sections])
    rendered = [DiscordMessage(embeds=tuple(embeds)) for embeds in packed if embeds]
    buttons = tuple(b for b in reply.buttons if fits_as_button(b))[:BUTTONS_PER_MESSAGE]
    hint = _buttons_text(tuple(b for b in reply.buttons if b not in buttons))
    if hint or not rendered:
        rendered.append(DiscordMessage(content=hint or "\u200b"))
    if buttons:
        last = rendered[-1]
        rendered[-1] = DiscordMessage(content=last.content, embeds=last.embeds, buttons=buttons)
    return tuple(rendered)


def _pack_embeds(sections: list[list[discord.Embed]]) -> list[list[discord.Embed]]:
    """Embeds into messages of at most 10 and 6,000 characters; a section starts a new message
    rather than straddle two, unless it is too big for one message on its own."""
    messages: list[list[discord.Embed]] = [[]]
    used = 0
    for embeds in sections:
        sizes = [len(embed) for embed in embeds]
        if messages[-1] and not _room(len(messages[-1]) + len(embeds), used + sum(sizes)):
            messages.append([])
            used = 0
        for embed, size in zip(embeds, sizes, strict=True):
            if not _room(len(messages[-1]) + 1, used + size):
                messages.append([])
                used = 0
            messages[-1].append(embed)
            used += size
    return messages


def _room(embeds: int, characters: int) -> bool:
    return embeds <= EMBEDS_PER_MESSAGE and characters <= EMBED_TOTAL_LIMIT


def render_plain(reply: Reply) -> list[DiscordMessage]:
    """The reply as plain text messages: the fallback when Discord rejects the embeds."""
    text = escape_text(reply_to_plain_text(reply)) or "\u200b"
    return [DiscordMessage(content=chunk) for chunk in split_text(text, CONTENT_LIMIT)]


def render_section(section: Section) -> list[discord.Embed]:
    """One section as embeds: the heading as title (and link), the rest as description."""
    heading, blocks = _split_heading(section.blocks)
    title = fit_text(_plain(heading.inlines), TITLE_LIMIT) if heading else ""
    parts = [
        piece for block in blocks for piece in split_text(render_block(block), DESCRIPTION_LIMIT)
    ]
    descriptions = _pack([p for p in parts if p], DESCRIPTION_LIMIT, "\n") or [""]
    if not title and not any(descriptions):
        return []
    embeds = [
        discord.Embed(description=text or None, colour=EMBED_COLOUR) for text in descriptions
    ]
    if heading and title:
        embeds[0].title = title
        embeds[0].url = next(
            (p.url for p in heading.inlines if isinstance(p, Link) and _safe(p.url)), None
        )
    return embeds


def _split_heading(blocks: tuple[Block, ...]) -> tuple[Heading | None, tuple[Block, ...]]:
    if blocks and isinstance(blocks[0], Heading):
        return blocks[0], blocks[1:]
    return None, blocks


def render_block(block: Block) -> str:
    """One block as Discord markdown."""
    if isinstance(block, Heading):
        return f"**{render_inlines(block.inlines)}**"
    if isinstance(block, Paragraph):
        return render_inlines(block.inlines)
    if isinstance(block, Quote):
        said = f"“{block.text}”" + (f" — {block.speaker}" if block.speaker else "")
        return "\n".join("> " + line for line in escape_text(said).split("\n"))
    if isinstance(block, BulletList):
        return "\n".join("• " + render_inlines(item) for item in block.items)
    return ""


def render_inlines(inlines: tuple[Inline, ...]) -> str:
    """Inline pieces as Discord markdown; every piece of text escaped."""
    return "".join(_render_inline(piece) for piece in inlines if piece.text)


def _render_inline(piece: Inline) -> str:
    if isinstance(piece, Bold):
        return f"**{escape_text(piece.text)}**"
    if isinstance(piece, Italic):
        return f"*{escape_text(piece.text)}*"
    if isinstance(piece, Code):
        # Nothing can be escaped inside a code span, so a backtick becomes a look-alike.
        return "`" + piece.text.replace("`", "ˋ").replace("\n", " ") + "`"
    if isinstance(piece, Link) and _safe(piece.url):
        label = escape_text(piece.text).replace("[", "\\[").replace("]", "\\]")
        return f"[{label}]({_link_target(piece.url)})"
    return escape_text(piece.text)


def fit_text(text: str, limit: int) -> str:
    """`text` escaped, shortened at a word boundary with "…" so that it is at most `limit`."""
    escaped = escape_text(text)
    keep = len(text)
    while len(escaped) > limit:
        keep = max(0, keep - (len(escaped) - limit) - 1)
        cut = text[:keep].rsplit(" ", 1)[0] if " " in text[:keep] else text[:keep]
        escaped = escape_text(cut) + "…"
        keep = len(cut)
    return escaped


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters: between lines, then words."""
    pieces = [piece for line in text.split("\n") for piece in _split_line(line, limit)]
    return _pack(pieces, limit, "\n")


def _split_line(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    words = line.split(" ")
    return _pack(
        [w[i : i + limit] for w in words for i in range(0, len(w) or 1, limit)], limit, " "
    )


def _pack(parts: list[str], limit: int, separator: str) -> list[str]:
    """Greedily join parts (each at most `limit`) into chunks of at most `limit`."""
    chunks: list[str] = []
    for part in parts:
        if chunks and len(chunks[-1]) + len(separator) + len(part) <= limit:
            chunks[-1] += separator + part
        else:
            chunks.append(part)
    return chunks


def _buttons_text(buttons: tuple[Button, ...]) -> str:
    """Buttons Discord cannot carry (command too long) as a line of command hints."""
    lines = [f"{escape_text(b.label)}: `{b.command.replace('`', 'ˋ')}`" for b in buttons]
    return split_text("\n".join(lines), CONTENT_LIMIT)[0] if lines else ""


def _plain(inlines: tuple[Inline, ...]) -> str:
    return "".join(piece.text for piece in inlines)


def _safe(url: str) -> bool:
    return bool(_SAFE_URL.match(url))


def _link_target(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")
