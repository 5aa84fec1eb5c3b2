"""`siyu tag add|remove|list|group|rule|map`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.cli.segments import evaluation_of, read_rule
from siyu.db.engine import transaction
from siyu.errors import InvalidInputError
from siyu.segments.bulk import change_tag
from siyu.segments.queries import list_tags
from siyu.segments.rule_tags import save_rule_tag
from siyu.segments.selection import CustomerKey, customer_keys, parse_customer_lines
from siyu.segments.tags import TagChange, ensure_group, find_tag
from siyu.segments.wecom import map_wecom_tag

app = typer.Typer(
    help="Tags: add or remove them in bulk, rule tags, exclusive groups, WeCom mapping.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
TagArgument = Annotated[str, typer.Argument(metavar="TAG", help="The tag's name.")]
GroupOption = Annotated[str | None, typer.Option("--group", help="The tag's group.")]
CustomerOption = Annotated[
    list[int] | None,
    typer.Option("--customer", metavar="ID", help="A customer id (repeat for several)."),
]
FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="A file with one customer id or mobile number per line."),
]
SegmentOption = Annotated[
    str | None, typer.Option("--segment", help="Every current member of this segment.")
]


@app.command()
def add(
    ctx: typer.Context,
    tag: TagArgument,
    group: GroupOption = None,
    customer: CustomerOption = None,
    file: FileOption = None,
    segment: SegmentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tag customers (creating the tag if needed). In an exclusive group this removes their
    other tags of the group."""
    _change(ctx, tag, group, customer, file, segment, remove=False, as_json=as_json)


@app.command()
def remove(
    ctx: typer.Context,
    tag: TagArgument,
    group: GroupOption = None,
    customer: CustomerOption = None,
    file: FileOption = None,
    segment: SegmentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a tag from customers."""
    _change(ctx, tag, group, customer, file, segment, remove=True, as_json=as_json)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every tag with its group, provenance and number of customers."""
    with transaction(cli_context(ctx).engine()) as session:
        tags = list_tags(session)
    if as_json:
        emit_json({"tags": [tag.as_dict() for tag in tags]})
        return
    for tag in tags:
        name = f"{tag.group}/{tag.name}" if tag.group else tag.name
        exclusive = " (exclusive group)" if tag.is_exclusive else ""
        wecom = f" → WeCom {tag.wecom_tag_id}" if tag.wecom_tag_id else ""
        typer.echo(f"{name}{exclusive}: {tag.customers:,} customers, {tag.provenance}{wecom}")


@app.command("group")
def group_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="GROUP", help="The group's name.")],
    exclusive: Annotated[
        bool | None,
        typer.Option(
            "--exclusive/--not-exclusive",
            help="Exclusive: a customer has at most one tag of the group.",
        ),
    ] = None,
    wecom_group_id: Annotated[
        str | None, typer.Option("--wecom-group-id", help="The WeCom corp tag group id.")
    ] = None,
) -> None:
    """Create a tag group, or change whether it is exclusive."""
    with transaction(cli_context(ctx).engine()) as session:
        row = ensure_group(session, name, exclusive=exclusive, wecom_group_id=wecom_group_id)
        kind = "exclusive" if row.is_exclusive else "not exclusive"
    typer.echo(f"tag group {name}: {kind}")


@app.command()
def rule(
    ctx: typer.Context,
    tag: TagArgument,
    rule_file: Annotated[
        Path, typer.Argument(metavar="RULE.json", help="The rule (see docs/segments.md).")
    ],
    group: GroupOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Compute as of this day (default: today).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Define a rule tag: its holders are the customers its rule selects, recomputed by every
    `siyu refresh`."""
    document = read_rule(rule_file)
    evaluation = evaluation_of(ctx, as_of)
    with transaction(cli_context(ctx).engine()) as session:
        change = save_rule_tag(
            session,
            name=tag,
            group=group,
            document=document,
            evaluation=evaluation,
            now=datetime.now(UTC),
        )
    _report(change, as_json)


@app.command("map")
def map_(
    ctx: typer.Context,
    tag: TagArgument,
    wecom_tag_id: Annotated[str, typer.Option("--wecom-tag-id", help="The WeCom corp tag id.")],
    group: GroupOption = None,
    wecom_group_id: Annotated[
        str | None, typer.Option("--wecom-group-id", help="The WeCom corp tag group id.")
    ] = None,
) -> None:
    """Map a tag to a WeCom corp tag, so its changes can be synced to WeCom."""
    with transaction(cli_context(ctx).engine()) as session:
        row = find_tag(session, tag, group)
        map_wecom_tag(session, tag=row, wecom_tag_id=wecom_tag_id, wecom_group_id=wecom_group_id)
    typer.echo(f"tag {tag} → WeCom tag {wecom_tag_id}")


def _change(
    ctx: typer.Context,
    tag: str,
    group: str | None,
    customer: list[int] | None,
    file: Path | None,
    segment: str | None,
    *,
    remove: bool,
    as_json: bool,
) -> None:
    keys: list[CustomerKey] = customer_keys(customer or [])
    if file is not None:
        keys += parse_customer_lines(_read(file))
    with transaction(cli_context(ctx).engine()) as session:
        change = change_tag(
            session,
            name=tag,
            group=group,
            keys=keys,
            segment=segment,
            remove=remove,
            now=datetime.now(UTC),
        )
    _report(change, as_json)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"cannot read {path}: {error}") from error


def _report(change: TagChange, as_json: bool) -> None:
    if as_json:
        emit_json(change.as_dict())
        return
    text = f"{change.tag}: +{change.added:,} added, −{change.removed:,} removed"
    if change.removed_from_group:
        text += f", {change.removed_from_group:,} other tags of its exclusive group removed"
    typer.echo(text)
