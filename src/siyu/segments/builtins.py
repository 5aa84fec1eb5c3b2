"""Built-in segments: the user layers of the source material and the operating audiences.

Each has a stable code; `ensure_builtin_segments` creates or updates them (idempotent), and
operators cannot change them (they copy them). Definitions are documented in docs/segments.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.segments.language import VALUE_EVENT_TYPES, VERSION
from siyu.segments.tables import Segment
from siyu.segments.tags import ensure_tag

# The loyalty capability tags its distributors (合伙人) with this tag.
PARTNER_GROUP = "身份"
PARTNER_TAG = "合伙人"
VALUE_EVENTS = list(VALUE_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class Builtin:
    code: str
    name: str
    description: str
    rule: dict[str, Any]


def _field(name: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": name, "op": op, "value": value}


NOT_LEAVING = _field("stage", "not_in", ["dormant", "churned"])
BUILTINS: tuple[Builtin, ...] = (
    Builtin(
        "active",
        "活跃用户",
        "A paid order or a value behaviour (view, follow, favourite, cart) in the last 90 days.",
        {
            "or": [
                {"purchase": {"within_days": 90}},
                {"event": {"types": VALUE_EVENTS, "within_days": 90}},
            ]
        },
    ),
    Builtin(
        "paying", "付费用户", "At least one paid order (not fully refunded).", {"purchase": {}}
    ),
    Builtin(
        "vip",
        "VIP用户",
        "RFM champions or loyal, or in the top 10% by predicted CLV.",
        {
            "or": [
                _field("rfm_segment", "in", ["champions", "loyal"]),
                _field("clv_top_percent", "<=", 10),
            ]
        },
    ),
    Builtin(
        "fission",
        "裂变用户",
        "Has referred at least one customer (a qualified referral).",
        _field("referrals", ">=", 1),
    ),
    Builtin(
        "partner",
        "合作用户",
        f"Tagged {PARTNER_GROUP}/{PARTNER_TAG}: the distributors the loyalty programme appoints.",
        {"tag": PARTNER_TAG, "group": PARTNER_GROUP},
    ),
    Builtin(
        "super_users",
        "超级用户",
        "VIP and fission: high-value customers who also bring others.",
        {"and": [{"segment": "vip"}, {"segment": "fission"}]},
    ),
    Builtin(
        "semi_private_targets",
        "半私域会员",
        "A value behaviour (view, follow, favourite, cart) but no paid order: convert them.",
        {"and": [{"event": {"types": VALUE_EVENTS}}, {"not": {"purchase": {}}}]},
    ),
    Builtin(
        "second_order_targets",
        "二购目标",
        "One purchase and still within their repeat cycle (stage first_order).",
        _field("stage", "=", "first_order"),
    ),
    Builtin(
        "third_order_targets",
        "三购目标",
        "Two purchases and still within their cycle (stage second_order).",
        _field("stage", "=", "second_order"),
    ),
    Builtin(
        "repurchase_due",
        "复购提醒",
        "Predicted next purchase within the next 7 days.",
        _field("next_purchase_on", "between", [{"days_ago": 0}, {"days_ahead": 7}]),
    ),
    Builtin(
        "win_back",
        "沉睡召回",
        "Dormant, and in the top 30% by predicted CLV.",
        {"and": [_field("stage", "=", "dormant"), _field("clv_top_percent", "<=", 30)]},
    ),
    Builtin(
        "at_risk",
        "流失预警",
        "Not yet dormant, but leaving: a repeat buyer whose P(alive) "
        "is below 0.5, or RFM at_risk / cant_lose.",
        {
            "and": [
                NOT_LEAVING,
                {
                    "or": [
                        {"and": [_field("p_alive", "<", 0.5), _field("orders", ">=", 2)]},
                        _field("rfm_segment", "in", ["at_risk", "cant_lose"]),
                    ]
                },
            ]
        },
    ),
)
BUILTIN_CODES = frozenset(builtin.code for builtin in BUILTINS)


def ensure_builtin_segments(session: Session) -> list[Segment]:
    """Create or update every built-in segment (and the partner tag they read)."""
    ensure_tag(session, name=PARTNER_TAG, group=PARTNER_GROUP)
    segments = []
    for builtin in BUILTINS:
        document = {"version": VERSION, "rule": builtin.rule}
        segment = session.scalars(select(Segment).where(Segment.code == builtin.code)).first()
        if segment is None:
            segment = Segment(code=builtin.code, name=_free_name(session, builtin.name))
            session.add(segment)
        if segment.rule != document or segment.description != builtin.description:
            segment.rule, segment.description = document, builtin.description
        segment.is_builtin = True
        segments.append(segment)
    session.flush()
    return segments


def _free_name(session: Session, name: str) -> str:
    """The built-in's name, unless an operator's segment took it first."""
    taken = session.scalar(select(Segment.id).where(Segment.name == name))
    return name if taken is None else f"{name} (built-in)"
