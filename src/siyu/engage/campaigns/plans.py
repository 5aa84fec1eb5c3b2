"""Turning a campaign's arms into planner batches: one per variant, or, when its template is
personal, one per distinct rendered content (customers who read the same words share one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from siyu.engage.campaigns.tables import Campaign, CampaignVariant
from siyu.engage.campaigns.templates import FALLBACKS, parse_template
from siyu.engage.content import Content
from siyu.engage.planner import PlanBatch, idempotency_key

SLOT = "launch"


def source_of(campaign_id: int, variant_key: str) -> str:
    return f"campaign:{campaign_id}:variant:{variant_key}"


def key_of(campaign: Campaign, variant_key: str, customer_id: int) -> str:
    source = source_of(campaign.id, variant_key)
    return idempotency_key(source, f"c{customer_id}", campaign.channel, SLOT)


def window(campaign: Campaign, now: datetime) -> tuple[datetime, datetime]:
    start = max(now, campaign.scheduled_at) if campaign.scheduled_at else now
    return start, start + timedelta(days=campaign.valid_days)


def used_fields(variants: Sequence[CampaignVariant]) -> set[str]:
    fields: set[str] = set()
    for variant in variants:
        fields |= parse_template(variant.text).fields | parse_template(variant.subject).fields
    return fields


def variant_batches(
    campaign: Campaign,
    variants: Sequence[CampaignVariant],
    members: Sequence[NDArray[np.int64]],
    values: Mapping[str, Mapping[int, str]] | None,
    now: datetime,
) -> list[PlanBatch]:
    """`members[i]` are variant i's customers; `values` None plans the raw templates (preview)."""
    start, end = window(campaign, now)
    batches = []
    for variant, ids in zip(variants, members, strict=True):
        if ids.size == 0:
            continue
        for content, chosen in _contents(campaign, variant, ids, values):
            batches.append(
                PlanBatch(
                    source=source_of(campaign.id, variant.key), channel=campaign.channel,
                    slot=SLOT, content=content, not_before=start, expires_at=end,
                    customer_ids=chosen, purpose=campaign.purpose,
                )
            )  # fmt: skip
    return batches


def _contents(
    campaign: Campaign,
    variant: CampaignVariant,
    ids: NDArray[np.int64],
    values: Mapping[str, Mapping[int, str]] | None,
) -> list[tuple[Content, NDArray[np.int64]]]:
    text, subject = parse_template(variant.text), parse_template(variant.subject)
    fields = sorted(text.fields | subject.fields)
    if values is None or not fields:
        raw = {name: "{" + name + "}" for name in fields}
        return [(_content(campaign, variant, variant.text, variant.subject, raw), ids)]
    groups: dict[tuple[str, ...], list[int]] = {}
    for customer_id in ids.tolist():
        filled = tuple(values[name].get(customer_id, "") for name in fields)
        groups.setdefault(filled, []).append(customer_id)
    made = []
    for filled, chosen in groups.items():
        mapping = dict(zip(fields, filled, strict=True))
        body, title = text.render(mapping), subject.render(mapping)
        params = {name: mapping[name] or FALLBACKS[name] for name in fields}
        made.append(
            (_content(campaign, variant, body, title, params), np.array(chosen, dtype=np.int64))
        )
    return made


def _content(
    campaign: Campaign, variant: CampaignVariant, text: str, subject: str, params: Mapping[str, str]
) -> Content:
    sms = campaign.channel == "sms"
    return Content(
        text=text, subject=subject, link_url=variant.link_url,
        template_code=variant.template_code, template_params=dict(params) if sms else {},
    )  # fmt: skip
