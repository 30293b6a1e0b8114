"""Replies as terminal text: headings underlined, quotes indented, links shown after their text."""

from __future__ import annotations

import textwrap

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
    Text,
)

WIDTH = 88


def render_text(reply: Reply) -> str:
    """The whole reply as terminal text, sections separated by a blank line."""
    sections = ["\n".join(_block(block) for block in section.blocks) for section in reply.sections]
    if reply.buttons:
        sections.append(_buttons(reply.buttons))
    return "\n\n".join(sections)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        line = _inlines(block.inlines)
        return f"{line}\n{'─' * min(len(line), WIDTH)}" if len(block.inlines) == 1 else line
    if isinstance(block, Paragraph):
        return textwrap.fill(_inlines(block.inlines), WIDTH, break_on_hyphens=False)
    if isinstance(block, Quote):
        said = f"“{block.text}”" + (f" — {block.speaker}" if block.speaker else "")
        return textwrap.fill(said, WIDTH, initial_indent="  > ", subsequent_indent="    ")
    if isinstance(block, BulletList):
        return "\n".join(
            textwrap.fill(_inlines(item), WIDTH, initial_indent="• ", subsequent_indent="  ")
            for item in block.items
        )
    raise TypeError(f"unknown block {block!r}")


def _inlines(inlines: tuple[Inline, ...]) -> str:
    return "".join(_inline(piece) for piece in inlines)


def _inline(piece: Inline) -> str:
    if isinstance(piece, Link):
        return f"{piece.text} <{piece.url}>"
    if isinstance(piece, Code):
        return piece.text
    if isinstance(piece, Bold | Italic | Text):
        return piece.text
    raise TypeError(f"unknown inline {piece!r}")


def _buttons(buttons: tuple[Button, ...]) -> str:
    return "  ".join(f"[{b.label}: {b.command}]" for b in buttons)
