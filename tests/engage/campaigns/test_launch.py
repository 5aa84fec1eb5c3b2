"""Creating, previewing and launching campaigns, on SQLite and PostgreSQL, with exact counts."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, select

from siyu.db.engine import transaction
from siyu.engage.campaigns import actions
from siyu.engage.campaigns.actions import (
    CampaignSpec,
    VariantSpec,
    cancel_campaign,
    create_campaign,
)
from siyu.engage.campaigns.errors import CampaignError
from siyu.engage.campaigns.launch import launch_campaign, launch_due_campaigns
from siyu.engage.campaigns.preview import preview_campaign
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient
from siyu.engage.content import Content
from siyu.engage.governor.consent import set_consent
from siyu.engage.holdout import stratified_holdout
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.settings import EngageSettings
from siyu.engage.tables import OutboxMessage
from siyu.security.tables import AuditEntry
from siyu.workers.jobs import JobRunner
from siyu.workers.registry import JOBS
from tests.engage.campaigns.fixtures import NOW, OPEN, make_audience, table_counts

STAGES = {"loyal": 40, "first_order": 30, "dormant": 20, "prospect": 10}


def create(engine: Engine, segment: str, **extra: object) -> int:
    fields: dict[str, object] = {
        "name": "春季焕新",
        "segment": segment,
        "channel": "console",
        "variants": [VariantSpec("a", "春季上新", 1), VariantSpec("b", "新品八折", 1)],
        "holdout_share": 0.2,
        "seed": 7,
    }
    fields.update(extra)
    with transaction(engine) as session:
        return create_campaign(session, CampaignSpec(**fields), actor=None, now=NOW).id  # type: ignore[arg-type]


def launch(engine: Engine, campaign_id: int) -> dict[str, object]:
    with transaction(engine) as session:
        return launch_campaign(session, campaign_id, actor=None, policy=OPEN, now=NOW).as_dict()


def recipients(engine: Engine, campaign_id: int) -> list[CampaignRecipient]:
    with transaction(engine) as session:
        query = select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id)
        rows = list(session.scalars(query.order_by(CampaignRecipient.customer_id)))
        session.expunge_all()
        return rows


def test_launch_holds_out_the_share_of_every_stage_and_splits_the_rest(engine: Engine) -> None:
    audience = make_audience(engine, STAGES)
    campaign_id = create(engine, audience.segment)
    report = launch(engine, campaign_id)
    assert report["launched"] is True
    assert (report["recipients"], report["holdout"]) == (100, 20)
    rows = recipients(engine, campaign_id)
    held = Counter(row.stratum for row in rows if row.holdout)
    assert held == {"loyal": 8, "first_order": 6, "dormant": 4, "prospect": 2}
    assert {row.stratum for row in rows} == set(STAGES)
    assert all(row.stratum == audience.stages[row.customer_id] for row in rows)
    # the holdout is exactly stratified_holdout's draw for the seed
    ids = [row.customer_id for row in rows]
    expected = stratified_holdout(ids, [row.stratum for row in rows], share=0.2, seed=7)
    assert [row.holdout for row in rows] == expected.tolist()
    per_variant = Counter(row.variant_id for row in rows if not row.holdout)
    assert sorted(per_variant.values()) == [40, 40]
    # every contacted customer has exactly one message, linked by its key; none for the holdout
    with transaction(engine) as session:
        pairs = session.execute(select(OutboxMessage.id, OutboxMessage.idempotency_key))
        messages: dict[int, str] = {int(i): str(k) for i, k in pairs}
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.status == "launched"
    contacted = [row for row in rows if not row.holdout]
    assert len(messages) == 80
    assert all(messages[row.message_id] == row.idempotency_key for row in contacted)  # type: ignore[index]
    assert all(
        row.message_id is None and row.idempotency_key is None for row in rows if row.holdout
    )
    assert report["plan"]["queued"] == 80  # type: ignore[index]


def test_launching_twice_plans_nothing_twice(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 10})
    campaign_id = create(engine, audience.segment, holdout_share=0.1)
    first = launch(engine, campaign_id)
    before = table_counts(engine)
    again = launch(engine, campaign_id)
    assert again == {
        "campaign_id": campaign_id, "launched": False, "recipients": 0, "holdout": 0,
        "coupons": 0, "plan": {},
    }  # fmt: skip
    assert table_counts(engine) == before
    assert before["outbox_messages"] == first["recipients"] - first["holdout"] == 9  # type: ignore[operator]
    with transaction(engine) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["campaign.create", "campaign.launch"]


def test_preview_reports_the_governor_and_writes_nothing(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 6, "first_order": 4})
    refused, capped = audience.customers[0], audience.customers[1]
    with transaction(engine) as session:
        set_consent(session, customer_id=refused, channel="console", purpose="marketing",
                    granted=False, source="test", at=NOW)  # fmt: skip
    with transaction(engine) as session:  # customer `capped` already has a message today
        plan(session, [PlanBatch("other", "console", "d1", Content("x"), NOW,
                                 NOW + timedelta(days=1), customer_ids=[capped])],
             policy=OPEN, now=NOW)  # fmt: skip
    campaign_id = create(engine, audience.segment, holdout_share=0.0, valid_days=1)
    before = table_counts(engine)
    with transaction(engine) as session:
        preview = preview_campaign(session, campaign_id, policy=OPEN, now=NOW).as_dict()
    assert table_counts(engine) == before
    assert preview == {
        "campaign_id": campaign_id,
        "audience": 10,
        "holdout": 0,
        "strata": [
            {"stratum": "first_order", "audience": 4, "holdout": 0},
            {"stratum": "loyal", "audience": 6, "holdout": 0},
        ],
        "variants": {"a": 5, "b": 5},
        "at_once": 8,
        "later": 1,  # the capped customer's message moves to the next day
        "suppressed": {"no consent for marketing by console": 1},
        "already_planned": 0,
    }
    report = launch(engine, campaign_id)
    assert report["plan"]["queued"] == 9  # type: ignore[index]
    assert report["plan"]["deferred"] == 1  # type: ignore[index]


def test_scheduled_campaigns_launch_when_due_and_complete_after_attribution(
    engine: Engine,
) -> None:
    audience = make_audience(engine, {"loyal": 5})
    due = create(engine, audience.segment, scheduled_at=NOW + timedelta(hours=1),
                 attribution_days=7)  # fmt: skip
    with transaction(engine) as session:
        assert launch_due_campaigns(session, policy=OPEN, now=NOW) == []
        status = session.get(Campaign, due).status  # type: ignore[union-attr]
    assert status == "scheduled"
    with transaction(engine) as session:
        reports = launch_due_campaigns(session, policy=OPEN, now=NOW + timedelta(hours=2))
        assert [(r.campaign_id, r.launched) for r in reports] == [(due, True)]
    with transaction(engine) as session:
        assert launch_due_campaigns(session, policy=OPEN, now=NOW + timedelta(days=7)) == []
        status = session.get(Campaign, due).status  # type: ignore[union-attr]
    assert status == "launched"
    with transaction(engine) as session:
        launch_due_campaigns(session, policy=OPEN, now=NOW + timedelta(days=7, hours=2))
        assert session.get(Campaign, due).status == "completed"  # type: ignore[union-attr]


def test_the_workers_scheduler_launches_a_due_campaign_once(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 5})
    due = create(engine, audience.segment, scheduled_at=NOW + timedelta(minutes=30))
    scheduler = JobRunner(engine, JOBS, EngageSettings(policy=OPEN), runner="test")
    names = [outcome.name for outcome in scheduler.run_due(NOW)]
    assert "campaigns.launch_due" in names
    with transaction(engine) as session:
        assert session.get_one(Campaign, due).status == "scheduled"
    later = JobRunner(engine, JOBS, EngageSettings(policy=OPEN), runner="test")
    [launched] = [o for o in later.run_due(NOW + timedelta(hours=1)) if o.name.startswith("camp")]
    assert (launched.status, launched.detail) == ("ok", "1 campaigns launched")
    with transaction(engine) as session:
        assert session.get_one(Campaign, due).status == "launched"
        messages = session.scalars(select(OutboxMessage.customer_id)).all()
    assert len(messages) == 4  # 5 members, one held out (share 0.2)
    again = JobRunner(engine, JOBS, EngageSettings(policy=OPEN), runner="test")
    assert again.run_due(NOW + timedelta(minutes=60, seconds=30)) == []  # due again at +61 min


def test_cancelling_a_launched_campaign_suppresses_what_is_not_sent(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 4})
    campaign_id = create(engine, audience.segment, holdout_share=0.0)
    launch(engine, campaign_id)
    with transaction(engine) as session:
        assert cancel_campaign(session, campaign_id, actor=None, now=NOW) == 4
    with transaction(engine) as session:
        states = session.execute(select(OutboxMessage.state, OutboxMessage.reason)).all()
        assert set(states) == {("suppressed", "campaign cancelled")}
    with transaction(engine) as session, pytest.raises(CampaignError) as error:
        launch_campaign(session, campaign_id, actor=None, policy=OPEN, now=NOW)
    assert error.value.code == "wrong_campaign_status"


def test_assignment_does_not_depend_on_membership_order() -> None:
    from siyu.engage.campaigns.assignment import assign_arms, variant_counts

    ids = np.arange(1, 101)
    strata = ["a" if i % 3 else "b" for i in ids]
    first = assign_arms(ids, strata, weights=[3, 1], holdout_share=0.1, seed=5)
    order = np.random.default_rng(1).permutation(100)
    second = assign_arms(ids[order], [strata[i] for i in order], weights=[3, 1],
                         holdout_share=0.1, seed=5)  # fmt: skip
    assert first.arm.tolist() == second.arm.tolist()
    assert Counter(first.arm.tolist()) == {0: 68, 1: 22, -1: 10}
    assert variant_counts(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert variant_counts(7, [5, 2]).tolist() == [5, 2]


def test_two_launches_at_once_plan_once(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 30})
    campaign_id = create(engine, audience.segment, holdout_share=0.1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: launch(engine, campaign_id), range(2)))
    assert sorted(report["launched"] for report in reports) == [False, True]  # type: ignore[type-var]
    counts = table_counts(engine)
    assert (counts["campaign_recipients"], counts["outbox_messages"]) == (30, 27)


def test_a_second_campaign_of_the_same_name_is_refused_even_past_the_check(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    audience = make_audience(engine, {"loyal": 2})
    first = create(engine, audience.segment)
    with pytest.raises(CampaignError, match="exists already"):
        create(engine, audience.segment)  # the check sees the first one
    # two creates at once: both pass the check before either has inserted
    monkeypatch.setattr(actions, "_check", lambda session, spec, now: None)
    spec = CampaignSpec(name="春季焕新", segment=audience.segment, channel="console",
                        variants=[VariantSpec("a", "您好", 1)])  # fmt: skip
    with transaction(engine) as session:
        with pytest.raises(CampaignError, match="exists already"):
            actions.create_campaign(session, spec, actor=None, now=NOW)
        names = session.scalars(select(Campaign.id)).all()  # the session is still usable
    assert names == [first]
