"""Import runs: start or resume, record each committed batch, keep every rejected row."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.ingest.outcome import LoadCounts, Outcome
from siyu.ingest.tables import ImportReject, ImportRun


@dataclass(frozen=True, slots=True)
class Problem:
    """A rejected row or a warning, as stored in import_rejects."""

    line_no: int
    reason: str
    raw: str = ""
    is_warning: bool = False


def start_or_resume(
    session: Session, *, format_name: str, file_name: str, digest: str, shop_id: int | None
) -> ImportRun:
    """The unfinished run of this very file (same bytes, format and shop), or a new run."""
    unfinished = session.scalars(
        select(ImportRun)
        .where(
            ImportRun.file_sha256 == digest,
            ImportRun.format == format_name,
            ImportRun.state.in_(("running", "failed")),
            (ImportRun.shop_id == shop_id) if shop_id else ImportRun.shop_id.is_(None),
        )
        .order_by(ImportRun.id.desc())
    ).first()
    if unfinished is not None:
        unfinished.state, unfinished.error, unfinished.finished_at = "running", None, None
        session.flush()
        return unfinished
    run = ImportRun(format=format_name, file_name=file_name, file_sha256=digest, shop_id=shop_id)
    session.add(run)
    session.flush()
    return run


def record_batch(
    session: Session,
    run_id: int,
    *,
    counts: LoadCounts,
    problems: list[Problem],
    rows_read: int,
    last_line: int,
) -> None:
    run = session.get_one(ImportRun, run_id)
    if problems:
        session.execute(
            insert(ImportReject),
            [
                {"import_id": run_id, "line_no": problem.line_no, "reason": problem.reason,
                 "raw": problem.raw, "is_warning": problem.is_warning}
                for problem in problems
            ],
        )  # fmt: skip
    run.rows_read += rows_read
    run.inserted += counts.outcomes[Outcome.INSERTED]
    run.updated += counts.outcomes[Outcome.UPDATED]
    run.unchanged += counts.outcomes[Outcome.UNCHANGED]
    run.rejected += sum(not problem.is_warning for problem in problems)
    run.warnings += sum(problem.is_warning for problem in problems)
    run.committed_line = max(run.committed_line, last_line)
    session.flush()


def finish(session: Session, run_id: int, *, error: str | None = None) -> ImportRun:
    run = session.get_one(ImportRun, run_id)
    run.state = "failed" if error else "completed"
    run.error = error
    run.finished_at = datetime.now(UTC)
    session.flush()
    return run


def write_rejects_csv(session: Session, run_id: int, path: Path) -> int:
    """Every rejected row of the run (not the warnings), as CSV: line, reason, raw row."""
    rows = session.execute(
        select(ImportReject.line_no, ImportReject.reason, ImportReject.raw)
        .where(ImportReject.import_id == run_id, ImportReject.is_warning.is_(False))
        .order_by(ImportReject.line_no)
    ).all()
    if not rows:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason", "raw"])
        writer.writerows(rows)
    return len(rows)


def problems_of(run_id: int, session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ImportReject.line_no, ImportReject.reason, ImportReject.is_warning)
        .where(ImportReject.import_id == run_id)
        .order_by(ImportReject.line_no)
    )
    return [{"line": line, "reason": reason, "warning": warning} for line, reason, warning in rows]
