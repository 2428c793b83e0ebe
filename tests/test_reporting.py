"""Unit tests of the pure report and money rules (reporting.py, money.py): no database."""

from decimal import Decimal

import pytest

from money import format_money, from_sum, percent, quantize
from reporting import LoanRepaid, change, deductions, net_savings, savings_rate

D = Decimal


def test_caps_come_from_the_arguments_and_apply_across_loans():
    loans = [
        LoanRepaid("home_loan", D(60000), D(40000)),
        LoanRepaid("home_loan", D(50000), D(30000)),
        LoanRepaid("education_loan", D(500000), D(1)),
        LoanRepaid("personal_loan", D(999), D(999)),
    ]
    found = deductions(loans, D(100000), D(80000))
    # 24(b): 60,000 + 50,000 = 1,10,000 paid, capped at 1,00,000; 80C: 40,000 + 30,000 =
    # 70,000 under its 80,000 cap; 80E: no cap; the personal loan counts nowhere.
    assert [(d.section, d.paid, d.deductible) for d in found] == [
        ("24(b)", 110000, 100000),
        ("80C", 70000, 70000),
        ("80E", 500000, 500000),
    ]


def test_savings_and_change():
    assert net_savings(D("100000.00"), D("62500.50")) == D("37499.50")
    # 37,499.50 / 1,00,000 x 100 = 37.4995 -> 37.50 (half-up)
    assert savings_rate(D("100000.00"), D("62500.50")) == D("37.50")
    assert savings_rate(D(0), D(10)) is None
    assert change(D("150.00"), D("120.00")) == (D("30.00"), D("25.00"))
    assert change(D("5.00"), D(0)) == (D("5.00"), None)


def test_one_rounding_rule_and_sums_from_the_database():
    assert quantize(D("2.675")) == D("2.68")  # half-up, not banker's rounding
    assert quantize(D("-2.675")) == D("-2.68")
    with pytest.raises(TypeError):
        quantize(2.675)  # type: ignore[arg-type]
    # `$sum` over an empty group is the int 0, or nothing at all.
    assert from_sum(0) == from_sum(None) == D("0.00")
    assert from_sum(D("10.5")) == D("10.50")
    assert percent(D(1), D(3)) == D("33.33")
    assert format_money(D("1234567.5")) == "₹12,34,567.50"
    assert format_money(D("-999.999"), "USD") == "-$1,000.00"
