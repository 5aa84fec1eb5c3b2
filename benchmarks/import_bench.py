"""Time `siyu import taobao` on a generated 1M-row ExportOrderList against a bare pyarrow parse.

The file is a realistic Taobao ExportOrderList in the 2019–20 layout (61 columns, FORMATS.md
§1.1 C): GBK, every cell quoted, `="…"` order ids, `'` phones, header names with trailing
spaces; about 40% of rows come from repeat buyers, some phones are masked, some orders are
refunded (fully or partly), unpaid or closed, and a few buyers bridge two identities (merges).

Phases, each in its own interpreter so its peak RSS is its own:
  pyarrow      `pyarrow.csv.read_csv` of the same bytes, every column as text (the baseline)
  parse        siyu's taobao parser only (records built, nothing stored)
  import       `siyu.ingest.service.import_file` into a fresh, migrated database
  re-import    the same file again into that database (every row unchanged)
  db floor     the rows that import stored, written into another fresh database with the
               importer's own bulk statement (`Bulk.insert`: executemany / COPY), one
               transaction per batch of each table: no parsing, no look-ups, no OneID. No
               importer can write this store faster on this machine: the second baseline
for SQLite (a file in --workdir) and PostgreSQL (a throwaway database on --postgres-url).

    .venv/bin/python benchmarks/import_bench.py [--rows N] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SHOP = "思域旗舰店"
# 2019–20 ExportOrderList (FORMATS.md §1.1 C); "␠" marks the names exported with a trailing space.
HEADER = """订单编号,买家会员名,买家支付宝账号,支付单号,支付详情,买家应付货款,买家应付邮费,
买家支付积分,总金额,返点积分,买家实际支付金额,买家实际支付积分,订单状态,买家留言,收货人姓名,
收货地址␠,运送方式,联系电话␠,联系手机,订单创建时间,订单付款时间␠,宝贝标题␠,宝贝种类␠,物流单号␠,
物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因,卖家服务费,买家服务费,发票抬头,
是否手机订单,分阶段订单信息,特权订金订单id,是否上传合同照片,是否上传小票,是否代付,定金排名,
修改后的sku,修改后的收货地址,异常信息,天猫卡券抵扣,集分宝抵扣,是否是O2O交易,新零售交易类型,
新零售导购门店名称,新零售导购门店id,新零售发货门店名称,新零售发货门店id,退款金额,预约门店,
确认收货时间,打款商家金额,含应开票给个人的个人红包,是否信用购,体验期结束时间,前N有礼,配送类型,
主订单编号"""
COLUMNS = [name.replace("␠", " ") for name in HEADER.replace("\n", "").split(",")]
assert len(COLUMNS) == 61

PLACES = [
    ("广东省", "广州市", "越秀区", "510180"),
    ("广东省", "深圳市", "南山区", "518052"),
    ("浙江省", "杭州市", "西湖区", "310012"),
    ("上海", "上海市", "浦东新区", "200120"),
    ("北京", "北京市", "朝阳区", "100020"),
    ("江苏省", "南京市", "建邺区", "210019"),
    ("四川省", "成都市", "武侯区", "610041"),
    ("吉林省", "通化市", "柳河县", "135300"),
    ("湖北省", "武汉市", "洪山区", "430070"),
    ("山东省", "青岛市", "市南区", "266071"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲"
PRODUCTS = [
    ("【顺丰包邮】雪平锅不锈钢 20厘米", 23900),
    ("玻尿酸补水面膜 10片装", 9900),
    ("山茶花洁面乳 120ml", 6800),
    ("防晒霜 SPF50+ PA++++ 50g", 15800),
    ("精华液 30ml 赠小样", 32900),
    ("乌龙茶 250g 罐装", 12800),
    ("纯棉四件套 1.8m床", 29900),
    ("保温杯 500ml 316不锈钢", 8900),
]
CARRIERS = ["圆通速递", "中通快递", "顺丰速运", "韵达快递", "申通快递"]


# --- the file ------------------------------------------------------------------------------


class Buyer:
    __slots__ = ("account", "name", "nick", "phone", "place", "street")

    def __init__(self, number: int, rng: random.Random) -> None:
        self.nick = f"tb{number:09d}" if rng.random() < 0.7 else f"{_name(rng)}{number}"
        roll = rng.random()
        self.phone = _phone(rng)
        if roll < 0.15:  # newer exports mask the phone: a weak hint, never merges
            self.phone = self.phone[:3] + "****" + self.phone[-4:]
        roll = rng.random()
        if roll < 0.5:
            self.account = f"{number}{rng.randrange(100, 999)}@qq.com"
        elif roll < 0.8:
            self.account = self.phone[:3] + "****" + self.phone[-4:]
        else:
            self.account = ""
        self.name = _name(rng)
        self.place = rng.choice(PLACES)
        number, block, room = rng.randrange(1, 300), rng.randrange(1, 30), rng.randrange(101, 3200)
        self.street = f"{number}号{block}栋{room}室"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randrange(1, 3)))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def generate(path: Path, rows: int, seed: int) -> None:
    """Write the export, streaming (constant memory besides the buyer pool)."""
    rng = random.Random(seed)
    buyers: list[Buyer] = []
    start = datetime(2019, 1, 1)
    span = int(timedelta(days=700).total_seconds())
    temporary = path.with_suffix(".part")
    with temporary.open("w", encoding="gbk", newline="") as handle:
        handle.write(",".join(f'"{name}"' for name in COLUMNS) + "\r\n")
        for number in range(rows):
            buyer = _pick_buyer(buyers, rng)
            ordered = start + timedelta(seconds=span * number // rows + rng.randrange(60))
            handle.write(_row(number, buyer, ordered, rng, buyers) + "\r\n")
    temporary.replace(path)


def _pick_buyer(buyers: list[Buyer], rng: random.Random) -> Buyer:
    if buyers and rng.random() < 0.4:  # a repeat buyer
        return rng.choice(buyers)
    buyer = Buyer(len(buyers) + 1, rng)
    buyers.append(buyer)
    return buyer


def _row(
    number: int, buyer: Buyer, ordered: datetime, rng: random.Random, buyers: list[Buyer]
) -> str:
    order_id = str(2019_0000_0000_0000_000 + number * 1000 + rng.randrange(1000))
    phone = buyer.phone
    roll = rng.random()
    if roll < 0.02:  # a repeat buyer with a new number
        phone = _phone(rng)
    elif roll < 0.0025 + 0.02 and len(buyers) > 10:  # a shared family phone: bridges two buyers
        phone = rng.choice(buyers).phone
    title, price = rng.choice(PRODUCTS)
    quantity = 1 if rng.random() < 0.85 else rng.randrange(2, 4)
    goods = price * quantity
    shipping = 0 if goods >= 9900 else 1000
    total = goods + shipping
    status, paid_at, completed_at, refund, reason = _lifecycle(ordered, total, rng)
    actual = total - refund if paid_at else 0
    province, city, district, postcode = buyer.place
    address = f"{province} {city} {district} {buyer.street}({postcode})"
    cells = [
        f'="{order_id}"', buyer.nick, buyer.account, f"20{order_id[:16]}", "",
        _yuan(goods), _yuan(shipping), "0", _yuan(total), "0", _yuan(actual), "0", status,
        "请尽快发货" if rng.random() < 0.05 else "", buyer.name, address, "快递", "",
        f"'{phone}" if "*" not in phone else phone, _time(ordered), _time(paid_at), title,
        "1", f"No:YT{order_id[-12:]}" if completed_at else "", rng.choice(CARRIERS), "",
        str(quantity), "0", SHOP, reason, "0", "0元", "", "手机订单", "", '=""', "否", "否",
        "否", "", "", "", "", "0.00", "0.00", "否", "", "", "", "", "", _yuan(refund), "",
        _time(completed_at), _yuan(actual) + "元", "0", "否", "", "", "", f'="{order_id}"',
    ]  # fmt: skip
    return ",".join(cell if cell[:2] == '="' else f'"{cell}"' for cell in cells)


def _lifecycle(
    ordered: datetime, total: int, rng: random.Random
) -> tuple[str, datetime | None, datetime | None, int, str]:
    """Status, paid at, completed at, refund (fen), close reason."""
    roll = rng.random()
    paid = ordered + timedelta(seconds=rng.randrange(5, 600))
    completed = paid + timedelta(days=rng.randrange(3, 10), seconds=rng.randrange(86400))
    if roll < 0.02:
        return "等待买家付款", None, None, 0, "订单未关闭"
    if roll < 0.05:
        return "交易关闭", None, None, 0, "买家不想买了"
    if roll < 0.10:  # refunded in full after paying
        return "交易关闭", paid, None, total, "退款"
    if roll < 0.13:  # partly refunded
        return "交易成功", paid, completed, total // 3, "订单未关闭"
    if roll < 0.20:
        return "买家已付款，等待卖家发货", paid, None, 0, "订单未关闭"
    if roll < 0.28:
        return "卖家已发货，等待买家确认", paid, None, 0, "订单未关闭"
    return "交易成功", paid, completed, 0, "订单未关闭"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# --- phases (each runs in its own interpreter) ---------------------------------------------


def phase_pyarrow(path: str) -> dict[str, Any]:
    from pyarrow import csv, string

    read = csv.ReadOptions(encoding="gbk", block_size=1 << 22)
    convert = csv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, string()))
    start = time.perf_counter()
    table = csv.read_csv(path, read_options=read, convert_options=convert)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": table.num_rows}


def phase_parse(path: str) -> dict[str, Any]:
    from siyu.ingest.formats import ORDER_FORMATS
    from siyu.ingest.formats.dates import SHANGHAI
    from siyu.ingest.records import RejectedRow

    start = time.perf_counter()
    rows = rejected = 0
    for item in ORDER_FORMATS["taobao"](Path(path), tz=SHANGHAI):
        rows += 1
        rejected += isinstance(item, RejectedRow)
    return {"seconds": time.perf_counter() - start, "rows": rows, "rejected": rejected}


def phase_import(file: str, url: str, batch_size: str = "") -> dict[str, Any]:
    from siyu.db.engine import make_engine
    from siyu.ingest.formats.dates import SHANGHAI
    from siyu.ingest.service import ImportOptions, import_file

    path = Path(file)
    engine = make_engine(url)
    options = ImportOptions("taobao", rejects_dir=path.parent / "rejects")
    if batch_size:
        options = replace(options, batch_size=int(batch_size))
    start = time.perf_counter()
    result = import_file(engine, path, options, timezone=SHANGHAI)
    seconds = time.perf_counter() - start
    engine.dispose()
    counts = ("read", "inserted", "updated", "unchanged", "rejected", "new_customers", "merges")
    return {"seconds": seconds, "rows": result.read} | {key: getattr(result, key) for key in counts}


FLOOR_SKIPPED = ("alembic_version", "import_runs", "import_rejects")


def phase_floor(source_url: str, target_url: str, rows: str, batch_size: str) -> dict[str, Any]:
    """Write every row `source_url` holds into the fresh `target_url`, table by table in
    foreign-key order, `batch_size` rows per transaction; only the writes are timed."""
    from sqlalchemy import text

    from siyu.db.engine import job_transaction, make_engine, sqlite_settings
    from siyu.db.schema import metadata
    from siyu.ingest.bulk import SQLITE_IMPORT_PRAGMAS, Bulk
    from siyu.ingest.service import DEFAULT_BATCH_SIZE

    source, target = make_engine(source_url), make_engine(target_url)
    postgres = target.dialect.name == "postgresql"
    tables: list[tuple[str, list[str], list[tuple[Any, ...]]]] = []
    with source.connect() as connection:
        for table in metadata().sorted_tables:
            if table.name in FLOOR_SKIPPED:
                continue
            names = [column.name for column in table.columns]
            # PostgreSQL: as text, which COPY reads back whatever the type (JSON included)
            read = [f"{name}::text" if postgres else name for name in names]
            found = connection.execute(text(f"SELECT {', '.join(read)} FROM {table.name}"))
            stored = [tuple(row) for row in found]
            if stored:
                tables.append((table.name, names, stored))
    source.dispose()
    step = int(batch_size) if batch_size else DEFAULT_BATCH_SIZE
    start = time.perf_counter()
    # as the importer writes: one connection with its settings, a job transaction per batch
    with target.connect() as connection, sqlite_settings(connection, SQLITE_IMPORT_PRAGMAS):
        for name, names, stored in tables:
            for begin in range(0, len(stored), step):
                with job_transaction(target, connection=connection) as session:
                    Bulk(session).insert(name, names, stored[begin : begin + step])
    seconds = time.perf_counter() - start
    target.dispose()
    written = {f"{name} rows": len(stored) for name, _, stored in tables if len(stored) > 1}
    return {"seconds": seconds, "rows": int(rows)} | written


def phase_generate(path: str, rows: str, seed: str) -> dict[str, Any]:
    start = time.perf_counter()
    generate(Path(path), int(rows), int(seed))
    return {"seconds": time.perf_counter() - start, "rows": int(rows)}


def run_phase(name: str, *arguments: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its result plus peak RSS (MiB)."""
    command = [sys.executable, __file__, "--phase", name, *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def phase_main(name: str, arguments: list[str]) -> None:
    """Run a phase; print its result with this process's peak RSS and CPU time as JSON.

    The parent process imports nothing heavy and sets up databases in phases too: Linux keeps
    a process's peak RSS across fork and exec, so a big parent would inflate every phase."""
    result = PHASES[name](*arguments)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # KiB on Linux. A parsing worker runs beside the main process: both peaks are added.
    result["rss_mib"] = (own.ru_maxrss + children.ru_maxrss) / 1024
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    result["cpu_s"] = cpu  # the whole phase process, setup included
    result["load"] = os.getloadavg()[0]
    print(json.dumps(result))


# --- databases -----------------------------------------------------------------------------


def phase_create_db(target: str, admin_url: str = "") -> dict[str, Any]:
    """A fresh, migrated database: SQLite at `target`, or PostgreSQL on `admin_url`'s server."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from siyu.db.engine import make_engine
    from siyu.db.migrate import upgrade

    if admin_url:
        name = f"siyu_bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(admin_url).set(database=name).render_as_string(False)
    else:
        for leftover in Path(target).parent.glob(Path(target).name + "*"):
            leftover.unlink()
        url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return {"url": url}


def phase_drop_db(admin_url: str, name: str) -> dict[str, Any]:
    from sqlalchemy import text

    from siyu.db.engine import make_engine

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return {}


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "generate": phase_generate,
    "pyarrow": phase_pyarrow,
    "parse": phase_parse,
    "import": phase_import,
    "floor": phase_floor,
    "create-db": phase_create_db,
    "drop-db": phase_drop_db,
}


# --- the run -------------------------------------------------------------------------------


def run(arguments: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    workdir: Path = arguments.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"ExportOrderList_{arguments.rows}_{arguments.seed}.csv"
    if not path.exists():  # in its own process, so that no phase inherits its memory
        made = run_phase("generate", str(path), str(arguments.rows), str(arguments.seed))
        size = path.stat().st_size / 2**20
        print(f"generated {path} ({size:.0f} MiB) in {made['seconds']:.0f} s")
    results = [("pyarrow parse", run_phase("pyarrow", str(path)))]
    results.append(("siyu parse", run_phase("parse", str(path))))
    batch = str(arguments.batch_size or "")
    if arguments.backend in ("sqlite", "both"):
        url = run_phase("create-db", str(workdir / "bench.db"))["url"]
        results.append(("sqlite import", imported := run_phase("import", str(path), url, batch)))
        results.append(("sqlite re-import", run_phase("import", str(path), url, batch)))
        floor = run_phase("create-db", str(workdir / "floor.db"))["url"]
        results.append(
            ("sqlite db floor", run_phase("floor", url, floor, str(imported["rows"]), batch))
        )
    if arguments.backend in ("postgres", "both"):
        url = run_phase("create-db", "-", arguments.postgres_url)["url"]
        floor = run_phase("create-db", "-", arguments.postgres_url)["url"]
        try:
            imported = run_phase("import", str(path), url, batch)
            results.append(("postgres import", imported))
            results.append(("postgres re-import", run_phase("import", str(path), url, batch)))
            results.append(
                ("postgres db floor", run_phase("floor", url, floor, str(imported["rows"]), batch))
            )
        finally:
            for made in (url, floor):
                run_phase("drop-db", arguments.postgres_url, made.rsplit("/", 1)[1])
    return results


def report(results: list[tuple[str, dict[str, Any]]]) -> str:
    """One table row per phase: time against pyarrow's parse, and each import's against its
    backend's db floor (`-` where there is none)."""
    baseline = results[0][1]["seconds"]
    floors = {
        name.split()[0]: result["seconds"] for name, result in results if name.endswith("floor")
    }
    lines = [
        "| phase | rows | seconds | rows/s | time vs pyarrow | time vs db floor | peak RSS MiB "
        "| CPU s | load | counts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, result in results:
        counts = {
            key: value
            for key, value in result.items()
            if key not in ("seconds", "rows", "rss_mib", "read", "cpu_s", "load")
        }
        shown = ", ".join(f"{key} {value:,}" for key, value in counts.items())
        seconds = result["seconds"]
        floor = floors.get(name.split()[0])
        versus_floor = f"{seconds / floor:.1f}x" if floor else "-"
        lines.append(
            f"| {name} | {result['rows']:,} | {seconds:.2f} | {result['rows'] / seconds:,.0f} "
            f"| {seconds / baseline:.1f}x | {versus_floor} | {result['rss_mib']:.0f} "
            f"| {result['cpu_s']:.1f} | {result['load']:.1f} | {shown} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        cpu,
    )
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SIYU_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a server where the user may CREATE DATABASE (default: %(default)s)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/siyu-import-bench"))
    parser.add_argument(
        "--batch-size", type=int, help="rows per transaction (default: the service default)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    arguments, rest = parser.parse_known_args()
    if arguments.phase:
        phase_main(arguments.phase, rest)
        return
    results = run(arguments)
    print(f"\n{datetime.now():%Y-%m-%d}, {machine()}\n")
    print(report(results))
    if arguments.json:
        arguments.json.write_text(json.dumps(dict(results), indent=2))


if __name__ == "__main__":
    main()
