"""Errors the engage capability reports to a user, each with a stable code."""

from __future__ import annotations

from enum import StrEnum

from siyu.errors import SiyuError


class EngageErrorCode(StrEnum):
    INVALID_CHANNEL = "invalid_channel"
    INVALID_PURPOSE = "invalid_purpose"
    INVALID_WINDOW = "invalid_window"
    INVALID_REQUEST = "invalid_request"
    UNKNOWN_MESSAGE = "unknown_message"
    UNKNOWN_CUSTOMER = "unknown_customer"
    BAD_SIGNATURE = "bad_signature"
    BAD_TOKEN = "bad_token"
    BAD_CALLBACK = "bad_callback"
    NO_CHANNEL = "no_channel"


class EngageError(SiyuError):
    """A user-facing engage error: `code` says which rule, the message says which field and why."""

    def __init__(self, code: EngageErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code.value
