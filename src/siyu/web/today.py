"""The merchant's today, for evaluating rules from the API and the console."""

from __future__ import annotations

import os
from datetime import date, datetime

from fastapi import Request

from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.settings import policy_from_env
from siyu.segments.evaluation import Evaluation
from siyu.web.deps import settings_of


def evaluation_of(request: Request, as_of: date | None = None) -> Evaluation:
    zone = settings_of(request).timezone
    return Evaluation(as_of or datetime.now(zone).date(), zone)


def base_policy(request: Request) -> ContactPolicy:
    """The contact policy this process was started with (SIYU_* variables, the app's time
    zone), built once per app; the console's stored settings are applied over it."""
    state = request.app.state
    policy = getattr(state, "contact_policy", None)
    if not isinstance(policy, ContactPolicy):
        env = {**os.environ, "SIYU_TIMEZONE": settings_of(request).timezone_name}
        policy = policy_from_env(env)
        state.contact_policy = policy
    return policy
