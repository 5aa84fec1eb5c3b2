"""Errors a user can act on. Every interface turns them into one clear line (CLI) or an HTTP
answer (API); anything else is a bug and may show a traceback."""

from __future__ import annotations


class SiyuError(Exception):
    """Base for user-facing errors. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SiyuError):
    code = "config"


class DatabaseUnavailableError(SiyuError):
    code = "database_unavailable"


class DatabaseBusyError(SiyuError):
    """Another writer held SQLite's one write lock for longer than a job waits for it."""

    code = "database_busy"


class NotFoundError(SiyuError):
    code = "not_found"


class InvalidInputError(SiyuError):
    code = "invalid_input"
