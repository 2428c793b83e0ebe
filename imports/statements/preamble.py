"""What the lines above a table's header say about the statement: the account number, the
period, the currency and a stated opening balance. Shapes per bank: LAYOUTS.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .amounts import CellError, cell_text, parse_amount, parse_date

_DATE_TEXT = r"\d{1,2}[-/. ](?:[A-Za-z]{3,9}|\d{1,2})[-/. ,]*\d{2,4}"
_PERIOD = re.compile(
    rf"(?:from|period)\s*:?\s*-?\s*({_DATE_TEXT})\s*(?:to|till|-)\s*:?\s*({_DATE_TEXT})",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"(?:account|a/c)\s*(?:no|number|num)?\s*\.?\s*[:\-]*\s*([0-9Xx*]{4,}(?:[ -]?[0-9Xx*]+)*)",
    re.IGNORECASE,
)
# Kotak "Currency,INR"; ICICI "084601501234 ( INR ) - NAME" after the account number.
_CURRENCY_LABEL = re.compile(r"\bcurrency\b\s*[:\-]*\s*([A-Za-z]{3})\b", re.IGNORECASE)
_CURRENCY_AFTER_NUMBER = re.compile(r"^\s*\(\s*([A-Z]{3})\s*\)")
# Only codes an Indian bank account is kept in, so a "(SOL)" or "(ABC)" is not read as one.
_CURRENCIES = frozenset(
    [
        "INR",
        "USD",
        "EUR",
        "GBP",
        "AUD",
        "CAD",
        "SGD",
        "AED",
        "JPY",
        "CHF",
        "HKD",
        "NZD",
        "SAR",
        "QAR",
        "KWD",
        "BHD",
        "OMR",
        "SEK",
        "NOK",
        "DKK",
        "ZAR",
        "CNY",
        "THB",
        "MYR",
    ]
)
# SBI "Balance as on 1 Jan 2024 : 15,000.00"; "Opening Balance : 1,234.00".
_OPENING = re.compile(r"(?:opening\s+balance|balance\s+as\s+on\b[^:]*?)\s*:\s*(.+)$", re.I)


@dataclass(frozen=True)
class Preamble:
    account: str | None = None
    period: tuple[dt.date, dt.date] | None = None
    currency: str | None = None
    opening: Decimal | None = None


def read_preamble(rows: list[list[object]]) -> tuple[str | None, tuple[dt.date, dt.date] | None]:
    """Account number (masked as printed) and statement period from the lines above the
    header, e.g. "Account No : XXXXXXXX1234", "Statement of Account No - 9230... for the
    period (From : 16-03-2025 To : 04-05-2025)", "Account Statement from 1 Jan 2024 to
    31 Jan 2024", "Transaction Date from | 01/08/2026 | to | 31/08/2026"."""
    found = read_preamble_details(rows)
    return found.account, found.period


def read_preamble_details(
    rows: list[list[object]], period_formats: tuple[str, ...] | None = None
) -> Preamble:
    """Everything ``read_preamble`` reads, plus the currency and a stated opening balance.
    ``period_formats`` reads the period's dates (default: the day-first formats)."""
    account = period = currency = opening = None
    for cells in rows:
        line = " ".join(t for t in (cell_text(c) for c in cells) if t)
        if account is None:
            found = _ACCOUNT.search(line)
            if found and any(ch.isdigit() for ch in found.group(1)):
                account = re.sub(r"\s+", "", found.group(1))
                after = _CURRENCY_AFTER_NUMBER.match(line[found.end() :])
                if after and after.group(1) in _CURRENCIES:
                    currency = currency or after.group(1)
        if currency is None:
            label = _CURRENCY_LABEL.search(line)
            if label and label.group(1).upper() in _CURRENCIES:
                currency = label.group(1).upper()
        if opening is None:
            opening = _opening(line)
        if period is None:
            period = _period(line, period_formats)
    return Preamble(account, period, currency, opening)


def _period(line: str, formats: tuple[str, ...] | None) -> tuple[dt.date, dt.date] | None:
    found = _PERIOD.search(line)
    if not found:
        return None
    try:
        start = parse_date(found.group(1), formats)
        end = parse_date(found.group(2), formats)
    except CellError:
        return None
    return (start, end) if start <= end else None


def _opening(line: str) -> Decimal | None:
    found = _OPENING.search(line)
    if not found:
        return None
    text = found.group(1).strip()
    for candidate in (text, text.split(" ")[0]):
        try:
            return parse_amount(candidate)
        except CellError:
            continue
    return None


def last_four(number: str | None) -> str | None:
    """The last four digits of an account number as printed ("XXXXXXXX1234" -> "1234"),
    None when it does not end in four digits."""
    if not number:
        return None
    found = re.search(r"(\d{4})$", number.strip())
    return found.group(1) if found else None
