"""`siyu tier`: member levels, recomputation, a member's standing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from siyu.cli.context import cli_context
from siyu.cli.loyalty_options import (
    Customer,
    JsonOption,
    Operator,
    change_rules,
    count,
    emit,
    fen,
    moment,
    yuan,
)
from siyu.db.engine import transaction
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.loyalty.tier_statement import tier_statement
from siyu.loyalty.tiers import TierLevelSpec, list_levels, set_level

app = typer.Typer(
    help="Member tiers: levels, recomputation, a member's standing.", no_args_is_help=True
)


@app.command("list")
def tier_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the levels (the default 普通/银卡/金卡/黑金 set is created on first use)."""
    with transaction(cli_context(ctx).engine()) as session:
        levels = list_levels(session)
    lines = [
        f"{level.rank}  {level.code} {level.name}: spend ≥ {yuan(level.min_spend_fen)} or "
        f"orders ≥ {count(level.min_orders)}; points ×{level.points_multiplier_percent / 100:g}; "
        f"{', '.join(level.privileges) or 'no privileges'}"
        for level in levels
    ]
    emit(as_json, {"levels": [level.as_dict() for level in levels]}, lines)


@app.command("set-level")
def tier_set_level(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Level code, e.g. gold.")],
    name: Annotated[str, typer.Option(help="Display name, e.g. 金卡.")],
    rank: Annotated[int, typer.Option(help="0 is the lowest level.")],
    min_spend: Annotated[
        str | None, typer.Option(help="Rolling net spend threshold, yuan.")
    ] = None,
    min_orders: Annotated[int | None, typer.Option(help="Rolling order-count threshold.")] = None,
    multiplier: Annotated[int, typer.Option(help="Points multiplier, percent.")] = 100,
    discount: Annotated[int, typer.Option(help="Member discount, percent off.")] = 0,
    free_shipping: Annotated[bool, typer.Option(help="Free shipping.")] = False,
    exclusive_activities: Annotated[bool, typer.Option(help="Exclusive activities.")] = False,
    priority_service: Annotated[bool, typer.Option(help="Priority service.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create or change a level."""
    spec = TierLevelSpec(
        code,
        name,
        rank,
        fen(min_spend, "--min-spend"),
        min_orders,
        multiplier,
        discount,
        free_shipping,
        exclusive_activities,
        priority_service,
    )
    with transaction(cli_context(ctx).engine()) as session:
        set_level(session, spec)
    emit(as_json, spec.as_dict(), [f"level {code} saved"])


@app.command("recompute")
def tier_recompute(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of (ISO; default now).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every member's tier: upgrades at once, downgrades after the tier year + grace."""
    when = moment(ctx, as_of)
    with transaction(cli_context(ctx).engine()) as session:
        result = recompute_tiers(session, as_of=when)
    line = (
        f"{result.members} members: {result.joined} joined, {result.upgraded} upgraded, "
        f"{result.downgraded} downgraded, {result.renewed} renewed"
    )
    emit(as_json, result.as_dict(), [line])


@app.command("show")
def tier_show(ctx: typer.Context, customer_id: Customer, as_json: JsonOption = False) -> None:
    """Show a member's tier, rolling figures, what the next level needs, and the history."""
    with transaction(cli_context(ctx).engine()) as session:
        statement = tier_statement(session, customer_id, as_of=datetime.now(UTC))
    current = statement.current
    lines = [
        f"customer {customer_id}: {current.level.name if current else 'no tier yet'}"
        + (
            f" since {current.since:%Y-%m-%d}, tier year to {current.period_ends_at:%Y-%m-%d}"
            if current
            else ""
        ),
        f"  last 12 months: {yuan(statement.spend_fen)} over {statement.orders} orders "
        f"(qualifies for {statement.qualifies_for})",
    ]
    if statement.next_tier:
        lines.append(
            f"  next: {statement.next_tier} — {yuan(statement.spend_to_next_fen)} more or "
            f"{count(statement.orders_to_next)} more orders"
        )
    if statement.downgrade_from:
        lines.append(f"  downgrade possible from {statement.downgrade_from:%Y-%m-%d}")
    lines += [
        f"  {change.effective_at:%Y-%m-%d} {change.kind}: "
        f"{change.from_tier or '-'} → {change.to_tier}"
        for change in statement.history
    ]
    emit(as_json, statement.as_dict(), lines)


@app.command("rules")
def tier_rules(
    ctx: typer.Context,
    window_months: Annotated[
        int | None, typer.Option(help="Rolling window for thresholds.")
    ] = None,
    period_months: Annotated[int | None, typer.Option(help="Length of the tier year.")] = None,
    grace_days: Annotated[int | None, typer.Option(help="Grace after the tier year.")] = None,
    operator: Operator = "cli",
    as_json: JsonOption = False,
) -> None:
    """Show or change the tier rules."""
    changes = {
        "tier_window_months": window_months,
        "tier_period_months": period_months,
        "tier_grace_days": grace_days,
    }
    change_rules(ctx, changes, operator, as_json)
