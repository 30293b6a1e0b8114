"""The command router: parsing, validation, permission checks, and the Reply of each command.

Platform-neutral: adapters turn a platform event into command text ("/latest 5 bbc") and a
Caller, call `CommandRouter.handle`, and render the Reply. Bad arguments get a one-line usage
message, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chats import Caller, ChatKind, Platform
from bot.commands import COMMANDS, DEFAULT_STORIES, SPECS
from bot.config import Config
from bot.errors import ConfigError, NotFound, PermissionDenied, SourceError, UsageError
from bot.ingest.markup import replace_surrogates
from bot.replies import Button, Code, Paragraph, Reply, Section, plain_reply
from bot.service import NewsService
from bot.store.schedule import parse_at
from bot.views import (
    render_help,
    render_import,
    render_quotes,
    render_settings,
    render_source_added,
    render_sources,
    render_stats,
    render_stories,
    render_subscribed,
)

MAX_STORIES = 20
_OFFSET = re.compile(r"^\+(\d{1,5})$")
log = logging.getLogger(__name__)

Handler = Callable[["CommandRouter", Caller, str], Awaitable[Reply]]


class CommandRouter:
    """Parses command text, checks permissions, calls the service and builds the Reply."""

    def __init__(self, service: NewsService, config: Config) -> None:
        self._service = service
        self._config = config

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Answer one command; bad input gets a one-line message, never a traceback."""
        name, args = split_command(replace_surrogates(text))
        spec = SPECS.get(name)
        if spec is None:
            return plain_reply(f"Unknown command /{name}. Type /help for the list.")
        try:
            if spec.admin_only and not await self.is_admin(caller):
                raise PermissionDenied(f"/{name} is for admins only.")
            return await _HANDLERS[name](self, caller, args)
        except UsageError as exc:
            return plain_reply(str(exc) or f"Usage: {spec.usage}", ephemeral=True)
        except (PermissionDenied, NotFound, SourceError, ConfigError) as exc:
            return plain_reply(str(exc), ephemeral=True)
        except Exception:
            log.exception("command /%s failed", name)
            return plain_reply(f"Sorry, /{name} failed. The error was logged.", ephemeral=True)

    async def is_admin(self, caller: Caller) -> bool:
        """Whether the caller may change sources: listed in the config for their platform."""
        admins = self._config.admins
        if caller.chat.platform is Platform.CONSOLE:
            return admins.console
        listed = admins.telegram if caller.chat.platform is Platform.TELEGRAM else admins.discord
        return caller.user_id.lstrip("-").isdigit() and int(caller.user_id) in listed

    async def _may_change_chat(self, caller: Caller) -> bool:
        if caller.chat_kind is ChatKind.PRIVATE or caller.is_chat_admin:
            return True
        return await self.is_admin(caller)

    async def _require_chat_admin(self, caller: Caller) -> None:
        if not await self._may_change_chat(caller):
            raise PermissionDenied("Only this chat's admins can change its digest.")

    async def _start(self, caller: Caller, args: str) -> Reply:
        del args
        intro = plain_reply(
            "newsdigest turns the news into short digests: headline, summary, and who said what. "
            "Try /latest, /quotes or /subscribe."
        )
        help_reply = render_help(COMMANDS, is_admin=await self.is_admin(caller))
        return Reply(sections=intro.sections + help_reply.sections)

    async def _help(self, caller: Caller, args: str) -> Reply:
        del args
        return render_help(COMMANDS, is_admin=await self.is_admin(caller))

    async def _latest(self, caller: Caller, args: str) -> Reply:
        del caller
        n, offset, source = _latest_arguments(args)
        # By id: the source's name is its title, and "More" asks for the same source again.
        found = None if source is None else await self._service.find_source(source)
        stories = await self._service.latest(n, source=found, offset=offset)
        more = f"/latest {n} +{offset + n}" + (f" {found.id}" if found else "")
        buttons = (Button("More", more),) if len(stories) == n else ()
        title = "Latest stories" + (f" from {found.title or found.url}" if found else "")
        return render_stories(stories, title=title, empty="No stories yet.", buttons=buttons)

    async def _quotes(self, caller: Caller, args: str) -> Reply:
        del caller
        query = args or None
        return render_quotes(await self._service.quotes(query, n=5), query=query)

    async def _search(self, caller: Caller, args: str) -> Reply:
        del caller
        if not args:
            raise UsageError(f"Usage: {SPECS['search'].usage}")
        stories = await self._service.search(args, n=10)
        return render_stories(
            stories, title=f"Search: {args}", empty=f"Nothing found for “{args}”."
        )

    async def _digest(self, caller: Caller, args: str) -> Reply:
        del args
        stories = await self._service.digest_for(caller.chat)
        return render_stories(
            stories, title="Your digest", empty="No new stories since your last digest."
        )

    async def _subscribe(self, caller: Caller, args: str) -> Reply:
        await self._require_chat_admin(caller)
        at, tz = _subscribe_arguments(args, self._config)
        return render_subscribed(await self._service.subscribe(caller.chat, at=at, tz=tz))

    async def _unsubscribe(self, caller: Caller, args: str) -> Reply:
        del args
        await self._require_chat_admin(caller)
        if await self._service.unsubscribe(caller.chat):
            return plain_reply("Unsubscribed: no more daily digests here.")
        return plain_reply("This chat was not subscribed.")

    async def _settings(self, caller: Caller, args: str) -> Reply:
        if not args:
            return render_settings(await self._service.settings(caller.chat))
        await self._require_chat_admin(caller)
        key, _, value = args.partition(" ")
        changes = _setting_change(key.lower(), value.strip())
        return render_settings(await self._service.update_settings(caller.chat, **changes))

    async def _sources(self, caller: Caller, args: str) -> Reply:
        del caller, args
        return render_sources(await self._service.list_sources())

    async def _addsource(self, caller: Caller, args: str) -> Reply:
        url = args.strip()
        if not url or " " in url:
            raise UsageError(f"Usage: {SPECS['addsource'].usage}")
        if (
            not url.startswith(("http://", "https://"))
            and caller.chat.platform is not Platform.CONSOLE
        ):
            raise UsageError("Only http:// and https:// URLs can be added from a chat.")
        report = await self._service.add_source(url, by=_who(caller))
        return render_source_added(report)

    async def _removesource(self, caller: Caller, args: str) -> Reply:
        del caller
        if not args or " " in args.strip():
            raise UsageError(f"Usage: {SPECS['removesource'].usage}")
        source = await self._service.remove_source(args.strip())
        return plain_reply(f"Removed source #{source.id}: {source.title or source.url}.")

    async def _import(self, caller: Caller, args: str) -> Reply:
        if not args:
            raise UsageError(f"Usage: {SPECS['import'].usage}")
        return render_import(await self._service.import_opml(args, by=_who(caller)))

    async def _export(self, caller: Caller, args: str) -> Reply:
        del caller, args
        opml = await self._service.export_opml()
        return Reply(sections=(Section((Paragraph((Code(opml),)),)),))

    async def _stats(self, caller: Caller, args: str) -> Reply:
        del caller, args
        return render_stats(await self._service.stats())


_HANDLERS: dict[str, Handler] = {
    "start": CommandRouter._start,
    "help": CommandRouter._help,
    "latest": CommandRouter._latest,
    "quotes": CommandRouter._quotes,
    "search": CommandRouter._search,
    "digest": CommandRouter._digest,
    "subscribe": CommandRouter._subscribe,
    "unsubscribe": CommandRouter._unsubscribe,
    "settings": CommandRouter._settings,
    "sources": CommandRouter._sources,
    "addsource": CommandRouter._addsource,
    "removesource": CommandRouter._removesource,
    "import": CommandRouter._import,
    "export": CommandRouter._export,
    "stats": CommandRouter._stats,
}


def split_command(text: str) -> tuple[str, str]:
    """`"/latest@MyBot 5 bbc"` -> `("latest", "5 bbc")`; the name is lower-cased."""
    head, _, args = text.strip().partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    return name, " ".join(args.split())


def _latest_arguments(args: str) -> tuple[int, int, str | None]:
    words = args.split()
    n, offset = DEFAULT_STORIES, 0
    if words and words[0].isdigit():
        n = int(words.pop(0))
        if not 1 <= n <= MAX_STORIES:
            raise UsageError(
                f"n must be between 1 and {MAX_STORIES}. Usage: {SPECS['latest'].usage}"
            )
    if words and (match := _OFFSET.match(words[0])):
        offset = int(match.group(1))
        words.pop(0)
    return n, offset, " ".join(words) or None


def _subscribe_arguments(args: str, config: Config) -> tuple[str, str]:
    words = args.split()
    if len(words) > 2:
        raise UsageError(f"Usage: {SPECS['subscribe'].usage}")
    at = config.digest.default_time
    tz = config.digest.timezone
    for word in words:
        if ":" in word and word[0].isdigit():
            at = parse_time(word)
        else:
            tz = parse_timezone(word)
    return at, tz


def parse_time(word: str) -> str:
    """`"7:30"` -> `"07:30"`; anything else is a UsageError."""
    try:
        at = parse_at(word)
    except UsageError as exc:
        raise UsageError(f"“{word}” is not a time; use HH:MM, like 07:30.") from exc
    return at.strftime("%H:%M")


def parse_timezone(word: str) -> str:
    """A zoneinfo name such as Europe/Berlin; anything else is a UsageError."""
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"“{word}” is not a time zone; use a name like Europe/Berlin.") from exc
    return word


def _setting_change(key: str, value: str) -> dict[str, Any]:
    usage = UsageError(
        "Usage: /settings [time HH:MM | timezone NAME | include WORDS | exclude WORDS | "
        "sources IDS|all | length N]"
    )
    if not value:
        raise usage
    if key == "time":
        return {"at": parse_time(value)}
    if key in {"timezone", "tz"}:
        return {"tz": parse_timezone(value)}
    if key in {"include", "exclude"}:
        words = () if value.lower() in {"none", "-", "clear"} else tuple(value.split(","))
        return {key: tuple(w.strip() for w in words if w.strip())}
    if key == "sources":
        if value.lower() == "all":
            return {"sources": ()}
        ids = [w.strip().lstrip("#") for w in value.split(",")]
        if not all(i.isdigit() for i in ids):
            raise usage
        return {"sources": tuple(int(i) for i in ids)}
    if key == "length" and value.isdigit() and 1 <= int(value) <= MAX_STORIES:
        return {"length": int(value)}
    raise usage


def _who(caller: Caller) -> str:
    return f"{caller.chat.platform}:{caller.user_id}"
