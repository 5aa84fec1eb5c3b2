"""Import runs and the rows they rejected (nothing an import reads is lost)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column
from siyu.db.types import Id, UTCDateTime

RUN_STATES = ("running", "completed", "failed")


class ImportRun(Base):
    """One import of one file. `committed_line` is the last row whose effects are committed:
    re-running an interrupted import resumes after it."""

    __tablename__ = "import_runs"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'completed', 'failed')", name="state"),
        Index("ix_import_runs_fingerprint", "file_sha256", "format"),
    )

    id: Mapped[int] = id_column()
    format: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int | None] = mapped_column(Id, ForeignKey("shops.id"))
    state: Mapped[str] = mapped_column(String(16), default="running")
    committed_line: Mapped[int] = mapped_column(default=0)
    rows_read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportReject(Base):
    """A row that was not imported, with its file, line and a specific reason. Warnings (an
    unknown status, kept and mapped) are stored here too, with is_warning set."""

    __tablename__ = "import_rejects"
    __table_args__ = (UniqueConstraint("import_id", "line_no", "is_warning"),)

    id: Mapped[int] = id_column()
    import_id: Mapped[int] = mapped_column(Id, ForeignKey("import_runs.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")
    is_warning: Mapped[bool] = mapped_column(default=False)
