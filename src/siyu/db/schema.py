"""Every capability's tables, gathered on one metadata (for migrations and the drift test)."""

from __future__ import annotations

from sqlalchemy import MetaData

import siyu.accounts.tables
import siyu.analytics.snapshot_tables
import siyu.analytics.tables
import siyu.commerce.tables
import siyu.customers.tables
import siyu.engage.campaigns.tables
import siyu.engage.journeys.tables
import siyu.engage.tables
import siyu.ingest.tables
import siyu.loyalty.tables
import siyu.merchant.tables
import siyu.security.tables
import siyu.segments.tables
import siyu.workers.tables  # noqa: F401  (importing registers the tables)
from siyu.db.base import Base


def metadata() -> MetaData:
    return Base.metadata
