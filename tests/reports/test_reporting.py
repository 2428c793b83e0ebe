"""Unit tests of the pure report and money rules (reporting.py, money.py): no database."""

from decimal import Decimal

import pytest

from core.money import format_money, from_sum, percent, quantize
from reports.rules import change, net_savings, savings_rate

D = Decimal


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
