"""What every command needs: settings and an engine, made once per invocation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import typer
from sqlalchemy import Engine

from siyu.db.engine import check_connection, make_engine
from siyu.db.migrate import current_revision, head_revision
from siyu.errors import DatabaseUnavailableError
from siyu.settings import Settings


@dataclass
class CliContext:
    database_override: str | None = None
    _settings: Settings | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env(database_url=self.database_override)
        return self._settings

    def engine(self, *, require_schema: bool = True) -> Engine:
        """A connected engine; by default also checks the schema is at head."""
        if self._engine is None:
            engine = make_engine(self.settings.database_url)
            check_connection(engine)
            self._engine = engine
        if require_schema:
            revision = current_revision(self._engine)
            if revision != head_revision():
                state = "not initialised" if revision is None else f"at revision {revision}"
                raise DatabaseUnavailableError(f"the database is {state}: run `siyu init` first")
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj


def emit_json(payload: dict[str, Any]) -> None:
    """A single JSON object on stdout (the --json contract)."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=_json_value))


def _json_value(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
