"""`siyu campaign create|list|show|preview|launch|launch-due|results|cancel`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.engage.campaigns.actions import (
    CampaignSpec,
    VariantSpec,
    cancel_campaign,
    create_campaign,
)
from siyu.engage.campaigns.launch import launch_campaign, launch_due_campaigns
from siyu.engage.campaigns.preview import preview_campaign
from siyu.engage.campaigns.queries import list_campaigns, show_campaign
from siyu.engage.campaigns.results import campaign_results
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.settings import EngageSettings
from siyu.errors import InvalidInputError

app = typer.Typer(help="Campaigns to a segment, with variants and a holdout.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
CampaignArgument = Annotated[int, typer.Argument(metavar="CAMPAIGN", help="Campaign id.")]


def _policy(ctx: typer.Context) -> ContactPolicy:
    policy = EngageSettings.from_env().policy
    return replace(policy, timezone_name=cli_context(ctx).settings.timezone_name)


def parse_variant(text: str) -> VariantSpec:
    """`KEY=TEXT` or `KEY:WEIGHT=TEXT`."""
    head, separator, body = text.partition("=")
    key, _, weight = head.partition(":")
    if not separator or not key.strip():
        raise InvalidInputError(f"--variant {text!r}: write KEY=TEXT or KEY:WEIGHT=TEXT")
    if weight and not weight.strip().isdigit():
        raise InvalidInputError(f"--variant {text!r}: the weight must be a whole number")
    return VariantSpec(key.strip(), body, int(weight) if weight else 1)


def _schedule(ctx: typer.Context, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidInputError(f"--schedule {value!r}: write e.g. 2026-03-02T10:00") from error
    zone = cli_context(ctx).settings.timezone
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A unique name.")],
    segment: Annotated[str, typer.Option("--segment", help="A saved segment's name or code.")],
    variant: Annotated[
        list[str],
        typer.Option(
            "--variant",
            help="KEY=TEXT or KEY:WEIGHT=TEXT, repeat for A/B/n; placeholders {name}, "
            "{last_product}, {coupon}.",
        ),
    ],
    channel: Annotated[str, typer.Option("--channel", help="wecom|sms|email|webhook|console")],
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share held out per lifecycle stage (0 to <1).")
    ] = 0.10,
    purpose: Annotated[str, typer.Option("--purpose", help="marketing|personalised")] = "marketing",
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Launch time (ISO; local zone if none).")
    ] = None,
    valid_days: Annotated[int, typer.Option("--valid-days", help="Days messages may go.")] = 3,
    attribution_days: Annotated[
        int, typer.Option("--attribution-days", help="Days orders count after launch.")
    ] = 14,
    coupon_template: Annotated[
        int | None, typer.Option("--coupon-template", help="Coupon template id for {coupon}.")
    ] = None,
    subject: Annotated[str, typer.Option("--subject", help="E-mail subject (a template).")] = "",
    template_code: Annotated[
        str, typer.Option("--template-code", help="The approved SMS template code.")
    ] = "",
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft campaign (scheduled with --schedule); templates are checked now."""
    variants = [
        replace(parse_variant(v), subject=subject, template_code=template_code) for v in variant
    ]
    spec = CampaignSpec(
        name=name, segment=segment, channel=channel, variants=variants, purpose=purpose,
        holdout_share=holdout, seed=seed, scheduled_at=_schedule(ctx, schedule),
        valid_days=valid_days, attribution_days=attribution_days,
        coupon_template_id=coupon_template,
    )  # fmt: skip
    with transaction(cli_context(ctx).engine()) as session:
        campaign = create_campaign(session, spec, actor=None, now=datetime.now(UTC))
        view = show_campaign(session, campaign.id)
    if as_json:
        emit_json(view.as_dict())
    else:
        typer.echo(f"campaign {view.id} {view.name!r}: {view.status}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List campaigns, newest first."""
    with transaction(cli_context(ctx).engine()) as session:
        rows = list_campaigns(session, status=status)
    if as_json:
        emit_json({"campaigns": [row.as_dict() for row in rows]})
        return
    for row in rows:
        typer.echo(
            f"{row.id:>6}  {row.status:<10} {row.channel:<8} {row.recipients:>8}  "
            f"{row.name}  ({row.segment or '-'})"
        )


@app.command("show")
def show(ctx: typer.Context, campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Show a campaign and its variants."""
    with transaction(cli_context(ctx).engine()) as session:
        view = show_campaign(session, campaign)
    if as_json:
        emit_json(view.as_dict())
        return
    for name, value in view.as_dict().items():
        if name != "variants":
            typer.echo(f"{name:>18}: {value}")
    for v in view.variants:
        typer.echo(f"  variant {v.key} (weight {v.weight}): {v.text}")


@app.command("preview")
def preview(ctx: typer.Context, campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """What launching now would do: audience, holdout per stage, variants, governor verdicts.
    Writes nothing."""
    with transaction(cli_context(ctx).engine()) as session:
        result = preview_campaign(session, campaign, policy=_policy(ctx), now=datetime.now(UTC))
    if as_json:
        emit_json(result.as_dict())
        return
    typer.echo(f"audience {result.audience}, holdout {result.holdout}")
    for stratum in result.strata:
        typer.echo(f"  {stratum.stratum:<14} {stratum.audience:>8}  held out {stratum.holdout}")
    typer.echo("variants: " + ", ".join(f"{k} {n}" for k, n in result.variants.items()))
    typer.echo(f"at once {result.at_once}, later {result.later}")
    for reason, count in result.suppressed.items():
        typer.echo(f"  suppressed {count}: {reason}")


def _echo_launch(report: dict[str, Any]) -> None:
    if not report["launched"]:
        typer.echo(f"campaign {report['campaign_id']}: launched before, nothing planned")
        return
    planned = report["plan"]
    typer.echo(
        f"campaign {report['campaign_id']}: {report['recipients']} recipients, "
        f"{report['holdout']} held out; queued {planned['queued']}, "
        f"suppressed {sum(planned['suppressed'].values())}"
    )


@app.command("launch")
def launch(ctx: typer.Context, campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Launch now: freeze the audience and plan its messages (launching twice does nothing)."""
    with transaction(cli_context(ctx).engine()) as session:
        report = launch_campaign(
            session, campaign, actor=None, policy=_policy(ctx), now=datetime.now(UTC)
        ).as_dict()
    if as_json:
        emit_json(report)
    else:
        _echo_launch(report)


@app.command("launch-due")
def launch_due(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Launch scheduled campaigns whose time has come; complete those past attribution."""
    with transaction(cli_context(ctx).engine()) as session:
        reports = launch_due_campaigns(session, policy=_policy(ctx), now=datetime.now(UTC))
    if as_json:
        emit_json({"launched": [report.as_dict() for report in reports]})
        return
    if not reports:
        typer.echo("no campaign is due")
    for report in reports:
        _echo_launch(report.as_dict())


@app.command("results")
def results(ctx: typer.Context, campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Conversion and revenue per variant and holdout, with the lift and its 95% interval."""
    with transaction(cli_context(ctx).engine()) as session:
        found = campaign_results(session, campaign, now=datetime.now(UTC)).as_public()
    if as_json:
        emit_json(found)
        return
    if found["window_start"] is None:
        typer.echo(f"campaign {campaign} has not been launched")
        return
    state = "final" if found["final"] else "so far"
    typer.echo(f"orders {found['window_start']} to {found['window_end']} ({state})")
    for arm in found["arms"]:
        typer.echo(
            f"  {arm['arm']:<8} {arm['customers']:>8} customers {arm['converters']:>6} bought "
            f"({arm['conversion_rate']})  ¥{arm['revenue']}  "
            f"¥{arm['revenue_per_customer']} a customer"
        )
    for lift in found["lifts"]:
        c = lift["conversion"]
        typer.echo(f"  {lift['arm']} vs holdout: {c['estimate']:+} [{c['low']}, {c['high']}]")


@app.command("cancel")
def cancel(ctx: typer.Context, campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Cancel a campaign; a launched one's messages not yet sent are suppressed."""
    with transaction(cli_context(ctx).engine()) as session:
        suppressed = cancel_campaign(session, campaign, actor=None, now=datetime.now(UTC))
    if as_json:
        emit_json({"campaign_id": campaign, "status": "cancelled", "suppressed": suppressed})
    else:
        typer.echo(f"campaign {campaign} cancelled; {suppressed} messages suppressed")
