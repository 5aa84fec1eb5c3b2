"""`siyu distributor`: distributors (分销), their bound customers and commission ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from siyu.cli.context import cli_context
from siyu.cli.loyalty_options import JsonOption, Operator, When, emit, fen, moment, yuan
from siyu.db.engine import transaction
from siyu.loyalty.distributor_views import (
    DistributorSummary,
    commission_ledger,
    get_distributor,
    list_distributors,
    staff_id_for,
)
from siyu.loyalty.distributors import bind_customer, create_distributor, pay_out
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode

app = typer.Typer(
    help="Distributors (分销): appointment, bound customers, commissions and payouts.",
    no_args_is_help=True,
)
DistributorId = Annotated[int, typer.Argument(metavar="DISTRIBUTOR", help="Distributor id.")]


def _line(summary: DistributorSummary) -> str:
    owner = (
        f"customer {summary.customer_id}"
        if summary.customer_id is not None
        else f"staff {summary.staff_id}"
    )
    return (
        f"{summary.id} {summary.code} {owner} {summary.name}: {summary.commission_bp / 100:g}% "
        f"for {summary.attribution_days} days; {summary.bound_customers} bound; earned "
        f"{yuan(summary.earned_fen)}, paid {yuan(summary.paid_out_fen)}, owed "
        f"{yuan(summary.balance_fen)}" + ("" if summary.is_active else " (inactive)")
    )


@app.command("add")
def distributor_add(
    ctx: typer.Context,
    customer: Annotated[int | None, typer.Option(help="A distributing customer's id.")] = None,
    staff: Annotated[str | None, typer.Option(help="A staff member's WeCom userid.")] = None,
    commission: Annotated[
        int, typer.Option("--commission-bp", help="Commission in basis points (1000 = 10%).")
    ] = 1000,
    attribution_days: Annotated[
        int, typer.Option(help="Days a bound customer's orders earn commission.")
    ] = 30,
    as_json: JsonOption = False,
) -> None:
    """Appoint a distributor: a customer (tagged 身份/合伙人) or a staff member."""
    with transaction(cli_context(ctx).engine()) as session:
        staff_id = staff_id_for(session, staff) if staff is not None else None
        view = create_distributor(
            session, commission_bp=commission, attribution_days=attribution_days,
            now=datetime.now(UTC), customer_id=customer, staff_id=staff_id,
        )  # fmt: skip
    emit(as_json, view.as_dict(), [f"distributor {view.id}: code {view.code}"])


@app.command("list")
def distributor_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every distributor with bound customers, commission earned, paid out and owed."""
    with transaction(cli_context(ctx).engine()) as session:
        found = list_distributors(session)
    payload = {"distributors": [summary.as_dict() for summary in found]}
    emit(as_json, payload, [_line(summary) for summary in found] or ["no distributors"])


@app.command("show")
def distributor_show(
    ctx: typer.Context, distributor_id: DistributorId, as_json: JsonOption = False
) -> None:
    """One distributor's figures."""
    with transaction(cli_context(ctx).engine()) as session:
        summary = get_distributor(session, distributor_id)
    emit(as_json, summary.as_dict(), [_line(summary)])


@app.command("ledger")
def distributor_ledger(
    ctx: typer.Context,
    distributor_id: DistributorId,
    limit: Annotated[int, typer.Option(help="Newest entries to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The commission ledger, newest first: earnings, claw-backs on refunds, payouts."""
    with transaction(cli_context(ctx).engine()) as session:
        entries, total = commission_ledger(session, distributor_id, limit=limit)
    lines = [
        f"{entry.occurred_at:%Y-%m-%d %H:%M} {entry.kind:<8} {yuan(entry.amount_fen):>12}"
        f"  {entry.reason} {entry.operator}".rstrip()
        for entry in entries
    ]
    payload = {
        "distributor_id": distributor_id,
        "total": total,
        "entries": [entry.as_dict() for entry in entries],
    }
    emit(as_json, payload, lines or ["no entries"])


@app.command("bind")
def distributor_bind(
    ctx: typer.Context,
    distributor_id: DistributorId,
    customer_id: Annotated[int, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    now: When = None,
    as_json: JsonOption = False,
) -> None:
    """Bind a customer to the distributor by hand (the first binding wins)."""
    when = moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        bound = bind_customer(
            session, distributor_id=distributor_id, customer_id=customer_id, now=when
        )
    line = f"customer {customer_id} " + ("bound" if bound else "already bound (or is the owner)")
    emit(as_json, {"customer_id": customer_id, "bound": bound}, [line])


@app.command("settle")
def distributor_settle(
    ctx: typer.Context,
    distributor_id: DistributorId,
    amount: Annotated[str, typer.Option("--amount", help="Yuan paid out (at most what is owed).")],
    operator: Operator,
    as_json: JsonOption = False,
) -> None:
    """Record a payout to the distributor; refused beyond what they are owed."""
    paid = fen(amount, "--amount")
    if paid is None:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_AMOUNT, "--amount is required")
    with transaction(cli_context(ctx).engine()) as session:
        left = pay_out(
            session, distributor_id=distributor_id, amount_fen=paid, operator=operator,
            now=datetime.now(UTC),
        )  # fmt: skip
    payload = {"distributor_id": distributor_id, "paid_fen": paid, "balance_fen": left}
    emit(as_json, payload, [f"paid {yuan(paid)}; still owed {yuan(left)}"])
