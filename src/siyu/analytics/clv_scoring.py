"""CLV scores on every profile: the newest fitted model, else the RFM fallback; see
`siyu.analytics.clv_scores` for the formulas.

`score_profiles` reads the counted orders up to the as-of day (one query) and the profiles' CLV
columns (one query), scores everyone at once, and updates only the profiles whose values moved.
Profiles without a counted purchase by then (prospects, refunded-only buyers) get NULL in every
CLV column: no figure applies to them. The horizon (12 months) and the monthly discount rate
(1%) are arguments of `score_profiles`; `siyu refresh` uses the defaults.

`refresh_clv` is what `siyu refresh` runs after the lifecycle scores: a full refresh refits the
model on the orders up to the as-of day (in weeks), an incremental one reuses the newest model
and fits one only when there is none. A fit refused for too little data, or failing, is noted in
the result and the profiles are scored with the newest model if any, else the fallback.

A full refresh scores everyone. An incremental one scores only the customers it recomputed, when
the newest model is a fitted one (BG/NBD scores a customer from their own orders and the model
alone) and it is the model every profile was last scored with (`analytics_state`); the other
profiles keep their scores as of the day they were scored — P(alive) and the expected purchases
of a customer who does not buy drift with time, so the daily full refresh brings everyone to its
date. While the shop has no fitted model, the RFM fallback needs shop-wide figures (the median
interval, the mean purchase value) and scores everyone, as a full refresh does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.analytics.clv import BgNbdParams, ClvError, GammaGammaParams, TimeUnit
from siyu.analytics.clv import InvalidInputError as InvalidParametersError
from siyu.analytics.clv_scores import (
    NO_DATE,
    ClvScores,
    Discounting,
    IntArray,
    fallback_scores,
    model_scores,
)
from siyu.analytics.clv_service import (
    ClvFitError,
    ClvInsufficientDataError,
    Transactions,
    Unit,
    fit_clv,
    newest_model,
    read_transactions,
    summarize,
    time_unit,
)
from siyu.analytics.days import day_date, day_number
from siyu.analytics.store import read_state, write_state
from siyu.analytics.tables import ClvModel, CustomerProfile
from siyu.errors import InvalidInputError

P = CustomerProfile
COLUMNS = (
    P.p_alive, P.expected_purchases_30, P.expected_purchases_90, P.expected_purchases_365,
    P.expected_order_value_fen, P.clv_fen, P.next_purchase_on, P.clv_model,
)  # fmt: skip
REFRESH_UNIT: Unit = "week"
SCORED_WITH = "clv_scored_with"  # analytics_state: the model of everyone's last CLV scoring
CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class ClvScoreResult:
    model: str  # bgnbd or rfm_fallback
    model_id: int | None
    fitted: bool
    scored: int
    changed: int
    note: str | None


def score_profiles(
    session: Session,
    *,
    as_of: date,
    zone: ZoneInfo,
    horizon_months: int = 12,
    monthly_discount: float = 0.01,
    customers: IntArray | None = None,
) -> ClvScoreResult:
    """Score the profiles of `customers` (sorted) with the newest fitted model, or everyone's
    (with it, else the RFM fallback) when None or when the model cannot score them."""
    if horizon_months < 1 or not (np.isfinite(monthly_discount) and monthly_discount > -1):
        raise InvalidInputError(
            f"the CLV horizon must be at least one month ({horizon_months}) and the monthly"
            f" discount rate above -1 ({monthly_discount})"
        )
    discounting = Discounting(horizon_months, monthly_discount)
    model = newest_model(session)
    if customers is not None and model is not None:
        transactions = read_transactions(session, until=as_of, zone=zone, customers=customers)
        scores, note = _scores(model, transactions, day_number(as_of), discounting)
        if scores.model == "bgnbd":
            scored, changed = _write(session, scores, day_number(as_of), customers)
            return ClvScoreResult(scores.model, model.id, False, scored, changed, note)
    transactions = read_transactions(session, until=as_of, zone=zone)
    scores, note = _scores(model, transactions, day_number(as_of), discounting)
    scored, changed = _write(session, scores, day_number(as_of), None)
    model_id = model.id if model is not None and scores.model == "bgnbd" else None
    return ClvScoreResult(scores.model, model_id, False, scored, changed, note)


def refresh_clv(
    session: Session,
    *,
    as_of: date,
    zone: ZoneInfo,
    refit: bool,
    customers: IntArray | None = None,
) -> ClvScoreResult:
    """Refit (or fit a first model) and score: everyone, or only `customers` when every
    profile was last scored with the newest model (see the module notes)."""
    fitted, note = False, None
    if refit or newest_model(session) is None:
        try:
            fit_clv(session, until=as_of, unit=REFRESH_UNIT, zone=zone)
            fitted = True
        except (ClvInsufficientDataError, ClvFitError) as error:
            note = error.message
    model = newest_model(session)
    same_model = model is not None and read_state(session, SCORED_WITH) == str(model.id)
    result = score_profiles(
        session, as_of=as_of, zone=zone, customers=customers if same_model else None
    )
    write_state(session, SCORED_WITH, str(result.model_id or ""))
    return replace(result, fitted=fitted, note=note or result.note)


def _scores(
    model: ClvModel | None, transactions: Transactions, end_day: int, discounting: Discounting
) -> tuple[ClvScores, str | None]:
    if model is None:
        note = "no CLV model fitted: scored with the RFM fallback"
    else:
        try:
            return _model_scores(model, transactions, end_day, discounting), None
        except ClvError as error:
            note = f"CLV model {model.id} cannot score ({error}): scored with the RFM fallback"
    summary = summarize(transactions, end_day=end_day, unit=TimeUnit.DAY).purchases
    orders = (transactions.customer, transactions.day, transactions.value_fen)
    return fallback_scores(summary, orders, discounting), note


def _model_scores(
    model: ClvModel, transactions: Transactions, end_day: int, discounting: Discounting
) -> ClvScores:
    summary = summarize(transactions, end_day=end_day, unit=time_unit(model.unit))
    bgnbd = model.bgnbd
    purchases = BgNbdParams(r=bgnbd["r"], alpha=bgnbd["alpha"], a=bgnbd["a"], b=bgnbd["b"])
    spend = model.gamma_gamma
    if spend is None:
        raise InvalidParametersError(f"CLV model {model.id} has no spend parameters")
    spend_params = GammaGammaParams(p=spend["p"], q=spend["q"], gamma=spend["v"])
    return model_scores(
        purchases, spend_params, summary.purchases, summary.spend_frequency,
        summary.spend_value, discounting,
    )  # fmt: skip


def _write(
    session: Session, scores: ClvScores, as_of_day: int, customers: IntArray | None
) -> tuple[int, int]:
    """Update the profiles (of `customers`, or all) whose CLV columns changed; (profiles
    scored, profiles updated)."""
    query = select(P.customer_id, *COLUMNS).order_by(P.customer_id)
    if customers is None:
        rows = list(session.execute(query).all())
    else:
        rows = [
            row
            for start in range(0, customers.size, CHUNK)
            for row in session.execute(
                query.where(P.customer_id.in_(customers[start : start + CHUNK].tolist()))
            )
        ]
    if not rows:
        return 0, 0
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    at = np.minimum(np.searchsorted(scores.customer, ids), max(scores.customer.size - 1, 0))
    known = scores.customer[at] == ids if scores.customer.size else np.zeros(ids.size, bool)
    new_rows = list(zip(*_new_columns(scores, at, known, as_of_day), strict=True))
    names = [column.key for column in COLUMNS]
    changes: list[dict[str, Any]] = [
        {"customer_id": int(customer), **dict(zip(names, new, strict=True))}
        for customer, row, new in zip(ids.tolist(), rows, new_rows, strict=True)
        if tuple(row[1:]) != new
    ]
    if changes:
        session.execute(update(CustomerProfile), changes)
    return int(known.sum()), len(changes)


def _new_columns(
    scores: ClvScores, at: IntArray, known: np.ndarray[Any, np.dtype[np.bool_]], as_of_day: int
) -> list[list[Any]]:
    """Each CLV column for every profile (in `COLUMNS` order), None where not scored."""
    mask = known.tolist()

    def column(values: np.ndarray[Any, Any]) -> list[Any]:
        return [
            value if scored else None for value, scored in zip(values.tolist(), mask, strict=True)
        ]

    if scores.customer.size == 0:
        return [[None] * len(mask) for _ in COLUMNS]
    next_in = scores.next_purchase_in_days[at]
    next_on = [
        day_date(as_of_day + days) if scored and days != NO_DATE else None
        for days, scored in zip(next_in.tolist(), mask, strict=True)
    ]
    return [
        column(np.round(scores.p_alive[at], 6)),
        *(column(np.round(expected[at], 4)) for expected in scores.expected_purchases),
        column(np.rint(scores.order_value_fen[at]).astype(np.int64)),
        column(np.rint(scores.clv_fen[at]).astype(np.int64)),
        next_on,
        column(np.full(at.size, scores.model)),
    ]
