"""`siyu clv fit|backtest`: the predicted-lifetime-value model (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from siyu.analytics.clv_backtest import BacktestResult, backtest_clv, draw_calibration_plot
from siyu.analytics.clv_service import ClvFitResult, fit_clv, parse_unit
from siyu.cli.analytics import parse_day
from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction

app = typer.Typer(
    help="Predicted customer lifetime value: fit the BG/NBD + Gamma-Gamma model and check it.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
UnitOption = Annotated[
    str, typer.Option("--unit", help="Time unit of the model: day or week.", metavar="day|week")
]


@app.command()
def fit(
    ctx: typer.Context,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Fit on orders up to this date (YYYY-MM-DD; default today)."),
    ] = None,
    unit: UnitOption = "week",
    as_json: JsonOption = False,
) -> None:
    """Fit the model on the orders so far and save it; `siyu refresh` scores with the newest.
    Needs at least 200 customers who bought again."""
    context = cli_context(ctx)
    zone = context.settings.timezone
    day = parse_day(until, "--until") or datetime.now(zone).date()
    model_unit = parse_unit(unit)
    with transaction(context.engine()) as session:
        result = fit_clv(session, until=day, unit=model_unit, zone=zone)
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_fit(result)


@app.command()
def backtest(
    ctx: typer.Context,
    until: Annotated[
        str, typer.Option("--until", help="End of the calibration period (YYYY-MM-DD).")
    ],
    holdout_end: Annotated[
        str, typer.Option("--holdout-end", help="End of the holdout period (YYYY-MM-DD).")
    ],
    unit: UnitOption = "week",
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE.png", help="Draw the calibration plot to this PNG."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit on the orders up to --until (not saved) and compare the repeat purchases it predicts
    in the holdout with the actual ones, in total and by repeat purchases before (0 … 7+)."""
    context = cli_context(ctx)
    calibration_end = parse_day(until, "--until")
    end = parse_day(holdout_end, "--holdout-end")
    assert calibration_end is not None  # a required option
    assert end is not None
    model_unit = parse_unit(unit)
    with transaction(context.engine()) as session:
        result = backtest_clv(
            session, until=calibration_end, holdout_end=end, unit=model_unit,
            zone=context.settings.timezone,
        )  # fmt: skip
    if plot is not None:
        draw_calibration_plot(result, plot)
    if as_json:
        emit_json(result.as_dict() | {"plot": str(plot) if plot else None})
    else:
        _print_backtest(result, plot)


def _print_fit(result: ClvFitResult) -> None:
    bgnbd, spend = result.purchases, result.spend
    typer.echo(
        f"BG/NBD ({result.unit}s, orders up to {result.until}): r = {bgnbd.r:.4g}, "
        f"alpha = {bgnbd.alpha:.4g}, a = {bgnbd.a:.4g}, b = {bgnbd.b:.4g}; "
        f"log-likelihood {result.log_likelihood:,.1f}"
    )
    typer.echo(f"Gamma-Gamma (yuan): p = {spend.p:.4g}, q = {spend.q:.4g}, v = {spend.gamma:.4g}")
    typer.echo(
        f"{result.customers:,} customers, {result.repeat_customers:,} bought again, "
        f"{result.repeat_purchases:,} repeat purchases; saved as model {result.model_id}"
    )


def _print_backtest(result: BacktestResult, plot: Path | None) -> None:
    typer.echo(
        f"fitted on {result.customers:,} customers up to {result.until}; holdout to "
        f"{result.holdout_end}: actual {result.actual:,} repeat purchases, "
        f"predicted {result.predicted:,.1f}"
    )
    typer.echo(f"{'repeat before':>13}  {'customers':>9}  {'actual':>7}  {'predicted':>9}")
    for row in result.by_frequency:
        typer.echo(
            f"{row.frequency:>13}  {row.customers:>9,}  {row.actual:>7.3f}  {row.predicted:>9.3f}"
        )
    if plot is not None:
        typer.echo(f"calibration plot: {plot}")
