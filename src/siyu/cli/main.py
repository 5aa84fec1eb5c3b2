"""The `siyu` console script. User mistakes end in one clear line and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from siyu.cli import (
    analytics,
    campaigns,
    clv,
    coupons,
    customers,
    database,
    demo,
    distributors,
    engage,
    imports,
    jobs,
    journeys,
    points,
    referrals,
    segments,
    tags,
    tiers,
    web,
)
from siyu.cli.context import CliContext
from siyu.errors import SiyuError

app = typer.Typer(
    name="siyu",
    help="siyu (私域): know every customer once, see where each stands, reach them with care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (overrides SIYU_DATABASE_URL; default: sqlite file siyu.db here).",
        ),
    ] = None,
) -> None:
    context = CliContext(database_override=db)
    ctx.obj = context
    ctx.call_on_close(context.close)


app.command()(database.init)
app.command()(database.doctor)
app.command("import")(imports.import_)
app.add_typer(customers.app, name="customers")
app.command()(analytics.refresh)
app.add_typer(clv.app, name="clv")
app.command()(analytics.kpi)
app.add_typer(segments.app, name="segment")
app.add_typer(tags.app, name="tag")
app.add_typer(tiers.app, name="tier")
app.add_typer(points.app, name="points")
app.add_typer(coupons.app, name="coupon")
app.add_typer(referrals.app, name="referral")
app.add_typer(distributors.app, name="distributor")
app.command()(demo.demo)
app.command()(engage.worker)
app.add_typer(engage.outbox_app, name="outbox")
app.add_typer(engage.consent_app, name="consent")
app.add_typer(engage.quota_app, name="quota")
app.add_typer(campaigns.app, name="campaign")
app.add_typer(jobs.app, name="jobs")
app.add_typer(journeys.app, name="journey")
app.command()(web.serve)
app.add_typer(web.user_app, name="user")


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; SiyuError becomes `siyu: error: …` on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="siyu")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except SiyuError as error:
        typer.echo(f"siyu: error: {error.message}", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("siyu: interrupted", err=True)
        return 130
    return 0


def entry_point() -> None:
    sys.exit(run())
