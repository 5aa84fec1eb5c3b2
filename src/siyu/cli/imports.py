"""`siyu import FORMAT FILE...`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.engage.wecom.apply import apply_callback_file
from siyu.errors import InvalidInputError
from siyu.ingest.service import (
    DEFAULT_BATCH_SIZE,
    ImportOptions,
    ImportResult,
    format_names,
    import_file,
)

WECOM_EVENTS = "wecom-events"  # decrypted callback events, JSON Lines


def import_(
    ctx: typer.Context,
    format_name: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT", help=f"One of: {', '.join((*format_names(), WECOM_EVENTS))}."
        ),
    ],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Files to import.")],
    shop: Annotated[
        str | None,
        typer.Option(help="Shop name or code the orders belong to (created if new)."),
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="Platform of a new shop: tmall, taobao, jd, pdd, …")
    ] = None,
    rejects_dir: Annotated[
        Path, typer.Option(help="Where the rejected rows are written as CSV.")
    ] = Path("siyu-rejects"),
    batch_size: Annotated[
        int, typer.Option(min=1, help="Rows per transaction.")
    ] = DEFAULT_BATCH_SIZE,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Import platform order exports, behaviour events or WeCom JSON. Safe to re-run: a
    re-import changes nothing twice, and an interrupted import resumes where it stopped."""
    context = cli_context(ctx)
    engine = context.engine()
    if format_name == WECOM_EVENTS:
        _import_callbacks(engine, files, as_json)
        return
    options = ImportOptions(format_name, shop, platform, batch_size, rejects_dir)
    show_progress = not as_json and sys.stderr.isatty()
    results = [
        _import_one(engine, path, options, context.settings.timezone, show_progress)
        for path in files
    ]
    if as_json:
        emit_json(_summary(results))
    else:
        for result in results:
            _print(result)


def _import_callbacks(engine: Engine, files: list[Path], as_json: bool) -> None:
    """Decrypted WeCom callback events (JSON Lines), applied like live callbacks."""
    results = {}
    for path in files:
        if not path.is_file():
            raise InvalidInputError(f"{path}: no such file")
        with transaction(engine) as session:
            results[str(path)] = apply_callback_file(session, path).as_dict()
    if as_json:
        emit_json({"files": results})
        return
    for name, counts in results.items():
        typer.echo(
            f"{name}: {counts['received']:,} events, {counts['duplicates']:,} duplicates, "
            f"{counts['removed_by_customer']:,} deleted by the customer, "
            f"{counts['removed_by_staff']:,} by staff, {counts['contacts_added']:,} added"
        )


def _import_one(
    engine: Engine, path: Path, options: ImportOptions, timezone: ZoneInfo, show_progress: bool
) -> ImportResult:
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        disable=not show_progress, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"importing {path.name}", total=None)

        def advance(rows: int) -> None:
            bar.update(task, description=f"importing {path.name}: {rows:,} rows")

        return import_file(engine, path, options, timezone=timezone, progress=advance)


def _summary(results: list[ImportResult]) -> dict[str, object]:
    totals = {
        name: sum(getattr(result, name) for result in results)
        for name in ("read", "inserted", "updated", "unchanged", "rejected", "warnings")
    }
    return totals | {"files": [result.as_dict() for result in results]}


def _print(result: ImportResult) -> None:
    resumed = (
        f" (resumed after line {result.resumed_after_line})" if result.resumed_after_line else ""
    )
    typer.echo(
        f"{result.file}{resumed}: read {result.read:,}, inserted {result.inserted:,}, "
        f"updated {result.updated:,}, unchanged {result.unchanged:,}, "
        f"rejected {result.rejected:,}, warnings {result.warnings:,}; "
        f"{result.new_customers:,} new customers, {result.merges:,} merges"
    )
    if result.rejects_file:
        typer.echo(f"  rejected rows with reasons: {result.rejects_file}")
