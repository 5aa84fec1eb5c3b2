from __future__ import annotations

import pytest

from siyu.errors import ConfigError
from siyu.settings import Settings


def test_defaults_are_the_embedded_store_in_shanghai_time(tmp_path: object) -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("/siyu.db")
    assert settings.timezone_name == "Asia/Shanghai"


def test_environment_and_override() -> None:
    env = {"SIYU_DATABASE_URL": "postgres://u@h/db", "SIYU_TIMEZONE": "Asia/Hong_Kong"}
    assert Settings.from_env(env).database_url == "postgresql+psycopg://u@h/db"
    assert Settings.from_env(env).timezone.key == "Asia/Hong_Kong"
    overridden = Settings.from_env(env, database_url="sqlite:///x.db")
    assert overridden.database_url == "sqlite:///x.db"


def test_an_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="SIYU_TIMEZONE='Mars/Olympus' is not a known time zone"):
        Settings.from_env({"SIYU_TIMEZONE": "Mars/Olympus"})
