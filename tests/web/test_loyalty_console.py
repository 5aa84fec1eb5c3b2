"""The members console over real HTTP: who sees /members and the adjust form, the form's
CSRF check, the coupon forms and the review buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from siyu.db.engine import transaction
from siyu.loyalty.tables import Coupon, CouponTemplate
from siyu.segments.evaluation import Evaluation
from siyu.segments.saved import save_segment
from tests.web.conftest import ZONE, Site
from tests.web.test_console import csrf, logged_in
from tests.web.test_loyalty_api import NOW, flag_a_referral, state


@pytest.mark.parametrize(
    ("role", "status", "controls"),
    [("admin", 200, True), ("operator", 200, True), ("analyst", 200, False), ("guide", 403, False)],
)
def test_who_sees_the_members_page(site: Site, role: str, status: int, controls: bool) -> None:
    flag_a_referral(site)
    with logged_in(site, role) as client:
        members = client.get("/members")
        customer = client.get(f"/customers/{site.customers['C1']}").text
    assert members.status_code == status
    if status == 200:
        assert "会员等级" in members.text
        assert "待审核" in members.text
        assert ('value="approve"' in members.text) == controls
        assert "/static/vendor/echarts/echarts.min.js" in members.text
    assert 'id="points-balance">0<' in customer
    assert ('id="points-adjust"' in customer) == controls


def test_the_adjust_form_needs_its_csrf_token_and_the_permission(site: Site) -> None:
    customer = site.customers["C1"]
    before = state(site)
    with logged_in(site, "analyst") as client:
        token = csrf(client.get("/").text)
        refused = client.post(
            f"/customers/{customer}/points", data={"points": 7, "reason": "x", "csrf": token}
        )
    assert refused.status_code == 403
    assert "role analyst may not loyalty" in refused.text
    with logged_in(site, "operator") as client:
        forged = client.post(f"/customers/{customer}/points", data={"points": 7, "reason": "x"})
        assert forged.status_code == 403
        assert "CSRF" in forged.text
        assert state(site)[:5] == before[:5]  # only the two logins were recorded
        token = csrf(client.get(f"/customers/{customer}").text)
        done = client.post(
            f"/customers/{customer}/points", data={"points": 7, "reason": "x", "csrf": token}
        )
        assert done.status_code == 303, done.text
        assert (done.status_code, done.headers["location"]) == (
            303,
            f"/customers/{customer}#member",
        )
        page = client.get(f"/customers/{customer}").text
    assert 'id="points-balance">7<' in page
    after = state(site)
    assert (after[0], after[1], after[5][len(before[5]) :]) == (
        7,
        1,
        ["login", "login", "points.adjust"],
    )


def test_a_review_button_approves_once(site: Site) -> None:
    flagged, _ = flag_a_referral(site)
    with logged_in(site, "operator") as client:
        token = csrf(client.get("/members").text)
        path = f"/members/referrals/{flagged}/review"
        first = client.post(path, data={"verdict": "approve", "csrf": token})
        second = client.post(path, data={"verdict": "approve", "csrf": token})
    assert first.status_code == 303
    assert second.status_code == 409
    assert state(site)[4] == 0


def test_coupon_template_and_issue_forms(site: Site) -> None:
    with transaction(site.engine) as session:
        rule = {"field": "orders", "op": ">=", "value": 2}
        save_segment(
            session, name="repeat buyers", document={"version": 1, "rule": rule},
            evaluation=Evaluation(NOW.date(), ZONE), now=NOW,
        )  # fmt: skip
    with logged_in(site, "operator") as client:
        token = csrf(client.get("/members").text)
        form = {"csrf": token, "name": "满100减10", "kind": "amount_off", "amount_off": "10.00",
                "min_spend": "100", "valid_days": "14", "per_customer": "2"}  # fmt: skip
        created = client.post("/members/coupons", data=form)
        assert created.status_code == 303
        with transaction(site.engine) as session:
            template = session.scalars(select(CouponTemplate)).one()
        assert (template.amount_off_fen, template.min_spend_fen, template.percent_off) == (
            1_000,
            10_000,
            None,
        )
        issue = f"/members/coupons/{template.id}/issue"
        issued = client.post(issue, data={"csrf": token, "segment": "repeat buyers"})
        assert issued.status_code == 303
        page = client.get("/members").text
    assert 'value="repeat buyers"' in page
    with transaction(site.engine) as session:
        holders = list(session.scalars(select(Coupon.customer_id)))
    assert holders == [site.customers["C1"]]
