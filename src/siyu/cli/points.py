"""`siyu points`: the points ledger — balances, adjustments, history, order sync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from siyu.cli.context import cli_context
from siyu.cli.loyalty_options import (
    Customer,
    JsonOption,
    Operator,
    When,
    change_rules,
    emit,
    moment,
)
from siyu.db.engine import transaction
from siyu.loyalty.points import adjust_points, points_balance, points_history
from siyu.loyalty.points_sync import sync_points

app = typer.Typer(
    help="The points ledger: balances, adjustments, history, order sync.", no_args_is_help=True
)


@app.command("balance")
def points_balance_command(
    ctx: typer.Context, customer_id: Customer, as_json: JsonOption = False
) -> None:
    """Show a balance (the ledger sum) and when its points expire."""
    with transaction(cli_context(ctx).engine()) as session:
        balance = points_balance(session, customer_id)
    lines = [f"customer {customer_id}: {balance.balance} points"] + [
        f"  {lot.points} expire {lot.expires_at:%Y-%m-%d}" for lot in balance.expiring
    ]
    emit(as_json, balance.as_dict(), lines)


@app.command("adjust")
def points_adjust(
    ctx: typer.Context,
    customer_id: Customer,
    amount: Annotated[
        int, typer.Option("--points", help="Points to add; negative to take (e.g. --points -50).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on the ledger).")],
    operator: Operator,
    as_json: JsonOption = False,
) -> None:
    """Adjust a balance by hand, with a reason and the operator's name."""
    with transaction(cli_context(ctx).engine()) as session:
        entry = adjust_points(
            session,
            customer_id=customer_id,
            points=amount,
            reason=reason,
            operator=operator,
            now=datetime.now(UTC),
        )
    emit(as_json, entry.as_dict(), [f"entry {entry.id}: {entry.points:+d} points ({reason})"])


@app.command("history")
def points_history_command(
    ctx: typer.Context,
    customer_id: Customer,
    limit: Annotated[int, typer.Option(help="Newest entries to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show a customer's ledger entries, newest first."""
    with transaction(cli_context(ctx).engine()) as session:
        entries = points_history(session, customer_id, limit=limit)
    lines = [
        f"{entry.occurred_at:%Y-%m-%d %H:%M} {entry.kind:<8} {entry.points:+8d}"
        + (f" (short {entry.shortfall})" if entry.shortfall else "")
        + f"  {entry.reason} {entry.operator}".rstrip()
        for entry in entries
    ]
    emit(as_json, {"customer_id": customer_id, "entries": [e.as_dict() for e in entries]}, lines)


@app.command("sync")
def points_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Expire due points, earn on paid orders and reverse refunds since the last sync."""
    when = moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_points(session, now=when)
    line = (
        f"{result.earn_entries} orders earned, {result.reverse_entries} refunds reversed, "
        f"{result.expired_points} points expired"
    )
    emit(as_json, result.as_dict(), [line])


@app.command("rules")
def points_rules(
    ctx: typer.Context,
    per_yuan: Annotated[
        int | None, typer.Option(help="Points per yuan paid (before tier multiplier).")
    ] = None,
    validity_months: Annotated[
        int | None, typer.Option(help="Months before points expire.")
    ] = None,
    operator: Operator = "cli",
    as_json: JsonOption = False,
) -> None:
    """Show or change the earning and expiry rules."""
    change_rules(
        ctx,
        {"points_per_yuan": per_yuan, "points_validity_months": validity_months},
        operator,
        as_json,
    )
