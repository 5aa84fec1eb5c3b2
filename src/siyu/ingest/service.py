"""`siyu import`: stream a file through its parser into the store, batch by batch.

Each batch is one transaction that also advances the run's `committed_line`, so a crash loses
at most the batch in flight and a re-run of the same file resumes after the last committed row.
Loading is idempotent besides: re-importing a file, or a newer export overlapping it, changes
nothing twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from siyu.db.engine import BUSY_TIMEOUT_MS, job_transaction, sqlite_settings
from siyu.errors import InvalidInputError
from siyu.ingest import runs
from siyu.ingest.bulk import SQLITE_IMPORT_PRAGMAS, Statistics
from siyu.ingest.formats import ORDER_FORMATS
from siyu.ingest.outcome import Outcome
from siyu.ingest.pipeline import Source, collection_paused, make_batches, worker_batches
from siyu.ingest.sinks import SINKS, Sink, SinkOptions
from siyu.interpreter import can_start_python

OTHER_FORMATS = ("events", "wecom-contacts", "wecom-groups")
DEFAULT_BATCH_SIZE = 20_000
PARALLEL_MIN_BYTES = 8 << 20  # smaller files parse faster than a worker process starts


def format_names() -> tuple[str, ...]:
    return (*ORDER_FORMATS, *OTHER_FORMATS)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """`batch_size`: rows per transaction (and per resume step). `parallel`: parse in a worker
    process while loading; None decides by file size."""

    format_name: str
    shop: str | None = None
    platform: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    rejects_dir: Path = field(default_factory=lambda: Path("siyu-rejects"))
    parallel: bool | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    import_id: int
    format: str
    file: str
    resumed_after_line: int
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    warnings: int
    new_customers: int
    merges: int
    rejects_file: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[int], None]


def import_file(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    *,
    timezone: ZoneInfo,
    progress: Progress | None = None,
) -> ImportResult:
    if options.format_name not in format_names():
        raise InvalidInputError(
            f"unknown format {options.format_name!r}: use one of {', '.join(format_names())}"
        )
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    sink_options = SinkOptions(options.format_name, options.shop, options.platform, path.name)
    with job_transaction(engine) as session:
        shop_id = SINKS[_kind(options.format_name)].run_shop_id(session, sink_options)
        run = runs.start_or_resume(
            session,
            format_name=options.format_name,
            file_name=str(path),
            digest=_sha256(path),
            shop_id=shop_id,
        )
        run_id, resume_after = run.id, run.committed_line
    try:
        totals = _stream(engine, path, options, sink_options, run_id, resume_after, timezone,
                         progress)  # fmt: skip
    except BaseException as error:  # Ctrl-C too: the run is marked, then resumable
        with job_transaction(engine, wait=BUSY_TIMEOUT_MS / 1000) as session:
            runs.finish(session, run_id, error=(str(error) or type(error).__name__)[:2000])
        raise
    with job_transaction(engine) as session:
        run = runs.finish(session, run_id)
        rejects_path = options.rejects_dir / f"{path.stem}.import-{run_id}.rejects.csv"
        written = runs.write_rejects_csv(session, run_id, rejects_path)
        return ImportResult(
            import_id=run_id,
            format=options.format_name,
            file=str(path),
            resumed_after_line=resume_after,
            read=run.rows_read,
            inserted=run.inserted,
            updated=run.updated,
            unchanged=run.unchanged,
            rejected=run.rejected,
            warnings=run.warnings,
            new_customers=totals[0],
            merges=totals[1],
            rejects_file=str(rejects_path) if written else None,
        )


def _stream(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    sink_options: SinkOptions,
    run_id: int,
    resume_after: int,
    timezone: ZoneInfo,
    progress: Progress | None,
) -> tuple[int, int]:
    kind = _kind(options.format_name)
    sink_class = SINKS[kind]
    source = Source(
        options.format_name,
        path,
        timezone,
        resume_after,
        options.batch_size,
        postgres=engine.dialect.name == "postgresql",
    )
    if _in_worker(options, sink_class, path):
        batches = worker_batches(source, kind)
    else:
        batches = make_batches(source, sink_class.prepare)
    statistics = Statistics(engine, sink_class.looked_up)
    totals = [0, 0]
    # one connection for every batch, with its SQLite page cache enlarged for the whole import
    # and set back at its end (the pool's connection does not keep it)
    with (
        closing(batches),  # stops the parsing worker however the loop ends
        engine.connect() as connection,
        sqlite_settings(connection, SQLITE_IMPORT_PRAGMAS),
    ):
        for batch in batches:
            with collection_paused(), job_transaction(engine, connection=connection) as session:
                counts = sink_class(session, sink_options).load(batch.items)
                runs.record_batch(
                    session, run_id, counts=counts, problems=batch.problems,
                    rows_read=batch.rows_read, last_line=batch.last_line,
                )  # fmt: skip
            statistics.after_batch(counts.outcomes[Outcome.INSERTED])
            totals[0] += counts.new_customers
            totals[1] += counts.merges
            if progress is not None:
                progress(batch.seen)
    return totals[0], totals[1]


def _in_worker(options: ImportOptions, sink_class: type[Sink], path: Path) -> bool:
    """Parse in a worker process: when asked, else for big files of pipelined sinks (when this
    interpreter can start another one: not so when embedded)."""
    if not sink_class.pipelined:
        return False
    if options.parallel is not None:
        return options.parallel
    big = path.stat().st_size >= PARALLEL_MIN_BYTES
    return big and (os.cpu_count() or 1) > 1 and can_start_python()


def _kind(format_name: str) -> str:
    return format_name if format_name in OTHER_FORMATS else "orders"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["ImportOptions", "ImportResult", "Sink", "format_names", "import_file"]
