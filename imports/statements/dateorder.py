"""One date order per file, decided from all of its dates.

``02/12/2020`` is 2 December or 14 February depending on the file. Reading each date on its
own (day-first, falling back to month-first when the day-first reading is impossible) puts
one file's dates in two orders at once. Instead every numeric date of the file votes: a
date that is valid only day-first (``14/02/2020``) or only month-first (``02/14/2020``)
decides; dates valid both ways follow. A file whose every date reads both ways, differently
(``02/01/2024``), cannot be told apart and is refused with a request for the order, unless
the caller gave one. Dates that read the same either way (``05/05/2024``) need no decision.

Formats that fix the order themselves are not decided here: OFX (YYYYMMDD), ISO dates and
the Indian bank layouts (day-first by definition).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .amounts import DATE_FORMATS, cell_text
from .model import UnknownLayout

DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy")

# Month-first counterparts of the numeric day-first formats, then every format whose order
# is fixed (month names, ISO).
_DAY_FIRST_NUMERIC = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d-%m-%y", "%d.%m.%Y", "%d.%m.%y")
MONTH_FIRST_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m-%d-%Y",
    "%m-%d-%y",
    "%m.%d.%Y",
    "%m.%d.%y",
    *(fmt for fmt in DATE_FORMATS if fmt not in _DAY_FIRST_NUMERIC),
)

# A numeric day/month/year cell, optionally followed by a time of day.
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d.*)?$")


@dataclass(frozen=True)
class NumericDate:
    """A date written as two small numbers and a year, order not yet known."""

    text: str
    first: int
    second: int
    year: int

    def read(self, order: DateOrder) -> dt.date | None:
        day, month = (self.first, self.second) if order == "dmy" else (self.second, self.first)
        try:
            return dt.date(self.year, month, day)
        except ValueError:
            return None


def two_digit_year(year: int) -> int:
    """strptime's ``%y`` pivot: 00-68 are 2000-2068, 69-99 are 1969-1999."""
    return year + (2000 if year < 69 else 1900)


def numeric_date(value: object) -> NumericDate | None:
    """The cell as a ``NumericDate`` when it is a numeric d/m/y or m/d/y text, else None
    (native dates, ISO dates and month names need no decision)."""
    if not isinstance(value, str):
        return None
    text = cell_text(value)
    found = _NUMERIC.match(text)
    if found is None:
        return None
    first, second, year = (int(part) for part in found.groups())
    if len(found.group(3)) == 2:
        year = two_digit_year(year)
    return NumericDate(text, first, second, year)


_IN_TEXT = re.compile(r"(?<![\d/.\-])\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\d/.\-])")


def dates_in_text(text: str) -> list[NumericDate]:
    """Every numeric date inside a longer text ("Period: 01/02/2024 to 29/02/2024")."""
    found = (numeric_date(match) for match in _IN_TEXT.findall(text))
    return [date for date in found if date is not None]


def formats_for(order: DateOrder) -> tuple[str, ...]:
    return DATE_FORMATS if order == "dmy" else MONTH_FIRST_FORMATS


def check_order(order: str | None) -> DateOrder | None:
    if order is not None and order not in DATE_ORDERS:
        raise UnknownLayout(
            "invalid_date_order",
            f"Unknown date order '{order}'; expected 'dmy' (day first) or 'mdy' (month first).",
        )
    return order  # type: ignore[return-value]


def decide_order(dates: Iterable[NumericDate], how_to_say: str) -> DateOrder:
    """The file's one date order (see the module docstring). ``how_to_say`` ends the
    refusal: how the caller names the order for this kind of file."""
    votes = {"dmy": 0, "mdy": 0}
    examples: dict[str, str] = {}
    for date in dates:
        day_first, month_first = date.read("dmy"), date.read("mdy")
        if day_first and not month_first:
            votes["dmy"] += 1
            examples.setdefault("dmy", date.text)
        elif month_first and not day_first:
            votes["mdy"] += 1
            examples.setdefault("mdy", date.text)
        elif day_first and month_first and day_first != month_first:
            examples.setdefault("both", date.text)
    if votes["dmy"] != votes["mdy"]:
        return "dmy" if votes["dmy"] > votes["mdy"] else "mdy"
    if votes["dmy"]:
        raise UnknownLayout(
            "ambiguous_date_order",
            f"The dates in this file disagree on their order: '{examples['dmy']}' can only be "
            f"day-first and '{examples['mdy']}' only month-first; {how_to_say}.",
        )
    if "both" in examples:
        raise UnknownLayout(
            "ambiguous_date_order",
            f"Every date in this file reads both day-first and month-first (for example "
            f"'{examples['both']}'), so the order cannot be told from the file; {how_to_say}.",
        )
    return "dmy"
