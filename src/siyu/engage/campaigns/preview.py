"""What launching now would do, without doing it: the audience, the holdout per stratum, the
variants' sizes, and the governor's verdicts (the planner's dry run). Writes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from siyu.engage.campaigns.actions import get_campaign
from siyu.engage.campaigns.assignment import HOLDOUT
from siyu.engage.campaigns.errors import CampaignError, CampaignErrorCode
from siyu.engage.campaigns.launch import draw_arms, variants_of
from siyu.engage.campaigns.plans import variant_batches
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import plan


@dataclass(frozen=True, slots=True)
class StratumPreview:
    stratum: str
    audience: int
    holdout: int


@dataclass(frozen=True, slots=True)
class Preview:
    campaign_id: int
    audience: int
    holdout: int
    strata: list[StratumPreview]
    variants: dict[str, int]  # variant key → customers
    at_once: int  # would go at the start of the window
    later: int  # moved to a later slot (caps, quiet or preferred hours, quotas)
    suppressed: dict[str, int]  # reason → messages
    already_planned: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview_campaign(
    session: Session, campaign_id: int, *, policy: ContactPolicy, now: datetime
) -> Preview:
    campaign = get_campaign(session, campaign_id)
    if campaign.status not in ("draft", "scheduled"):
        raise CampaignError(
            CampaignErrorCode.WRONG_STATUS,
            f"campaign {campaign_id} is {campaign.status}: see its results instead",
        )
    variants = variants_of(session, campaign_id)
    arms = draw_arms(session, campaign, variants)
    members = [arms.customer_ids[arms.arm == index] for index in range(len(variants))]
    batches = variant_batches(campaign, variants, members, None, now)
    report = plan(session, batches, policy=policy, now=now, dry_run=True)
    strata = [
        StratumPreview(
            str(stratum),
            int(np.count_nonzero(arms.strata == stratum)),
            int(np.count_nonzero((arms.strata == stratum) & (arms.arm == HOLDOUT))),
        )
        for stratum in sorted(set(arms.strata.tolist()))
    ]
    waiting = report.queued + report.planned
    return Preview(
        campaign_id=campaign_id,
        audience=int(arms.customer_ids.size),
        holdout=int(np.count_nonzero(arms.arm == HOLDOUT)),
        strata=strata,
        variants={v.key: int(m.size) for v, m in zip(variants, members, strict=True)},
        at_once=waiting - report.deferred,
        later=report.deferred,
        suppressed=dict(sorted(report.suppressed.items())),
        already_planned=report.already_planned,
    )
