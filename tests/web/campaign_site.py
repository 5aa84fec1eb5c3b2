"""A saved segment over the web fixture's customers, for the campaign tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from siyu.analytics.tables import STAGES
from siyu.db.engine import transaction
from siyu.segments.evaluation import Evaluation
from siyu.segments.saved import save_segment
from tests.web.conftest import ZONE, Site

SEGMENT = "全部客户"


def save_everyone(site: Site) -> str:
    rule = {"version": 1, "rule": {"field": "stage", "op": "in", "value": list(STAGES)}}
    with transaction(site.engine) as session:
        saved = save_segment(
            session, name=SEGMENT, document=rule, evaluation=Evaluation(date(2026, 3, 31), ZONE),
            now=datetime.now(UTC),
        )  # fmt: skip
    assert saved.members == 3
    return SEGMENT
