"""`siyu kpi`: the private-domain KPIs of a period. Each is defined in docs/metrics.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.analytics.days import day_number, local_days
from siyu.analytics.facts import PURCHASE_STATUSES
from siyu.analytics.kpi_cohorts import Cohort, StepConversion, cohort_retention, step_conversion
from siyu.analytics.tables import CustomerProfile, StageTransition
from siyu.commerce.tables import REVENUE_STATUSES, Order
from siyu.customers.tables import BehaviourEvent, Customer
from siyu.db.sql import epoch_seconds

SUITABLE_MIN_CUSTOMERS = 10_000
SUITABLE_MIN_PURCHASES_PER_YEAR = 2.0


@dataclass(frozen=True, slots=True)
class Kpis:
    period_from: date
    period_to: date
    customers: int
    buyers: int
    orders: int
    unattributed_orders: int
    net_revenue: float  # yuan
    aov: float  # 客单价: net revenue per order
    revenue_per_customer: float  # 单客价: net revenue per buying customer
    repurchase_rate: float
    sales_decomposition: dict[str, Any] | None
    second_order: StepConversion
    third_order: StepConversion
    bought_last_365_share: float
    spend_over_threshold_share: float
    spend_threshold: float
    reach: dict[str, Any]
    cohorts: list[Cohort]
    verdict: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_kpis(
    session: Session,
    *,
    period_from: date,
    period_to: date,
    zone: ZoneInfo,
    spend_threshold_yuan: float = 1_000.0,
) -> Kpis:
    start, end = _instant(period_from, zone), _instant(period_to + timedelta(days=1), zone)
    orders = _orders(session, end)
    in_period = (orders["seconds"] >= start.timestamp()) & (orders["seconds"] < end.timestamp())
    purchase = in_period & orders["purchase"]
    attributed = orders["customer"] >= 0
    net_fen = int(orders["net"][in_period & orders["revenue"]].sum())
    order_count = int(purchase.sum())
    buyers = np.unique(orders["customer"][purchase & attributed])
    days = local_days(orders["seconds"], zone)
    repeaters = _repeaters(orders["customer"][purchase & attributed], days[purchase & attributed])
    customers = int(
        session.scalar(
            select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
        )
        or 0
    )
    year = (orders["seconds"] >= (end - timedelta(days=365)).timestamp()) & orders["purchase"]
    spend = _spend_by_customer(orders, year & attributed)
    everyone = orders["purchase"] & attributed
    return Kpis(
        period_from=period_from,
        period_to=period_to,
        customers=customers,
        buyers=int(buyers.size),
        orders=order_count,
        unattributed_orders=int((purchase & ~attributed).sum()),
        net_revenue=net_fen / 100,
        aov=round(net_fen / 100 / order_count, 2) if order_count else 0.0,
        revenue_per_customer=round(net_fen / 100 / buyers.size, 2) if buyers.size else 0.0,
        repurchase_rate=round(repeaters / buyers.size, 4) if buyers.size else 0.0,
        sales_decomposition=_decomposition(session, start, end, orders, purchase, attributed),
        second_order=_step(session, "first_order", "second_order", period_from, period_to),
        third_order=_step(session, "second_order", "third_order", period_from, period_to),
        bought_last_365_share=_share(len(spend), customers),
        spend_over_threshold_share=_share(
            sum(value > spend_threshold_yuan * 100 for value in spend.values()), customers
        ),
        spend_threshold=spend_threshold_yuan,
        reach=_reach(session, orders, purchase, attributed, buyers),
        cohorts=cohort_retention(
            orders["customer"][everyone], days[everyone], last_day=day_number(period_to)
        )[-12:],
        verdict=_verdict(customers, spend, orders, year & attributed, days),
    )


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _orders(session: Session, end: datetime) -> dict[str, np.ndarray[Any, Any]]:
    rows = session.execute(
        select(
            func.coalesce(Order.customer_id, -1),
            epoch_seconds(Order.ordered_at),
            Order.paid_fen - Order.refunded_fen,
            Order.status,
        ).where(Order.ordered_at < end, Order.status.in_(REVENUE_STATUSES))
    ).all()
    customer = np.array([row[0] for row in rows], dtype=np.int64)
    net = np.array([row[2] for row in rows], dtype=np.int64)
    status = [row[3] for row in rows]
    return {
        "customer": customer,
        "seconds": np.array([row[1] for row in rows], dtype=np.int64),
        "net": net,
        "revenue": np.ones(len(rows), dtype=bool),
        "purchase": np.array([s in PURCHASE_STATUSES for s in status], dtype=bool) & (net > 0),
    }


def _repeaters(customer: np.ndarray[Any, Any], day: np.ndarray[Any, Any]) -> int:
    if customer.size == 0:
        return 0
    pairs = np.unique(np.stack([customer, day], axis=1), axis=0)
    _, counts = np.unique(pairs[:, 0], return_counts=True)
    return int((counts >= 2).sum())


def _repeaters_days(customer: np.ndarray[Any, Any], day: np.ndarray[Any, Any]) -> int:
    """Number of distinct (customer, day) purchases."""
    if customer.size == 0:
        return 0
    return int(np.unique(np.stack([customer, day], axis=1), axis=0).shape[0])


def _spend_by_customer(orders: dict[str, Any], mask: Any) -> dict[int, int]:
    spend: dict[int, int] = {}
    for customer, net in zip(
        orders["customer"][mask].tolist(), orders["net"][mask].tolist(), strict=True
    ):
        spend[customer] = spend.get(customer, 0) + net
    return spend


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _decomposition(
    session: Session,
    start: datetime,
    end: datetime,
    orders: dict[str, Any],
    purchase: Any,
    attributed: Any,
) -> dict[str, Any] | None:
    """traffic × entry rate × conversion × AOV = sales from visitors (an identity)."""
    window = (BehaviourEvent.occurred_at >= start) & (BehaviourEvent.occurred_at < end)
    visitors = set(session.scalars(select(BehaviourEvent.customer_id).where(window).distinct()))
    if not visitors:
        return None
    entered = set(
        session.scalars(
            select(BehaviourEvent.customer_id)
            .where(window, BehaviourEvent.event_type == "view")
            .distinct()
        )
    )
    mask = purchase & attributed & np.isin(orders["customer"], list(entered))
    visitor_orders = int(mask.sum())
    sales = int(orders["net"][mask].sum()) / 100
    aov = sales / visitor_orders if visitor_orders else 0.0
    return {
        "traffic": len(visitors),
        "entry_rate": _share(len(entered), len(visitors)),
        "conversion": _share(visitor_orders, len(entered)),
        "aov": round(aov, 2),
        "sales": round(sales, 2),
        "visitor_buyers": int(np.unique(orders["customer"][mask]).size),
    }


def _step(
    session: Session, start: str, finish: str, period_from: date, period_to: date
) -> StepConversion:
    in_period = (
        StageTransition.to_stage == start,
        StageTransition.changed_on.between(period_from, period_to),
    )
    entered = dict(
        session.execute(
            select(StageTransition.customer_id, func.min(StageTransition.changed_on))
            .where(*in_period)
            .group_by(StageTransition.customer_id)
        ).all()
    )
    # a subquery, not a list of ids: PostgreSQL takes at most 65,535 parameters a statement
    entrants = select(StageTransition.customer_id).where(*in_period)
    reached = (
        dict(
            session.execute(
                select(StageTransition.customer_id, func.min(StageTransition.changed_on))
                .where(
                    StageTransition.to_stage == finish,
                    StageTransition.customer_id.in_(entrants),
                )
                .group_by(StageTransition.customer_id)
            ).all()
        )
        if entered
        else {}
    )
    customers = list(entered)
    start_days = np.array([day_number(entered[c]) for c in customers], dtype=np.int64)
    next_days = np.array(
        [day_number(reached[c]) if c in reached else np.nan for c in customers], dtype=np.float64
    )
    return step_conversion(start, finish, start_days, next_days)


def _reach(
    session: Session, orders: dict[str, Any], purchase: Any, attributed: Any, buyers: Any
) -> dict[str, Any]:
    """Private-domain reach: reachable buyers' share, and both sides' revenue and conversion."""
    reachable = list(
        session.scalars(
            select(CustomerProfile.customer_id).where(CustomerProfile.reachable.is_(True))
        )
    )
    profiles = int(session.scalar(select(func.count()).select_from(CustomerProfile)) or 0)
    mask = purchase & attributed
    in_reach = np.isin(orders["customer"][mask], reachable)
    nets = orders["net"][mask]
    reach_buyers = int(np.isin(buyers, reachable).sum())
    other_buyers = int(buyers.size) - reach_buyers
    return {
        "reachable_customers": len(reachable),
        "buyer_reach": _share(reach_buyers, int(buyers.size)),
        "reachable": _side(reach_buyers, int(nets[in_reach].sum()), len(reachable)),
        "unreachable": _side(other_buyers, int(nets[~in_reach].sum()), profiles - len(reachable)),
    }


def _side(buyers: int, revenue_fen: int, population: int) -> dict[str, Any]:
    return {
        "buyers": buyers,
        "revenue": revenue_fen / 100,
        "revenue_per_buyer": round(revenue_fen / 100 / buyers, 2) if buyers else 0.0,
        "conversion": _share(buyers, population),
    }


def _verdict(
    customers: int, spend: dict[int, int], orders: dict[str, Any], year: Any, days: Any
) -> dict[str, Any]:
    pairs = (
        np.unique(np.stack([orders["customer"][year], days[year]], axis=1), axis=0)
        if year.any()
        else np.zeros((0, 2))
    )
    per_buyer = pairs.shape[0] / len(spend) if spend else 0.0
    checks = {
        "enough_customers": customers >= SUITABLE_MIN_CUSTOMERS,
        "consumer_facing": True,  # every platform siyu imports sells to consumers (B2C)
        "repeat_purchase": per_buyer >= SUITABLE_MIN_PURCHASES_PER_YEAR,
    }
    suitable = all(checks.values())
    words = (
        f"{customers:,} customers (at least {SUITABLE_MIN_CUSTOMERS:,} needed); consumer-facing; "
        f"{per_buyer:.1f} purchases per buyer in the last 365 days (2 or more needed). "
        + (
            "Private-domain operations suit this merchant."
            if suitable
            else "Private-domain operations will struggle to pay off until these are met."
        )
    )
    words_zh = (
        f"客户数 {customers:,}（需要至少 {SUITABLE_MIN_CUSTOMERS:,}）；面向消费者；"
        f"近 365 天每位买家平均购买 {per_buyer:.1f} 次（需要 2 次以上）。"
        + ("适合做私域运营。" if suitable else "在满足这些条件之前，私域运营难以回本。")
    )
    return {
        "suitable": suitable,
        "checks": checks,
        "purchases_per_buyer_year": round(per_buyer, 2),
        "text": words,
        "text_zh": words_zh,
    }
