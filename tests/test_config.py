"""Configuration: the example file documents every key, and bad values name their key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_documents_every_key_with_its_default() -> None:
    documented = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config()
    for section in dataclasses.fields(defaults):
        values = getattr(defaults, section.name)
        public = {
            f.name: getattr(values, f.name)
            for f in dataclasses.fields(values)
            if f.name not in {"token", "webhook_secret"}
        }
        shown = {
            k: tuple(v) if isinstance(v, list) else v for k, v in documented[section.name].items()
        }
        assert shown == public, section.name


def test_example_loads() -> None:
    assert load_config(EXAMPLE, {}) == Config()


def test_tokens_come_from_the_environment_and_stay_out_of_repr() -> None:
    config = load_config(None, {"TELEGRAM_BOT_TOKEN": "123:secret", "DISCORD_BOT_TOKEN": "d.s"})
    assert config.telegram.token == "123:secret"
    assert config.discord.token == "d.s"
    assert "secret" not in repr(config)
    assert "d.s" not in repr(config)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[telegram]\ntoken = "x"', "telegram.token"),
        ('[digest]\ntimezone = "Mars/Olympus"', "digest.timezone"),
        ('[digest]\ndefault_time = "25:00"', "digest.default_time"),
        ('[sources]\ninterval_minutes = "often"', "sources.interval_minutes"),
        ("[sources]\nmin_interval_minutes = 0", "sources.min_interval_minutes"),
        ("[sources]\nbogus = 1", "sources.bogus"),
        ("[nonsense]\na = 1", "nonsense"),
        ("[admins]\nconsole = 1", "admins.console"),
        ('[admins]\ntelegram = ["alice"]', "admins.telegram"),
        ("[sources]\nfolders = [1]", "sources.folders"),
        ("[sources]\ndigest_processes = -1", "sources.digest_processes"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, {})
    assert raised.value.key == key


def test_database_url_from_the_environment() -> None:
    url = "postgresql+asyncpg://u:pw@db/x"
    assert load_config(None, {"NEWSDIGEST_DATABASE_URL": url}).database.url == url
