"""Results against hand-computed figures: who bought what within the attribution window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.engage.campaigns.actions import CampaignSpec, VariantSpec, create_campaign
from siyu.engage.campaigns.launch import launch_campaign
from siyu.engage.campaigns.results import campaign_results
from siyu.engage.campaigns.tables import CampaignRecipient
from tests.builders import make_order, make_shop
from tests.engage.campaigns.fixtures import NOW, OPEN, make_audience

DAY = timedelta(days=1)


def test_results_per_arm_with_lift_and_intervals(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 20})
    with transaction(engine) as session:
        spec = CampaignSpec("复购", audience.segment, "console", [VariantSpec("a", "回来看看")],
                            holdout_share=0.5, seed=11, attribution_days=14)  # fmt: skip
        campaign_id = create_campaign(session, spec, actor=None, now=NOW).id
        launch_campaign(session, campaign_id, actor=None, policy=OPEN, now=NOW)
    with transaction(engine) as session:
        rows = session.execute(
            select(CampaignRecipient.customer_id, CampaignRecipient.holdout).order_by(
                CampaignRecipient.customer_id
            )
        ).all()
        treated = [cid for cid, held in rows if not held]
        held = [cid for cid, held in rows if held]
        assert (len(treated), len(held)) == (10, 10)
        shop = make_shop(session)

        def order(cid: int, paid: int, when: timedelta, **extra: object) -> None:
            customer = session.get(Customer, cid)
            make_order(session, shop=shop, customer=customer, paid_fen=paid,
                       ordered_at=NOW + when, **extra)  # type: ignore[arg-type]  # fmt: skip

        order(treated[0], 10_000, DAY)
        order(treated[1], 20_000, DAY)
        order(treated[1], 5_000, 2 * DAY, status="shipped")
        order(treated[2], 8_000, 3 * DAY, status="partially_refunded", refunded_fen=3_000)
        order(treated[3], 6_000, DAY, status="refunded", refunded_fen=6_000)  # net 0: no buyer
        order(treated[4], 9_000, DAY, status="pending_payment")  # unpaid
        order(treated[5], 7_000, -DAY)  # before the launch
        order(treated[6], 4_000, 14 * DAY)  # the window has ended
        order(held[0], 10_000, 13 * DAY)
        order(held[1], 2_000, timedelta(0), status="paid")  # at the launch: counts
    with transaction(engine) as session:
        results = campaign_results(session, campaign_id, now=NOW + 20 * DAY).as_dict()
    assert results["final"] is True
    assert results["window_start"] == NOW
    assert results["window_end"] == NOW + 14 * DAY
    assert results["arms"] == [
        {"arm": "a", "customers": 10, "converters": 3, "conversion_rate": 0.3,
         "revenue_fen": 40_000, "revenue_per_customer_fen": 4_000.0,
         "messages": {"queued": 10}},
        {"arm": "holdout", "customers": 10, "converters": 2, "conversion_rate": 0.2,
         "revenue_fen": 12_000, "revenue_per_customer_fen": 1_200.0, "messages": {}},
    ]  # fmt: skip
    (lift,) = results["lifts"]
    assert lift["arm"] == "a"
    rounded = {name: round(value, 4) for name, value in lift["conversion"].items()}
    # Wilson 3/10: (0.1078, 0.6032); 2/10: (0.0567, 0.5098);
    # 0.1 − √(0.1922² + 0.3098²) and 0.1 + √(0.3032² + 0.1433²)
    assert rounded == {"estimate": 0.1, "low": -0.2646, "high": 0.4354}
    assert round(lift["relative_conversion"], 6) == 0.5
    # revenue per customer: treated [10000, 25000, 5000, 0 ×7], holdout [10000, 2000, 0 ×8]:
    # variances 5.9e8/9 = 6.5556e7 and 8.96e7/9 = 9.9556e6 fen²; se = √(6.5556e6 + 9.9556e5)
    # = 2747.9; df = 7.5511e6² / ((6.5556e6² + 9.9556e5²)/9) = 11.67; t(0.975, 11.67) = 2.1856;
    # half-width 6005.8
    per_customer = lift["revenue_per_customer_fen"]
    assert round(per_customer["estimate"], 6) == 2_800.0
    assert round(per_customer["high"] - per_customer["estimate"], 0) == 6_006.0
    incremental = lift["incremental_revenue_fen"]
    assert round(incremental["estimate"], 6) == 28_000.0
    assert round(incremental["low"], -1) == round(10 * per_customer["low"], -1)
