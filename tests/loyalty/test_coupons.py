"""Coupons: templates, issuing with limits, redemption from imported orders, results."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from siyu.customers.merge import do_merge
from siyu.db.engine import transaction
from siyu.loyalty.codes import ALPHABET
from siyu.loyalty.coupon_results import coupon_results
from siyu.loyalty.coupon_sync import sync_coupons
from siyu.loyalty.coupons import CouponTemplateSpec, create_template, issue_coupons
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.tables import Coupon
from tests.builders import make_customer
from tests.loyalty.support import at, customer_id, import_orders
from tests.snapshot import snapshot

TWENTY_OFF = CouponTemplateSpec(
    "满199减20", "amount_off", 30, amount_off_fen=2_000, min_spend_fen=19_900
)


def test_discounts_follow_the_template() -> None:
    assert [TWENTY_OFF.discount_fen(fen) for fen in (19_899, 19_900, 50_000)] == [0, 2_000, 2_000]
    fifteen = CouponTemplateSpec("85折", "percent_off", 7, percent_off=15, max_discount_fen=3_000)
    assert [fifteen.discount_fen(fen) for fen in (10_000, 20_000, 30_000)] == [1_500, 3_000, 3_000]


def test_bad_templates_are_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        create_template(session, TWENTY_OFF)
    before = snapshot(engine)
    for spec, words in [
        (CouponTemplateSpec("a", "percent_off", 7, percent_off=0), "1 to 99 percent"),
        (CouponTemplateSpec("b", "amount_off", 7), "positive amount"),
        (CouponTemplateSpec("c", "percent_off", 7, percent_off=10, amount_off_fen=5), "no fixed"),
        (CouponTemplateSpec("d", "gift", 7), "amount_off or percent_off"),
        (CouponTemplateSpec("e", "amount_off", 0, amount_off_fen=5), "must be positive"),
        (TWENTY_OFF, "exists"),
    ]:
        with pytest.raises(LoyaltyError, match=words), transaction(engine) as session:
            create_template(session, spec)
    assert snapshot(engine) == before


def test_issuing_respects_the_limit_and_the_issue_key(engine: Engine) -> None:
    with transaction(engine) as session:
        template = create_template(
            session,
            CouponTemplateSpec(
                "新客券", "amount_off", 30, amount_off_fen=500, per_customer_limit=2
            ),
        ).id
        first, second, gone = (make_customer(session).id for _ in range(3))
        do_merge(session, kept_id=first, merged_id=gone, reason="same person")

    def issue(ids: list[int], key: str | None = None) -> tuple[int, int, int, int]:
        with transaction(engine) as session:
            result = issue_coupons(
                session,
                template_id=template,
                customer_ids=ids,
                source="segment",
                now=at("2026-03-01"),
                issue_key=key,
            )
        return result.issued, result.at_limit, result.already_issued, result.not_found

    assert issue([first, second, first, gone, 99_999]) == (2, 0, 0, 2)
    assert issue([first]) == (1, 0, 0, 0)
    assert issue([first, second]) == (1, 1, 0, 0)
    assert issue([second], key="journey:7:step:2") == (0, 1, 0, 0)
    with transaction(engine) as session:
        codes = list(session.scalars(select(Coupon.code)))
        valid_until = set(session.scalars(select(Coupon.valid_until)))
    assert len(codes) == len(set(codes)) == 4
    assert all(len(code) == 10 and set(code) <= set(ALPHABET) for code in codes)
    assert valid_until == {at("2026-03-31")}


def test_a_journey_issue_key_issues_once(engine: Engine) -> None:
    with transaction(engine) as session:
        template = create_template(session, TWENTY_OFF).id
        customer = make_customer(session).id
    for expected in ((1, 0), (0, 1)):
        with transaction(engine) as session:
            result = issue_coupons(
                session,
                template_id=template,
                customer_ids=[customer],
                source="journey",
                now=at("2026-03-01"),
                issue_key="journey:7:step:2",
            )
        assert (result.issued, result.already_issued) == expected


def test_imported_orders_redeem_codes_and_results_compare_holders(
    engine: Engine, tmp_path: Path
) -> None:
    import_orders(
        engine,
        tmp_path,
        [f"P{n},C{n},1380000000{n},2026-02-01 10:00:00,99.00,completed,," for n in (1, 2, 3)],
    )
    holders = [customer_id(engine, f"C{n}") for n in (1, 2, 3)]
    with transaction(engine) as session:
        template = create_template(session, TWENTY_OFF).id
        codes = issue_coupons(
            session,
            template_id=template,
            customer_ids=holders,
            source="segment",
            now=at("2026-03-01"),
        ).codes
    first, second, third = (codes[holder] for holder in holders)
    typed = f" {first[:5].lower()}-{first[5:].lower()} "  # as a customer might type it
    import_orders(
        engine,
        tmp_path,
        [
            f"X1,C1,13800000001,2026-03-05 10:00:00,250.00,paid,,{typed}",
            f"X2,C2,13800000002,2026-04-05 10:00:00,300.00,paid,,{second}",  # after validity
            f"X3,C3,13800000003,2026-03-06 10:00:00,120.00,pending_payment,,{third}",  # unpaid
            "X4,C3,13800000003,2026-03-07 10:00:00,80.00,completed,,",
            f"X5,C2,13800000002,2026-03-06 10:00:00,50.00,paid,,{first}",  # already used
        ],
        "march.csv",
    )
    with transaction(engine) as session:
        assert sync_coupons(session, now=at("2026-03-10")).redeemed == 1
        assert sync_coupons(session, now=at("2026-03-11")).redeemed == 0
        redeemed = session.scalars(select(Coupon).where(Coupon.status == "redeemed")).one()
        assert (redeemed.code, redeemed.customer_id) == (first, holders[0])
        assert redeemed.redeemed_at == at("2026-03-05 02:00")
        assert sync_coupons(session, now=at("2026-04-10")).expired == 2
        results = coupon_results(session, template)
    assert [r.as_dict() for r in results] == [
        {
            "template_id": template,
            "name": "满199减20",
            "issued": 3,
            "redeemed": 1,
            "expired": 2,
            "revoked": 0,
            "redemption_rate": 0.3333,
            "redeeming_revenue_fen": 25_000,
            "revenue_per_redeemer_fen": 25_000,
            "non_redeemers": 2,
            "non_redeemer_revenue_fen": 13_000,
            "revenue_per_non_redeemer_fen": 6_500,
        }
    ]
