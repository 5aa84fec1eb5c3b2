"""`siyu jobs list|run`: the scheduled jobs the workers run between claims."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.cli.engage import JsonOption, engage_settings
from siyu.db.engine import transaction
from siyu.engage.worker import default_name
from siyu.workers.jobs import find_job, job_statuses, run_now
from siyu.workers.registry import JOBS

app = typer.Typer(help="List and run the workers' scheduled jobs.", no_args_is_help=True)


@app.command("list")
def jobs_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show every job: interval, whether it is configured, and its last run."""
    settings = engage_settings(ctx)
    with transaction(cli_context(ctx).engine()) as session:
        statuses = job_statuses(session, JOBS, settings)
    if as_json:
        emit_json({"jobs": [status.as_dict() for status in statuses]})
        return
    for status in statuses:
        last = status.last_started_at.isoformat() if status.last_started_at else "never run"
        state = status.status if status.enabled else "disabled (not configured)"
        typer.echo(
            f"{status.name}  every {_every(status.interval_seconds)}  {state}  last {last}"
            + (f"  {status.detail}" if status.detail else "")
            + (f"  error: {status.error}" if status.error else "")
        )


@app.command("run")
def jobs_run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The job (see `siyu jobs list`).")],
    as_json: JsonOption = False,
) -> None:
    """Run one job now, due or not; it counts as the job's latest run."""
    job = find_job(JOBS, name)
    engine = cli_context(ctx).engine()
    outcome = run_now(
        engine, job, engage_settings(ctx), runner=default_name(), now=datetime.now(UTC)
    )
    if as_json:
        emit_json(outcome.as_dict())
    else:
        typer.echo(
            f"{outcome.name}: {outcome.status} in {outcome.seconds:.2f} s"
            + (f": {outcome.detail}" if outcome.detail else "")
            + (f": {outcome.error}" if outcome.error else "")
        )
    if outcome.status == "failed":
        raise typer.Exit(1)


def _every(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"
