"""`siyu init` and `siyu doctor`."""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import redact_url
from siyu.db.inspect import StoreReport, store_report
from siyu.db.migrate import current_revision, head_revision, upgrade

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def init(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create the database, or upgrade it to the newest schema. Safe to re-run."""
    context = cli_context(ctx)
    engine = context.engine(require_schema=False)
    before = current_revision(engine)
    upgrade(engine)
    after = head_revision()
    url = redact_url(context.settings.database_url)
    if as_json:
        emit_json({"database_url": url, "revision_before": before, "revision": after})
    elif before == after:
        typer.echo(f"{url} is up to date (revision {after}).")
    else:
        typer.echo(f"{url}: schema {before or 'empty'} → {after}.")


def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the database (password hidden), its schema revision and row counts per table."""
    context = cli_context(ctx)
    report = store_report(
        context.engine(require_schema=False), timezone=context.settings.timezone_name
    )
    if as_json:
        emit_json(report.as_dict())
        return
    _print_report(report)


def _print_report(report: StoreReport) -> None:
    typer.echo(f"database   {report.database_url}")
    typer.echo(f"backend    {report.backend}")
    revision = report.revision or "none (run `siyu init`)"
    marker = "" if report.is_current else f"  (newest is {report.head_revision})"
    typer.echo(f"revision   {revision}{marker}")
    typer.echo(f"time zone  {report.timezone}")
    if report.row_counts:
        width = max(len(name) for name in report.row_counts)
        typer.echo("rows")
        for name, count in report.row_counts.items():
            typer.echo(f"  {name:<{width}}  {count:>12,}")
