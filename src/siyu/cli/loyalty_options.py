"""What the member commands (`tier`, `points`, `coupon`, `referral`, `distributor`) share:
options, parsing times and yuan amounts, and printing text or one JSON object."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.rules import update_rules

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Customer = Annotated[int, typer.Argument(metavar="CUSTOMER", help="Customer id.")]
When = Annotated[
    str | None,
    typer.Option("--now", help="Act as of this time (ISO; default now; no offset = local time)."),
]
Operator = Annotated[str, typer.Option("--operator", help="Who makes the change (kept on record).")]


def moment(ctx: typer.Context, text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise LoyaltyError(
            LoyaltyErrorCode.INVALID_RULE, f"not an ISO date or time: {text!r}"
        ) from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=cli_context(ctx).settings.timezone)


def fen(yuan: str | None, name: str) -> int | None:
    if yuan is None:
        return None
    try:
        value = Decimal(yuan.strip().lstrip("¥"))
    except InvalidOperation as error:
        raise LoyaltyError(
            LoyaltyErrorCode.INVALID_AMOUNT, f"{name}: {yuan!r} is not an amount in yuan"
        ) from error
    return int((value * 100).to_integral_value())


def yuan(amount_fen: int | None) -> str:
    return "-" if amount_fen is None else f"¥{amount_fen / 100:,.2f}"


def count(value: int | None) -> str:
    return "-" if value is None else str(value)


def emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        emit_json(payload)
    else:
        typer.echo("\n".join(lines))


def change_rules(ctx: typer.Context, changes: dict[str, Any], operator: str, as_json: bool) -> None:
    given = {name: value for name, value in changes.items() if value is not None}
    with transaction(cli_context(ctx).engine()) as session:
        rules = update_rules(session, given, operator=operator)
    shown = {name: getattr(rules, name) for name in changes}
    emit(as_json, shown, [f"{name}: {value}" for name, value in shown.items()])
