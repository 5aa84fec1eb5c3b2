"""Shared fixtures: a small catalogue (categories, a SKU) and tags, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.commerce.tables import Category, Product, Sku
from siyu.db.engine import session_factory
from siyu.segments.evaluation import Evaluation
from siyu.segments.tags import ensure_group, ensure_tag
from tests.segments.world import ZONE

AS_OF = date(2026, 6, 15)
EVALUATION = Evaluation(AS_OF, ZONE)
NOW = datetime(2026, 6, 15, 10, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed by the test when it wants (entry points commit)."""
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def catalogue(session: Session) -> None:
    """Categories 护肤 and 彩妆, product P1 with SKU S1; tags a, g1/b, g2/b, exclusive e/x,y."""
    skincare = Category(name="护肤")
    session.add_all([skincare, Category(name="彩妆")])
    session.flush()
    product = Product(code="P1", title="精华", category_id=skincare.id)
    session.add(product)
    session.flush()
    session.add(Sku(code="S1", product_id=product.id))
    ensure_tag(session, name="a")
    ensure_tag(session, name="b", group="g1")
    ensure_tag(session, name="b", group="g2")
    ensure_group(session, "e", exclusive=True)
    ensure_tag(session, name="x", group="e")
    ensure_tag(session, name="y", group="e")
    session.commit()
