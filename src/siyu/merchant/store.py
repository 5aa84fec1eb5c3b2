"""Reading and writing the stored settings documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.errors import InvalidInputError
from siyu.merchant.tables import MerchantSetting

CONTACT_POLICY = "contact_policy"
LIFECYCLE_POLICY = "lifecycle_policy"


class SettingError(InvalidInputError):
    """An invalid setting: which field and why."""

    code = "invalid_setting"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.field = name


def read_setting(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(MerchantSetting, key)
    return dict(row.value) if row is not None else None


def write_setting(session: Session, key: str, value: dict[str, Any], *, by: str) -> None:
    row = session.get(MerchantSetting, key)
    if row is None:
        session.add(MerchantSetting(key=key, value=value, updated_by=by))
    else:
        row.value = value
        row.updated_by = by
    session.flush()
