"""What is in a store: revision and row counts (for `siyu doctor` and the API)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, func, inspect, select

from siyu.db.engine import redact_url
from siyu.db.migrate import current_revision, head_revision
from siyu.db.schema import metadata


@dataclass(frozen=True, slots=True)
class StoreReport:
    database_url: str
    backend: str
    revision: str | None
    head_revision: str
    timezone: str
    row_counts: dict[str, int]

    @property
    def is_current(self) -> bool:
        return self.revision == self.head_revision

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"is_current": self.is_current}


def store_report(engine: Engine, timezone: str = "Asia/Shanghai") -> StoreReport:
    present = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in sorted(metadata().sorted_tables, key=lambda table: table.name):
            if table.name in present:
                count = connection.execute(select(func.count()).select_from(table)).scalar_one()
                counts[table.name] = int(count)
    return StoreReport(
        database_url=redact_url(engine.url.render_as_string(hide_password=False)),
        backend=engine.dialect.name,
        revision=current_revision(engine),
        head_revision=head_revision(),
        timezone=timezone,
        row_counts=counts,
    )
