"""Status dictionaries, normalisation, refunds and the fallbacks."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from siyu.ingest.formats import status
from siyu.ingest.records import OrderStatus as S

from .support import at


@pytest.mark.parametrize(
    ("table", "raw", "expected"),
    [
        (status.TAOBAO, "买家已付款，等待卖家发货", S.PAID),
        (status.TAOBAO, "买家已付款,等待卖家发货", S.PAID),
        (status.TAOBAO, "卖家已发货，等待买家确认", S.SHIPPED),
        (status.TAOBAO, "交易成功", S.COMPLETED),
        (status.TAOBAO, " 交易关闭 ", S.CLOSED),
        (status.TAOBAO, "等待买家付款", S.PENDING_PAYMENT),
        (status.JD, "(删除)等待出库", S.PAID),
        (status.JD, "（锁定）等待出库", S.PAID),
        (status.JD, "(删除)等待确认收货", S.SHIPPED),
        (status.JD, "(删除)等待付款", S.PENDING_PAYMENT),
        (status.JD, "锁定", S.PAID),
        (status.JD, "完成", S.COMPLETED),
        (status.JD, "已取消", S.CLOSED),
        (status.PDD, "已发货，待签收", S.SHIPPED),
        (status.PDD, "已发货，待收货", S.SHIPPED),
        (status.PDD, "已签收", S.COMPLETED),
        (status.PDD, "已取消", S.CLOSED),
        (status.PDD, "未发货，退款成功", S.REFUNDED),
        (status.PDD, "已取消，退款成功", S.REFUNDED),
        (status.PDD, "未成交，退款成功", S.REFUNDED),
        (status.DOUYIN, "已完成", S.COMPLETED),
        (status.DOUYIN, "已关闭", S.CLOSED),
        (status.YOUZAN, "交易完成", S.COMPLETED),
        (status.GENERIC, "Partially-Refunded", S.PARTIALLY_REFUNDED),
        (status.GENERIC, "pending_payment", S.PENDING_PAYMENT),
    ],
)
def test_known_statuses(table: Mapping[str, S], raw: str, expected: S) -> None:
    assert status.map_status(raw, table, platform="p", fallback=S.CLOSED) == (expected, ())


def test_unknown_and_empty_statuses_warn() -> None:
    assert status.map_status("火星", status.TAOBAO, platform="taobao", fallback=S.PAID) == (
        S.PAID,
        ("unknown taobao status '火星': recorded as paid",),
    )
    assert status.map_status("", status.JD, platform="jd", fallback=S.PENDING_PAYMENT) == (
        S.PENDING_PAYMENT,
        ("no jd status: recorded as pending_payment",),
    )


def test_refund_amounts_decide() -> None:
    assert status.settle(S.COMPLETED, 1000, 0) is S.COMPLETED
    assert status.settle(S.COMPLETED, 1000, 300) is S.PARTIALLY_REFUNDED
    assert status.settle(S.CLOSED, 1000, 1000) is S.REFUNDED
    assert status.settle(S.REFUNDED, 1000, 400) is S.PARTIALLY_REFUNDED
    outcome = status.decide(
        "已签收，退款成功", status.PDD, platform="pdd", fallback=S.PAID, paid_fen=500
    )
    assert (outcome.status, outcome.refunded_fen) == (S.REFUNDED, 500)
    partial = status.decide(
        "交易成功", status.TAOBAO, platform="t", fallback=S.PAID, paid_fen=500, refund_amount=100
    )
    assert (partial.status, partial.refunded_fen) == (S.PARTIALLY_REFUNDED, 100)


def test_dates_and_unpaid_rule() -> None:
    ordered = at("2020-02-01 10:00")
    assert status.from_dates(None, None, None) is S.PENDING_PAYMENT
    assert status.from_dates(ordered, None, None) is S.PAID
    assert status.from_dates(ordered, ordered, None) is S.SHIPPED
    assert status.from_dates(ordered, ordered, ordered) is S.COMPLETED
    pending = S.PENDING_PAYMENT
    assert status.without_status_column(pending, ordered, at("2020-02-04 09:59")) is pending
    assert status.without_status_column(pending, ordered, at("2020-02-04 10:01")) is S.CLOSED
    assert status.without_status_column(S.PAID, ordered, at("2021-01-01 00:00")) is S.PAID
