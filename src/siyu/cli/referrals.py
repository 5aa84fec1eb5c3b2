"""`siyu referral`: invitations, referrals (fission), rewards and their metrics."""

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
from siyu.loyalty.distributors import sync_commissions
from siyu.loyalty.invitations import invitation_for
from siyu.loyalty.referral_stats import ReferralNode, referral_stats, referral_tree
from siyu.loyalty.referral_sync import sync_referrals
from siyu.loyalty.referrals import record_referral, review_referral

app = typer.Typer(
    help="Invitations, referrals (fission), rewards and their metrics.", no_args_is_help=True
)


@app.command("invite")
def referral_invite(
    ctx: typer.Context,
    customer_id: Customer,
    device_hint: Annotated[
        str | None, typer.Option(help="The inviter's device (anti-abuse).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Link base (default: the configured one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A customer's invite code, link and share-poster data."""
    with transaction(cli_context(ctx).engine()) as session:
        invitation = invitation_for(
            session, customer_id=customer_id, device_hint=device_hint, base_url=base_url
        )
    emit(as_json, invitation.as_dict(), [f"code {invitation.code}", f"link {invitation.link}"])


@app.command("join")
def referral_join(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The invite code used.")],
    invitee_id: Annotated[int, typer.Argument(metavar="INVITEE", help="The new customer's id.")],
    device_hint: Annotated[
        str | None, typer.Option(help="The invitee's device (anti-abuse).")
    ] = None,
    now: When = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a customer joined with an invite code (checked for abuse)."""
    when = moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        view = record_referral(
            session, code=code, invitee_id=invitee_id, now=when, device_hint=device_hint
        )
    note = f" ({view.note})" if view.note else ""
    emit(as_json, view.as_dict(), [f"referral {view.id}: {view.status}{note}"])


@app.command("review")
def referral_review(
    ctx: typer.Context,
    referral_id: Annotated[int, typer.Argument(metavar="REFERRAL", help="A flagged referral.")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The verdict.")],
    operator: Operator,
    as_json: JsonOption = False,
) -> None:
    """Approve or reject a referral flagged for review."""
    with transaction(cli_context(ctx).engine()) as session:
        view = review_referral(
            session,
            referral_id=referral_id,
            approve=approve,
            operator=operator,
            now=datetime.now(UTC),
        )
    emit(as_json, view.as_dict(), [f"referral {view.id}: {view.status}"])


@app.command("sync")
def referral_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Qualify referrals on first orders, reward within caps, claw back refunds; commissions."""
    when = moment(ctx, now)
    settings = cli_context(ctx).settings
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_referrals(session, now=when, zone=settings.timezone)
        commissions = sync_commissions(session, now=when)
    payload = result.as_dict() | {"commissions": commissions.as_dict()}
    line = (
        f"{result.qualified} qualified, {result.rewarded} rewarded ({result.waiting_for_cap} wait "
        f"for cap room), {result.clawed_back} clawed back, {result.rejected} rejected"
    )
    emit(as_json, payload, [line])


@app.command("tree")
def referral_tree_command(
    ctx: typer.Context,
    customer_id: Customer,
    depth: Annotated[int, typer.Option(help="Levels to show.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Whom a customer brought, and whom they brought in turn."""
    with transaction(cli_context(ctx).engine()) as session:
        root = referral_tree(session, customer_id, depth=depth)
    emit(as_json, root.as_dict(), _tree_lines(root, 0))


def _tree_lines(node: ReferralNode, level: int) -> list[str]:
    label = f"{'  ' * level}{node.customer_id}" + (f" ({node.status})" if node.status else "")
    return [label] + [line for child in node.invitees for line in _tree_lines(child, level + 1)]


@app.command("stats")
def referral_stats_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Referrals created from (ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="…and before (ISO).")] = None,
    top: Annotated[int, typer.Option(help="Top referrers to list.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """K-factor, invites per referrer, invitee conversion, tree depth, top referrers."""
    start = moment(ctx, since) if since else None
    end = moment(ctx, until) if until else None
    with transaction(cli_context(ctx).engine()) as session:
        stats = referral_stats(session, since=start, until=end, top=top)
    lines = [
        f"{stats.referrals} referrals by {stats.referrers} referrers "
        f"({stats.invites_per_referrer:g} each); conversion {stats.invitee_conversion:.1%}; "
        f"K-factor {stats.k_factor:g}; tree depth {stats.tree_depth}",
        *(
            f"  {r.customer_id} {r.display_name}: {r.converted}/{r.invitations}"
            for r in stats.top_referrers
        ),
    ]
    emit(as_json, stats.as_dict(), lines)


@app.command("rules")
def referral_rules(
    ctx: typer.Context,
    base_url: Annotated[str | None, typer.Option(help="Invite link base URL.")] = None,
    attribution_days: Annotated[int | None, typer.Option(help="Days for the first order.")] = None,
    inviter_points: Annotated[int | None, typer.Option(help="Inviter's reward points.")] = None,
    invitee_points: Annotated[int | None, typer.Option(help="Invitee's reward points.")] = None,
    inviter_coupon: Annotated[
        int | None, typer.Option(help="Inviter's reward coupon template.")
    ] = None,
    invitee_coupon: Annotated[
        int | None, typer.Option(help="Invitee's reward coupon template.")
    ] = None,
    cap_per_day: Annotated[int | None, typer.Option(help="Rewards per inviter per day.")] = None,
    cap_per_month: Annotated[
        int | None, typer.Option(help="Rewards per inviter per month.")
    ] = None,
    per_hour_limit: Annotated[
        int | None, typer.Option(help="Invitations an hour before review.")
    ] = None,
    operator: Operator = "cli",
    as_json: JsonOption = False,
) -> None:
    """Show or change the referral rules."""
    changes = {
        "invite_base_url": base_url,
        "attribution_days": attribution_days,
        "inviter_reward_points": inviter_points,
        "invitee_reward_points": invitee_points,
        "inviter_coupon_template_id": inviter_coupon,
        "invitee_coupon_template_id": invitee_coupon,
        "reward_cap_per_day": cap_per_day,
        "reward_cap_per_month": cap_per_month,
        "invites_per_hour_limit": per_hour_limit,
    }
    change_rules(ctx, changes, operator, as_json)
