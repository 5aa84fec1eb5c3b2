"""The outbox and the settings through the API on both databases: filters, attempts, the
guide's scope; settings persist and change what the governor and the refresh do."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from siyu.analytics.refresh import refresh
from siyu.db.engine import transaction
from siyu.engage.tables import OutboxMessage
from siyu.merchant.tables import MerchantSetting
from tests.web.conftest import ZONE, Site
from tests.web.console_world import plan_messages

POLICY = {"cap_per_day": 1, "cap_per_week": 3, "quiet_start": 21, "quiet_end": 9,
          "default_hour": 10, "repeat_days": 30}  # fmt: skip
CAP = "frequency cap (all channels) reached in the validity window"


def test_the_outbox_lists_filters_and_shows_attempts(site: Site) -> None:
    c1, c2 = site.customers["C1"], site.customers["C2"]
    report = plan_messages(site.engine, [c1, c2], batches=2)
    assert (report.queued, dict(report.suppressed)) == (2, {CAP: 2})
    with site.client("operator") as client:
        everything = client.get("/api/v1/outbox").json()
        suppressed = client.get("/api/v1/outbox", params={"state": "suppressed"}).json()
        mine = client.get("/api/v1/outbox", params={"customer_id": c1, "source": "campaign:2"})
        one = client.get(f"/api/v1/outbox/{suppressed['items'][0]['id']}").json()
        bad_state = client.get("/api/v1/outbox", params={"state": "lost"})
        missing = client.get("/api/v1/outbox/999999")
    assert everything["counts"] == {"queued": 2, "suppressed": 2}
    assert [m["source"] for m in everything["items"]] == ["campaign:2"] * 2 + ["campaign:1"] * 2
    assert {m["reason"] for m in suppressed["items"]} == {CAP}
    assert [(m["customer_id"], m["state"]) for m in mine.json()["items"]] == [(c1, "suppressed")]
    assert (one["message"]["state"], one["message"]["reason"], one["attempts"]) == (
        "suppressed", CAP, []
    )  # fmt: skip
    assert one["content"]["text"] == "campaign 2 says hello"
    assert (bad_state.status_code, missing.status_code) == (422, 404)


def test_a_guide_sees_only_their_customers_messages(site: Site) -> None:
    c1, c2 = site.customers["C1"], site.customers["C2"]
    plan_messages(site.engine, [c1, c2])
    with transaction(site.engine) as session:
        ids = dict(session.execute(select(OutboxMessage.customer_id, OutboxMessage.id)).all())
    with site.client("guide") as client:
        listed = client.get("/api/v1/outbox").json()
        own = client.get(f"/api/v1/outbox/{ids[c1]}")
        other = client.get(f"/api/v1/outbox/{ids[c2]}")
        c360 = client.get(f"/api/v1/customers/{c1}").json()
    assert ([m["customer_id"] for m in listed["items"]], listed["counts"]) == ([c1], {"queued": 1})
    assert (own.status_code, other.status_code) == (200, 404)
    assert [m["id"] for m in c360["messages"]] == [ids[c1]]


def test_settings_persist_and_lower_caps_change_the_plan(site: Site) -> None:
    c1 = site.customers["C1"]
    with site.client("admin") as client:
        before = client.get("/api/v1/settings").json()
        saved = client.put(
            "/api/v1/settings/contact-policy", json={**POLICY, "cap_per_week": 1,
                                                     "quiet_start": 22, "default_hour": 11}
        )  # fmt: skip
        after = client.get("/api/v1/settings").json()
    assert before["contact_policy"]["stored"] is False
    assert (before["contact_policy"]["cap_per_week"], before["timezone"]) == (3, "Asia/Shanghai")
    assert saved.status_code == 200, saved.text
    policy = after["contact_policy"]
    assert (policy["stored"], policy["cap_per_week"], policy["quiet_start"]) == (True, 1, 22)
    assert [s["userid"] for s in after["staff"]] == ["guide_a", "guide_b"]
    assert [u["username"] for u in after["users"]] == ["admin", "analyst", "guide", "operator"]
    # 3 campaigns over 3 days: the default 3-a-week cap would place all three; 1 places one
    report = plan_messages(site.engine, [c1], batches=3)
    assert (report.queued, dict(report.suppressed)) == (1, {CAP: 2})
    with transaction(site.engine) as session:
        [placed] = session.scalars(
            select(OutboxMessage.scheduled_at).where(OutboxMessage.state == "queued")
        ).all()
        stored = session.get(MerchantSetting, "contact_policy")
        assert stored is not None
        assert stored.updated_by == "admin"
    assert placed is not None
    assert placed.astimezone(ZONE).hour == 11  # the stored default hour
    with site.client("admin") as client:
        quota = client.get(f"/api/v1/customers/{c1}").json()["quota"]
    assert (quota["all_channels"]["per_week"], quota["quiet_hours"]) == (1, "22:00-09:00")


def test_settings_are_validated_with_the_field_named(site: Site) -> None:
    with site.client("admin") as client:
        weekly = client.put(
            "/api/v1/settings/contact-policy", json={**POLICY, "cap_per_day": 4, "cap_per_week": 2}
        )
        hour = client.put("/api/v1/settings/contact-policy", json={**POLICY, "quiet_end": 24})
        channel = client.put(
            "/api/v1/settings/contact-policy",
            json={**POLICY, "channel_caps": {"fax": {"per_day": 1}}},
        )
        churn = client.put(
            "/api/v1/settings/lifecycle",
            json={"loyal_min_purchases": 4, "dormant_factor": 3, "churn_factor": 2,
                  "fallback_interval_days": 90, "category_half_life_days": 180},
        )  # fmt: skip
        unchanged = client.get("/api/v1/settings").json()
    assert (weekly.status_code, weekly.json()["error"]["code"]) == (422, "invalid_setting")
    assert weekly.json()["error"]["message"].startswith("cap_per_week: the weekly cap (2)")
    assert hour.status_code == 422
    assert hour.json()["detail"][0]["loc"] == ["body", "quiet_end"]
    assert channel.json()["error"]["message"].startswith("channel_caps.fax: unknown channel")
    assert churn.json()["error"]["message"].startswith("churn_factor: above the dormant factor")
    assert unchanged["contact_policy"]["stored"] is False
    assert unchanged["lifecycle"]["churn_factor"] == 4.0


def test_lifecycle_thresholds_persist_and_change_the_refresh(site: Site) -> None:
    c1 = site.customers["C1"]
    thresholds = {"loyal_min_purchases": 2, "dormant_factor": 2.0, "churn_factor": 4.0,
                  "fallback_interval_days": 90.0, "category_half_life_days": 180.0}  # fmt: skip
    with site.client("admin") as client:
        assert client.get(f"/api/v1/customers/{c1}").json()["stage"] == "second_order"
        saved = client.put("/api/v1/settings/lifecycle", json=thresholds)
    assert saved.json() == thresholds
    refresh(site.engine, as_of=date(2026, 3, 31), zone=ZONE, full=True)
    with site.client("admin") as client:
        assert client.get(f"/api/v1/customers/{c1}").json()["stage"] == "loyal"
