"""The fields a rule may test, their kinds, operators and allowed values.

Kinds: `integer`, `number`, `text`, `boolean`, `day` (a calendar day in the merchant's zone) and
`set` (a set of names: `in` means "any of", `not_in` "none of"). Profile fields come from
customer_profiles as of the last `siyu refresh`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from siyu.analytics.rfm import SEGMENTS as RFM_SEGMENTS
from siyu.analytics.tables import STAGES
from siyu.commerce.tables import PLATFORMS

ACQUISITION_CHANNELS = (*PLATFORMS, "wecom", "behaviour")
# The reach capability's consent channels and purposes (docs/reach.md).
CONSENT_CHANNELS = ("wecom", "sms", "email", "webhook", "console")
CONSENT_PURPOSES = ("marketing", "personalised", "service")


class Kind(StrEnum):
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    DAY = "day"
    SET = "set"


COMPARISONS = ("=", "!=", "<", "<=", ">", ">=", "between")
NULL_TESTS = ("is_null", "is_not_null")
OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.INTEGER: (*COMPARISONS, "in", "not_in", *NULL_TESTS),
    Kind.NUMBER: (*COMPARISONS, *NULL_TESTS),
    Kind.TEXT: ("=", "!=", "in", "not_in", *NULL_TESTS),
    Kind.BOOLEAN: ("=", "!="),
    Kind.DAY: (*COMPARISONS, *NULL_TESTS),
    Kind.SET: ("in", "not_in"),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    doc: str
    choices: tuple[str, ...] | None = None  # allowed text values (None: free, or checked in DB)
    key: str | None = None  # what `key` names, for keyed fields
    table: str | None = None  # a table another capability adds; "not available yet" until then
    minimum: float | None = None
    maximum: float | None = None


_ALL = (
    FieldSpec("stage", Kind.TEXT, "lifecycle stage", choices=STAGES),
    FieldSpec("rfm_segment", Kind.TEXT, "RFM segment", choices=RFM_SEGMENTS),
    FieldSpec("rfm_r", Kind.INTEGER, "RFM recency score 1–5", minimum=1, maximum=5),
    FieldSpec("rfm_f", Kind.INTEGER, "RFM frequency score 1–5", minimum=1, maximum=5),
    FieldSpec("rfm_m", Kind.INTEGER, "RFM monetary score 1–5", minimum=1, maximum=5),
    FieldSpec("orders", Kind.INTEGER, "paid orders (fully refunded ones excluded)", minimum=0),
    FieldSpec("purchase_days", Kind.INTEGER, "days with a paid order", minimum=0),
    FieldSpec("net_revenue_fen", Kind.INTEGER, "spend, net of refunds, in fen"),
    FieldSpec("aov_fen", Kind.INTEGER, "average order value in fen"),
    FieldSpec("clv_fen", Kind.INTEGER, "predicted 12-month customer value in fen"),
    FieldSpec(
        "clv_top_percent",
        Kind.NUMBER,
        "rank by clv_fen among customers with one, as a top percentage (10: the top 10%)",
        minimum=0,
        maximum=100,
    ),
    FieldSpec("p_alive", Kind.NUMBER, "probability of being alive", minimum=0, maximum=1),
    FieldSpec("first_order_at", Kind.DAY, "day of the first paid order"),
    FieldSpec("last_order_at", Kind.DAY, "day of the last paid order"),
    FieldSpec("next_purchase_on", Kind.DAY, "predicted next purchase day"),
    FieldSpec("stage_since", Kind.DAY, "day the current stage began"),
    FieldSpec("top_category", Kind.TEXT, "category with the largest share of spend"),
    FieldSpec(
        "category_share",
        Kind.NUMBER,
        "share (0–1) of recency-weighted spend in the category named by `key`",
        key="category",
        minimum=0,
        maximum=1,
    ),
    FieldSpec("platform", Kind.SET, "platforms bought on", choices=PLATFORMS),
    FieldSpec("acquisition_channel", Kind.TEXT, "first channel", choices=ACQUISITION_CHANNELS),
    FieldSpec("reachable", Kind.BOOLEAN, "a live WeCom contact or customer-group membership"),
    FieldSpec("has_value_behaviour", Kind.BOOLEAN, "ever viewed, followed, favourited, carted"),
    FieldSpec(
        "consent",
        Kind.BOOLEAN,
        "the latest consent decision for the channel named by `key` (or 'all') and `purpose`"
        " (default marketing) is a grant",
        key="channel",
        table="consents",
    ),
    FieldSpec("referrals", Kind.INTEGER, "qualified referrals made", minimum=0, table="referrals"),
    FieldSpec(
        "tier",
        Kind.TEXT,
        "the member tier's level code (e.g. gold) as of the last tier recomputation",
        table="member_tiers",
    ),
)
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _ALL}
