"""Big-import machinery: the parsing worker process, bulk statements, stored forms — both
backends. The worker must change nothing but speed: same store, same counts, same resumes."""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import DateTime

from siyu.commerce.tables import Order
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.db.engine import make_engine, transaction
from siyu.db.migrate import upgrade
from siyu.ingest import service
from siyu.ingest.bulk import sqlite_time
from siyu.ingest.formats import FormatError
from siyu.ingest.formats.cleaning import money_fen
from siyu.ingest.service import ImportOptions, ImportResult, import_file
from siyu.ingest.tables import ImportRun
from tests.ingest.formats.taobao_samples import LAYOUT_C
from tests.snapshot import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKKEEPING = ("import_runs", "import_rejects")
STATUSES = [
    *("交易成功", "交易成功", "买家已付款，等待卖家发货", "卖家已发货，等待买家确认"),
    *("等待买家付款", "交易关闭", "付款以后用户退款成功，交易自动关闭", "神秘状态"),
]


def taobao_export(path: Path, rows: int, seed: int = 7) -> Path:
    """A layout-C ExportOrderList in GBK: `="…"` ids, `'` phones, repeat buyers (so OneID
    links and merges), masked phones, refunds, an unknown status, a few rows repeated and a few
    bad rows (an order id Excel turned into a number)."""
    rng = random.Random(seed)
    buyers = [(f"tb{n}", f"138{n:08d}", f"{n}@qq.com") for n in range(rows // 2)]
    lines = [",".join(f'"{name}"' for name in LAYOUT_C)]
    for number in range(rows):
        nick, phone, mail = rng.choice(buyers)
        if rng.random() < 0.1:
            phone = phone[:3] + "****" + phone[-4:]
        elif rng.random() < 0.05:
            phone = rng.choice(buyers)[1]  # a shared phone bridges two buyers
        status = rng.choice(STATUSES)
        refund = rng.choice(["0.00", "0.00", "10.00", "无退款申请"])
        ordered = datetime(2020, 1, 1) + timedelta(minutes=number * 7)
        values = {
            "订单编号": f'="{3000000000000000 + number}"' if number % 9 else "3.00000E+15",
            "买家会员名": nick, "买家支付宝账号": mail, "买家应付邮费": "0.00",
            "总金额": "99.00", "买家实际支付金额": "89.00" if refund == "10.00" else "99.00",
            "订单状态": status, "收货人姓名": "王芳",
            "收货地址": "浙江省 杭州市 西湖区 1号(310012)",
            "联系手机": f"'{phone}" if "*" not in phone else phone,
            "订单创建时间": f"{ordered:%Y-%m-%d %H:%M:%S}",
            "订单付款时间": "" if status == "等待买家付款" else f"{ordered:%Y-%m-%d %H:%M:%S}",
            "店铺名称": "旗舰店", "退款金额": refund,
        }  # fmt: skip
        lines.append(",".join(_cell(values.get(name.strip(), "")) for name in LAYOUT_C))
        if number % 50 == 1:
            lines.append(lines[-1])  # the same order twice in one export
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def _cell(value: str) -> str:
    return value if value.startswith('="') else f'"{value}"'


def run(engine: Engine, path: Path, tmp_path: Path, **options: object) -> ImportResult:
    return import_file(
        engine,
        path,
        ImportOptions("taobao", rejects_dir=tmp_path / "rejects", **options),  # type: ignore[arg-type]
        timezone=SHANGHAI,
    )


def counts(result: ImportResult) -> tuple[int, ...]:
    return (result.read, result.inserted, result.updated, result.unchanged, result.rejected,
            result.warnings, result.new_customers, result.merges)  # fmt: skip


def test_worker_and_inline_imports_store_the_same(
    engine: Engine, tmp_path: Path, empty_db_url: str
) -> None:
    path = taobao_export(tmp_path / "ExportOrderList.csv", 600)
    inline = run(engine, path, tmp_path, parallel=False, batch_size=97)
    clean = make_engine(empty_db_url)
    try:
        upgrade(clean)
        worker = run(clean, path, tmp_path, parallel=True, batch_size=97)
        assert counts(worker) == counts(inline)
        assert snapshot(clean, skip=BOOKKEEPING) == snapshot(engine, skip=BOOKKEEPING)
        again = run(clean, path, tmp_path, parallel=True, batch_size=97)
    finally:
        clean.dispose()
    assert inline.rejected == 68  # every ninth row's order id is damaged (one is repeated)
    assert inline.merges > 0
    assert (again.inserted, again.updated, again.new_customers, again.merges) == (0, 0, 0, 0)
    assert again.unchanged == inline.read - inline.rejected


def test_an_embedded_interpreter_parses_in_its_own_process(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedded (uWSGI), `sys.executable` is the host program: a big file is parsed inline
    instead of failing to start the worker with it."""
    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 0)  # every file counts as big
    monkeypatch.setattr(sys, "executable", "/usr/local/bin/uwsgi")
    result = run(engine, taobao_export(tmp_path / "e.csv", 300), tmp_path)
    assert (result.inserted, result.rejected) == (300 - 34, 34)  # every ninth id damaged


def test_masked_phones_stay_hints_through_the_worker(engine: Engine, tmp_path: Path) -> None:
    run(engine, taobao_export(tmp_path / "e.csv", 300), tmp_path, parallel=True)
    with transaction(engine) as session:
        masked = session.execute(
            select(CustomerIdentity.is_strong, func.count())
            .where(CustomerIdentity.kind == "masked_phone")
            .group_by(CustomerIdentity.is_strong)
        ).all()
        orders = session.scalar(select(func.count()).select_from(Order))
        unattributed = session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id.is_(None))
        )
    assert [strong for strong, _ in masked] == [False]
    assert orders == 300 - 34  # every ninth row's order id is damaged
    assert unattributed == 0


def test_an_interrupted_worker_import_resumes(
    engine: Engine, tmp_path: Path, empty_db_url: str
) -> None:
    path = taobao_export(tmp_path / "big.csv", 400)
    batches = 0

    def crash_after_two_batches(_rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(
            engine,
            path,
            ImportOptions("taobao", batch_size=100, rejects_dir=tmp_path, parallel=True),
            timezone=SHANGHAI,
            progress=crash_after_two_batches,
        )
    assert _parser_processes() == []
    with transaction(engine) as session:
        run_row = session.scalars(select(ImportRun)).one()
        assert run_row.state == "failed"
        committed = run_row.committed_line
    assert 100 < committed < 300
    resumed = run(engine, path, tmp_path, parallel=True, batch_size=100)
    assert resumed.resumed_after_line == committed

    clean = make_engine(empty_db_url)
    try:
        upgrade(clean)
        run(clean, path, tmp_path, parallel=False, batch_size=100)
        assert snapshot(engine, skip=BOOKKEEPING) == snapshot(clean, skip=BOOKKEEPING)
    finally:
        clean.dispose()


def _parser_processes() -> list[int]:
    """This process's children that are import parser workers (Linux /proc; else none)."""
    found: list[int] = []
    if not Path("/proc/self/status").exists():
        return found
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent.split()[1]) == os.getpid() and b"parser_worker" in command:
            found.append(int(entry.name))
    return found


def test_a_file_the_worker_cannot_read_fails_the_run(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FormatError, match="UTF-16"):
        run(engine, path, tmp_path, parallel=True)
    with transaction(engine) as session:
        assert session.scalars(select(ImportRun.state)).one() == "failed"
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_key_lookups_can_use_their_indexes(engine: Engine, backend: str, tmp_path: Path) -> None:
    """Identity and order lookups must stay index lookups as the tables grow. PostgreSQL needs
    planner statistics for that once a table grew from empty (else it filters, and an import
    turns quadratic): the import refreshes them. SQLite picks the index by itself."""
    run(engine, taobao_export(tmp_path / "e.csv", 300), tmp_path, batch_size=50)
    with engine.connect() as connection:
        if backend == "postgres":
            analyzed = connection.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                    "AND relname IN ('orders', 'order_lines', 'customer_identities')"
                )
            ).scalars()
            assert sorted(analyzed) == ["customer_identities", "order_lines", "orders"]
            return
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT value, customer_id, is_strong FROM customer_identities "
            "WHERE kind = ? AND scope = ? AND value IN (?, ?)",
            ("phone", "", "+8613800000001", "+8613800000002"),
        ).all()
    assert "(kind=? AND scope=? AND value=?)" in str(plan)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2019, 7, 8, 0, 42, 32, tzinfo=SHANGHAI),
        datetime(2019, 7, 8, 0, 42, 32, 120, tzinfo=SHANGHAI),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 1, 1, tzinfo=UTC),
    ],
)
def test_sqlite_stored_times_are_sqlalchemys(moment: datetime) -> None:
    dialect = sqlite.dialect()
    store = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert store is not None
    assert sqlite_time(moment) == store(moment.astimezone(UTC).replace(tzinfo=None))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_time(datetime(2020, 1, 1))


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.sampled_from(["f", "1f", "0f"]))
def test_money_fast_path_is_exact(amount: Decimal, places: str) -> None:
    text = format(amount, "." + places if places != "f" else "f")
    assert money_fen(text, "金额") == int((Decimal(text) * 100).to_integral_value())
