"""OPML: import a list of sources from a user's file, and export ours.

OPML comes from users, so it is parsed with the stdlib's expat and refused outright if it has
a DTD (the home of entity declarations: billion laughs, external entities), which is what
defusedxml's forbid_dtd does, without the extra dependency. Outlines nest (folders of feeds);
every outline with an xmlUrl is a source, wherever it sits, listed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import NoReturn
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from bot.errors import UsageError
from bot.ingest.markup import replace_surrogates


@dataclass(frozen=True, slots=True)
class OpmlOutline:
    """One source in an OPML file: its feed URL and title."""

    url: str
    title: str


class _OutlineCollector:
    def __init__(self) -> None:
        self.outlines: dict[str, OpmlOutline] = {}
        self.saw_opml = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "opml":
            self.saw_opml = True
        url = attrs.get("xmlUrl", "").strip()
        if tag == "outline" and url and url not in self.outlines:
            title = (attrs.get("title") or attrs.get("text") or url).strip()
            self.outlines[url] = OpmlOutline(url, title)


def _refuse_dtd(*_: object) -> NoReturn:
    raise UsageError("OPML with a DTD or entity declarations is refused")


def parse_opml(text: str | bytes) -> tuple[OpmlOutline, ...]:
    """The sources listed in an OPML document; raise UsageError if it is not safe, valid OPML."""
    collector = _OutlineCollector()
    parser = expat.ParserCreate()
    parser.StartElementHandler = collector.start
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    if isinstance(text, str):
        text = replace_surrogates(text)
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        reason = f"not valid OPML: {expat.ErrorString(exc.code)} (line {exc.lineno})"
        raise UsageError(reason) from exc
    if not collector.saw_opml:
        raise UsageError("not an OPML document")
    return tuple(collector.outlines.values())


def render_opml(outlines: tuple[OpmlOutline, ...] | list[OpmlOutline], title: str) -> str:
    """An OPML 2.0 document listing the sources."""
    created = format_datetime(datetime.now(UTC), usegmt=True)
    body = "\n".join(
        f'    <outline type="rss" text={quoteattr(o.title)} title={quoteattr(o.title)}'
        f" xmlUrl={quoteattr(o.url)}/>"
        for o in outlines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0">\n'
        f"  <head>\n    <title>{escape(title)}</title>\n"
        f"    <dateCreated>{created}</dateCreated>\n  </head>\n"
        f"  <body>\n{body}\n  </body>\n</opml>\n"
    )
