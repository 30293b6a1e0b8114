"""The error tree: every error newsdigest raises on purpose derives from NewsdigestError."""

from __future__ import annotations


class NewsdigestError(Exception):
    """Base of every error newsdigest raises on purpose."""


class ConfigError(NewsdigestError, ValueError):
    """A configuration value is missing or wrong; names the key path and the reason."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"config: {key}: {reason}")
        self.key = key
        self.reason = reason


class SourceError(NewsdigestError):
    """A source could not be fetched or parsed; carries the URL, shown to admins in /sources."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class BlockedAddressError(SourceError):
    """The URL resolves to an address the config does not allow the bot to fetch."""


class PermissionDenied(NewsdigestError, PermissionError):
    """A user tried something only admins may do."""


class UsageError(NewsdigestError, ValueError):
    """A command's arguments are malformed; the message is the one-line usage."""


class NotFound(NewsdigestError, LookupError):
    """The thing asked for (source, subscription) does not exist."""


class RefusedByDatabase(NewsdigestError, ValueError):
    """The database refused a value it cannot hold; the connection is fine."""


class DeliveryError(NewsdigestError):
    """Sending a message to a chat failed."""


class RetryableDeliveryError(DeliveryError):
    """Nothing was delivered and the send may be tried again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float = 1.0) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The chat cannot be reached (bot blocked, chat gone): pause the subscription."""


class AmbiguousDeliveryError(DeliveryError):
    """The send may or may not have reached the chat: never resend it."""
