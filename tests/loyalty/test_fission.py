"""Fission metrics, the referral tree, and distributors' commission ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from siyu.accounts.tables import StaffAccount
from siyu.commerce.tables import Order
from siyu.db.engine import transaction
from siyu.loyalty.distributors import (
    bind_customer,
    commission_balance,
    create_distributor,
    pay_out,
    sync_commissions,
)
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.invitations import invitation_for
from siyu.loyalty.referral_stats import TopReferrer, referral_stats, referral_tree
from siyu.loyalty.referral_sync import sync_referrals
from siyu.loyalty.referrals import record_referral
from siyu.segments.builtins import PARTNER_TAG
from siyu.segments.tables import CustomerTag, Tag
from tests.builders import make_customer, make_order, make_shop
from tests.loyalty.support import SHANGHAI, at
from tests.snapshot import snapshot


def test_metrics_and_tree(engine: Engine) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        a, b, c, d, e, f = (make_customer(session, name=name) for name in "ABCDEF")
        make_order(session, shop=shop, customer=a, ordered_at=at("2026-01-05"))
        make_order(session, shop=shop, customer=d, ordered_at=at("2026-01-06"))  # bought already

        def join(inviter: int, invitee: int, when: str) -> None:
            code = invitation_for(session, customer_id=inviter).code
            record_referral(session, code=code, invitee_id=invitee, now=at(when))

        join(a.id, b.id, "2026-03-01")
        join(a.id, c.id, "2026-03-01")
        join(a.id, d.id, "2026-03-01")  # rejected: already a customer
        make_order(session, shop=shop, customer=b, ordered_at=at("2026-03-02"))
        join(b.id, e.id, "2026-03-03")
        make_order(session, shop=shop, customer=e, ordered_at=at("2026-03-04"))
        join(e.id, f.id, "2026-03-05")
        sync_referrals(session, now=at("2026-03-06"), zone=SHANGHAI)
        stats = referral_stats(session)
        march_2 = referral_stats(session, since=at("2026-03-02"), until=at("2026-03-04"))
        tree = referral_tree(session, a.id)
    assert stats.as_dict() | {"top_referrers": []} == {
        "since": None,
        "until": None,
        "referrals": 4,
        "rejected": 1,
        "flagged": 0,
        "referrers": 3,
        "converted": 2,
        "invites_per_referrer": 1.3333,
        "invitee_conversion": 0.5,
        "paying_customers": 2,
        "k_factor": 1.0,
        "tree_depth": 3,
        "top_referrers": [],
    }
    assert stats.top_referrers == [
        TopReferrer(a.id, "A", 2, 1),
        TopReferrer(b.id, "B", 1, 1),
        TopReferrer(e.id, "E", 1, 0),
    ]
    assert (march_2.referrals, march_2.converted, march_2.referrers) == (1, 1, 1)

    def shape(node: object) -> object:
        return (node.customer_id, node.status, [shape(child) for child in node.invitees])  # type: ignore[attr-defined]

    assert shape(tree) == (
        a.id,
        None,
        [(b.id, "rewarded", [(e.id, "rewarded", [(f.id, "pending", [])])]), (c.id, "pending", [])],
    )


def test_commission_is_earned_on_bound_customers_and_clawed_back(engine: Engine) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with transaction(engine) as session:
        shop = make_shop(session)
        partner, friend = make_customer(session), make_customer(session)
        distributor = create_distributor(
            session, commission_bp=1_000, attribution_days=90, customer_id=partner.id, now=now
        )
        code = invitation_for(session, customer_id=partner.id).code
        record_referral(session, code=code, invitee_id=friend.id, now=now)
        make_order(session, shop=shop, customer=partner, ordered_at=at("2026-03-02"))  # own
        sale = make_order(
            session, shop=shop, customer=friend, paid_fen=30_000, ordered_at=at("2026-03-02")
        ).id
        make_order(session, shop=shop, customer=friend, ordered_at=at("2026-06-15"))  # too late
        partners = select(CustomerTag.customer_id).join(Tag).where(Tag.name == PARTNER_TAG)
        assert session.scalars(partners).all() == [partner.id]  # the built-in `partner` segment
        assert sync_commissions(session, now=at("2026-03-03")).earned_entries == 1
        assert commission_balance(session, distributor.id) == 3_000
        order = session.get_one(Order, sale)
        order.status, order.refunded_fen = "partially_refunded", 10_000
        session.flush()
        assert sync_commissions(session, now=at("2026-03-04")).clawback_entries == 1
        assert sync_commissions(session, now=at("2026-03-05")).as_dict() == {
            "earned_entries": 0,
            "clawback_entries": 0,
        }
        assert (
            pay_out(
                session, distributor_id=distributor.id, amount_fen=2_000, operator="cfo", now=now
            )
            == 0
        )
    before = snapshot(engine)
    with pytest.raises(LoyaltyError, match=r"is owed ¥0\.00"), transaction(engine) as session:
        pay_out(session, distributor_id=distributor.id, amount_fen=1, operator="cfo", now=now)
    assert snapshot(engine) == before
    with transaction(engine) as session:
        order = session.get_one(Order, sale)
        order.status, order.refunded_fen = "refunded", 30_000
        session.flush()
        sync_commissions(session, now=at("2026-03-06"))
        assert commission_balance(session, distributor.id) == -2_000  # owed back


def test_staff_distributors_and_first_binding_wins(engine: Engine) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with transaction(engine) as session:
        shop = make_shop(session)
        staff = StaffAccount(userid="guide-li", name="李导购")
        session.add(staff)
        session.flush()
        guide = create_distributor(
            session, commission_bp=500, attribution_days=30, staff_id=staff.id, now=now
        )
        other = create_distributor(
            session,
            commission_bp=500,
            attribution_days=30,
            customer_id=make_customer(session).id,
            now=now,
        )
        customer = make_customer(session)
        assert bind_customer(session, distributor_id=guide.id, customer_id=customer.id, now=now)
        assert not bind_customer(session, distributor_id=other.id, customer_id=customer.id, now=now)
        make_order(
            session, shop=shop, customer=customer, paid_fen=12_345, ordered_at=at("2026-03-10")
        )
        sync_commissions(session, now=at("2026-03-11"))
        assert (commission_balance(session, guide.id), commission_balance(session, other.id)) == (
            617,
            0,
        )
