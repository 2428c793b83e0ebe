"""Reading one cell: amounts, Dr/Cr markers and dates, the way Indian statements write them.

Cells arrive either as text (CSV, text-typed spreadsheet cells) or as native values from a
spreadsheet reader (int, float, date, datetime). Floats only ever come from a spreadsheet's
stored double; they are converted through ``repr`` (the shortest text that round-trips, e.g.
``1234.5``) and never used in arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

TWO_PLACES = Decimal("0.01")
_FLOAT_NOISE = Decimal("0.000001")

# Text that means "nothing here" in a statement cell.
_BLANKS = {"", "-", "--", "—", "–", "nil", "na", "n/a", "null", "none"}

_CURRENCY = re.compile(r"^(?:₹|inr|rs\.?|rs)\s*", re.IGNORECASE)
_DRCR_SUFFIX = re.compile(r"\s*\(?\s*(dr|cr)\.?\s*\)?\s*$", re.IGNORECASE)
_DRCR_PREFIX = re.compile(r"^\s*(dr|cr)\.?\s+", re.IGNORECASE)
# Digits with optional thousands/lakh commas and an optional fraction of any length.
_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{2,3})+)(?:\.\d*)?$|^[+-]?\.\d+$")


class CellError(ValueError):
    """A cell that should hold an amount or a date holds something else."""


def quote(text: str, limit: int = 40) -> str:
    """A cell's text quoted for a message, shortened: a message names the cell, it does
    not repeat a whole (possibly enormous) value."""
    text = " ".join(str(text).split())
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 3]}...'"


def cell_text(value: object) -> str:
    """A cell as one line of text: None -> "", internal whitespace runs -> one space."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return " ".join(str(value).split())


def is_blank(value: object) -> bool:
    return cell_text(value).lower() in _BLANKS


def drcr_of(value: object) -> str | None:
    """'debit' / 'credit' for a Dr/Cr marker cell (DR, Dr., D, DEBIT, CR, C, CREDIT), else None."""
    text = cell_text(value).lower().rstrip(".")
    if text in {"dr", "d", "debit", "db"}:
        return "debit"
    if text in {"cr", "c", "credit"}:
        return "credit"
    return None


def parse_amount(value: object) -> Decimal | None:
    """A signed amount with exactly two places, or None for an empty cell.

    Accepts ``1,23,456.78`` (Indian grouping) and ``123,456.78``, a ``₹``/``INR``/``Rs``
    prefix, a ``Dr``/``Cr`` suffix or prefix (``Dr`` makes it negative), a leading sign,
    accounting brackets ``(450.00)``, and 0 or 1 decimals (``450``, ``450.5``). More than two
    decimals is accepted only when the extra digits are zeros (``500.000``), since paise are
    the smallest unit. Raises ``CellError`` for anything else.
    """
    return read_amount(value)[0]


def read_amount(value: object) -> tuple[Decimal | None, str | None]:
    """``parse_amount`` plus the cell's own Dr/Cr marker: ("debit"/"credit", or None when
    the cell has no marker). A marker states the direction outright; a minus sign or
    brackets only say "the other way from this column" (a negative withdrawal is a
    credit), so a caller reading a debit or credit column needs to tell them apart."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return Decimal(value).quantize(TWO_PLACES), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("not a number")
        exact = Decimal(repr(value))
        paise = exact.quantize(TWO_PLACES)
        # A formula cell can hold 1234.5600000000001 for 1234.56: binary noise, not paise.
        if abs(exact - paise) < _FLOAT_NOISE:
            return paise, None
        return _exact_two_places(exact, repr(value)), None
    if isinstance(value, Decimal):
        return _exact_two_places(value, str(value)), None
    text = cell_text(value)
    if text.lower() in _BLANKS:
        return None, None
    return _amount_text(text)


def _amount_text(raw: str) -> tuple[Decimal, str | None]:
    text = raw
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    sign_marker = None
    suffix = _DRCR_SUFFIX.search(text)
    if suffix:
        sign_marker, text = suffix.group(1).lower(), text[: suffix.start()]
    prefix = _DRCR_PREFIX.match(text)
    if prefix:
        sign_marker, text = prefix.group(1).lower(), text[prefix.end() :]
    text = _CURRENCY.sub("", text.strip()).strip()
    if text.startswith("-") and len(text) > 1 and text[1] in "₹R":
        negative, text = not negative, _CURRENCY.sub("", text[1:]).strip()
    # Axis writes a negative grouped balance as "-,77,65,682.30".
    text = text.replace("-,", "-").replace(" ", "")
    if not _NUMBER.match(text):
        raise CellError(f"{quote(raw)} is not an amount")
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # the regex above should make this unreachable
        raise CellError(f"{quote(raw)} is not an amount") from exc
    if negative:
        amount = -amount
    if sign_marker == "dr":
        return _exact_two_places(-abs(amount), raw), "debit"
    if sign_marker == "cr":
        return _exact_two_places(abs(amount), raw), "credit"
    return _exact_two_places(amount, raw), None


# OFX and QIF amounts: a decimal point or a decimal comma (OFX allows either; European
# QIF exports write "-200,00"), with grouping by the other mark tolerated.
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9.,]*[0-9][0-9.,]*$")
_COMMA_DECIMALS = re.compile(r"^[+-]?\d+,\d{1,2}$")
_GROUPED = re.compile(r"^[+-]?(?:\d*|\d{1,3}(?:,\d{2,3})+)$")


def decimal_mark(texts: list[str]) -> str | None:
    """The decimal mark a whole file uses, from the amounts that show it: "," or ".", or
    None when no amount tells (or they disagree). "-200,00" shows ","; "1,234.50" and
    "1,23,456" show "."; "1.234,56" and "1.234.567" show ","; "450.00" shows "."."""
    seen: set[str] = set()
    for raw in texts:
        text = raw.strip().replace(" ", "")
        commas, dots = text.count(","), text.count(".")
        if commas and dots:
            seen.add("," if text.rfind(",") > text.rfind(".") else ".")
        elif commas > 1 or (dots == 1 and not re.search(r"\.\d{3}$", text)):
            seen.add(".")
        elif dots > 1 or _COMMA_DECIMALS.match(text):
            seen.add(",")
    return seen.pop() if len(seen) == 1 else None


def parse_plain_amount(raw: str, mark: str | None) -> Decimal | None:
    """An OFX/QIF amount with exactly two places, None when blank. ``mark`` is the file's
    decimal mark from ``decimal_mark``. When both marks appear the last is the decimal
    one; a mark that appears twice is grouping. A single mark followed by exactly three
    digits is decided by the file ("1,230" is 1,230.00 in a file that shows "." and 1.23
    in one that shows ","); with no evidence a comma there is refused as ambiguous and a
    point is a decimal point, as the OFX specification says."""
    text = raw.strip().replace(" ", "")
    if not text:
        return None
    if not _PLAIN_NUMBER.match(text):
        raise CellError(f"{quote(raw)} is not an amount")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas + dots == 0:
        decimal = None
    elif commas > 1 or dots > 1:
        decimal = "." if commas else ","
    else:
        single = "," if commas else "."
        if not re.search(r"[.,]\d{3}$", text):
            decimal = single
        elif mark is not None:
            decimal = single if mark == single else ("." if single == "," else ",")
        elif single == ",":
            raise CellError(
                f"{quote(raw)} is ambiguous: the comma may be a decimal or a thousands separator"
            )
        else:
            decimal = "."
    whole, fraction = text, ""
    if decimal and decimal in text:
        whole, _, fraction = text.rpartition(decimal)
    grouping = "." if decimal == "," else ","
    if not _GROUPED.match(whole.replace(grouping, ",")) or (not fraction.isdigit() and fraction):
        raise CellError(f"{quote(raw)} is not an amount")
    try:
        amount = Decimal(f"{whole.replace(grouping, '')}.{fraction or '0'}")
    except InvalidOperation as exc:
        raise CellError(f"{quote(raw)} is not an amount") from exc
    return _exact_two_places(amount, raw)


def _exact_two_places(amount: Decimal, raw: str) -> Decimal:
    quantized = amount.quantize(TWO_PLACES)
    if quantized != amount:
        raise CellError(f"{quote(raw)} has fractions of a paisa")
    return quantized


# Day-first numeric formats: Indian statements never put the month first (generic files
# of any other order are read through dateorder.py).
DATE_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%d/%b/%Y",
    "%d-%B-%Y",
    "%Y-%m-%d",
    "%d%b%Y",
    "%b %d, %Y",  # "Jan 15, 2024": the month is named, so the order is not in doubt
    "%B %d, %Y",
)

# A time of day after the date (Kotak: "06-06-2026 22:04:25"; ISO "T10:00:00").
_TIME_TAIL = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]m)?)$", re.I)


def parse_date(value: object, formats: tuple[str, ...] | None = None) -> dt.date:
    """A date from a cell. Native dates/datetimes pass through; text is tried against
    ``formats`` (default: the common Indian day-first ones). Numbers are refused on
    purpose: a bare number in a date column is a summary figure, not an Excel serial."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or isinstance(value, (int, float, bool, Decimal)):
        raise CellError("no date")
    text = cell_text(value)
    if not text:
        raise CellError("no date")
    candidates = [text]
    without_time = _TIME_TAIL.sub("", text).strip()
    if without_time != text:
        candidates.append(without_time)
    for candidate in candidates:
        for fmt in formats or DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    raise CellError(f"{quote(text)} is not a date")


def looks_like_date(value: object, formats: tuple[str, ...] | None = None) -> bool:
    try:
        parse_date(value, formats)
    except CellError:
        return False
    return True
