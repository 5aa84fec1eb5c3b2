"""`siyu kpi` on a small merchant whose figures can be worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from siyu.analytics.kpi import compute_kpis
from siyu.analytics.refresh import refresh
from siyu.cli.main import run
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, import_file

ZONE = ZoneInfo("Asia/Shanghai")
ORDERS = """order_id,customer_id,ordered_at,amount,status,refund_amount,shop
A1,C1,2026-01-05 10:00:00,100,completed,,Tmall
A2,C1,2026-02-05 10:00:00,300,completed,,Tmall
A3,C1,2026-03-05 10:00:00,700,completed,,Tmall
B1,C2,2026-01-20 10:00:00,200,completed,50,Tmall
C1,C3,2026-02-10 10:00:00,80,refunded,80,Tmall
D1,C4,2026-02-11 10:00:00,60,pending_payment,,Tmall
E1,C5,2025-06-01 10:00:00,999,completed,,Tmall
"""
EVENTS = """customer_id,event_type,item,occurred_at
C1,view,Serum,2026-01-04 20:00:00
C6,search,serum,2026-01-04 21:00:00
C6,view,Serum,2026-01-04 21:01:00
C7,search,toner,2026-01-07 09:00:00
"""


@pytest.fixture
def merchant(engine: Engine, tmp_path: Path) -> Engine:
    for name, fmt, text in (("o.csv", "orders-csv", ORDERS), ("e.csv", "events", EVENTS)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        import_file(engine, path, ImportOptions(fmt, rejects_dir=tmp_path), timezone=ZONE)
    refresh(engine, as_of=date(2026, 3, 31), zone=ZONE)
    return engine


def test_kpis_of_the_first_quarter(merchant: Engine) -> None:
    with transaction(merchant) as session:
        kpis = compute_kpis(
            session, period_from=date(2026, 1, 1), period_to=date(2026, 3, 31), zone=ZONE
        )
    # Buyers C1 (3 orders, ¥1,100) and C2 (¥200 − ¥50 refunded); C3 was refunded in full and
    # C4 never paid; C5 bought before the period. Customers: C1–C7.
    assert (kpis.customers, kpis.buyers, kpis.orders) == (7, 2, 4)
    assert kpis.net_revenue == 1_250.0
    assert kpis.aov == 312.5  # 客单价: ¥1,250 / 4 orders
    assert kpis.revenue_per_customer == 625.0  # 单客价: ¥1,250 / 2 buyers
    assert kpis.repurchase_rate == 0.5
    assert (kpis.second_order.entered, kpis.second_order.converted) == (2, 1)  # C1 and C2
    assert kpis.second_order.median_days == 31.0
    assert (kpis.third_order.entered, kpis.third_order.converted) == (1, 1)
    decomposition = kpis.sales_decomposition
    assert decomposition is not None
    # traffic: C1, C6, C7; entered (viewed): C1, C6; orders by them: C1's 3 → ¥1,100
    assert (decomposition["traffic"], decomposition["entry_rate"]) == (3, 0.6667)
    assert (decomposition["conversion"], decomposition["sales"]) == (1.5, 1_100.0)
    identity = decomposition["traffic"] * (2 / 3) * 1.5 * decomposition["aov"]
    assert identity == pytest.approx(1_100, abs=0.02)  # traffic × entry × conversion × AOV
    # Over the 365 days to 2026-03-31: C1, C2 and C5 bought; C1 spent more than ¥1,000.
    assert kpis.bought_last_365_share == round(3 / 7, 4)
    assert kpis.spend_over_threshold_share == round(1 / 7, 4)
    january = next(cohort for cohort in kpis.cohorts if cohort.month == "2026-01")
    assert (january.customers, january.retention[:4]) == (2, [1.0, 0.5, 0.5, None])
    assert kpis.verdict["suitable"] is False
    assert kpis.verdict["checks"]["enough_customers"] is False


def test_kpi_cli_json(merchant: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = merchant.url.render_as_string(hide_password=False)
    code = run(["--db", url, "kpi", "--from", "2026-01-01", "--to", "2026-03-31", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    wanted = {"customers", "buyers", "orders", "net_revenue", "aov", "revenue_per_customer",
              "repurchase_rate"}  # fmt: skip
    assert wanted <= set(report)
    assert report["net_revenue"] == 1_250.0


def test_kpi_rejects_a_reversed_period(
    merchant: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    url = merchant.url.render_as_string(hide_password=False)
    assert run(["--db", url, "kpi", "--from", "2026-03-01", "--to", "2026-01-01"]) == 1
    assert capsys.readouterr().err == "siyu: error: --from 2026-03-01 is after --to 2026-01-01\n"
