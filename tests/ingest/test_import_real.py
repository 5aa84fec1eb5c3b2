"""The real (anonymised) Tmall export imports end to end with its known totals."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from siyu.commerce.tables import Order
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, import_file


@pytest.mark.shared
def test_real_tmall_file_imports_with_its_totals(
    engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    path = shared_dir / "realdata" / "taobao" / "tmall_order_report.csv"
    options = ImportOptions("taobao", shop="天猫旗舰店", platform="tmall", rejects_dir=tmp_path)
    result = import_file(engine, path, options, timezone=ZoneInfo("Asia/Shanghai"))
    assert (result.read, result.inserted, result.rejected) == (28_010, 28_010, 0)
    with transaction(engine) as session:
        orders = session.scalar(select(func.count()).select_from(Order))
        # The totals derived independently with awk (see tests/ingest/formats): Σ实付 is the net.
        net = session.scalar(
            select(func.sum(Order.paid_fen - Order.refunded_fen)).where(Order.status != "closed")
        )
        refunded = session.scalar(select(func.sum(Order.refunded_fen)))
        unattributed = session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id.is_(None))
        )
    assert (orders, net, refunded) == (28_010, 190_248_715, 57_233_592)
    assert unattributed == 28_010  # the file is anonymised: no buyer keys, so no customers
    again = import_file(engine, path, options, timezone=ZoneInfo("Asia/Shanghai"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 28_010)
