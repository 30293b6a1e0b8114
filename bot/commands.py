"""The command set, the same on every platform: parsing, validation, permissions and help texts.

Adapters turn a platform event into command text ("/latest 5 bbc") and a Caller, call
`CommandRouter.handle` (in bot/router.py), and render the Reply it returns. Discord builds its
slash commands and Telegram its command menu from COMMANDS.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_STORIES = 5
"""Stories /latest shows when not told how many."""


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a command, as shown in usage lines and slash-command options."""

    name: str
    description: str
    required: bool = False
    default: str | None = None
    """What an omitted optional argument means; platforms with named options (Discord) write it
    out when a later argument is given, so that `/latest source:3` is not read as n = 3."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    """A command's name, help text and arguments."""

    name: str
    description: str
    arguments: tuple[Argument, ...] = ()
    admin_only: bool = False

    @property
    def usage(self) -> str:
        """The one-line usage message, e.g. `/latest [n] [source]`."""
        args = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in self.arguments]
        return " ".join([f"/{self.name}", *args])


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(name="start", description="Say hello and show what the bot can do"),
    CommandSpec(name="help", description="List the commands"),
    CommandSpec(
        name="latest",
        description="The latest stories",
        arguments=(
            Argument("n", "how many stories (1 to 20)", default=str(DEFAULT_STORIES)),
            Argument("source", "only from this source (id or part of its name)"),
        ),
    ),
    CommandSpec(
        name="quotes",
        description="Recent key quotes, by speaker or words",
        arguments=(Argument("query", "a speaker's name or words from the quote"),),
    ),
    CommandSpec(
        name="search",
        description="Search articles, quotes and speakers",
        arguments=(Argument("words", "what to look for", required=True),),
    ),
    CommandSpec(name="digest", description="This chat's digest, now"),
    CommandSpec(
        name="subscribe",
        description="Get a daily digest in this chat",
        arguments=(
            Argument("time", "local time HH:MM (default 08:00)"),
            Argument("timezone", "a time zone such as Europe/Berlin"),
        ),
    ),
    CommandSpec(name="unsubscribe", description="Stop the daily digest in this chat"),
    CommandSpec(
        name="settings",
        description="Show or change this chat's digest settings",
        arguments=(
            Argument("key", "time, timezone, sources, include, exclude or length"),
            Argument("value", "the new value"),
        ),
    ),
    CommandSpec(name="sources", description="List the sources and their health"),
    CommandSpec(
        name="addsource",
        description="Add a feed, page or folder (admins)",
        arguments=(Argument("url", "the feed or page URL", required=True),),
        admin_only=True,
    ),
    CommandSpec(
        name="removesource",
        description="Remove a source (admins)",
        arguments=(Argument("source", "the source's id or URL", required=True),),
        admin_only=True,
    ),
    CommandSpec(
        name="import",
        description="Import sources from OPML (admins)",
        arguments=(Argument("opml", "the OPML document or its URL", required=True),),
        admin_only=True,
    ),
    CommandSpec(name="export", description="Export the sources as OPML (admins)", admin_only=True),
    CommandSpec(name="stats", description="Bot statistics (admins)", admin_only=True),
)


SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}
