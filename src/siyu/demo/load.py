"""`siyu demo`: write the demo brand's exports, then import them with the real importers.

The demo proves the whole path: the files are the platforms' own formats, read by the same
parsers and loaders a merchant's files go through. Loading is done once per database; running
the demo again only refreshes the profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from siyu.analytics.refresh import RefreshResult, refresh
from siyu.analytics.store import read_state, write_state
from siyu.db.engine import transaction
from siyu.demo.generate import generate
from siyu.engage.wecom.apply import apply_callback_file
from siyu.ingest.service import ImportOptions, ImportResult, import_file

STATE_KEY = "demo"


@dataclass(frozen=True, slots=True)
class DemoResult:
    loaded: bool  # False when the database already held the demo
    description: str
    imports: list[ImportResult] = field(default_factory=list)
    refresh: RefreshResult | None = None


def run_demo(
    engine: Engine,
    *,
    out_dir: Path,
    customers: int,
    seed: int,
    end: date,
    zone: ZoneInfo,
    on_file: Callable[[str], None] | None = None,
) -> DemoResult:
    with transaction(engine) as session:
        existing = read_state(session, STATE_KEY)
    if existing is not None:
        return DemoResult(False, existing, [], refresh(engine, as_of=end, zone=zone))
    manifest = generate(out_dir, customers=customers, seed=seed, end=end)
    imports = []
    for demo_file in manifest.files:
        if on_file is not None:
            on_file(f"{demo_file.format}: {demo_file.path.name}")
        options = ImportOptions(
            demo_file.format,
            shop=demo_file.shop_name,
            platform=demo_file.platform,
            rejects_dir=out_dir / "rejects",
        )
        imports.append(import_file(engine, demo_file.path, options, timezone=zone))
    with transaction(engine) as session:  # contacts the customers deleted: the churn signal
        apply_callback_file(session, manifest.callbacks)
    description = f"{customers} customers, seed {seed}, three years to {end}"
    result = refresh(engine, as_of=end, zone=zone, full=True)
    with transaction(engine) as session:
        write_state(session, STATE_KEY, description)
    return DemoResult(True, description, imports, result)
