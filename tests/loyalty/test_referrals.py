"""Referrals: invitations, rewards on the first paid order, anti-abuse, caps, claw-back."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from siyu.commerce.tables import Order, Shop
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.db.engine import transaction
from siyu.loyalty.coupons import CouponTemplateSpec, create_template
from siyu.loyalty.distributors import create_distributor
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.invitations import invitation_for
from siyu.loyalty.points import redeem_points
from siyu.loyalty.referral_sync import ReferralSyncResult, sync_referrals
from siyu.loyalty.referrals import ReferralView, record_referral, review_referral
from siyu.loyalty.rules import update_rules
from siyu.loyalty.tables import Coupon, DistributorBinding, PointsEntry, Referral
from tests.builders import make_customer, make_order, make_shop
from tests.loyalty.support import SHANGHAI, at, balance, entries
from tests.snapshot import snapshot


@dataclass
class Club:
    engine: Engine
    shop_id: int
    inviter: int
    code: str

    def customer(self, phone: str | None = None) -> int:
        with transaction(self.engine) as session:
            return make_customer(session, phone=phone).id

    def join(self, invitee: int, when: str, device: str | None = None) -> ReferralView:
        with transaction(self.engine) as session:
            return record_referral(
                session, code=self.code, invitee_id=invitee, now=at(when), device_hint=device
            )

    def order(self, customer: int, when: str, paid_fen: int = 20_000) -> int:
        with transaction(self.engine) as session:
            return make_order(
                session,
                shop=session.get_one(Shop, self.shop_id),
                customer=session.get_one(Customer, customer),
                paid_fen=paid_fen,
                ordered_at=at(when),
            ).id

    def refund(self, order_id: int) -> None:
        with transaction(self.engine) as session:
            order = session.get_one(Order, order_id)
            order.status, order.refunded_fen = "refunded", order.paid_fen

    def sync(self, when: str) -> ReferralSyncResult:
        with transaction(self.engine) as session:
            return sync_referrals(session, now=at(when), zone=SHANGHAI)

    def status(self, referral_id: int) -> str:
        with transaction(self.engine) as session:
            return session.get_one(Referral, referral_id).status

    def rules(self, **changes: object) -> None:
        with transaction(self.engine) as session:
            update_rules(session, dict(changes), operator="test")


@pytest.fixture
def club(engine: Engine) -> Club:
    with transaction(engine) as session:
        shop = make_shop(session)
        inviter = make_customer(session, name="王芳", phone="+8613800000001")
        make_order(session, shop=shop, customer=inviter, ordered_at=at("2026-01-05"))
        code = invitation_for(session, customer_id=inviter.id, device_hint="iphone-wf").code
    return Club(engine, shop.id, inviter.id, code)


def test_invitation_has_a_stable_code_a_link_and_poster_data(club: Club) -> None:
    club.rules(invite_base_url="https://shop.example.cn/join?src=poster")
    with transaction(club.engine) as session:
        invitation = invitation_for(session, customer_id=club.inviter)
    assert invitation.code == club.code
    link = f"https://shop.example.cn/join?src=poster&code={club.code}"
    assert invitation.as_dict() == {
        "customer_id": club.inviter,
        "inviter_display_name": "王芳",
        "code": club.code,
        "link": link,
        "qr_payload": link,
    }


def test_the_first_paid_order_rewards_both_sides_once(club: Club) -> None:
    with transaction(club.engine) as session:
        template = create_template(
            session, CouponTemplateSpec("新人券", "amount_off", 14, amount_off_fen=1_000)
        )
    club.rules(invitee_coupon_template_id=template.id)
    invitee, late = club.customer(), club.customer()
    referral = club.join(invitee, "2026-03-01")
    slow = club.join(late, "2026-03-01")
    assert (referral.status, referral.attribution_ends_at) == ("pending", at("2026-03-31"))
    assert club.sync("2026-03-02").qualified == 0
    club.order(invitee, "2026-03-05", paid_fen=0)  # a ¥0 order does not qualify
    club.order(invitee, "2026-03-06")
    club.order(late, "2026-04-01")  # after the attribution window
    result = club.sync("2026-03-07")
    assert (result.qualified, result.rewarded, result.waiting_for_cap) == (1, 1, 0)
    assert club.sync("2026-04-02").as_dict() == {
        "rejected": 0,
        "requalifying": 0,
        "qualified": 0,
        "clawed_back": 0,
        "rewarded": 0,
        "waiting_for_cap": 0,
    }
    assert (club.status(referral.id), club.status(slow.id)) == ("rewarded", "pending")
    assert entries(club.engine, club.inviter) == [("referral", 200, 0)]
    assert entries(club.engine, invitee) == [("referral", 100, 0)]
    with transaction(club.engine) as session:
        coupon = session.scalars(select(Coupon)).one()
    assert (coupon.customer_id, coupon.source, coupon.issue_key) == (
        invitee,
        "referral",
        f"referral:{referral.id}:invitee",
    )


def test_self_referrals_are_rejected_and_never_paid(club: Club) -> None:
    with transaction(club.engine) as session:
        masked = make_customer(session).id
        session.add(
            CustomerIdentity(
                customer_id=masked, kind="masked_phone", value="138****0001", is_strong=False
            )
        )
    on_device = club.customer("+8613900000002")
    bought = club.customer("+8613900000003")
    club.order(bought, "2026-02-01")
    before = snapshot(club.engine, skip=("referrals",))
    views = [
        club.join(club.inviter, "2026-03-01"),
        club.join(masked, "2026-03-01"),
        club.join(on_device, "2026-03-01", device="iphone-wf"),
        club.join(bought, "2026-03-01"),
    ]
    assert [(view.status, view.note) for view in views] == [
        ("rejected", "self-referral: same customer"),
        ("rejected", "self-referral: same phone (masked)"),
        ("rejected", "self-referral: same device"),
        ("rejected", "the invitee is already a customer"),
    ]
    assert snapshot(club.engine, skip=("referrals",)) == before
    for invitee in (masked, on_device):
        club.order(invitee, "2026-03-05")
    assert club.sync("2026-03-06").rewarded == 0
    with transaction(club.engine) as session:
        assert session.scalar(select(func.count()).select_from(PointsEntry)) == 0


def test_a_customer_is_referred_once(club: Club) -> None:
    invitee = club.customer()
    club.join(invitee, "2026-03-01")
    before = snapshot(club.engine)
    with pytest.raises(LoyaltyError) as refused:
        club.join(invitee, "2026-03-02")
    assert refused.value.code == "already_referred"
    assert snapshot(club.engine) == before


def test_rewards_wait_for_room_under_the_daily_and_monthly_caps(club: Club) -> None:
    club.rules(reward_cap_per_day=2, reward_cap_per_month=3)
    invitees = [club.customer() for _ in range(5)]
    for invitee in invitees:
        club.join(invitee, "2026-03-01")
        club.order(invitee, "2026-03-02")
    first = club.sync("2026-03-03 10:00")
    assert (first.qualified, first.rewarded, first.waiting_for_cap) == (5, 2, 3)
    assert club.sync("2026-03-03 15:00").rewarded == 0  # 23:00 in Shanghai: the same day
    assert club.sync("2026-03-03 16:00").rewarded == 1  # 00:00 on 4 March: a new day
    assert club.sync("2026-03-05").rewarded == 0  # the month's 3 are paid
    assert club.sync("2026-03-31 16:00").rewarded == 2  # 1 April in Shanghai
    assert balance(club.engine, club.inviter) == 5 * 200


def test_a_refunded_qualifying_order_claws_the_reward_back(club: Club) -> None:
    with transaction(club.engine) as session:
        template = create_template(
            session, CouponTemplateSpec("新人券", "amount_off", 14, amount_off_fen=1_000)
        )
    club.rules(invitee_coupon_template_id=template.id, reward_cap_per_day=1)
    invitee, capped = club.customer(), club.customer()
    referral, waiting = club.join(invitee, "2026-03-01"), club.join(capped, "2026-03-01")
    qualifying = club.order(invitee, "2026-03-02")
    capped_order = club.order(capped, "2026-03-02 01:00")
    assert club.sync("2026-03-03").rewarded == 1
    with transaction(club.engine) as session:
        redeem_points(
            session, customer_id=club.inviter, points=150, reason="gift", now=at("2026-03-04")
        )
    club.refund(qualifying)
    club.refund(capped_order)
    result = club.sync("2026-03-05")
    assert (result.clawed_back, result.requalifying, result.rewarded) == (1, 1, 0)
    assert (club.status(referral.id), club.status(waiting.id)) == ("clawed_back", "pending")
    assert entries(club.engine, club.inviter) == [
        ("referral", 200, 0),
        ("redeem", -150, 0),
        ("clawback", -50, 150),
    ]
    assert entries(club.engine, invitee) == [("referral", 100, 0), ("clawback", -100, 0)]
    with transaction(club.engine) as session:
        assert session.scalars(select(Coupon.status)).one() == "revoked"
    assert club.sync("2026-03-06").clawed_back == 0
    assert balance(club.engine, club.inviter) == 0


def test_fast_invitations_are_flagged_for_review_not_paid(club: Club) -> None:
    club.rules(invites_per_hour_limit=3)
    invitees = [club.customer() for _ in range(5)]
    views = [
        club.join(invitee, f"2026-03-01 10:{minute:02d}")
        for invitee, minute in zip(invitees, (0, 10, 20, 30, 40), strict=True)
    ]
    assert [view.status for view in views] == [
        "pending",
        "pending",
        "pending",
        "flagged",
        "flagged",
    ]
    assert views[3].note == "velocity: 4 invitations within an hour (limit 3)"
    for invitee in invitees:
        club.order(invitee, "2026-03-02")
    assert club.sync("2026-03-03").rewarded == 3
    with transaction(club.engine) as session:
        review_referral(
            session, referral_id=views[3].id, approve=True, operator="li.na", now=at("2026-03-03")
        )
        rejected = review_referral(
            session, referral_id=views[4].id, approve=False, operator="li.na", now=at("2026-03-03")
        )
    assert rejected.note.endswith("rejected by li.na")
    assert club.sync("2026-03-04").rewarded == 1
    assert [club.status(view.id) for view in views[3:]] == ["rewarded", "rejected"]
    with pytest.raises(LoyaltyError) as refused, transaction(club.engine) as session:
        review_referral(
            session, referral_id=views[0].id, approve=True, operator="li.na", now=at("2026-03-04")
        )
    assert refused.value.code == "not_reviewable"


def test_a_device_shared_by_two_invitees_is_flagged(club: Club) -> None:
    first, second = club.customer(), club.customer()
    assert club.join(first, "2026-03-01", device="android-1").status == "pending"
    flagged = club.join(second, "2026-03-02", device="android-1")
    assert (flagged.status, flagged.note) == (
        "flagged",
        f"device shared with referral {flagged.id - 1}",
    )


def test_a_distributing_inviter_binds_the_invitee(club: Club) -> None:
    with transaction(club.engine) as session:
        create_distributor(
            session,
            commission_bp=1_000,
            attribution_days=90,
            customer_id=club.inviter,
            now=at("2026-02-01"),
        )
    invitee = club.customer()
    club.join(invitee, "2026-03-01")
    with transaction(club.engine) as session:
        assert session.scalars(select(DistributorBinding.customer_id)).all() == [invitee]
