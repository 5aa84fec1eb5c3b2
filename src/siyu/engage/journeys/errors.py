"""Errors the journeys report to a user, each with a stable code."""

from __future__ import annotations

from siyu.errors import InvalidInputError, NotFoundError, SiyuError


class InvalidJourneyError(InvalidInputError):
    """A journey definition (or a request about one) is not valid: the message names the JSON
    path of the field and says why, e.g. `$.steps[2].channel: …`."""


class JourneyNotFoundError(NotFoundError):
    pass


class JourneyStateError(SiyuError):
    code = "journey_state"
