"""Per-row outcomes of a load, added up into an import's counts."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class Outcome(enum.StrEnum):
    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class LoadCounts:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    new_customers: int = 0
    merges: int = 0

    def add(self, other: LoadCounts) -> None:
        self.outcomes.update(other.outcomes)
        self.new_customers += other.new_customers
        self.merges += other.merges
