"""Report figures: savings, savings rate, month-on-month change (the loan tax deductions are
in tax.py). Pure: no I/O."""

from decimal import Decimal

from core.money import percent, quantize


def net_savings(income: Decimal, expenses: Decimal) -> Decimal:
    """What is left of the income after the expenses (negative when overspent)."""
    return quantize(income - expenses)


def savings_rate(income: Decimal, expenses: Decimal) -> Decimal | None:
    return percent(net_savings(income, expenses), income)


def change(current: Decimal, previous: Decimal) -> tuple[Decimal, Decimal | None]:
    """(absolute change, percent change); the percent is None after a period of 0."""
    return quantize(current - previous), percent(current - previous, previous)
