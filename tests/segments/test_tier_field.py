"""The `tier` field reads the loyalty capability's current tiers, as recomputed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.loyalty.tier_recompute import recompute_tiers
from siyu.loyalty.tiers import TierLevelSpec, set_level
from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.compile import audience
from siyu.segments.evaluation import Evaluation
from siyu.segments.parse import parse_rule
from tests.builders import make_customer, make_order, make_shop
from tests.segments.world import ZONE

AS_OF = datetime(2026, 3, 31, tzinfo=UTC)
EVALUATION = Evaluation(AS_OF.date(), ZONE)


def members(engine: Engine, rule: dict[str, Any]) -> set[int]:
    with transaction(engine) as session:
        parsed = parse_rule({"version": 1, "rule": rule}, StoreCatalogue(session))
        return set(session.scalars(audience(parsed, EVALUATION)))


def test_tier_selects_exactly_the_members_at_that_level(engine: Engine) -> None:
    with transaction(engine) as session:
        set_level(session, TierLevelSpec("silver", "银卡", 1, 30_000, None, 120, 2))
        shop = make_shop(session)
        people = {name: make_customer(session, name=name) for name in ("big", "small", "none")}
        for name, paid in (("big", 20_000), ("big", 15_000), ("small", 10_000)):
            make_order(
                session, shop=shop, customer=people[name], paid_fen=paid,
                ordered_at=datetime(2026, 2, 1, tzinfo=UTC),
            )  # fmt: skip
        ids = {name: customer.id for name, customer in people.items()}
    before = members(engine, {"field": "tier", "op": "is_null"})
    assert before == set(ids.values())
    with transaction(engine) as session:
        recompute_tiers(session, as_of=AS_OF, customer_ids=[ids["big"], ids["small"]])
    assert members(engine, {"field": "tier", "op": "=", "value": "silver"}) == {ids["big"]}
    assert members(engine, {"field": "tier", "op": "in", "value": ["normal", "gold"]}) == {
        ids["small"]
    }
    assert members(engine, {"field": "tier", "op": "!=", "value": "silver"}) == {ids["small"]}
    assert members(engine, {"field": "tier", "op": "is_null"}) == {ids["none"]}
    assert members(
        engine, {"not": {"field": "tier", "op": "=", "value": "silver"}}
    ) == {ids["small"], ids["none"]}  # fmt: skip
