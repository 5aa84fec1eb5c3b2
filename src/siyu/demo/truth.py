"""Ground truth of a generated data set, counted from the simulation (not from the files)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import SHOPS
from siyu.demo.clock import MISSING
from siyu.demo.events import Events
from siyu.demo.groups import Groups
from siyu.demo.manifest import GroundTruth, ShopTruth
from siyu.demo.orders import Orders
from siyu.demo.timeline import STATUSES
from siyu.demo.wecom import Contacts
from siyu.demo.writers.table import Written

Int = NDArray[np.int64]
ORDER_FORMATS = frozenset({"taobao", "jd", "pdd", "douyin", "orders-csv"})


def shop_truths(orders: Orders) -> tuple[ShopTruth, ...]:
    truths = []
    for shop in SHOPS:
        here = orders.shop == shop.key
        paid = here & (orders.timeline.paid_at != MISSING)
        codes = np.bincount(orders.timeline.status[here], minlength=len(STATUSES))
        truths.append(
            ShopTruth(
                shop_name=shop.name,
                platform=shop.platform,
                format=shop.format,
                orders=int(here.sum()),
                lines=int(orders.line_count[here].sum()),
                buyers=int(np.unique(orders.buyer[here]).size),
                paid_orders=int(paid.sum()),
                paid_fen=int((orders.goods_paid_fen + orders.shipping_fen)[paid].sum()),
                refunded_fen=int(orders.refund_fen[here].sum()),
                statuses={s.value: int(n) for s, n in zip(STATUSES, codes.tolist(), strict=True)},
            )
        )
    return tuple(truths)


def ground_truth(
    *,
    persons: int,
    buyers: int,
    orders: Orders,
    written: Sequence[Written],
    contacts: Contacts,
    groups: Groups,
    events: Events,
) -> GroundTruth:
    prospect = np.arange(persons) >= buyers
    visible = [w for w in written if w.format in ORDER_FORMATS]
    empty = np.empty(0, dtype=np.int64)
    shops_showing_phone = _shops_per_person(
        np.concatenate([empty, *(w.phone_persons for w in visible)]),
        np.concatenate([empty, *(np.full(w.phone_persons.size, int(w.shop)) for w in visible)]),
        persons,
    )
    in_wecom = np.zeros(persons, dtype=bool)
    in_wecom[contacts.person] = True
    with_events = np.zeros(persons, dtype=bool)
    with_events[events.person] = True
    return GroundTruth(
        persons=persons,
        buyers=buyers,
        prospects=persons - buyers,
        orders=orders.count,
        order_lines=int(orders.line_count.sum()),
        multi_shop_buyers=int((_shops_per_person(orders.buyer, orders.shop, persons) >= 2).sum()),
        distinct_real_phones=int((shops_showing_phone >= 1).sum()),
        phone_linked_multi_shop_buyers=int((shops_showing_phone >= 2).sum()),
        wecom_contacts=int(contacts.person.size),
        wecom_customers=int(in_wecom.sum()),
        wecom_buyers=int((in_wecom & ~prospect).sum()),
        wecom_prospects=int((in_wecom & prospect).sum()),
        wecom_removed=int((contacts.removed_at != MISSING).sum()),
        groups=int(groups.created_at.size),
        group_customer_members=int(groups.member.size),
        events=int(events.at.size),
        event_persons=int(with_events.sum()),
        prospects_with_events=int((with_events & prospect).sum()),
    )


def _shops_per_person(person: Int, shop: NDArray[np.int64], persons: int) -> Int:
    pairs = np.unique(person.astype(np.int64) * len(SHOPS) + shop.astype(np.int64))
    return np.bincount(pairs // len(SHOPS), minlength=persons).astype(np.int64)
