"""`siyu segment count|save|list|members|explain|show|copy|delete`."""

from __future__ import annotations

import csv
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from siyu.cli.analytics import parse_day
from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.errors import InvalidInputError
from siyu.segments.evaluation import Evaluation
from siyu.segments.explain import Explanation, explain
from siyu.segments.membership import saved_rule
from siyu.segments.queries import count_history, list_segments, member_rows
from siyu.segments.saved import (
    copy_segment,
    count_rule,
    delete_segment,
    get_segment,
    save_segment,
)

app = typer.Typer(
    help="Audiences: count a rule, save it as a segment, see who is in it and why.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Evaluate as of this day (default: today).")
]
RuleArgument = Annotated[
    Path, typer.Argument(metavar="RULE.json", help="A rule document (see docs/segments.md).")
]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Segment name or code.")]
MEMBER_COLUMNS = (
    "customer_id",
    "stage",
    "rfm_segment",
    "orders",
    "net_revenue_fen",
    "clv_fen",
    "p_alive",
    "last_order_on",
    "entered_at",
)


def read_rule(path: Path) -> Any:
    """A rule document from a JSON file, or one clear error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"cannot read {path}: {error.strerror}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{path} is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error
    except RecursionError as error:
        raise InvalidInputError(f"{path} nests too deeply to be a rule") from error


def evaluation_of(ctx: typer.Context, as_of: str | None) -> Evaluation:
    zone = cli_context(ctx).settings.timezone
    day = parse_day(as_of, "--as-of") or datetime.now(zone).date()
    return Evaluation(day, zone)


@app.command()
def count(
    ctx: typer.Context, rule: RuleArgument, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Count the customers a rule selects, live (one SQL statement)."""
    document = read_rule(rule)
    evaluation = evaluation_of(ctx, as_of)
    started = time.perf_counter()
    with transaction(cli_context(ctx).engine()) as session:
        customers = count_rule(session, document, evaluation)
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        emit_json({"count": customers, "as_of": evaluation.as_of, "seconds": seconds})
        return
    typer.echo(f"{customers:,} customers (as of {evaluation.as_of})")


@app.command()
def save(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The segment's name.")],
    rule: RuleArgument,
    description: Annotated[str | None, typer.Option(help="What the audience is for.")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save a rule as a segment (or give a segment a new rule) and materialise its members."""
    document = read_rule(rule)
    evaluation = evaluation_of(ctx, as_of)
    with transaction(cli_context(ctx).engine()) as session:
        result = save_segment(
            session,
            name=name,
            document=document,
            evaluation=evaluation,
            now=datetime.now(UTC),
            description=description,
        )
    _report(result.as_dict(), as_json)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Saved and built-in segments with their member counts."""
    with transaction(cli_context(ctx).engine()) as session:
        segments = list_segments(session)
    if as_json:
        emit_json({"segments": [segment.as_dict() for segment in segments]})
        return
    for segment in segments:
        code = f" [{segment.code}]" if segment.code else ""
        note = "  (not refreshed: see --json)" if segment.unavailable else ""
        as_of = segment.materialised_as_of or "never"
        typer.echo(f"{segment.name}{code}: {segment.members:,} members, as of {as_of}{note}")


@app.command()
def members(
    ctx: typer.Context,
    name: NameArgument,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header, to stdout.")] = False,
) -> None:
    """The segment's members as of its last materialisation (customer ids and profile columns,
    no personal data)."""
    with transaction(cli_context(ctx).engine()) as session:
        segment = get_segment(session, name)
        zone = cli_context(ctx).settings.timezone
        writer = csv.writer(sys.stdout, lineterminator="\n") if as_csv else None
        if writer is not None:
            writer.writerow(MEMBER_COLUMNS)
        for row in member_rows(session, segment.id):
            last = row.last_order_at.astimezone(zone).date() if row.last_order_at else None
            values = (
                row.customer_id,
                row.stage,
                row.rfm_segment,
                row.orders,
                row.net_revenue_fen,
                row.clv_fen,
                row.p_alive,
                last,
                row.entered_at.isoformat(),
            )
            if writer is not None:
                writer.writerow(["" if value is None else value for value in values])
            else:
                typer.echo(f"{row.customer_id}\t{row.stage or '-'}\t{row.rfm_segment or '-'}")


@app.command("explain")
def explain_(
    ctx: typer.Context,
    name: NameArgument,
    customer: Annotated[int, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why a customer is in a segment, or out of it: each condition, true or false, with the
    customer's value."""
    evaluation = evaluation_of(ctx, as_of)
    with transaction(cli_context(ctx).engine()) as session:
        segment = get_segment(session, name)
        result = explain(
            session,
            rule=saved_rule(session, segment),
            customer_id=customer,
            evaluation=evaluation,
        )
    if as_json:
        emit_json({"segment": segment.name, **result.as_dict()})
        return
    verdict = "matches" if result.is_match else "does not match"
    typer.echo(f"customer {customer} {verdict} {segment.name} as of {result.as_of}")
    if result.merged_into_id is not None:
        typer.echo(f"  (merged into customer {result.merged_into_id}: never a member)")
    for line in _tree_lines(result.tree, 1):
        typer.echo(line)


@app.command()
def show(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """A segment's rule document, description and member counts over time."""
    with transaction(cli_context(ctx).engine()) as session:
        segment = get_segment(session, name)
        counts = count_history(session, segment.id)
    if as_json:
        emit_json(
            {
                "name": segment.name,
                "code": segment.code,
                "is_builtin": segment.is_builtin,
                "description": segment.description,
                "rule": segment.rule,
                "counts": counts,
                "unavailable": segment.unavailable,
            }
        )
        return
    typer.echo(f"{segment.name}: {segment.description}")
    typer.echo(json.dumps(segment.rule, ensure_ascii=False, indent=2))
    for entry in counts:
        typer.echo(
            f"  {entry['on']}: {entry['members']:,} (+{entry['entered']:,} −{entry['exited']:,})"
        )


@app.command("copy")
def copy_(
    ctx: typer.Context,
    source: NameArgument,
    name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="The copy's name.")],
    as_json: JsonOption = False,
) -> None:
    """Copy a segment (built-in ones too) under a new name, to change it."""
    evaluation = evaluation_of(ctx, None)
    with transaction(cli_context(ctx).engine()) as session:
        result = copy_segment(
            session, source=source, name=name, evaluation=evaluation, now=datetime.now(UTC)
        )
    _report(result.as_dict(), as_json)


@app.command()
def delete(ctx: typer.Context, name: NameArgument) -> None:
    """Delete a saved segment (not a built-in one, nor one another segment uses)."""
    with transaction(cli_context(ctx).engine()) as session:
        delete_segment(session, name)
    typer.echo(f"deleted segment {name}")


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    typer.echo(
        f"{result['name']}: {result['members']:,} members "
        f"(+{result['entered']:,} entered, −{result['exited']:,} exited)"
    )


def _tree_lines(node: Explanation, depth: int) -> list[str]:
    mark = "✓" if node.holds else "✗"
    value = "" if node.value is None else f"   (value: {_shown(node.value)})"
    lines = [f"{'  ' * depth}{mark} {node.condition}{value}"]
    for child in node.children:
        lines += _tree_lines(child, depth + 1)
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
