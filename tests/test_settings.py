from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from siyu.db.engine import make_engine
from siyu.db.migrate import upgrade
from siyu.errors import ConfigError
from siyu.settings import Settings
from siyu.web.app import create_app


def test_defaults_are_the_embedded_store_in_shanghai_time(tmp_path: Path) -> None:
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


def test_web_threads_default_to_four_and_are_checked() -> None:
    assert Settings.from_env({}).web_threads == 4
    assert Settings.from_env({"SIYU_WEB_THREADS": "2"}).web_threads == 2
    for bad in ("0", "two", "-1", "1001"):
        with pytest.raises(ConfigError, match=f"SIYU_WEB_THREADS='{bad}'"):
            Settings.from_env({"SIYU_WEB_THREADS": bad})


def test_the_app_runs_its_handlers_on_that_many_threads(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'siyu.db'}", web_threads=3)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = create_app(settings, engine=engine)

    async def threads_while_serving() -> float:
        async with app.router.lifespan_context(app):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(threads_while_serving) == 3
    engine.dispose()
