"""/api/v1/imports: upload a file, list runs, download a run's rejected rows."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select

from siyu.errors import NotFoundError
from siyu.ingest.service import ImportOptions, import_file
from siyu.ingest.tables import ImportReject, ImportRun
from siyu.security.access import Permission, require
from siyu.security.audit import record
from siyu.web.api.schemas import IdPath, ImportOut, ImportRunOut, Page
from siyu.web.deps import CurrentActor, DbSession, engine_of, settings_of

router = APIRouter(prefix="/imports", tags=["imports"])
UPLOADS = Path(tempfile.gettempdir()) / "siyu-uploads"


@router.post("", response_model=ImportOut)
def upload(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="The export file")],
    format_name: Annotated[str, Form(alias="format", max_length=32)],
    shop: Annotated[str | None, Form(max_length=200)] = None,
    platform: Annotated[str | None, Form(max_length=32)] = None,
) -> ImportOut:
    """Import one file (any format of `siyu import`); rows are streamed in batches."""
    require(actor, Permission.IMPORT)
    folder = Path(tempfile.mkdtemp(dir=_uploads()))
    path = folder / Path(file.filename or "upload.csv").name
    with path.open("wb") as target:
        shutil.copyfileobj(file.file, target)
    options = ImportOptions(format_name, shop or None, platform or None, rejects_dir=folder)
    session.commit()  # the import runs its own transactions: hold no write lock meanwhile
    result = import_file(engine_of(request), path, options, timezone=settings_of(request).timezone)
    record(session, actor, "import", path.name, format=format_name, read=result.read)
    return ImportOut(**result.as_dict())


@router.get("", response_model=Page[ImportRunOut])
def runs(
    session: DbSession,
    actor: CurrentActor,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ImportRunOut]:
    require(actor, Permission.READ)
    total = session.scalar(select(func.count()).select_from(ImportRun)) or 0
    rows = session.scalars(
        select(ImportRun)
        .order_by(ImportRun.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = [
        ImportRunOut(
            id=run.id, format=run.format, file_name=Path(run.file_name).name, state=run.state,
            rows_read=run.rows_read, inserted=run.inserted, updated=run.updated,
            unchanged=run.unchanged, rejected=run.rejected, warnings=run.warnings,
            started_at=run.started_at, finished_at=run.finished_at,
        )
        for run in rows
    ]  # fmt: skip
    return Page(items=items, total=int(total), page=page, page_size=page_size)


@router.get("/{import_id}/rejects.csv", response_class=Response)
def rejects(session: DbSession, actor: CurrentActor, import_id: IdPath) -> Response:
    """The rejected rows of a run, with their line numbers and reasons, as CSV."""
    require(actor, Permission.IMPORT)
    if session.get(ImportRun, import_id) is None:
        raise NotFoundError(f"no import {import_id}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", "raw"])
    writer.writerows(
        session.execute(
            select(ImportReject.line_no, ImportReject.reason, ImportReject.raw)
            .where(ImportReject.import_id == import_id, ImportReject.is_warning.is_(False))
            .order_by(ImportReject.line_no)
        ).all()
    )
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejects.csv"'},
    )


def _uploads() -> Path:
    UPLOADS.mkdir(parents=True, exist_ok=True)
    return UPLOADS
