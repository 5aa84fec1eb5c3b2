"""`siyu customers show|find|unmerge`."""

from __future__ import annotations

from typing import Annotated

import typer

from siyu.cli.context import cli_context, emit_json
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
