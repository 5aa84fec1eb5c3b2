"""`siyu journey list|templates|create|show|enable|disable|simulate|run`."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.journeys import actions
from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.journeys.runner import tick
from siyu.engage.journeys.simulate import simulate
from siyu.engage.journeys.templates import TEMPLATES
from siyu.engage.settings import policy_from_env
from siyu.security.audit import record

app = typer.Typer(
    help="Journeys and after-sales SOPs: triggers, waits, conditions and actions.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
JourneyId = Annotated[int, typer.Argument(metavar="JOURNEY", help="Journey id.", min=1, max=2**62)]
When = Annotated[
    str | None,
    typer.Option("--now", help="Act as of this time (ISO; default now; no offset = local time)."),
]


def _moment(ctx: typer.Context, text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidJourneyError(f"--now: not an ISO date or time: {text!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=cli_context(ctx).settings.timezone)


def _policy(ctx: typer.Context) -> ContactPolicy:
    zone = cli_context(ctx).settings.timezone_name
    return replace(policy_from_env(os.environ), timezone_name=zone)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List journeys with their status and enrolments."""
    with transaction(cli_context(ctx).engine()) as session:
        views = actions.list_journeys(session)
    if as_json:
        emit_json({"journeys": [view.as_dict() for view in views]})
        return
    if not views:
        typer.echo("no journeys: create one with `siyu journey create --template NAME`")
    for view in views:
        counts = " ".join(f"{k} {v}" for k, v in view.enrolments.items())
        typer.echo(f"{view.id:>5}  {view.status:<8}  {view.name}  ({counts})")


@app.command("templates")
def templates(as_json: JsonOption = False) -> None:
    """List the built-in templates (after-sales SOP, 2nd/3rd order, win-back, launch…)."""
    if as_json:
        emit_json({"templates": [template.as_dict() for template in TEMPLATES.values()]})
        return
    for template in TEMPLATES.values():
        typer.echo(f"{template.name:<24} {template.title}  {template.description}")


@app.command("create")
def create(
    ctx: typer.Context,
    template: Annotated[
        str | None, typer.Option("--template", help="A built-in template's name.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A definition JSON file.", dir_okay=False)
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The journey's name.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft journey from a template or a JSON definition (enable it to start)."""
    if (template is None) == (file is None):
        raise InvalidJourneyError("give either --template NAME or --file PATH")
    with transaction(cli_context(ctx).engine()) as session:
        if template is not None:
            journey = actions.create_from_template(session, template, name=name)
        else:
            assert file is not None
            journey = actions.create_journey(session, _read(file), name=name)
        record(session, None, "journey.create", str(journey.id), template=template or "")
        view = actions.show_journey(session, journey.id)
    _emit(view.as_dict(), as_json, f"created journey {view.id} ({view.name}), status draft")


def _read(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidJourneyError(f"cannot read {file}: {error}") from error


@app.command("show")
def show(ctx: typer.Context, journey: JourneyId, as_json: JsonOption = False) -> None:
    """Show a journey: its definition, status and enrolments."""
    with transaction(cli_context(ctx).engine()) as session:
        view = actions.show_journey(session, journey)
    if as_json:
        emit_json(view.as_dict())
        return
    for key, value in view.as_dict().items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        typer.echo(f"{key:>14}: {shown}")


@app.command("enable")
def enable(
    ctx: typer.Context, journey: JourneyId, now: When = None, as_json: JsonOption = False
) -> None:
    """Enable a journey: the next run enrols trigger occurrences from now on."""
    with transaction(cli_context(ctx).engine()) as session:
        actions.enable_journey(session, journey, now=_moment(ctx, now))
        record(session, None, "journey.enable", str(journey))
        view = actions.show_journey(session, journey)
    _emit(view.as_dict(), as_json, f"journey {journey} enabled")


@app.command("disable")
def disable(ctx: typer.Context, journey: JourneyId, as_json: JsonOption = False) -> None:
    """Disable a journey: no enrolments, no steps; active enrolments wait where they are."""
    with transaction(cli_context(ctx).engine()) as session:
        actions.disable_journey(session, journey)
        record(session, None, "journey.disable", str(journey))
        view = actions.show_journey(session, journey)
    _emit(view.as_dict(), as_json, f"journey {journey} disabled")


@app.command("simulate")
def simulate_(
    ctx: typer.Context,
    journey: JourneyId,
    days: Annotated[int, typer.Option("--days", min=1, max=90, help="Days to forecast.")] = 14,
    now: When = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast the daily sends per channel, and who the caps would defer or suppress.
    Writes nothing."""
    with transaction(cli_context(ctx).engine()) as session:
        result = simulate(session, journey, days=days, now=_moment(ctx, now), policy=_policy(ctx))
    if as_json:
        emit_json(result.as_dict())
        return
    for day in result.days:
        sends = " ".join(f"{k} {v}" for k, v in sorted(day.sends.items())) or "-"
        typer.echo(
            f"{day.day}  enrolled {day.enrolled:>5}  sends {sends:<24} "
            f"deferred {day.deferred:>4}  suppressed {day.suppressed:>4}  tasks {day.tasks}"
        )
    for reason, count in result.suppressed_reasons.items():
        typer.echo(f"suppressed {count}: {reason}")


@app.command("run")
def run(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Run every enabled journey once (enrol, exit, advance, act); safe to repeat."""
    with transaction(cli_context(ctx).engine()) as session:
        report = tick(session, now=_moment(ctx, now), policy=_policy(ctx))
    if as_json:
        emit_json(report.as_dict())
        return
    if not report.journeys:
        typer.echo("no enabled journeys")
    for result in report.journeys:
        typer.echo(
            f"journey {result.journey_id}: enrolled {result.enrolled} "
            f"(holdout {result.held_out}), exited {sum(result.exited.values())}, "
            f"queued {result.queued}, suppressed {sum(result.suppressed.values())}, "
            f"tasks {result.tasks}, tagged {result.tagged}"
        )
        for problem in result.problems:
            typer.echo(f"  {problem}")


def _emit(payload: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        emit_json(payload)
    else:
        typer.echo(line)
