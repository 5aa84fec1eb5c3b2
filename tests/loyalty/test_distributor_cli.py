"""`siyu distributor` through the console script: appoint, bind, earn, ledger, settle."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.loyalty.support import customer_id, import_orders
from tests.loyalty.test_cli import Cli, cli

__all__ = ["cli"]


def test_distributor_lifecycle(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-01-01 10:00:00,120.00,completed,,"])
    partner = customer_id(engine, "C1")
    added = cli.json("distributor", "add", "--customer", str(partner), "--commission-bp", "1000")
    assert (added["customer_id"], added["commission_bp"], added["attribution_days"]) == (
        partner,
        1000,
        30,
    )
    import_orders(
        engine, tmp_path, ["B1,C2,13800000002,2026-01-02 10:00:00,10.00,completed,,"], "b.csv"
    )
    bound_customer = customer_id(engine, "C2")
    bound = cli.json(
        "distributor", "bind", str(added["id"]), str(bound_customer), "--now", "2026-03-01"
    )
    assert bound == {"customer_id": bound_customer, "bound": True}
    again = cli.json("distributor", "bind", str(added["id"]), str(bound_customer))
    assert again["bound"] is False
    import_orders(
        engine, tmp_path, ["B2,C2,13800000002,2026-03-05 10:00:00,99.00,completed,,"], "c.csv"
    )
    synced = cli.json("referral", "sync", "--now", "2026-03-06")
    assert synced["commissions"] == {"earned_entries": 1, "clawback_entries": 0}
    shown = cli.json("distributor", "show", str(added["id"]))
    assert (shown["bound_customers"], shown["earned_fen"], shown["balance_fen"]) == (1, 990, 990)
    code, _, err = cli.call(
        "distributor", "settle", str(added["id"]), "--amount", "10", "--operator", "li"
    )
    assert (code, err) == (1, f"siyu: error: distributor {added['id']} is owed ¥9.90\n")
    settled = cli.json(
        "distributor", "settle", str(added["id"]), "--amount", "¥5.00", "--operator", "li"
    )
    assert settled == {"distributor_id": added["id"], "paid_fen": 500, "balance_fen": 490}
    ledger = cli.json("distributor", "ledger", str(added["id"]))
    assert ledger["total"] == 2
    assert [(e["kind"], e["amount_fen"], e["operator"]) for e in ledger["entries"]] == [
        ("payout", -500, "li"),
        ("earn", 990, "system"),
    ]
    listed = cli.json("distributor", "list")
    assert [(d["id"], d["paid_out_fen"], d["balance_fen"]) for d in listed["distributors"]] == [
        (added["id"], 500, 490)
    ]
    code, out, _ = cli.call("distributor", "list")
    assert out.startswith(f"{added['id']} {added['code']} customer {partner} ")
