"""The slash commands, built from the core's COMMANDS, and syncing them only when they change.

Every option is a string: the core's command router parses and validates the command text, the
same text a Telegram or console user types. Admin commands get Manage Server as their default
permissions (Discord then shows them only to such members); the router still checks the
configured admins.

Sync policy: at start-up the adapter fetches the registered global commands (GET) and compares a
hash of their canonical form (names, descriptions, option names/types/required, default
permissions) with the hash of the local set; only when they differ does it overwrite them (PUT).
No local state file is needed, several processes agree, and a restart with the same command set
costs one GET, not a re-registration.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.chats import Caller
from bot.commands import COMMANDS, CommandSpec
from bot.replies import Reply

ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)

CommandCallback = Callable[[discord.Interaction, str], Awaitable[None]]


class CommandHandler(Protocol):
    """What answers a command: the core's CommandRouter."""

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run the command `text` for `caller` and return the reply."""
        ...


def build_slash_commands(on_command: CommandCallback) -> list[app_commands.Command[Any, ..., Any]]:
    """One slash command per command spec; each forwards its command text to `on_command`."""
    return [build_slash_command(spec, on_command) for spec in COMMANDS]


def build_slash_command(
    spec: CommandSpec, on_command: CommandCallback
) -> app_commands.Command[Any, ..., Any]:
    """The slash command for `spec`: string options named and described as in the spec."""

    async def callback(interaction: discord.Interaction, **options: str | None) -> None:
        await on_command(interaction, command_text(spec, options))

    # discord.py reads a callback's options from its signature, so the signature is built here.
    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(
            inspect.Parameter(
                argument.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str if argument.required else str | None,
                default=inspect.Parameter.empty if argument.required else None,
            )
            for argument in spec.arguments
        ),
    ]
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{spec.name}"
    described = app_commands.describe(**{a.name: a.description for a in spec.arguments})(callback)
    if spec.admin_only:
        described = app_commands.default_permissions(ADMIN_PERMISSIONS)(described)
    return app_commands.Command(name=spec.name, description=spec.description, callback=described)


def command_text(spec: CommandSpec, options: Mapping[str, str | None]) -> str:
    """The command as a user would type it: `/latest 5 bbc`.

    An omitted option before a given one is written as its default (`source:3` alone is
    `/latest 5 3`): the command text is positional, the options are not.
    """
    values = [(options.get(a.name) or "").strip() for a in spec.arguments]
    last = max((i for i, value in enumerate(values) if value), default=-1)
    words = [
        value or argument.default or ""
        for argument, value in zip(spec.arguments[: last + 1], values[: last + 1], strict=True)
    ]
    return " ".join([f"/{spec.name}", *(word for word in words if word)])


async def sync_commands(tree: app_commands.CommandTree[Any]) -> bool:
    """Overwrite Discord's global commands with the tree's, unless they already match."""
    local = commands_hash(_local_shapes(tree.get_commands()))
    remote = commands_hash(_remote_shapes(await tree.fetch_commands()))
    if local == remote:
        return False
    await tree.sync()
    return True


def commands_hash(shapes: Iterable[dict[str, Any]]) -> str:
    """A hash of a command set's canonical form, independent of order."""
    canonical = sorted(json.dumps(shape, sort_keys=True) for shape in shapes)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def _local_shapes(commands: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        _shape(
            command.name,
            command.description,
            command.default_permissions,
            [(p.name, p.description, p.type.value, p.required) for p in command.parameters],
        )
        for command in commands
        if isinstance(command, app_commands.Command)
    ]


def _remote_shapes(commands: Iterable[app_commands.AppCommand]) -> list[dict[str, Any]]:
    return [
        _shape(
            command.name,
            command.description,
            command.default_member_permissions,
            [
                (o.name, o.description, o.type.value, o.required)
                for o in command.options
                if isinstance(o, app_commands.Argument)
            ],
        )
        for command in commands
    ]


def _shape(
    name: str,
    description: str,
    permissions: discord.Permissions | None,
    options: list[tuple[str, str, int, bool]],
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "permissions": None if permissions is None else permissions.value,
        "options": [list(option) for option in options],
    }
