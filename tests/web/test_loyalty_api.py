"""/api/v1/loyalty over real HTTP: the role matrix (a refused change changes nothing), points
adjustments with their ledger and audit entries, coupons to a segment, the review queue, and
the customer 360's member part."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.loyalty.distributors import bind_customer, create_distributor, pay_out, sync_commissions
from siyu.loyalty.invitations import invitation_for
from siyu.loyalty.referral_sync import sync_referrals
from siyu.loyalty.referrals import record_referral
from siyu.loyalty.rules import update_rules
from siyu.loyalty.tables import Coupon, CouponTemplate, MemberTier, PointsEntry, Referral
from siyu.loyalty.tiers import TierLevelSpec, set_level
from siyu.security.tables import AuditEntry
from siyu.segments.evaluation import Evaluation
from siyu.segments.saved import save_segment
from tests.builders import make_customer, make_order, make_shop
from tests.web.conftest import ZONE, Site

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)


def state(site: Site) -> tuple[int, int, int, int, int, list[str]]:
    """(ledger sum, ledger rows, member tiers, templates, flagged referrals, audit actions)."""
    with transaction(site.engine) as session:
        ledger = session.execute(
            select(func.coalesce(func.sum(PointsEntry.points), 0), func.count(PointsEntry.id))
        ).one()
        counts = [
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (MemberTier, CouponTemplate)
        ]
        flagged = session.scalar(
            select(func.count()).select_from(Referral).where(Referral.status == "flagged")
        )
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    return int(ledger[0]), int(ledger[1]), counts[0], counts[1], int(flagged or 0), actions


def flag_a_referral(site: Site) -> tuple[int, int]:
    """C1 invites two new customers within an hour (limit 1): the second is flagged. Both buy
    afterwards. Returns (flagged referral id, inviter id)."""
    inviter = site.customers["C1"]
    with transaction(site.engine) as session:
        update_rules(
            session, {"invites_per_hour_limit": 1, "inviter_reward_points": 100}, operator="t"
        )
        code = invitation_for(session, customer_id=inviter).code
        shop = make_shop(session)
        views = []
        for minute in (0, 10):
            invitee = make_customer(session)
            at = datetime(2026, 3, 1, 10, minute, tzinfo=UTC)
            views.append(record_referral(session, code=code, invitee_id=invitee.id, now=at))
            make_order(
                session, shop=shop, customer=invitee, ordered_at=datetime(2026, 3, 2, tzinfo=UTC)
            )
    assert [view.status for view in views] == ["pending", "flagged"]
    return views[1].id, inviter


WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("adjust", "/api/v1/loyalty/customers/{C1}/points/adjust", {"points": 5, "reason": "gift"}),
    ("recompute", "/api/v1/loyalty/tiers/recompute", {"as_of": "2026-03-31T00:00:00Z"}),
    ("template", "/api/v1/loyalty/coupons/templates",
     {"name": "¥10 off", "kind": "amount_off", "valid_days": 30, "amount_off_fen": 1000}),
    ("review", "/api/v1/loyalty/referrals/{flagged}/review", {"approve": True}),
]  # fmt: skip
READS = [
    "/api/v1/loyalty/tiers",
    "/api/v1/loyalty/coupons/templates",
    "/api/v1/loyalty/coupons/results",
    "/api/v1/loyalty/referrals/stats",
    "/api/v1/loyalty/referrals/flagged",
    "/api/v1/loyalty/referrals/tree/{C1}",
    "/api/v1/loyalty/distributors",
]


@pytest.mark.parametrize(
    ("role", "may_write", "may_report"),
    [("admin", True, True), ("operator", True, True), ("analyst", False, True),
     ("guide", False, False)],
)  # fmt: skip
def test_the_role_matrix(site: Site, role: str, may_write: bool, may_report: bool) -> None:
    flagged, _ = flag_a_referral(site)
    ids = {"C1": site.customers["C1"], "flagged": flagged}
    before = state(site)
    with site.client(role) as client:
        for path in READS:
            response = client.get(path.format(**ids))
            assert response.status_code == (200 if may_report else 403), (path, response.text)
        own = client.get(f"/api/v1/loyalty/customers/{ids['C1']}/points")
        assert (own.status_code, own.json()["balance"]) == (200, 0)
        other = client.get(f"/api/v1/loyalty/customers/{site.customers['C2']}/points/history")
        assert other.status_code == (404 if role == "guide" else 200)
        for name, path, body in WRITES:
            response = client.post(path.format(**ids), json=body)
            if not may_write:
                assert response.status_code == 403, (name, response.text)
                assert response.json()["error"]["code"] == "permission_denied"
            else:
                assert response.status_code in (200, 201), (name, response.text)
    after = state(site)
    if may_write:
        assert after[:2] == (5, 1)
        assert after[2:5] == (5, 1, 0)  # C1–C3 and the two invitees
        assert after[5][len(before[5]) :] == [
            "points.adjust", "tiers.recompute", "coupon.template_create", "referral.review",
        ]  # fmt: skip
    else:
        assert after == before


def test_points_adjust_changes_the_balance_by_the_amount(site: Site) -> None:
    customer = site.customers["C2"]
    path = f"/api/v1/loyalty/customers/{customer}/points"
    with site.client("operator") as client:
        added = client.post(f"{path}/adjust", json={"points": 120, "reason": "会员日补偿"})
        assert added.status_code == 200
        entry = added.json()
        assert (entry["kind"], entry["points"], entry["operator"]) == ("adjust", 120, "operator")
        assert entry["reason"] == "会员日补偿"
        before = state(site)
        taken = client.post(f"{path}/adjust", json={"points": -20, "reason": "correction"})
        assert taken.status_code == 200
        after = state(site)
        assert (after[0] - before[0], after[1] - before[1]) == (-20, 1)
        assert after[5][len(before[5]) :] == ["points.adjust"]
        assert client.get(path).json()["balance"] == 100
        too_much = client.post(f"{path}/adjust", json={"points": -101, "reason": "x"})
        assert (too_much.status_code, too_much.json()["error"]["code"]) == (
            409,
            "insufficient_points",
        )
        assert state(site) == after
        empty = client.post(f"{path}/adjust", json={"points": 5, "reason": ""})
        assert empty.status_code == 422
        page = client.get(f"{path}/history", params={"page_size": 1, "page": 2}).json()
    assert (page["total"], [item["points"] for item in page["items"]]) == (2, [120])
    with transaction(site.engine) as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "points.adjust").order_by(AuditEntry.id)
        ).all()
    assert [(a.username, a.target, a.detail["points"]) for a in audit] == [
        ("operator", f"customer:{customer}", "120"),
        ("operator", f"customer:{customer}", "-20"),
    ]


def test_a_coupon_issued_to_a_segment_reaches_each_member_once(site: Site) -> None:
    with transaction(site.engine) as session:
        rule = {"field": "net_revenue_fen", "op": ">=", "value": 15000}
        save_segment(
            session, name="big spenders", document={"version": 1, "rule": rule},
            evaluation=Evaluation(NOW.date(), ZONE), now=NOW,
        )  # fmt: skip
    with site.client("operator") as client:
        template = client.post(
            "/api/v1/loyalty/coupons/templates",
            json={"name": "9折", "kind": "percent_off", "percent_off": 10, "valid_days": 14,
                  "max_discount_fen": 5000, "per_customer_limit": 3},
        )  # fmt: skip
        assert template.status_code == 201
        issue = f"/api/v1/loyalty/coupons/templates/{template.json()['id']}/issue"
        first = client.post(issue, json={"segment": "big spenders", "issue_key": "march"})
        again = client.post(issue, json={"segment": "big spenders", "issue_key": "march"})
        unknown = client.post(issue, json={"segment": "nobody"})
        results = client.get("/api/v1/loyalty/coupons/results").json()
    assert (first.json()["issued"], first.json()["requested"]) == (2, 2)
    assert (again.json()["issued"], again.json()["already_issued"]) == (0, 2)
    assert unknown.status_code == 404
    assert [(r["name"], r["issued"], r["redeemed"]) for r in results] == [("9折", 2, 0)]
    with transaction(site.engine) as session:
        held = session.execute(
            select(Coupon.customer_id, func.count(), func.count(func.distinct(Coupon.code)))
            .group_by(Coupon.customer_id)
            .order_by(Coupon.customer_id)
        ).all()
    assert [tuple(row) for row in held] == sorted(
        [(site.customers["C1"], 1, 1), (site.customers["C2"], 1, 1)]
    )


def test_approving_a_flagged_referral_pays_the_reward_once(site: Site) -> None:
    flagged, inviter = flag_a_referral(site)
    with site.client("operator") as client:
        queue = client.get("/api/v1/loyalty/referrals/flagged").json()
        assert [item["id"] for item in queue] == [flagged]
        approved = client.post(
            f"/api/v1/loyalty/referrals/{flagged}/review", json={"approve": True}
        )
        assert (approved.status_code, approved.json()["status"]) == (200, "pending")
        twice = client.post(f"/api/v1/loyalty/referrals/{flagged}/review", json={"approve": True})
        assert (twice.status_code, twice.json()["error"]["code"]) == (409, "not_reviewable")
        assert client.get("/api/v1/loyalty/referrals/flagged").json() == []
    for day in (3, 4):
        with transaction(site.engine) as session:
            sync_referrals(session, now=datetime(2026, 3, day, tzinfo=UTC), zone=ZONE)
    with transaction(site.engine) as session:
        rewards = session.execute(
            select(PointsEntry.referral_id, PointsEntry.points).where(
                PointsEntry.customer_id == inviter, PointsEntry.kind == "referral"
            )
        ).all()
    assert sorted(rewards) == sorted([(flagged, 100), (flagged - 1, 100)])
    with site.client("operator") as client:
        stats = client.get("/api/v1/loyalty/referrals/stats").json()
    assert (stats["referrals"], stats["converted"], stats["flagged"]) == (2, 2, 0)


def test_the_360_carries_tier_balance_coupons_and_referrals(site: Site) -> None:
    with transaction(site.engine) as session:
        set_level(session, TierLevelSpec("silver", "银卡", 1, 30_000, None, 120, 2))
    flag_a_referral(site)
    with site.client("operator") as client:
        far = client.post("/api/v1/loyalty/tiers/recompute", json={"as_of": "0001-01-01T00:00:00"})
        assert (far.status_code, far.json()["error"]["code"]) == (422, "invalid_input")
        recomputed = client.post(
            "/api/v1/loyalty/tiers/recompute", json={"as_of": "2026-03-31T00:00:00Z"}
        ).json()
        assert (recomputed["members"], recomputed["joined"]) == (5, 5)
        client.post(
            f"/api/v1/loyalty/customers/{site.customers['C1']}/points/adjust",
            json={"points": 50, "reason": "welcome"},
        )
        tiers = client.get("/api/v1/loyalty/tiers").json()
    assert [(t["code"], t["members"]) for t in tiers] == [
        ("normal", 4), ("silver", 1), ("gold", 0), ("black_gold", 0),
    ]  # fmt: skip
    with site.client("guide") as client:
        member = client.get(f"/api/v1/customers/{site.customers['C1']}").json()["member"]
    assert (member["tier"], member["tier_name"], member["points_balance"]) == ("silver", "银卡", 50)
    assert member["tier_since"].startswith("2026-03-31")
    assert (member["coupons_held"], member["referrer_id"], member["invitees"]) == (0, None, 2)


def test_distributors_their_ledger_and_a_referral_tree(site: Site) -> None:
    _, inviter = flag_a_referral(site)
    bound = site.customers["C3"]
    with transaction(site.engine) as session:
        partner = create_distributor(
            session, commission_bp=500, attribution_days=30, now=NOW, customer_id=inviter
        )
        bind_customer(session, distributor_id=partner.id, customer_id=bound, now=NOW)
        make_order(
            session, shop=make_shop(session), customer=session.get_one(Customer, bound),
            paid_fen=30_000, ordered_at=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
        sync_commissions(session, now=datetime(2026, 4, 2, tzinfo=UTC))
        pay_out(session, distributor_id=partner.id, amount_fen=1_000, operator="li", now=NOW)
    with site.client("analyst") as client:
        listed = client.get("/api/v1/loyalty/distributors").json()
        ledger = client.get(
            f"/api/v1/loyalty/distributors/{partner.id}/ledger", params={"page_size": 1}
        ).json()
        tree = client.get(f"/api/v1/loyalty/referrals/tree/{inviter}").json()
        missing = client.get("/api/v1/loyalty/distributors/999/ledger")
    assert [
        (d["id"], d["bound_customers"], d["earned_fen"], d["paid_out_fen"], d["balance_fen"])
        for d in listed
    ] == [(partner.id, 1, 1_500, 1_000, 500)]
    assert (ledger["total"], [(e["kind"], e["amount_fen"]) for e in ledger["items"]]) == (
        2,
        [("earn", 1_500)],
    )
    assert [node["status"] for node in tree["invitees"]] == ["pending", "flagged"]
    assert missing.status_code == 404


def test_distributors_are_appointed_bound_and_paid_through_the_api(site: Site) -> None:
    owner, bound = site.customers["C1"], site.customers["C3"]
    with site.client("operator") as client:
        made = client.post(
            "/api/v1/loyalty/distributors",
            json={"customer_id": owner, "commission_bp": 800, "attribution_days": 60},
        )
        distributor = made.json()["id"]
        both = client.post(
            "/api/v1/loyalty/distributors",
            json={"customer_id": owner, "staff_userid": "guide_a"},
        )
        first = client.post(
            f"/api/v1/loyalty/distributors/{distributor}/bind", json={"customer_id": bound}
        )
        again = client.post(
            f"/api/v1/loyalty/distributors/{distributor}/bind", json={"customer_id": bound}
        )
        owed_nothing = client.post(
            f"/api/v1/loyalty/distributors/{distributor}/payouts", json={"amount_fen": 100}
        )
    with site.client("analyst") as client:
        refused = client.post(
            f"/api/v1/loyalty/distributors/{distributor}/bind", json={"customer_id": owner}
        )
    assert made.status_code == 201
    assert (made.json()["customer_id"], made.json()["commission_bp"]) == (owner, 800)
    assert made.json()["bound_customers"] == 0
    assert both.status_code == 422
    assert (first.json(), again.json()) == (
        {"customer_id": bound, "bound": True},
        {"customer_id": bound, "bound": False},
    )
    assert owed_nothing.status_code == 409
    assert refused.status_code == 403
    with transaction(site.engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("distributor.%"))
        ).all()
    assert sorted(actions) == ["distributor.add", "distributor.bind"]
