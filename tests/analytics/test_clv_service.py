"""The CLV service on the store: which orders count, the insufficient-data refusal, the RFM
fallback's formula and writing only what changed, on both backends. (The published CDNOW
figures are reproduced through the CLI in tests/cli/test_clv_cli.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.analytics.clv import InsufficientDataError, TimeUnit
from siyu.analytics.clv_scoring import score_profiles
from siyu.analytics.clv_service import (
    ClvInsufficientDataError,
    fit_clv,
    read_transactions,
    summarize,
)
from siyu.analytics.days import day_number
from siyu.analytics.refresh import refresh
from siyu.analytics.tables import ClvModel, CustomerProfile
from siyu.commerce.tables import Shop
from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.errors import SiyuError
from tests.builders import make_customer, make_order, make_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 4) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def order(
    session: Session, shop: Shop, customer: Customer, when: datetime, paid: int, **fields: Any
) -> None:
    make_order(session, shop=shop, customer=customer, ordered_at=when, paid_fen=paid, **fields)


def test_purchases_are_paid_unrefunded_customer_days_in_the_merchant_zone(engine: Engine) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        buyer, free, refunded = (make_customer(session) for _ in range(3))
        merged = make_customer(session)
        merged.merged_into_id = buyer.id
        order(session, shop, buyer, datetime(2026, 1, 5, 15, 30, tzinfo=UTC), 10_000)  # 23:30
        order(session, shop, buyer, datetime(2026, 1, 5, 16, 30, tzinfo=UTC), 5_000)  # next day
        order(session, shop, buyer, at("2026-01-06"), 3_000, status="shipped")  # same day
        order(session, shop, buyer, at("2026-01-10"), 9_000, refunded_fen=9_000, status="refunded")
        order(session, shop, buyer, at("2026-01-11"), 7_000, refunded_fen=7_000)
        order(session, shop, buyer, at("2026-01-12"), 10_000, refunded_fen=4_000,
              status="partially_refunded")  # fmt: skip
        order(session, shop, buyer, at("2026-01-13"), 0, status="pending_payment")
        order(session, shop, buyer, at("2026-01-14"), 5_000, status="closed")
        order(session, shop, buyer, at("2026-01-15"), 0, status="paid")  # a free order counts
        order(session, shop, buyer, at("2026-01-21"), 5_000)  # after `until`
        order(session, shop, free, at("2026-01-02"), 0, status="paid")
        order(session, shop, refunded, at("2026-01-03"), 8_000, status="refunded")
        order(session, shop, merged, at("2026-01-04"), 8_000)

        transactions = read_transactions(session, until=date(2026, 1, 20), zone=SHANGHAI)
        summary = summarize(transactions, end_day=day_number(date(2026, 1, 20)), unit=TimeUnit.DAY)

    purchases = summary.purchases
    assert purchases.customer.tolist() == [buyer.id, free.id]
    # buyer: 5, 6 (5,000 + 3,000), 12 (6,000 net) and 15 January (0): 3 repeat purchase days
    assert purchases.frequency.tolist() == [3, 0]
    assert purchases.recency.tolist() == [10, 0]
    assert purchases.age.tolist() == [15, 18]
    # spend sees the positive days only: 6 and 12 January after the first, 80 and 60 yuan
    assert summary.spend_frequency.tolist() == [2, 0]
    assert summary.spend_value.tolist() == [70.0, 0.0]


def test_too_little_data_is_refused_clearly_and_stores_nothing(engine: Engine) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        for number in range(5):
            customer = make_customer(session)
            order(session, shop, customer, at("2026-01-05"), 1_000)
            order(session, shop, customer, at(f"2026-02-0{number + 1}"), 2_000)
    with pytest.raises(ClvInsufficientDataError) as raised, transaction(engine) as session:
        fit_clv(session, until=date(2026, 3, 1), unit="week", zone=SHANGHAI)
    assert isinstance(raised.value, SiyuError)
    assert isinstance(raised.value, InsufficientDataError)
    assert raised.value.message == (
        "not enough data to fit the CLV model: of the 5 customers with a purchase up to"
        " 2026-03-01, 5 bought again (5 with a repeat purchase of positive value); at least 200"
        " are needed"
    )
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ClvModel)) == 0


def test_the_rfm_fallback_follows_its_formula(engine: Engine) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        regular, newcomer, prospect = (make_customer(session) for _ in range(3))
        for day, paid in (("2026-01-05", 10_000), ("2026-02-04", 20_000), ("2026-03-06", 30_000)):
            order(session, shop, regular, at(day), paid)
        order(session, shop, newcomer, at("2026-03-01"), 5_000)
    as_of = date(2026, 4, 5)
    result = refresh(engine, as_of=as_of, zone=SHANGHAI, full=True)
    assert (result.clv.model, result.clv.scored, result.clv.fitted) == ("rfm_fallback", 2, False)

    annuity = sum(1.01**-month for month in range(1, 13))

    def rounded(value: float, digits: int) -> float:
        return float(np.round(value, digits))  # as stored

    # regular: n = 3 purchase days over T = 90 days, the last R = 30 days ago; own interval 30,
    # which is also the shop's (the median over repeat buyers): rate 3 / (90 + 30) a day.
    alive, rate = 2 ** (-30 / 60), 3 / 120
    # newcomer: n = 1, T = R = 35 days; the shop's interval: rate 1 / (35 + 30).
    new_alive, new_rate = 2 ** (-35 / 60), 1 / 65
    expected = {
        regular.id: (
            rounded(alive, 6), rounded(alive * rate * 30, 4), rounded(alive * rate * 90, 4),
            rounded(alive * rate * 365, 4), 20_000, round(20_000 * alive * rate * 30 * annuity),
            as_of, "rfm_fallback",
        ),
        newcomer.id: (
            rounded(new_alive, 6), rounded(new_alive * new_rate * 30, 4),
            rounded(new_alive * new_rate * 90, 4), rounded(new_alive * new_rate * 365, 4), 5_000,
            round(5_000 * new_alive * new_rate * 30 * annuity), as_of, "rfm_fallback",
        ),
        prospect.id: (None,) * 8,
    }  # fmt: skip
    assert clv_columns(engine) == expected

    with transaction(engine) as session:
        again = score_profiles(session, as_of=as_of, zone=SHANGHAI)
        longer = score_profiles(session, as_of=as_of, zone=SHANGHAI, horizon_months=24)
    assert (again.scored, again.changed) == (2, 0)
    assert (longer.scored, longer.changed) == (2, 2)
    assert clv_columns(engine)[regular.id][5] == round(
        20_000 * alive * rate * 30 * sum(1.01**-month for month in range(1, 25))
    )


def test_a_model_that_cannot_score_falls_back(engine: Engine) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        order(session, shop, make_customer(session), at("2026-03-01"), 5_000)
    refresh(engine, as_of=date(2026, 4, 1), zone=SHANGHAI, full=True)
    with transaction(engine) as session:
        bgnbd = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -1.0}
        model = ClvModel(fitted_until=date(2026, 4, 1), unit="week", bgnbd=bgnbd,
                         gamma_gamma=None, customers=1, repeat_purchases=0)  # fmt: skip
        session.add(model)
        session.flush()
        result = score_profiles(session, as_of=date(2026, 4, 1), zone=SHANGHAI)
    assert (result.model, result.model_id, result.changed) == ("rfm_fallback", None, 0)
    assert result.note == (
        f"CLV model {model.id} cannot score (CLV model {model.id} has no spend parameters):"
        " scored with the RFM fallback"
    )


def clv_columns(engine: Engine) -> dict[int, tuple[object, ...]]:
    profile = CustomerProfile
    with transaction(engine) as session:
        rows = session.execute(
            select(
                profile.customer_id, profile.p_alive, profile.expected_purchases_30,
                profile.expected_purchases_90, profile.expected_purchases_365,
                profile.expected_order_value_fen, profile.clv_fen, profile.next_purchase_on,
                profile.clv_model,
            )
        ).all()  # fmt: skip
    values = {row[0]: tuple(row[1:]) for row in rows}
    assert all(np.isfinite(float(v)) for row in values.values() for v in row[:6] if v is not None)
    return values
