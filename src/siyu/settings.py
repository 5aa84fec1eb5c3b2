"""Settings, built once from the environment and passed down (nothing is read at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from siyu.errors import ConfigError

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_WEB_THREADS = 4  # docs/benchmarks.md "Console pages under load"
DATABASE_VARIABLE = "SIYU_DATABASE_URL"
# how `siyu serve --workers N` tells its processes to mark session cookies Secure
SECURE_COOKIES_VARIABLE = "SIYU_SECURE_COOKIES"


def default_database_url(directory: Path | None = None) -> str:
    """The embedded default: an SQLite file `siyu.db` in the working directory."""
    path = (directory or Path.cwd()) / "siyu.db"
    return f"sqlite:///{path}"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    timezone_name: str = DEFAULT_TIMEZONE
    web_threads: int = DEFAULT_WEB_THREADS  # threads per server process for the handlers

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, database_url: str | None = None
    ) -> Settings:
        env = os.environ if environ is None else environ
        url = database_url or env.get(DATABASE_VARIABLE) or default_database_url()
        timezone_name = env.get("SIYU_TIMEZONE") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            message = f"SIYU_TIMEZONE={timezone_name!r} is not a known time zone"
            raise ConfigError(message) from error
        return cls(
            database_url=normalise_database_url(url),
            timezone_name=timezone_name,
            web_threads=_web_threads(env.get("SIYU_WEB_THREADS")),
        )


def _web_threads(text: str | None) -> int:
    if not text:
        return DEFAULT_WEB_THREADS
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ConfigError(f"SIYU_WEB_THREADS={text!r}: give a whole number from 1 to 1000")
    return int(text)


def normalise_database_url(url: str) -> str:
    """Accept the common spellings and pick the drivers siyu ships with."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise ConfigError(
        f"unsupported database URL {url.split('://', 1)[0]!r}: use sqlite:///PATH "
        "or postgresql+psycopg://USER@HOST/DB"
    )
