"""The compiled SQL and a direct Python reading of the same rule agree, on random data and
random rules (Hypothesis), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.db.engine import session_factory
from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.compile import audience, audience_count
from siyu.segments.evaluation import Evaluation
from siyu.segments.explain import explain
from siyu.segments.parse import parse_rule
from siyu.segments.saved import save_segment
from tests.segments.reference import Reference
from tests.segments.rules import documents
from tests.segments.world import AS_OF, ZONE, World, optional_tables, worlds, write_world

EVALUATION = Evaluation(AS_OF, ZONE)
EXAMPLES = {"sqlite": int(os.environ.get("SIYU_SEGMENT_EXAMPLES", 300)), "postgresql": 60}


def check(session: Session, world: World, saved: dict[str, Any], document: dict[str, Any]) -> None:
    write_world(session, world)
    for name, rule in saved.items():
        save_segment(
            session, name=name, document=rule, evaluation=EVALUATION, now=datetime.now(UTC)
        )
    rule = parse_rule(document, StoreCatalogue(session))
    expected = Reference(world, saved).members(document)
    found = set(session.scalars(audience(rule, EVALUATION)))
    assert found == expected, (document, [(p.id, p.consents, p.merged_into) for p in world.people])
    assert session.scalar(audience_count(rule, EVALUATION)) == len(expected)
    person = world.people[0]
    explained = explain(session, rule=rule, customer_id=person.id, evaluation=EVALUATION)
    assert explained.is_match == (person.id in expected)


def test_compiled_sql_agrees_with_the_reference(engine: Engine) -> None:
    with session_factory(engine)() as probe:
        optional = frozenset(optional_tables(probe))

    @settings(
        max_examples=EXAMPLES[engine.dialect.name],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(world=worlds(), saved=documents(optional), data=st.data())
    def run(world: World, saved: dict[str, Any], data: st.DataObject) -> None:
        document = data.draw(documents(optional, segments=("s1",)))
        with session_factory(engine)() as session:
            try:
                check(session, world, {"s1": saved}, document)
            finally:
                session.rollback()

    run()
