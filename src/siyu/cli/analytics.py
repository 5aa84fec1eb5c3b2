"""`siyu refresh` (profiles, lifecycle, RFM, CLV scores)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

import typer

from siyu.analytics.kpi import compute_kpis
from siyu.analytics.refresh import refresh as do_refresh
from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.errors import InvalidInputError
from siyu.segments.refresh import refresh_segments


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInputError(f"{option} {value!r} is not a date like 2026-11-22") from error


def refresh(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Compute stages as of this date (YYYY-MM-DD).")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute every customer, re-estimate the shop's interval and the CLV model,"
            " and re-score everyone's CLV (run it daily).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compute every customer's profile: orders, revenue, repeat intervals, category
    preferences, reachability, lifecycle stage, RFM and CLV. Incremental by default: the
    customers changed since the last refresh, and the scores that moved (docs/metrics.md).
    Then recompute rule tags and materialise every saved segment."""
    context = cli_context(ctx)
    day = parse_day(as_of, "--as-of") or datetime.now(context.settings.timezone).date()
    result = do_refresh(context.engine(), as_of=day, zone=context.settings.timezone, full=full)
    segments = refresh_segments(context.engine(), as_of=day, zone=context.settings.timezone)
    if as_json:
        emit_json(result.as_dict() | {"segments": segments.as_dict()})
        return
    typer.echo(
        f"{result.mode} refresh as of {result.as_of}: {result.recomputed:,} customers recomputed, "
        f"{result.scored:,} scored, {result.stage_changes:,} stage changes "
        f"({result.seconds:.1f} s)"
    )
    typer.echo(segments.summary())


def kpi(
    ctx: typer.Context,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (default: 365 days before --to).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")] = None,
    threshold: Annotated[
        float, typer.Option(help="Yearly spend (yuan) that counts as a high spender.")
    ] = 1_000.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Private-domain KPIs: buyers, revenue, AOV (客单价) beside revenue per customer (单客价),
    repurchase, 2nd/3rd-order conversion, reach, cohorts, and whether 私域 suits you."""
    context = cli_context(ctx)
    zone = context.settings.timezone
    last = parse_day(date_to, "--to") or datetime.now(zone).date()
    first = parse_day(date_from, "--from") or last - timedelta(days=364)
    if first > last:
        raise InvalidInputError(f"--from {first} is after --to {last}")
    with transaction(context.engine()) as session:
        kpis = compute_kpis(
            session, period_from=first, period_to=last, zone=zone, spend_threshold_yuan=threshold
        )
    if as_json:
        emit_json(kpis.as_dict())
        return
    typer.echo(f"{kpis.period_from} → {kpis.period_to}")
    typer.echo(f"  customers {kpis.customers:,}   buyers {kpis.buyers:,}   orders {kpis.orders:,}")
    typer.echo(
        f"  net revenue ¥{kpis.net_revenue:,.2f}   AOV 客单价 ¥{kpis.aov:,.2f}   "
        f"revenue per customer 单客价 ¥{kpis.revenue_per_customer:,.2f}"
    )
    typer.echo(
        f"  repurchase {kpis.repurchase_rate:.1%}   2nd order {kpis.second_order.rate:.1%}   "
        f"3rd order {kpis.third_order.rate:.1%}   buyer reach {kpis.reach['buyer_reach']:.1%}"
    )
    typer.echo(f"  {kpis.verdict['text']}")
