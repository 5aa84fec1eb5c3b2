"""Templates: checked at create time, rendered per recipient at launch with fallbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from siyu.commerce.tables import OrderLine, Product
from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.engage.campaigns.actions import CampaignSpec, VariantSpec, create_campaign
from siyu.engage.campaigns.errors import CampaignError
from siyu.engage.campaigns.launch import launch_campaign
from siyu.engage.campaigns.templates import parse_template
from siyu.engage.tables import MessageContent, OutboxMessage
from siyu.loyalty.coupons import CouponTemplateSpec, create_template
from siyu.loyalty.tables import Coupon
from tests.builders import make_order, make_shop
from tests.engage.campaigns.fixtures import NOW, OPEN, make_audience, table_counts

TEXT = "{name}，您上次买的{last_product}该补货了，券码 {coupon}，{{限时}}"


def test_templates_render_values_and_fallbacks_never_placeholders() -> None:
    template = parse_template(TEXT)
    assert template.fields == {"name", "last_product", "coupon"}
    assert template.render({"name": "王芳", "last_product": "玻尿酸面膜", "coupon": "K7Q2"}) == (
        "王芳，您上次买的玻尿酸面膜该补货了，券码 K7Q2，{限时}"
    )
    assert template.render({"name": "", "last_product": None}) == (
        "亲爱的顾客，您上次买的您喜欢的商品该补货了，券码 会员中心的优惠券，{限时}"
    )
    assert parse_template("春季上新").render({}) == "春季上新"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("你好 {nmae}", "variants[a].text: unknown placeholder {nmae} (known: {name}, "
         "{last_product}, {coupon})"),
        ("你好 {name!r}", "variants[a].text: unknown placeholder {name}"),
        ("你好 {}", "variants[a].text: unknown placeholder {}"),
        ("你好 {name", "variants[a].text: expected '}' before end of string"),
        ("券码 {coupon}", "variants[a]: {coupon} needs a coupon template (coupon_template_id)"),
    ],
)  # fmt: skip
def test_unknown_placeholders_are_refused_at_create_time(
    engine: Engine, text: str, message: str
) -> None:
    audience = make_audience(engine, {"loyal": 1})
    before = table_counts(engine)
    spec = CampaignSpec("错字", audience.segment, "console", [VariantSpec("a", text)])
    with transaction(engine) as session, pytest.raises(CampaignError) as error:
        create_campaign(session, spec, actor=None, now=NOW)
    assert error.value.message.startswith(message)
    assert error.value.code in ("invalid_template",)
    assert table_counts(engine) == before


def test_launch_renders_each_recipients_name_last_product_and_coupon(engine: Engine) -> None:
    audience = make_audience(engine, {"loyal": 3})
    named, unnamed, newcomer = audience.customers
    with transaction(engine) as session:
        session.get(Customer, named).display_name = "王芳"  # type: ignore[union-attr]
        session.get(Customer, unnamed).display_name = None  # type: ignore[union-attr]
        session.get(Customer, newcomer).display_name = "李雷"  # type: ignore[union-attr]
        shop = make_shop(session)
        product = Product(code="mask-1", title="玻尿酸面膜")
        session.add(product)
        session.flush()
        old = make_order(session, shop=shop, customer=session.get(Customer, named),
                         ordered_at=NOW - timedelta(days=40))  # fmt: skip
        latest = make_order(session, shop=shop, customer=session.get(Customer, named),
                            ordered_at=NOW - timedelta(days=3))  # fmt: skip
        unpaid = make_order(
            session, shop=shop, customer=session.get(Customer, named), status="pending_payment",
            ordered_at=NOW - timedelta(days=1),
        )  # fmt: skip
        line = session.scalars(select(OrderLine).where(OrderLine.order_id == latest.id)).one()
        line.product_id = product.id
        session.scalars(select(OrderLine).where(OrderLine.order_id == unpaid.id)).one().title = "x"
        session.scalars(select(OrderLine).where(OrderLine.order_id == old.id)).one().title = "旧物"
        # the unnamed customer's only line has the title "item 0" and no product
        make_order(session, shop=shop, customer=session.get(Customer, unnamed),
                   ordered_at=NOW - timedelta(days=5))  # fmt: skip
        coupons = create_template(
            session, CouponTemplateSpec("回购券", "amount_off", 14, amount_off_fen=1000)
        )
        spec = CampaignSpec(
            "回购提醒", audience.segment, "console", [VariantSpec("a", TEXT)],
            holdout_share=0.0, coupon_template_id=coupons.id, seed=3,
        )  # fmt: skip
        campaign = create_campaign(session, spec, actor=None, now=NOW)
        report = launch_campaign(session, campaign.id, actor=None, policy=OPEN, now=NOW)
    assert report.coupons == 3
    with transaction(engine) as session:
        pairs = session.execute(select(Coupon.customer_id, Coupon.code)).all()
        codes = {int(customer): str(code) for customer, code in pairs}
        texts: dict[int, str] = dict(
            session.execute(
                select(OutboxMessage.customer_id, MessageContent.body["text"].as_string()).join(
                    MessageContent, MessageContent.content_hash == OutboxMessage.content_hash
                )
            ).all()
        )
    assert texts == {
        named: f"王芳，您上次买的玻尿酸面膜该补货了，券码 {codes[named]}，{{限时}}",
        unnamed: f"亲爱的顾客，您上次买的item 0该补货了，券码 {codes[unnamed]}，{{限时}}",
        newcomer: f"李雷，您上次买的您喜欢的商品该补货了，券码 {codes[newcomer]}，{{限时}}",
    }
