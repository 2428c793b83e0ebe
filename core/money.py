"""Money: exact Decimal amounts, one rounding rule (half-up to the paisa), Indian formatting.

Pure: no I/O. Floats are refused everywhere money is made, since they cannot hold paise exactly.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
CURRENCY_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def quantize(value: Decimal | int) -> Decimal:
    """The one rounding rule for money: half-up to 0.01."""
    if isinstance(value, float):
        raise TypeError("money is Decimal or int, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def from_sum(value: Any) -> Decimal:
    """A `$sum` from the database as money: a Decimal over amounts, but the int 0 (or nothing
    at all) over an empty group."""
    return quantize(value if isinstance(value, Decimal) else Decimal(value or 0))


def total(values: Any) -> Decimal:
    """The sum of already-rounded amounts (a handful of grouped rows, never documents)."""
    return quantize(sum(values, ZERO))


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole x 100, rounded like money; `whole` must not be 0."""
    return quantize(part * HUNDRED / whole)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100, or None when there is nothing to compare against."""
    return None if whole == 0 else percent_of(part, whole)


def format_money(amount: Decimal | int | str, currency: str = "INR") -> str:
    """₹12,34,567.00 for rupees (lakh/crore grouping), 1,234,567.00 elsewhere."""
    value = quantize(Decimal(amount))
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    if currency == "INR" and len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        pairs = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
        whole = ",".join([*pairs, tail])
    else:
        whole = f"{int(whole):,}"
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    return f"{sign}{symbol}{whole}.{frac}"
