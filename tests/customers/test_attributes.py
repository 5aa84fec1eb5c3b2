"""Customer attributes from the member system (birthdays), through the CLI, on both backends."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from siyu.cli.main import run
from siyu.customers.attributes import check_attribute
from siyu.db.engine import transaction
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.errors import InvalidInputError
from tests.builders import make_customer


def attributes(engine: Engine) -> dict[tuple[int, str], str]:
    with transaction(engine) as session:
        rows = session.execute(
            select(CustomerAttribute.customer_id, CustomerAttribute.name, CustomerAttribute.value)
        )
        return {(customer, name): value for customer, name, value in rows}


def test_a_member_file_loads_birthdays_and_reports_each_bad_row(
    db_url: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(engine) as session:
        anna = make_customer(session, phone="+8613800138000").id
        bo = make_customer(session, phone="+8613900139000").id
    members = tmp_path / "members.csv"
    members.write_text(
        "phone,birthday,city\n"
        "13800138000,1990-05-01,杭州\n"  # line 2
        "139 0013 9000,02-29,\n"  # line 3: month-day only; an empty city is left alone
        "13700137000,1988-01-01,上海\n"  # line 4: nobody has this phone
        "138****8000,1990-05-01,\n"  # line 5: masked
        "13800138000,1990-02-30,\n",  # line 6: no such day
        encoding="utf-8",
    )
    code = run(["--db", db_url, "customers", "load-attributes", str(members), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["rows"], report["customers"], report["values"]) == (5, 2, 3)
    assert report["rejected"] == [
        {"line": 4, "reason": "no customer with phone 13700137000"},
        {"line": 5, "reason": "phone '138****8000' is not a full, unmasked number"},
        {"line": 6, "reason": "birthday '1990-02-30': write YYYY-MM-DD or MM-DD"},
    ]
    assert attributes(engine) == {
        (anna, "birthday"): "1990-05-01",
        (anna, "city"): "杭州",
        (bo, "birthday"): "02-29",
    }

    code = run(["--db", db_url, "customers", "set-attribute", str(anna), "birthday", "05-02"])
    assert (code, capsys.readouterr().out) == (0, f"customer {anna}: birthday = 05-02\n")
    assert attributes(engine)[(anna, "birthday")] == "05-02"
    code = run(["--db", db_url, "customers", "set-attribute", str(anna), "Birth Day", "x"])
    assert code == 1
    assert "lower-case letters" in capsys.readouterr().err
    assert attributes(engine)[(anna, "birthday")] == "05-02"


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
def test_every_real_date_is_a_birthday_with_or_without_its_year(day: date) -> None:
    text = str(day)
    assert check_attribute("birthday", text) == text
    assert check_attribute("birthday", text[5:]) == text[5:]


def real_day(text: str) -> bool:
    """The reference: ASCII YYYY-MM-DD or MM-DD naming a real day (MM-DD: in a leap year)."""
    full = text if len(text) == 10 else f"2000-{text}"
    if len(text) not in (5, 10) or not full.isascii():
        return False
    try:
        return datetime.strptime(full, "%Y-%m-%d").date().isoformat() == full
    except ValueError:
        return False


@given(text=st.text(alphabet=st.sampled_from("0123456789-/ ٢x"), max_size=12))
def test_a_birthday_is_accepted_exactly_when_it_names_a_real_day(text: str) -> None:
    if real_day(text.strip()):
        assert check_attribute("birthday", text) == text.strip()
    else:
        with pytest.raises(InvalidInputError, match=r"YYYY-MM-DD or MM-DD|1 to 200"):
            check_attribute("birthday", text)
