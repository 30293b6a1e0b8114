"""The platform-neutral rich-text model of a reply, which each adapter renders for its platform.

A Reply is a sequence of Sections. A Section (one story of a digest, one search hit, one help
block) is the unit adapters never split: when a reply is too long for one platform message, the
adapter splits between sections first, and only splits inside a section (between its blocks, then
between words) when a single section alone is over the limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text; adapters escape it for their platform."""

    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    """Bold text."""

    text: str


@dataclass(frozen=True, slots=True)
class Italic:
    """Italic text."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """Monospaced text (commands, ids)."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link; `url` is http(s) only, checked by whoever builds it."""

    text: str
    url: str


Inline = Text | Bold | Italic | Code | Link


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading line (a story's headline, possibly a link)."""

    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of inline pieces."""

    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation with who said it."""

    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class BulletList:
    """A list; each item is a run of inline pieces."""

    items: tuple[tuple[Inline, ...], ...]


Block = Heading | Paragraph | Quote | BulletList


@dataclass(frozen=True, slots=True)
class Section:
    """A unit of a reply that adapters keep in one message whenever it fits."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button that runs a command when pressed (e.g. "More" -> "/latest 5 5")."""

    label: str
    command: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What a command or a digest delivery answers, before rendering."""

    sections: tuple[Section, ...]
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False


def plain_reply(text: str, *, ephemeral: bool = False) -> Reply:
    """A reply of one plain paragraph."""
    return Reply(sections=(Section((Paragraph((Text(text),)),)),), ephemeral=ephemeral)


def reply_to_plain_text(reply: Reply) -> str:
    """The reply as plain text: the fallback when a platform rejects formatted text."""
    return "\n\n".join(_section_text(section) for section in reply.sections)


def _section_text(section: Section) -> str:
    return "\n".join(_block_text(block) for block in section.blocks)


def _block_text(block: Block) -> str:
    if isinstance(block, Quote):
        return f"“{block.text}” — {block.speaker}" if block.speaker else f"“{block.text}”"
    if isinstance(block, BulletList):
        return "\n".join("• " + _inlines_text(item) for item in block.items)
    return _inlines_text(block.inlines)


def _inlines_text(inlines: tuple[Inline, ...]) -> str:
    return "".join(
        f"{piece.text} ({piece.url})" if isinstance(piece, Link) else piece.text
        for piece in inlines
    )
