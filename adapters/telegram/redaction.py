"""Keep the bot token out of the logs.

The token is part of every Bot API URL: httpx logs each request URL at INFO, and
python-telegram-bot logs its base URL at DEBUG when a Bot is created. A logging filter on those
loggers replaces the token, in the message and in any formatted traceback, before any handler
sees the record. Filters on a logger only see records logged on that very logger, so the filter
is put on every existing logger of those libraries, and again after the Application is built
(which creates the `telegram.ExtBot` logger).
"""

from __future__ import annotations

import logging

_LIBRARIES = ("httpx", "httpcore", "telegram")
_KNOWN_LOGGERS = ("httpx", "telegram.Bot", "telegram.ExtBot", "telegram.ext.Application")


class TokenRedactor(logging.Filter):
    """Replaces the token in log records with `<token>`."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._loggers: list[logging.Logger] = []

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the token; never drops a record."""
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True

    def install(self) -> None:
        """Attach to every logger of httpx, httpcore and python-telegram-bot that exists now."""
        names = set(_KNOWN_LOGGERS) | {
            name for name in logging.root.manager.loggerDict if name.startswith(_LIBRARIES)
        }
        for name in sorted(names):
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)
                self._loggers.append(logger)

    def uninstall(self) -> None:
        """Detach from every logger it was attached to."""
        for logger in self._loggers:
            logger.removeFilter(self)
        self._loggers.clear()
