"""Configuration: TOML into frozen dataclasses, checked once in load_config.

Secrets (bot tokens) come from the environment only, never from the TOML file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

# The bundled sample articles: the source of `newsdigest run` without a config file.
SAMPLE_FOLDER = Path(__file__).parent / "samples"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseConfig:
    """Where articles, sources and subscriptions live."""

    url: str = "sqlite+aiosqlite:///newsdigest.db"


MAX_DIGEST_PROCESSES = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcesConfig:
    """How sources are fetched and polled."""

    interval_minutes: int = 30
    min_interval_minutes: int = 5
    allow_private_addresses: bool = False
    max_bytes: int = 5_000_000
    timeout_seconds: float = 20.0
    max_redirects: int = 5
    concurrency: int = 10
    per_host_concurrency: int = 2
    user_agent: str = "newsdigest/0.1 (+https://github.com/newsdigest/newsdigest)"
    pause_after_hours: float = 24.0
    folders: tuple[str, ...] = ()
    digest_processes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestConfig:
    """What a digest holds and when subscribers get it by default."""

    summary_sentences: int = 3
    key_quotes: int = 3
    stories: int = 10
    default_time: str = "08:00"
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminsConfig:
    """Platform user ids that may change sources everywhere."""

    telegram: tuple[int, ...] = ()
    discord: tuple[int, ...] = ()
    console: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramConfig:
    """Telegram adapter settings; the token is TELEGRAM_BOT_TOKEN in the environment."""

    base_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    link_previews: bool = False
    max_per_second: float = 30.0
    token: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscordConfig:
    """Discord adapter settings; the token is DISCORD_BOT_TOKEN in the environment."""

    api_base: str = ""
    gateway_url: str = ""
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryConfig:
    """The delivery ledger's timing."""

    catch_up_hours: float = 6.0
    keep_days: int = 30
    lease_seconds: float = 120.0
    tick_seconds: float = 5.0
    senders: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole configuration."""

    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    admins: AdminsConfig = field(default_factory=AdminsConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)


_SECTION_TYPES: dict[str, type[Any]] = {
    "database": DatabaseConfig,
    "sources": SourcesConfig,
    "digest": DigestConfig,
    "admins": AdminsConfig,
    "telegram": TelegramConfig,
    "discord": DiscordConfig,
    "delivery": DeliveryConfig,
}
_ENV_SECRETS = {
    ("telegram", "token"): "TELEGRAM_BOT_TOKEN",
    ("telegram", "webhook_secret"): "TELEGRAM_WEBHOOK_SECRET",
    ("discord", "token"): "DISCORD_BOT_TOKEN",
}
_ENV_OVERRIDES = {("database", "url"): "NEWSDIGEST_DATABASE_URL"}


def load_config(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Read and check the configuration; raise ConfigError naming the key on any problem."""
    environ = {} if environ is None else environ
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(str(path), "file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    sections = {}
    for name, kind in _SECTION_TYPES.items():
        values = raw.pop(name, {})
        if not isinstance(values, dict):
            raise ConfigError(name, "must be a table")
        values = _with_environment(name, dict(values), environ)
        sections[name] = _build_section(name, kind, values)
    if raw:
        raise ConfigError(sorted(raw)[0], "unknown section")
    config = Config(**sections)
    _check(config)
    return config


def _with_environment(
    section: str, values: dict[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    for (sec, key), var in _ENV_SECRETS.items():
        if sec != section:
            continue
        if key in values:
            raise ConfigError(f"{sec}.{key}", f"secrets belong in the environment ({var})")
        if environ.get(var):
            values[key] = environ[var]
    for (sec, key), var in _ENV_OVERRIDES.items():
        if sec == section and environ.get(var):
            values[key] = environ[var]
    return values


def _build_section(name: str, kind: type[Any], values: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(kind)}
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}", "unknown key")
        default = getattr(kind(), key)
        checked[key] = _coerce(f"{name}.{key}", value, default)
    return kind(**checked)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(key, "must be true or false")
        return value
    if isinstance(default, int) and not isinstance(value, bool) and isinstance(value, int):
        return value
    if (
        isinstance(default, float)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return float(value)
    if isinstance(default, str) and isinstance(value, str):
        return value
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    raise ConfigError(key, f"expected {type(default).__name__}, got {type(value).__name__}")


def _check(config: Config) -> None:
    try:
        ZoneInfo(config.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            "digest.timezone", f"unknown time zone {config.digest.timezone!r}"
        ) from exc
    hours, _, minutes = config.digest.default_time.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ConfigError("digest.default_time", "must be HH:MM")
    if config.sources.min_interval_minutes < 1:
        raise ConfigError("sources.min_interval_minutes", "must be at least 1")
    if config.sources.interval_minutes < config.sources.min_interval_minutes:
        raise ConfigError("sources.interval_minutes", "must be at least min_interval_minutes")
    if config.sources.max_bytes < 1024:
        raise ConfigError("sources.max_bytes", "must be at least 1024")
    if not 0 <= config.sources.digest_processes <= MAX_DIGEST_PROCESSES:
        raise ConfigError(
            "sources.digest_processes", f"must be between 0 and {MAX_DIGEST_PROCESSES}"
        )
    if config.telegram.max_per_second <= 0:
        raise ConfigError("telegram.max_per_second", "must be above 0")
    if config.delivery.senders < 1:
        raise ConfigError("delivery.senders", "must be at least 1")
    if not config.database.url:
        raise ConfigError("database.url", "must not be empty")
    for platform in ("telegram", "discord"):
        ids = getattr(config.admins, platform)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ConfigError(f"admins.{platform}", "must be a list of numeric user ids")
    if not all(isinstance(folder, str) for folder in config.sources.folders):
        raise ConfigError("sources.folders", "must be a list of paths")
