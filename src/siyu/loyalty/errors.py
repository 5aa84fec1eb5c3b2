"""Loyalty errors: each carries a stable code from `LoyaltyErrorCode`."""

from __future__ import annotations

from enum import StrEnum

from siyu.errors import SiyuError


class LoyaltyErrorCode(StrEnum):
    INSUFFICIENT_POINTS = "insufficient_points"
    INVALID_RULE = "invalid_rule"
    INVALID_AMOUNT = "invalid_amount"
    UNKNOWN_CUSTOMER = "unknown_customer"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_REFERRAL = "unknown_referral"
    ALREADY_REFERRED = "already_referred"
    NOT_REVIEWABLE = "not_reviewable"
    MISSING_REASON = "missing_reason"
    DUPLICATE_NAME = "duplicate_name"


class LoyaltyError(SiyuError):
    """A loyalty action the user can correct; `code` says which rule refused it."""

    def __init__(self, code: LoyaltyErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code.value
