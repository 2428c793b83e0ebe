"""Report figures: savings, savings rate, month-on-month change (the loan tax deductions are
in `loans/tax.py`), and the periods a report covers. Pure: no I/O."""

from datetime import date
from decimal import Decimal

from core.dates import (
    Period,
    calendar_year,
    fiscal_period,
    fy_label,
    parse_fiscal_year,
    shift_month,
    today,
)
from core.errors import ErrorCode, Unprocessable
from core.money import percent, quantize


def net_savings(income: Decimal, expenses: Decimal) -> Decimal:
    """What is left of the income after the expenses (negative when overspent)."""
    return quantize(income - expenses)


def savings_rate(income: Decimal, expenses: Decimal) -> Decimal | None:
    return percent(net_savings(income, expenses), income)


def change(current: Decimal, previous: Decimal) -> tuple[Decimal, Decimal | None]:
    """(absolute change, percent change); the percent is None after a period of 0."""
    return quantize(current - previous), percent(current - previous, previous)


def annual_span(year: int | None, fy: str | None, tz: str) -> tuple[Period, str]:
    """`?year=` (January to December) or `?fy=` (April to March); neither: this year."""
    if year is not None and fy is not None:
        raise Unprocessable(
            "Give either `year` or `fy`, not both",
            code=ErrorCode.invalid_period,
            loc=("query", "fy"),
        )
    if fy is not None:
        first = parse_fiscal_year(fy)
        return fiscal_period(first), f"FY {fy_label(first)}"
    year = year or today(tz).year
    return calendar_year(year), str(year)


def export_range(start: date | None, end: date | None, tz: str) -> tuple[date, date]:
    """`to` defaults to today; `from` to the first day of the 12th month back from `to`."""
    end = end or today(tz)
    start = start or date(*shift_month(end.year, end.month, -11), 1)
    return start, end
