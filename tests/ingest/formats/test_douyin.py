"""Douyin exports shaped like FORMATS.md §1.4: UTF-8 with BOM, the two real-shaped rows verbatim
(TAB-protected ids, ciphertext receiver fields, a 0.00 gift sub-order)."""

from __future__ import annotations

from pathlib import Path

from siyu.ingest.formats.douyin import parse_douyin
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import at, net_revenue_fen, split, write_text

# FORMATS.md gives the two rows without their header; this is our reading of their 21 fields,
# named from the full export's column list (the last three: 订单应付金额, 商家收入金额,
# 手续费).
HEADER = (
    "主订单编号,子订单编号,选购商品,商品规格,商品数量,商品ID,商品单价,运费,收件人,收件人手机号,详细地址,"
    "订单提交时间,买家留言,订单完成时间,订单状态,售后状态,取消原因,支付完成时间,订单应付金额,商家收入金额,"
    "手续费"
)
REAL_ROWS = (
    '"\t6917926768823643751","\t6917926768823643751","\t辣丝丝","\t1袋",1,"\t300400008",28.90,'
    "0.00,##密文,$$密文,##密文,2026-09-22 00:54:10,吃了一包,2026-09-24 13:18:29,已完成,退款成功,,"
    "2026-09-22 08:53:45,21.00,25.00,0.00\r\n"
    '"\t6917926768823643752","\t69179267688236437529","\t赠品","\t默认",1,"\t300400009",0.00,0.00,'
    "##密文,$$密文,##密文,2026-09-25 10:00:00,-,-,已关闭,-,主品订单售后完成,-,0.00,0.00,0.00\r\n"
)
# One more order with two sub-orders (a product and its gift), in the same shape.
MULTI_ROWS = (
    '"\t6917926768823643760","\t6917926768823643761","\t麻辣牛肉","\t200g",2,"\t300400010",39.90,'
    "5.00,##密文,$$密文,##密文,2026-09-26 09:00:00,-,-,已发货,-,,2026-09-26 09:00:30,"
    "74.80,74.80,0.00\r\n"
    '"\t6917926768823643760","\t6917926768823643762","\t赠品","\t默认",1,"\t300400009",0.00,0.00,'
    "##密文,$$密文,##密文,2026-09-26 09:00:00,-,-,已发货,-,,2026-09-26 09:00:30,0.00,0.00,0.00\r\n"
)


def test_real_shaped_rows_utf8_bom(tmp_path: Path) -> None:
    text = HEADER + "\r\n" + REAL_ROWS + MULTI_ROWS
    parsed = split(parse_douyin(write_text(tmp_path / "1727000000_orders.csv", text, "utf-8-sig")))
    assert parsed.rejected == []
    refunded, gift, beef, beef_gift = parsed.records
    assert all(r.grain is Grain.LINE for r in parsed.records)
    assert refunded.line is not None
    assert gift.line is not None
    assert beef.line is not None
    assert (refunded.order_id, refunded.line.line_key, refunded.line.title) == (
        "6917926768823643751",
        "6917926768823643751",
        "辣丝丝",
    )
    assert (refunded.status, refunded.paid_fen, refunded.refunded_fen) == (
        OrderStatus.REFUNDED,
        2100,
        2100,
    )
    assert (refunded.line.unit_price_fen, refunded.line.product_code) == (2890, "300400008")
    assert refunded.ordered_at == at("2026-09-22 00:54:10")
    assert refunded.paid_at == at("2026-09-22 08:53:45")
    assert refunded.completed_at == at("2026-09-24 13:18:29")
    assert refunded.buyer.keys == (BuyerKey(BuyerKeyKind.MASKED_PHONE, "$$密文"),)
    assert refunded.buyer.name is None
    assert (gift.order_id, gift.line.line_key, gift.status, gift.paid_fen) == (
        "6917926768823643752",
        "69179267688236437529",
        OrderStatus.CLOSED,
        0,
    )
    assert gift.paid_at is None
    assert gift.warnings == ()
    assert (beef.status, beef.paid_fen, beef.shipping_fen, beef.line.quantity) == (
        OrderStatus.SHIPPED,
        7480,
        500,
        2,
    )
    assert beef_gift.order_id == beef.order_id
    assert len({r.order_id for r in parsed.records}) == 3
    assert net_revenue_fen(parsed.records) == 7480
