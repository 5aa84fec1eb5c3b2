"""`siyu import`: stream a file through its parser into the store, batch by batch.

Each batch is one transaction that also advances the run's `committed_line`, so a crash loses
at most the batch in flight and a re-run of the same file resumes after the last committed row.
Loading is idempotent besides: re-importing a file, or a newer export overlapping it, changes
nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.errors import InvalidInputError
from siyu.ingest import runs
from siyu.ingest.formats import ORDER_FORMATS, parse_events
from siyu.ingest.formats.wecom import parse_contacts, parse_groups
from siyu.ingest.records import RejectedRow
from siyu.ingest.sinks import SINKS, Sink, SinkOptions

OTHER_FORMATS = ("events", "wecom-contacts", "wecom-groups")


def format_names() -> tuple[str, ...]:
    return (*ORDER_FORMATS, *OTHER_FORMATS)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    format_name: str
    shop: str | None = None
    platform: str | None = None
    batch_size: int = 2_000
    rejects_dir: Path = field(default_factory=lambda: Path("siyu-rejects"))


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
    with transaction(engine) as session:
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
        with transaction(engine) as session:
            runs.finish(session, run_id, error=(str(error) or type(error).__name__)[:2000])
        raise
    with transaction(engine) as session:
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
    sink_class = SINKS[_kind(options.format_name)]
    records: list[Any] = []
    problems: list[runs.Problem] = []
    seen = 0
    totals = [0, 0]

    def flush(last_line: int) -> None:
        with transaction(engine) as session:
            counts = sink_class(session, sink_options).load(records)
            runs.record_batch(
                session, run_id, counts=counts, problems=problems,
                rows_read=len(records) + sum(not p.is_warning for p in problems),
                last_line=last_line,
            )  # fmt: skip
        totals[0] += counts.new_customers
        totals[1] += counts.merges
        records.clear()
        problems.clear()
        if progress is not None:
            progress(seen)

    last_line = resume_after
    for item in _parse(options.format_name, path, timezone):
        seen += 1
        if item.line_no <= resume_after:
            continue
        last_line = item.line_no
        if isinstance(item, RejectedRow):
            problems.append(runs.Problem(item.line_no, item.reason, item.raw))
        else:
            records.append(item)
            warnings = getattr(item, "warnings", ())
            if warnings:
                problems.append(runs.Problem(item.line_no, "; ".join(warnings), is_warning=True))
        if len(records) + len(problems) >= options.batch_size:
            flush(last_line)
    if records or problems or last_line > resume_after:
        flush(last_line)
    return totals[0], totals[1]


def _parse(format_name: str, path: Path, timezone: ZoneInfo) -> Iterator[Any]:
    if format_name in ORDER_FORMATS:
        return ORDER_FORMATS[format_name](path, tz=timezone)
    if format_name == "events":
        return parse_events(path, tz=timezone)
    if format_name == "wecom-contacts":
        return parse_contacts([path], tz=timezone)
    return parse_groups([path], tz=timezone)


def _kind(format_name: str) -> str:
    return format_name if format_name in OTHER_FORMATS else "orders"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["ImportOptions", "ImportResult", "Sink", "format_names", "import_file"]
