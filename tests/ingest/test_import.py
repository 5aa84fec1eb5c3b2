"""Importing through the public service: counts, idempotency, resume, rejects — both backends."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from siyu.commerce.tables import Order, Shop
from siyu.customers.changes import clear_changes, pending_changes
from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, ImportResult, import_file
from siyu.ingest.tables import ImportReject, ImportRun
from tests.snapshot import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "order_id,customer_id,phone,ordered_at,amount,status,refund_amount,sku,product,shop\n"
ROWS = [
    "A1,C1,13800138000,2026-06-01 10:00:00,59.80,completed,,SKU-1,Toner,Tmall\n",
    "A1,C1,13800138000,2026-06-01 10:00:00,19.90,completed,19.90,SKU-7,Cup,Tmall\n",
    "A2,C2,13900139000,2026-06-02 09:00:00,120.00,paid,,SKU-1,Toner,Tmall\n",
    "A3,,138****0000,2026-06-03 11:00:00,45.00,shipped,,SKU-2,Serum,JD\n",
    "A4,C3,,2026-06-04,not-money,paid,,SKU-1,Toner,JD\n",
    "A5,C4,13700137000,2026-06-05 12:00:00,88.00,pending_payment,,SKU-3,Mask,JD\n",
]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def run_import(engine: Engine, path: Path, tmp_path: Path, **options: object) -> ImportResult:
    return import_file(
        engine,
        path,
        ImportOptions("orders-csv", rejects_dir=tmp_path / "rejects", **options),  # type: ignore[arg-type]
        timezone=SHANGHAI,
    )


def net_revenue(engine: Engine) -> int:
    with transaction(engine) as session:
        value = session.scalar(
            select(func.sum(Order.paid_fen - Order.refunded_fen)).where(
                Order.status.not_in(("pending_payment", "closed"))
            )
        )
    return int(value or 0)


def test_import_counts_revenue_and_rejects(engine: Engine, tmp_path: Path) -> None:
    result = run_import(engine, write(tmp_path / "orders.csv", ROWS), tmp_path)
    assert (result.read, result.inserted, result.rejected) == (6, 5, 1)
    assert net_revenue(engine) == 5980 + 12000 + 4500
    with transaction(engine) as session:
        assert {shop.name for shop in session.scalars(select(Shop))} == {"Tmall", "JD"}
        assert session.scalar(select(func.count()).select_from(Order)) == 4
        reject = session.scalars(select(ImportReject)).one()
    assert reject.line_no == 6
    assert "not-money" in reject.reason
    assert "A4,C3" in reject.raw
    assert result.rejects_file is not None
    lines = Path(result.rejects_file).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "line,reason,raw"
    assert lines[1].startswith("6,")


def test_reimport_is_a_no_op(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", ROWS)
    run_import(engine, path, tmp_path)
    before = snapshot(engine, skip=("import_runs", "import_rejects"))
    again = run_import(engine, path, tmp_path)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 1)
    assert again.new_customers == 0
    assert snapshot(engine, skip=("import_runs", "import_rejects")) == before


def test_only_customers_whose_orders_changed_wait_for_the_next_refresh(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "orders.csv", ROWS)
    run_import(engine, path, tmp_path)
    with transaction(engine) as session:
        clear_changes(session, pending_changes(session))  # as a refresh does
    run_import(engine, path, tmp_path)
    with transaction(engine) as session:
        assert pending_changes(session) == {}
    newer = write(tmp_path / "new.csv", [ROWS[2].replace(",paid,", ",completed,")])
    run_import(engine, newer, tmp_path)
    with transaction(engine) as session:
        owner = session.scalar(select(Order.customer_id).where(Order.platform_order_id == "A2"))
        assert list(pending_changes(session)) == [owner]


def test_a_newer_overlapping_export_moves_status_forward_only(
    engine: Engine, tmp_path: Path
) -> None:
    old = write(tmp_path / "old.csv", ROWS[2:3])
    new = write(tmp_path / "new.csv", [ROWS[2].replace(",paid,", ",completed,"), ROWS[5]])
    run_import(engine, old, tmp_path)
    result = run_import(engine, new, tmp_path)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 0)
    stale = run_import(engine, old, tmp_path)  # the old export again: nothing goes backwards
    assert (stale.updated, stale.unchanged) == (0, 1)
    with transaction(engine) as session:
        status = session.scalar(select(Order.status).where(Order.platform_order_id == "A2"))
    assert status == "completed"


def test_an_interrupted_import_resumes_without_duplicates(
    engine: Engine, tmp_path: Path, empty_db_url: str
) -> None:
    rows = [
        f"B{n},C{n % 37},1380000{n % 37:04d},2026-05-{1 + n % 28:02d} 10:00:00,{n}.50,paid,,"
        f"SKU-{n % 5},Item {n % 5},Tmall\n"
        for n in range(1, 121)
    ]
    path = write(tmp_path / "big.csv", rows)
    batches = 0

    def crash_after_three_batches(_rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise KeyboardInterrupt  # what Ctrl-C or a dying worker looks like mid-import

    options = ImportOptions("orders-csv", batch_size=25, rejects_dir=tmp_path / "r")
    with pytest.raises(KeyboardInterrupt):
        import_file(engine, path, options, timezone=SHANGHAI, progress=crash_after_three_batches)
    with transaction(engine) as session:
        run = session.scalars(select(ImportRun)).one()
        assert (run.state, run.committed_line) == ("failed", 76)
        assert session.scalar(select(func.count()).select_from(Order)) == 75

    resumed = import_file(engine, path, options, timezone=SHANGHAI)
    assert resumed.resumed_after_line == 76
    assert (resumed.read, resumed.inserted, resumed.rejected) == (120, 120, 0)

    from siyu.db.engine import make_engine
    from siyu.db.migrate import upgrade

    clean = make_engine(empty_db_url)
    upgrade(clean)
    import_file(clean, path, options, timezone=SHANGHAI)
    skip = ("import_runs", "import_rejects")
    assert snapshot(engine, skip=skip) == snapshot(clean, skip=skip)
    clean.dispose()


def test_masked_phones_never_merge_but_real_ones_do(engine: Engine, tmp_path: Path) -> None:
    rows = [
        "M1,,138****1234,2026-06-01,10,paid,,,,Tmall\n",
        "M2,,138****1234,2026-06-02,10,paid,,,,JD\n",
        "R1,,13811112222,2026-06-01,10,paid,,,,Tmall\n",
        "R2,,+86 138 1111 2222,2026-06-02,10,paid,,,,JD\n",
    ]
    run_import(engine, write(tmp_path / "p.csv", rows), tmp_path)
    with transaction(engine) as session:
        owners = dict(session.execute(select(Order.platform_order_id, Order.customer_id)).all())
        assert session.scalar(select(func.count()).select_from(Customer)) == 3
    assert owners["M1"] != owners["M2"]
    assert owners["R1"] == owners["R2"]


def test_unknown_format_and_missing_file_are_clear(engine: Engine, tmp_path: Path) -> None:
    from siyu.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="unknown format 'tmall-xls'"):
        import_file(engine, tmp_path / "x.csv", ImportOptions("tmall-xls"), timezone=SHANGHAI)
    with pytest.raises(InvalidInputError, match=r"x\.csv: no such file"):
        import_file(engine, tmp_path / "x.csv", ImportOptions("taobao"), timezone=SHANGHAI)


def test_a_file_missing_a_required_column_is_refused_whole(engine: Engine, tmp_path: Path) -> None:
    from siyu.ingest.formats import FormatError

    path = tmp_path / "bad.csv"
    path.write_text("order_id,ordered_at,amount\nA1,2026-01-01,10\n", encoding="utf-8")
    with pytest.raises(FormatError, match="customer_id"):
        run_import(engine, path, tmp_path)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.scalars(select(ImportRun.state)).one() == "failed"
