"""`siyu coupon`: coupon templates, issuing, redemption sync and results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from siyu.cli.context import cli_context
from siyu.cli.loyalty_options import JsonOption, When, emit, fen, moment, yuan
from siyu.db.engine import transaction
from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.coupon_sync import sync_coupons
from siyu.loyalty.coupons import CouponTemplateSpec, create_template, issue_coupons
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode

app = typer.Typer(
    help="Coupon templates, issuing, redemption sync and results.", no_args_is_help=True
)


@app.command("template-create")
def coupon_template_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Template name.")],
    valid_days: Annotated[int, typer.Option(help="Days a coupon is valid from issue.")],
    amount_off: Annotated[str | None, typer.Option(help="Yuan off (an amount-off coupon).")] = None,
    percent_off: Annotated[
        int | None, typer.Option(help="Percent off (a percent-off coupon).")
    ] = None,
    cap: Annotated[
        str | None, typer.Option(help="Most yuan a percent-off coupon takes off.")
    ] = None,
    min_spend: Annotated[str, typer.Option(help="Spending threshold in yuan (满 X).")] = "0",
    per_customer: Annotated[
        int, typer.Option(help="Most coupons of this template per customer.")
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """Create a coupon template: an amount off, or a percentage off with a cap."""
    spec = CouponTemplateSpec(
        name=name,
        kind="percent_off" if percent_off is not None else "amount_off",
        valid_days=valid_days,
        amount_off_fen=fen(amount_off, "--amount-off"),
        percent_off=percent_off,
        max_discount_fen=fen(cap, "--cap"),
        min_spend_fen=fen(min_spend, "--min-spend") or 0,
        per_customer_limit=per_customer,
    )
    with transaction(cli_context(ctx).engine()) as session:
        template = create_template(session, spec)
    emit(as_json, template.as_dict(), [f"template {template.id}: {name}"])


@app.command("issue")
def coupon_issue(
    ctx: typer.Context,
    template_id: Annotated[int, typer.Argument(metavar="TEMPLATE", help="Template id.")],
    customers: Annotated[str | None, typer.Option(help="Customer ids, comma-separated.")] = None,
    customers_file: Annotated[
        Path | None, typer.Option(help="A file of customer ids, one a line.")
    ] = None,
    source: Annotated[str, typer.Option(help="segment, journey or manual.")] = "segment",
    issue_key: Annotated[
        str | None, typer.Option(help="Idempotency key: issuing again is a no-op.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Issue one coupon to each listed customer (respecting the per-customer limit)."""
    ids = _ids(customers, customers_file)
    with transaction(cli_context(ctx).engine()) as session:
        result = issue_coupons(
            session,
            template_id=template_id,
            customer_ids=ids,
            source=source,
            now=datetime.now(UTC),
            issue_key=issue_key,
        )
    line = (
        f"{result.issued} issued; {result.at_limit} at their limit, {result.already_issued} "
        f"already issued with this key, {result.not_found} unknown or merged"
    )
    emit(as_json, result.as_dict(), [line])


def _ids(text: str | None, path: Path | None) -> list[int]:
    raw = (text or "").replace(",", " ").split()
    if path is not None:
        if not path.is_file():
            raise LoyaltyError(LoyaltyErrorCode.UNKNOWN_CUSTOMER, f"{path}: no such file")
        raw += path.read_text(encoding="utf-8").replace(",", " ").split()
    if not raw or not all(item.isdigit() for item in raw):
        raise LoyaltyError(
            LoyaltyErrorCode.UNKNOWN_CUSTOMER,
            "give customer ids (digits) with --customers or --customers-file",
        )
    return [int(item) for item in raw]


@app.command("sync")
def coupon_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Mark coupons redeemed by imported orders' coupon codes, and expire lapsed ones."""
    when = moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_coupons(session, now=when)
    emit(as_json, result.as_dict(), [f"{result.redeemed} redeemed, {result.expired} expired"])


@app.command("results")
def coupon_results_command(
    ctx: typer.Context,
    template_id: Annotated[
        int | None, typer.Argument(metavar="[TEMPLATE]", help="One template.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Issued, redeemed, and redeeming orders' revenue against holders who did not redeem."""
    with transaction(cli_context(ctx).engine()) as session:
        results = coupon_results(session, template_id)
    lines = [
        f"{r.template_id} {r.name}: {r.issued} issued, {r.redeemed} redeemed "
        f"({r.redemption_rate:.1%}); {yuan(r.revenue_per_redeemer_fen)} per redeemer vs "
        f"{yuan(r.revenue_per_non_redeemer_fen)} per non-redeeming holder"
        for r in results
    ]
    emit(as_json, {"templates": [r.as_dict() for r in results]}, lines or ["no templates"])
