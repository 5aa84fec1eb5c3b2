"""`siyu refresh` (profiles, lifecycle, RFM, CLV scores)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from siyu.analytics.refresh import refresh as do_refresh
from siyu.cli.context import cli_context, emit_json
from siyu.errors import InvalidInputError


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInputError(f"{option} {value!r} is not a date like 2026-11-22") from error


def refresh(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Compute stages as of this date (YYYY-MM-DD).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Recompute every customer.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compute every customer's profile: orders, revenue, repeat intervals, category
    preferences, reachability, lifecycle stage, RFM and CLV. Incremental by default."""
    context = cli_context(ctx)
    day = parse_day(as_of, "--as-of") or datetime.now(context.settings.timezone).date()
    result = do_refresh(context.engine(), as_of=day, zone=context.settings.timezone, full=full)
    if as_json:
        emit_json(result.as_dict())
        return
    typer.echo(
        f"{result.mode} refresh as of {result.as_of}: {result.recomputed:,} customers recomputed, "
        f"{result.scored:,} scored, {result.stage_changes:,} stage changes "
        f"({result.seconds:.1f} s)"
    )
