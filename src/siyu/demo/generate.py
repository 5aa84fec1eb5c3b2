"""Generate the demo merchant's data as the platforms' own export files, plus a manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from siyu.demo.catalog import SHOPS
from siyu.demo.clock import Calendar
from siyu.demo.events import prospect_first_visits, simulate_events
from siyu.demo.groups import simulate_groups, write_groups
from siyu.demo.manifest import DemoFile, DemoManifest
from siyu.demo.orders import simulate_orders
from siyu.demo.people import make_people
from siyu.demo.truth import ground_truth, shop_truths
from siyu.demo.wecom import simulate_contacts, write_contacts
from siyu.demo.writers.douyin import write_douyin
from siyu.demo.writers.events_csv import write_events
from siyu.demo.writers.jd import write_jd
from siyu.demo.writers.orders_csv import write_orders_csv
from siyu.demo.writers.pdd import write_pdd
from siyu.demo.writers.table import Export, Written
from siyu.demo.writers.tmall import write_tmall

PROSPECT_SHARE = 0.15
ORDER_WRITERS = (write_tmall, write_jd, write_pdd, write_douyin, write_orders_csv)


def generate(out_dir: Path, *, customers: int = 20_000, seed: int = 7, end: date) -> DemoManifest:
    """Simulate `customers` people over the three years ending with `end` and write their
    orders, behaviour events and WeCom data into `out_dir`. The same seed gives the same bytes.
    Existing files of other names in `out_dir` are left alone."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, not {customers}")
    streams = np.random.default_rng(seed).spawn(12)
    calendar = Calendar.three_years_to(end)
    people = make_people(streams[0], customers)
    buyers = customers - round(customers * PROSPECT_SHARE)
    orders = simulate_orders(streams[1:6], buyers, calendar)
    prospects = np.arange(buyers, customers, dtype=np.int64)
    first_visits = prospect_first_visits(streams[6], prospects.size, calendar)
    events = simulate_events(streams[7], orders, prospects, first_visits, calendar)
    contacts = simulate_contacts(streams[8], orders, prospects, first_visits, calendar)
    groups = simulate_groups(streams[9], contacts, calendar)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer_streams = streams[10].spawn(len(ORDER_WRITERS) + 1)
    written: list[Written] = []
    for writer, stream in zip(ORDER_WRITERS, writer_streams, strict=False):
        written += writer(Export(out_dir, orders, people, calendar, stream))
    written += write_events(
        Export(out_dir, orders, people, calendar, writer_streams[-1]), events, prospects
    )
    wecom_rng = streams[11]
    contacts_path, callbacks = write_contacts(wecom_rng, contacts, people, out_dir / "wecom")
    groups_path = write_groups(wecom_rng, groups, people, out_dir / "wecom")
    files = [
        DemoFile(w.format, w.path, SHOPS[w.shop].name, SHOPS[w.shop].platform, w.rows)
        for w in written
    ]
    files += [
        DemoFile("wecom-contacts", contacts_path, None, None, int(contacts.person.size)),
        DemoFile("wecom-groups", groups_path, None, None, int(groups.created_at.size)),
    ]
    manifest = DemoManifest(
        out_dir=out_dir,
        seed=seed,
        customers=customers,
        start=calendar.start,
        end=calendar.end,
        files=tuple(files),
        shops=shop_truths(orders),
        truth=ground_truth(
            persons=customers,
            buyers=buyers,
            orders=orders,
            written=written,
            contacts=contacts,
            groups=groups,
            events=events,
        ),
        callbacks=callbacks,
    )
    manifest.write()
    return manifest
