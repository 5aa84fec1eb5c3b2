"""`siyu customers show|find|unmerge|set-attribute|load-attributes`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.customers.attributes import load_attributes, set_attributes
from siyu.customers.merge import do_unmerge
from siyu.customers.queries import CustomerView, find_customers, get_customer
from siyu.db.engine import transaction

app = typer.Typer(help="Look up customers, their identities and merges.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command()
def show(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer id.")],
    as_json: JsonOption = False,
) -> None:
    """Show a customer: every identity, the key that linked it and the file it came from."""
    with transaction(cli_context(ctx).engine()) as session:
        view = get_customer(session, customer_id)
    if as_json:
        emit_json(view.as_dict())
    else:
        _print(view)


@app.command()
def find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Part of a phone, buyer id, unionid or name.")],
    as_json: JsonOption = False,
) -> None:
    """Find customers by phone, name, buyer id or any other identity."""
    with transaction(cli_context(ctx).engine()) as session:
        ids = find_customers(session, text)
    if as_json:
        emit_json({"customer_ids": ids})
    else:
        typer.echo("\n".join(str(customer_id) for customer_id in ids) or "no match")


@app.command()
def unmerge(
    ctx: typer.Context,
    customer_id: Annotated[
        int, typer.Argument(metavar="ID", help="The customer that was merged away.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Undo the merge that folded customer ID into another; OneID keeps the two apart."""
    with transaction(cli_context(ctx).engine()) as session:
        merge = do_unmerge(session, merged_id=customer_id)
        result = {"merge_id": merge.id, "restored": customer_id, "from": merge.kept_id}
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"customer {customer_id} restored from {merge.kept_id} (merge {merge.id})")


def _print(view: CustomerView) -> None:
    typer.echo(f"customer {view.id}  {view.display_name or ''}")
    if view.merged_into_id:
        typer.echo(f"  merged into {view.merged_into_id}")
    typer.echo(f"  orders {view.orders}, net revenue ¥{view.net_revenue_fen / 100:,.2f}")
    if view.extra.get("stage"):
        profile = view.extra["profile"]
        reachable = "yes" if profile["reachable"] else "no"
        typer.echo(
            f"  stage {view.extra['stage']} since {view.extra['stage_since']}; "
            f"RFM {profile['rfm_segment'] or '-'}; reachable {reachable}"
        )
    typer.echo("  identities:")
    for identity in view.identities:
        scope = f"@{identity.scope}" if identity.scope else ""
        strength = "" if identity.is_strong else " (weak hint)"
        typer.echo(
            f"    {identity.kind}{scope} {identity.value}{strength} — linked by "
            f"{identity.linked_by}, from {identity.source}"
        )
    for merge in view.merges:
        undone = f", undone {merge.undone_at:%Y-%m-%d}" if merge.undone_at else ""
        typer.echo(
            f"  merge {merge.merge_id}: {merge.merged_id} → {merge.kept_id} on {merge.reason} "
            f"({merge.source}){undone}"
        )


@app.command("set-attribute")
def set_attribute(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer id.")],
    name: Annotated[str, typer.Argument(help="Attribute name, e.g. birthday.")],
    value: Annotated[str, typer.Argument(help="Its value (a birthday: YYYY-MM-DD or MM-DD).")],
) -> None:
    """Set one attribute that no export carries (the journeys' birthday trigger reads
    `birthday`)."""
    with transaction(cli_context(ctx).engine()) as session:
        set_attributes(session, customer_id, {name: value}, now=datetime.now(UTC))
    typer.echo(f"customer {customer_id}: {name} = {value.strip()}")


@app.command("load-attributes")
def load_attributes_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="UTF-8 CSV.", exists=True)],
    as_json: JsonOption = False,
) -> None:
    """Load attributes from a CSV: a `customer_id` or `phone` column names the customer, every
    other column is an attribute (`birthday`, …). Rejected rows are listed with their line."""
    with transaction(cli_context(ctx).engine()) as session:
        result = load_attributes(session, path, now=datetime.now(UTC))
    if as_json:
        emit_json(result.as_dict())
        return
    typer.echo(f"{result.values} values for {result.customers} customers from {result.rows} rows")
    for line, reason in result.rejected:
        typer.echo(f"line {line}: {reason}")
