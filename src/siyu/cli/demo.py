"""`siyu demo`: a believable skincare brand, loaded through the real importers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from siyu.analytics.kpi import compute_kpis
from siyu.cli.context import cli_context, emit_json
from siyu.cli.web import ensure_demo_admin
from siyu.db.engine import transaction
from siyu.demo.load import run_demo


def demo(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=100, help="People to simulate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same brand.")] = 7,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo's export files are written.")
    ] = Path("demo-data"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Build the demo merchant (a skincare brand on Tmall, JD, PDD, Douyin and a mini-program,
    with three WeCom guides): write its exports in the platforms' own formats, import them,
    and compute every profile. Safe to re-run: the data is loaded once per database."""
    context = cli_context(ctx)
    zone = context.settings.timezone
    today = datetime.now(zone).date()
    # trading ends with yesterday, the last whole day (exported at today's midnight): an end
    # of today would place orders in the hours still to come
    yesterday = today - timedelta(days=1)
    engine = context.engine()
    say = (lambda line: None) if as_json else (lambda line: typer.echo(f"  importing {line}"))
    result = run_demo(
        engine, out_dir=directory, customers=customers, seed=seed, end=yesterday, zone=zone,
        on_file=say,
    )  # fmt: skip
    with transaction(engine) as session:
        login = ensure_demo_admin(session)
        kpis = compute_kpis(
            session, period_from=today.replace(year=today.year - 1), period_to=today, zone=zone
        )
    if as_json:
        emit_json(
            {
                "loaded": result.loaded,
                "demo": result.description,
                "imports": [item.as_dict() for item in result.imports],
                "refresh": result.refresh.as_dict() if result.refresh else None,
                "kpis": kpis.as_dict(),
                "login": {"username": login[0], "password": login[1]},
            }
        )
        return
    state = "loaded" if result.loaded else "already loaded"
    typer.echo(f"demo merchant {state}: {result.description}")
    typer.echo(
        f"  {kpis.customers:,} customers, {kpis.buyers:,} buyers in the last year, "
        f"net revenue ¥{kpis.net_revenue:,.2f}, AOV 客单价 ¥{kpis.aov:,.2f}, "
        f"revenue per customer 单客价 ¥{kpis.revenue_per_customer:,.2f}"
    )
    typer.echo(f"  {kpis.verdict['text']}")
    typer.echo(f"console login (demo admin): {login[0]} / {login[1]}")
