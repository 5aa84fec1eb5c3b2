"""What `siyu refresh` runs after the profiles: rule tags, then every saved segment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.segments.builtins import ensure_builtin_segments
from siyu.segments.evaluation import Evaluation
from siyu.segments.membership import Materialised, materialise_all
from siyu.segments.rule_tags import recompute_rule_tags
from siyu.segments.tags import TagChange


@dataclass(frozen=True, slots=True)
class SegmentsRefresh:
    as_of: date
    rule_tags: list[TagChange] = field(default_factory=list)
    segments: list[Materialised] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "rule_tags": [change.as_dict() for change in self.rule_tags],
            "segments": [segment.as_dict() for segment in self.segments],
        }

    def summary(self) -> str:
        """One line for the console: what was refreshed and what could not be."""
        skipped = [segment.name for segment in self.segments if segment.skipped]
        skipped += [change.tag for change in self.rule_tags if change.skipped]
        text = (
            f"segments: {len(self.segments) - len(skipped):,} materialised, "
            f"{len(self.rule_tags):,} rule tags recomputed"
        )
        return text + (f"; not refreshed: {', '.join(skipped)} (see --json)" if skipped else "")


def refresh_segments(
    engine: Engine, *, as_of: date, zone: ZoneInfo, now: datetime | None = None
) -> SegmentsRefresh:
    """Recompute rule tags (segments may read them), then materialise every saved segment."""
    evaluation = Evaluation(as_of, zone)
    moment = now or datetime.now(UTC)
    with transaction(engine) as session:
        ensure_builtin_segments(session)
        tags = recompute_rule_tags(session, evaluation=evaluation, now=moment)
        segments = materialise_all(session, evaluation=evaluation, now=moment)
    return SegmentsRefresh(as_of, tags, segments)
