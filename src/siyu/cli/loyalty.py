"""`siyu tier|points|coupon|referral`: members, the points ledger, coupons and fission."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from siyu.cli.context import cli_context, emit_json
from siyu.db.engine import transaction
from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.coupon_sync import sync_coupons
from siyu.loyalty.coupons import CouponTemplateSpec, create_template, issue_coupons
from siyu.loyalty.distributors import sync_commissions
from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.invitations import invitation_for
from siyu.loyalty.points import adjust_points, points_balance, points_history
from siyu.loyalty.points_sync import sync_points
from siyu.loyalty.referral_stats import ReferralNode, referral_stats, referral_tree
from siyu.loyalty.referral_sync import sync_referrals
from siyu.loyalty.referrals import record_referral, review_referral
from siyu.loyalty.rules import update_rules
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.loyalty.tier_statement import tier_statement
from siyu.loyalty.tiers import TierLevelSpec, list_levels, set_level

tier = typer.Typer(
    help="Member tiers: levels, recomputation, a member's standing.", no_args_is_help=True
)
points = typer.Typer(
    help="The points ledger: balances, adjustments, history, order sync.", no_args_is_help=True
)
coupon = typer.Typer(
    help="Coupon templates, issuing, redemption sync and results.", no_args_is_help=True
)
referral = typer.Typer(
    help="Invitations, referrals (fission), rewards and their metrics.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Customer = Annotated[int, typer.Argument(metavar="CUSTOMER", help="Customer id.")]
When = Annotated[
    str | None,
    typer.Option("--now", help="Act as of this time (ISO; default now; no offset = local time)."),
]
Operator = Annotated[str, typer.Option("--operator", help="Who makes the change (kept on record).")]


def _moment(ctx: typer.Context, text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise LoyaltyError(
            LoyaltyErrorCode.INVALID_RULE, f"not an ISO date or time: {text!r}"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=cli_context(ctx).settings.timezone)


def _fen(yuan: str | None, name: str) -> int | None:
    if yuan is None:
        return None
    try:
        value = Decimal(yuan.strip().lstrip("¥"))
    except InvalidOperation as error:
        raise LoyaltyError(
            LoyaltyErrorCode.INVALID_AMOUNT, f"{name}: {yuan!r} is not an amount in yuan"
        ) from error
    return int((value * 100).to_integral_value())


def _yuan(fen: int | None) -> str:
    return "-" if fen is None else f"¥{fen / 100:,.2f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        emit_json(payload)
    else:
        typer.echo("\n".join(lines))


def _rules(ctx: typer.Context, changes: dict[str, Any], operator: str, as_json: bool) -> None:
    given = {name: value for name, value in changes.items() if value is not None}
    with transaction(cli_context(ctx).engine()) as session:
        rules = update_rules(session, given, operator=operator)
    shown = {name: getattr(rules, name) for name in changes}
    _emit(as_json, shown, [f"{name}: {value}" for name, value in shown.items()])


# --- tier ---------------------------------------------------------------------------------


@tier.command("list")
def tier_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the levels (the default 普通/银卡/金卡/黑金 set is created on first use)."""
    with transaction(cli_context(ctx).engine()) as session:
        levels = list_levels(session)
    lines = [
        f"{level.rank}  {level.code} {level.name}: spend ≥ {_yuan(level.min_spend_fen)} or "
        f"orders ≥ {_count(level.min_orders)}; points ×{level.points_multiplier_percent / 100:g}; "
        f"{', '.join(level.privileges) or 'no privileges'}"
        for level in levels
    ]
    _emit(as_json, {"levels": [level.as_dict() for level in levels]}, lines)


@tier.command("set-level")
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
        _fen(min_spend, "--min-spend"),
        min_orders,
        multiplier,
        discount,
        free_shipping,
        exclusive_activities,
        priority_service,
    )
    with transaction(cli_context(ctx).engine()) as session:
        set_level(session, spec)
    _emit(as_json, spec.as_dict(), [f"level {code} saved"])


@tier.command("recompute")
def tier_recompute(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of (ISO; default now).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every member's tier: upgrades at once, downgrades after the tier year + grace."""
    moment = _moment(ctx, as_of)
    with transaction(cli_context(ctx).engine()) as session:
        result = recompute_tiers(session, as_of=moment)
    line = (
        f"{result.members} members: {result.joined} joined, {result.upgraded} upgraded, "
        f"{result.downgraded} downgraded, {result.renewed} renewed"
    )
    _emit(as_json, result.as_dict(), [line])


@tier.command("show")
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
        f"  last 12 months: {_yuan(statement.spend_fen)} over {statement.orders} orders "
        f"(qualifies for {statement.qualifies_for})",
    ]
    if statement.next_tier:
        lines.append(
            f"  next: {statement.next_tier} — {_yuan(statement.spend_to_next_fen)} more or "
            f"{_count(statement.orders_to_next)} more orders"
        )
    if statement.downgrade_from:
        lines.append(f"  downgrade possible from {statement.downgrade_from:%Y-%m-%d}")
    lines += [
        f"  {change.effective_at:%Y-%m-%d} {change.kind}: "
        f"{change.from_tier or '-'} → {change.to_tier}"
        for change in statement.history
    ]
    _emit(as_json, statement.as_dict(), lines)


@tier.command("rules")
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
    _rules(ctx, changes, operator, as_json)


# --- points -------------------------------------------------------------------------------


@points.command("balance")
def points_balance_command(
    ctx: typer.Context, customer_id: Customer, as_json: JsonOption = False
) -> None:
    """Show a balance (the ledger sum) and when its points expire."""
    with transaction(cli_context(ctx).engine()) as session:
        balance = points_balance(session, customer_id)
    lines = [f"customer {customer_id}: {balance.balance} points"] + [
        f"  {lot.points} expire {lot.expires_at:%Y-%m-%d}" for lot in balance.expiring
    ]
    _emit(as_json, balance.as_dict(), lines)


@points.command("adjust")
def points_adjust(
    ctx: typer.Context,
    customer_id: Customer,
    amount: Annotated[
        int, typer.Option("--points", help="Points to add; negative to take (e.g. --points -50).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on the ledger).")],
    operator: Operator,
    as_json: JsonOption = False,
) -> None:
    """Adjust a balance by hand, with a reason and the operator's name."""
    with transaction(cli_context(ctx).engine()) as session:
        entry = adjust_points(
            session,
            customer_id=customer_id,
            points=amount,
            reason=reason,
            operator=operator,
            now=datetime.now(UTC),
        )
    _emit(as_json, entry.as_dict(), [f"entry {entry.id}: {entry.points:+d} points ({reason})"])


@points.command("history")
def points_history_command(
    ctx: typer.Context,
    customer_id: Customer,
    limit: Annotated[int, typer.Option(help="Newest entries to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show a customer's ledger entries, newest first."""
    with transaction(cli_context(ctx).engine()) as session:
        entries = points_history(session, customer_id, limit=limit)
    lines = [
        f"{entry.occurred_at:%Y-%m-%d %H:%M} {entry.kind:<8} {entry.points:+8d}"
        + (f" (short {entry.shortfall})" if entry.shortfall else "")
        + f"  {entry.reason} {entry.operator}".rstrip()
        for entry in entries
    ]
    _emit(as_json, {"customer_id": customer_id, "entries": [e.as_dict() for e in entries]}, lines)


@points.command("sync")
def points_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Expire due points, earn on paid orders and reverse refunds since the last sync."""
    moment = _moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_points(session, now=moment)
    line = (
        f"{result.earn_entries} orders earned, {result.reverse_entries} refunds reversed, "
        f"{result.expired_points} points expired"
    )
    _emit(as_json, result.as_dict(), [line])


@points.command("rules")
def points_rules(
    ctx: typer.Context,
    per_yuan: Annotated[
        int | None, typer.Option(help="Points per yuan paid (before tier multiplier).")
    ] = None,
    validity_months: Annotated[
        int | None, typer.Option(help="Months before points expire.")
    ] = None,
    operator: Operator = "cli",
    as_json: JsonOption = False,
) -> None:
    """Show or change the earning and expiry rules."""
    _rules(
        ctx,
        {"points_per_yuan": per_yuan, "points_validity_months": validity_months},
        operator,
        as_json,
    )


# --- coupon -------------------------------------------------------------------------------


@coupon.command("template-create")
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
        amount_off_fen=_fen(amount_off, "--amount-off"),
        percent_off=percent_off,
        max_discount_fen=_fen(cap, "--cap"),
        min_spend_fen=_fen(min_spend, "--min-spend") or 0,
        per_customer_limit=per_customer,
    )
    with transaction(cli_context(ctx).engine()) as session:
        template = create_template(session, spec)
    _emit(as_json, template.as_dict(), [f"template {template.id}: {name}"])


@coupon.command("issue")
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
    _emit(as_json, result.as_dict(), [line])


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


@coupon.command("sync")
def coupon_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Mark coupons redeemed by imported orders' coupon codes, and expire lapsed ones."""
    moment = _moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_coupons(session, now=moment)
    _emit(as_json, result.as_dict(), [f"{result.redeemed} redeemed, {result.expired} expired"])


@coupon.command("results")
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
        f"({r.redemption_rate:.1%}); {_yuan(r.revenue_per_redeemer_fen)} per redeemer vs "
        f"{_yuan(r.revenue_per_non_redeemer_fen)} per non-redeeming holder"
        for r in results
    ]
    _emit(as_json, {"templates": [r.as_dict() for r in results]}, lines or ["no templates"])


# --- referral -----------------------------------------------------------------------------


@referral.command("invite")
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
    _emit(as_json, invitation.as_dict(), [f"code {invitation.code}", f"link {invitation.link}"])


@referral.command("join")
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
    moment = _moment(ctx, now)
    with transaction(cli_context(ctx).engine()) as session:
        view = record_referral(
            session, code=code, invitee_id=invitee_id, now=moment, device_hint=device_hint
        )
    note = f" ({view.note})" if view.note else ""
    _emit(as_json, view.as_dict(), [f"referral {view.id}: {view.status}{note}"])


@referral.command("review")
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
    _emit(as_json, view.as_dict(), [f"referral {view.id}: {view.status}"])


@referral.command("sync")
def referral_sync(ctx: typer.Context, now: When = None, as_json: JsonOption = False) -> None:
    """Qualify referrals on first orders, reward within caps, claw back refunds; commissions."""
    moment = _moment(ctx, now)
    settings = cli_context(ctx).settings
    with transaction(cli_context(ctx).engine()) as session:
        result = sync_referrals(session, now=moment, zone=settings.timezone)
        commissions = sync_commissions(session, now=moment)
    payload = result.as_dict() | {"commissions": commissions.as_dict()}
    line = (
        f"{result.qualified} qualified, {result.rewarded} rewarded ({result.waiting_for_cap} wait "
        f"for cap room), {result.clawed_back} clawed back, {result.rejected} rejected"
    )
    _emit(as_json, payload, [line])


@referral.command("tree")
def referral_tree_command(
    ctx: typer.Context,
    customer_id: Customer,
    depth: Annotated[int, typer.Option(help="Levels to show.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Whom a customer brought, and whom they brought in turn."""
    with transaction(cli_context(ctx).engine()) as session:
        root = referral_tree(session, customer_id, depth=depth)
    _emit(as_json, root.as_dict(), _tree_lines(root, 0))


def _tree_lines(node: ReferralNode, level: int) -> list[str]:
    label = f"{'  ' * level}{node.customer_id}" + (f" ({node.status})" if node.status else "")
    return [label] + [line for child in node.invitees for line in _tree_lines(child, level + 1)]


@referral.command("stats")
def referral_stats_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Referrals created from (ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="…and before (ISO).")] = None,
    top: Annotated[int, typer.Option(help="Top referrers to list.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """K-factor, invites per referrer, invitee conversion, tree depth, top referrers."""
    start = _moment(ctx, since) if since else None
    end = _moment(ctx, until) if until else None
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
    _emit(as_json, stats.as_dict(), lines)


@referral.command("rules")
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
    _rules(ctx, changes, operator, as_json)
