"""Errors a campaign reports to its user, each with a stable code."""

from __future__ import annotations

from enum import StrEnum

from siyu.errors import SiyuError


class CampaignErrorCode(StrEnum):
    INVALID_CAMPAIGN = "invalid_campaign"  # a field is missing or out of range
    INVALID_TEMPLATE = "invalid_template"  # an unknown placeholder or a broken brace
    WRONG_STATUS = "wrong_campaign_status"  # e.g. previewing or cancelling a launched campaign


class CampaignError(SiyuError):
    def __init__(self, code: CampaignErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code.value
