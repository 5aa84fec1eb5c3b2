"""Errors raised by the CLV models, each with a code the CLI and API map to a message."""

from __future__ import annotations

import enum


class ClvErrorCode(enum.StrEnum):
    INVALID_INPUT = "clv_invalid_input"
    INSUFFICIENT_DATA = "clv_insufficient_data"
    CONVERGENCE_FAILED = "clv_convergence_failed"


class ClvError(Exception):
    """Base class: every CLV error carries a stable `code`."""

    code: ClvErrorCode = ClvErrorCode.INVALID_INPUT


class InvalidInputError(ClvError, ValueError):
    """An input array has the wrong shape, a non-finite value or a value out of range."""

    code = ClvErrorCode.INVALID_INPUT


class InsufficientDataError(ClvError):
    """Too few repeat customers for the maximum-likelihood estimates to mean anything."""

    code = ClvErrorCode.INSUFFICIENT_DATA


class ConvergenceError(ClvError):
    """The optimiser failed, or ended on non-finite parameters or log-likelihood."""

    code = ClvErrorCode.CONVERGENCE_FAILED
