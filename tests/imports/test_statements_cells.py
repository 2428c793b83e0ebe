"""Cell reading: every amount and date spelling the parsers accept or refuse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from imports.statements.amounts import CellError, drcr_of, parse_amount, parse_date
from imports.statements.preamble import read_preamble
from imports.statements.tables import clean_reference, header_key

D = Decimal


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,23,456.78", D("123456.78")),  # Indian lakh grouping
        ("123,456.78", D("123456.78")),  # western grouping
        ("1,00,00,000.00", D("10000000.00")),  # one crore
        ("1,234.00 Dr", D("-1234.00")),  # Dr suffix: money out / overdrawn
        ("1,234.00 Cr", D("1234.00")),
        ("1,234.00Dr.", D("-1234.00")),
        ("1,23,456.78(Dr)", D("-123456.78")),
        ("Dr 500.00", D("-500.00")),  # Dr prefix
        ("₹ 450", D("450.00")),  # rupee sign, no decimals
        ("₹1,299.5", D("1299.50")),  # one decimal
        ("INR 1,000.00", D("1000.00")),
        ("Rs. 99", D("99.00")),
        ("Rs.99.9", D("99.90")),
        ("-2,000", D("-2000.00")),
        ("+15.00", D("15.00")),
        ("(450.00)", D("-450.00")),  # accounting brackets
        ("  4439.59  ", D("4439.59")),  # Axis pads with spaces
        ("\t7,560.00", D("7560.00")),  # and sometimes a tab
        ("-,77,65,682.30", D("-7765682.30")),  # Axis negative grouped balance
        ("500.000", D("500.00")),  # trailing zeros beyond paise
        ("0", D("0.00")),
        (1234.5, D("1234.50")),  # spreadsheet float: via repr, exact
        (0.1, D("0.10")),
        (1234.5600000000001, D("1234.56")),  # formula noise in a spreadsheet double
        (0.1 + 0.2, D("0.30")),
        (40000, D("40000.00")),  # spreadsheet int
        (D("431.53"), D("431.53")),  # JSON number read as Decimal
    ],
)
def test_amounts(cell, expected):
    assert parse_amount(cell) == expected
    assert parse_amount(cell).as_tuple().exponent == -2  # always exactly two places


@pytest.mark.parametrize("cell", [None, "", "   ", "-", "--", "NA", "n/a", "nil"])
def test_blank_amount_cells(cell):
    assert parse_amount(cell) is None


@pytest.mark.parametrize("cell", ["4S0.00", "12.345", "1,2,3", "abc", "1.2.3", "Dr", "₹", 12.345])
def test_bad_amount_cells(cell):
    with pytest.raises(CellError):
        parse_amount(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("DR", "debit"), ("Dr.", "debit"), ("D", "debit"), ("Debit", "debit"), ("CR", "credit"),
     ("cr", "credit"), ("C", "credit"), ("Credit", "credit"), ("", None), ("X", None)],
)  # fmt: skip
def test_dr_cr_markers(cell, expected):
    assert drcr_of(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("05/01/24", dt.date(2024, 1, 5)),  # HDFC dd/mm/yy: day first, never month first
        ("05/01/2024", dt.date(2024, 1, 5)),
        ("05-01-2024", dt.date(2024, 1, 5)),  # Axis/Kotak
        ("05.01.2024", dt.date(2024, 1, 5)),
        ("15 Jan 2024", dt.date(2024, 1, 15)),  # SBI
        ("1 Sep 2026", dt.date(2026, 9, 1)),
        ("15 January 2024", dt.date(2024, 1, 15)),
        ("15-Jan-24", dt.date(2024, 1, 15)),
        ("15-Jan-2024", dt.date(2024, 1, 15)),
        ("2024-01-15", dt.date(2024, 1, 15)),
        ("06-06-2026 22:04:25", dt.date(2026, 6, 6)),  # Kotak date with time
        ("2023-10-18T00:00:00", dt.date(2023, 10, 18)),
        (" 03/04/14  ", dt.date(2014, 4, 3)),  # HDFC delimited padding
        (dt.date(2024, 2, 5), dt.date(2024, 2, 5)),
        (dt.datetime(2024, 2, 5, 23, 59), dt.date(2024, 2, 5)),
    ],
)
def test_dates(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["", None, "31/02/2024", "2024.13.01", 45300.0, 40000, "B/F"])
def test_bad_dates(cell):
    # Numbers are refused on purpose: in a date column they are summary figures.
    with pytest.raises(CellError):
        parse_date(cell)


def test_date_with_explicit_format_only():
    assert parse_date("2024/31/01", ("%Y/%d/%m",)) == dt.date(2024, 1, 31)
    with pytest.raises(CellError):
        parse_date("31/01/2024", ("%Y/%d/%m",))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("0000400112345678", "400112345678"), ("000000000000000", None), ("-", None), ("", None),
     ("N006241234567890", "N006241234567890"), ("TRANSFER TO 4897691162093", None),
     ("UPI-606112345678", "UPI-606112345678")],
)  # fmt: skip
def test_references(cell, expected):
    assert clean_reference(cell) == expected


def test_header_keys_ignore_spacing_and_punctuation():
    assert header_key("Withdrawal Amount (INR )") == header_key("Withdrawal Amount(INR)")
    assert header_key(" Chq./Ref.No. ") == "chqrefno"


def test_preamble_account_and_period_variants():
    assert read_preamble([["Account No :", "XXXXXXXX1234"], ["Statement From :", "01/02/2024",
                           "To :", "29/02/2024"]]) == (
        "XXXXXXXX1234", (dt.date(2024, 2, 1), dt.date(2024, 2, 29)))  # fmt: skip
    axis = "Statement of Account No - 923010008070086 for the period (From : 16-03-2025 To : 04-05-2025)"
    assert read_preamble([[axis]]) == (
        "923010008070086",
        (dt.date(2025, 3, 16), dt.date(2025, 5, 4)),
    )
    sbi = [["Account Name", ":", "MR X"], ["Account Number", ":", "00000031234567890"],
           ["Account Statement from 1 Jan 2024 to 31 Jan 2024"]]  # fmt: skip
    assert read_preamble(sbi) == ("00000031234567890", (dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    # A period whose end is before its start is not believed.
    assert read_preamble([["From : 31/01/2024 To : 01/01/2024"]]) == (None, None)
