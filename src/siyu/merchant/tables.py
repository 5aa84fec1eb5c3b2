"""Settings an admin edits in the console, one JSON document per key.

A stored value wins over the defaults a process is started with (environment variables, code
defaults): capabilities overlay it when they read their policy, so a change made in the console
applies to the next plan, worker batch or refresh without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import updated_at_column


class MerchantSetting(Base):
    __tablename__ = "merchant_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = updated_at_column()
