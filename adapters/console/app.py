"""The console adapter: the whole bot in a terminal, with no platform token.

Each input line is a command from the local user (an admin unless `[admins] console = false`);
the reply is printed. Scheduled digests for the console chat are printed by ConsolePublisher as
they fall due. With input piped in, the adapter answers each line in order and stops at the end
of the input.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TextIO

from adapters.console.render import render_text
from bot.chats import Caller, ChatKind, ChatRef, Platform
from bot.publisher import BeforeSend
from bot.replies import Reply
from bot.router import CommandRouter

CONSOLE_CHAT = ChatRef(Platform.CONSOLE, "local")
CONSOLE_USER = "local"
PROMPT = "newsdigest> "


class ConsolePublisher:
    """Prints replies (scheduled digests) to the terminal."""

    platform = Platform.CONSOLE

    def __init__(self, output: TextIO) -> None:
        self._output = output
        self._ids = itertools.count(1)

    async def publish(
        self, chat: ChatRef, reply: Reply, *, before_send: BeforeSend | None = None
    ) -> str:
        """Print the reply; the console has one chat, so `chat` only names it."""
        del chat
        if before_send is not None:
            await before_send()
        self._output.write(render_text(reply) + "\n\n")
        self._output.flush()
        return str(next(self._ids))


class ConsoleAdapter:
    """Answers the commands read from a text stream, printing replies to `writer`."""

    def __init__(self, router: CommandRouter, writer: TextIO, *, prompt: bool = False) -> None:
        self._router = router
        self._output = writer
        self._prompt = prompt
        self.publisher = ConsolePublisher(writer)

    async def handle_line(self, line: str) -> Reply | None:
        """Answer one input line; blank lines are ignored, other text gets a hint."""
        line = line.strip()
        if not line:
            return None
        if not line.startswith("/"):
            line = "/help"
        caller = Caller(chat=CONSOLE_CHAT, user_id=CONSOLE_USER, chat_kind=ChatKind.PRIVATE)
        reply = await self._router.handle(caller, line)
        self._output.write(render_text(reply) + "\n\n")
        self._output.flush()
        return reply

    async def run(self, reader: TextIO) -> None:
        """Answer lines until the input ends (EOF or Ctrl-D)."""
        while True:
            if self._prompt:
                self._output.write(PROMPT)
                self._output.flush()
            line = await asyncio.to_thread(reader.readline)
            if not line:
                return
            await self.handle_line(line)
