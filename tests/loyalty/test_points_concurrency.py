"""Many threads redeeming from one account at once can never overdraw it.

20 threads × 10 redemptions of 7 points against 500 points: exactly 71 succeed (500 // 7),
the balance ends at 3, equal to the ledger sum. PostgreSQL serialises on the account's lock
row (SELECT … FOR UPDATE), SQLite on its single writer (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from siyu.db.engine import make_engine, transaction
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.points import adjust_points, redeem_points
from siyu.loyalty.tables import PointsEntry
from tests.builders import make_customer

THREADS, ATTEMPTS, PRICE, FUNDS = 20, 10, 7, 500
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_concurrent_redemptions_never_overdraw(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=THREADS)
    with transaction(engine) as session:
        customer = make_customer(session).id
        adjust_points(
            session, customer_id=customer, points=FUNDS, reason="opening", operator="t", now=NOW
        )
    outcomes: list[str] = []
    start = threading.Barrier(THREADS)

    def hammer() -> None:
        start.wait()
        for _ in range(ATTEMPTS):
            try:
                with transaction(engine) as session:
                    redeem_points(
                        session, customer_id=customer, points=PRICE, reason="gift", now=NOW
                    )
            except LoyaltyError as refused:
                outcomes.append(refused.code)
            else:
                outcomes.append("ok")

    threads = [threading.Thread(target=hammer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    balance, redemptions, lowest = read(engine, customer)
    engine.dispose()

    assert len(outcomes) == THREADS * ATTEMPTS
    assert outcomes.count("ok") == FUNDS // PRICE == redemptions == 71
    assert outcomes.count("insufficient_points") == THREADS * ATTEMPTS - 71
    assert balance == FUNDS - 71 * PRICE == 3
    assert lowest >= 0


def read(engine: Engine, customer: int) -> tuple[int, int, int]:
    """The ledger sum, the number of redemptions, and the lowest running balance."""
    with transaction(engine) as session:
        points = list(
            session.scalars(
                select(PointsEntry.points)
                .where(PointsEntry.customer_id == customer)
                .order_by(PointsEntry.id)
            )
        )
        redemptions = session.scalar(
            select(func.count()).where(
                PointsEntry.customer_id == customer, PointsEntry.kind == "redeem"
            )
        )
    running = [sum(points[: index + 1]) for index in range(len(points))]
    return sum(points), int(redemptions or 0), min(running)
