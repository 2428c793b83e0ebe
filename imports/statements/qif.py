"""QIF (Quicken Interchange Format) bank/cash/card exports.

Records are split and read here, field by field (``D`` date, ``T``/``U`` amount, ``P``
payee, ``M`` memo, ``N`` cheque number); a damaged record becomes an error row instead of
failing the file, and each row keeps its source line. Lines starting with ``#`` are
comments some exporters write.

QIF fixes neither the date order nor the decimal mark, so both are decided once per file:
the date order from all its dates (``dateorder.py``; ``'`` before the year means 2000 and
later, as Quicken writes it: ``2/14'2020``, `` 1/ 5'24``), unless the caller passes one;
the decimal mark from all its amounts (``amounts.decimal_mark``: ``T-200,00`` is -200.00).
quiffen is not used for these values: it reads each date on its own (``dayfirst``
falling back to month-first, so one file gets both orders) and drops commas from amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .amounts import (
    CellError,
    cell_text,
    decimal_mark,
    parse_date,
    parse_plain_amount,
    quote,
)
from .dateorder import DateOrder, NumericDate, decide_order, two_digit_year
from .model import Statement, StatementRow, TooManyRows, UnknownLayout
from .preamble import last_four
from .tables import clean_reference, rows_period

# Sections whose records are plain transactions; investment sections are not statements.
_TRANSACTION_TYPES = {"bank", "cash", "ccard", "otha", "othl", "oth a", "oth l"}
_QIF_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})([/.\-'])(\d{1,4})$")
# A masked number ("XXXX4321") or six or more digits; "Salary 2024" names no account.
_NUMBER_IN_NAME = re.compile(r"(?<![\w*])(?:[Xx*]+\d{4,}|\d{6,})\b")
_SAY_ORDER = "pass date_order 'dmy' (day first) or 'mdy' (month first)"


@dataclass
class _Record:
    line: int
    fields: dict[str, str]


def parse_qif(text: str, max_rows: int, order: DateOrder | None = None) -> Statement:
    account, records = _records(text, max_rows)
    dates = [_numeric(r.fields.get("D", "")) for r in records]
    if order is None:
        order = decide_order((d for d in dates if isinstance(d, NumericDate)), _SAY_ORDER)
    mark = decimal_mark([_amount_text(r) for r in records])
    rows: list[StatementRow] = []
    for record in records:
        rows.append(_row(record, order, mark, rows[-1].date if rows else None))
    number = _number_in(account)
    return Statement(
        "qif",
        account,
        rows_period(rows),
        rows,
        account_number=number,
        number_last4=last_four(number),
    )


def _records(text: str, max_rows: int) -> tuple[str | None, list[_Record]]:
    """The account name (from an ``!Account`` block) and the transaction records."""
    account: str | None = None
    section: str | None = None
    in_account_block = False
    records: list[_Record] = []
    fields: dict[str, str] = {}
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            header = line[1:].strip().lower()
            in_account_block = header == "account"
            if header.startswith("type:"):
                section = header[5:].strip()
            fields = {}
            continue
        if line == "^":
            if not in_account_block and fields and section in _TRANSACTION_TYPES:
                if len(records) >= max_rows:
                    raise TooManyRows(
                        "too_many_rows", f"The statement has more than {max_rows:,} transactions."
                    )
                records.append(_Record(start, fields))
            in_account_block = False
            fields = {}
            continue
        if in_account_block:
            if line.startswith("N") and account is None:
                account = line[1:].strip() or None
            continue
        if not fields:
            start = number
        # The first of each field counts; a split's own "$" amounts are not the row's.
        fields.setdefault(line[0], line[1:].strip())
    if not records:
        raise UnknownLayout(
            "unknown_layout",
            "This QIF file has no bank, cash or card transactions (!Type:Bank, !Type:Cash, "
            "!Type:CCard).",
        )
    return account, records


def _numeric(text: str) -> NumericDate | dt.date | None:
    """A QIF date: a ``NumericDate`` awaiting the file's order, a date when the year comes
    first (``2020-02-14``), or None when it is not numeric."""
    found = _QIF_DATE.match(text.strip().replace(" ", "0"))
    if found is None:
        return None
    first, second, separator, year_text = found.groups()
    if len(first) == 4:
        try:
            return dt.date(int(first), int(second), int(year_text))
        except ValueError:
            return None
    year = int(year_text)
    if len(year_text) <= 2:
        year = 2000 + year if separator == "'" else two_digit_year(year)
    return NumericDate(text.strip(), int(first), int(second), year)


def _date(text: str, order: DateOrder) -> dt.date:
    if not text:
        raise CellError("no date")
    found = _numeric(text)
    if isinstance(found, dt.date):
        return found
    if isinstance(found, NumericDate):
        date = found.read(order)
        if date is None:
            first = "day" if order == "dmy" else "month"
            raise CellError(f"{quote(text)} is not a date ({first} first, as the file's dates are)")
        return date
    return parse_date(text)  # "15 Jan 2024", ISO with time: the order is in the text


def _amount_text(record: _Record) -> str:
    return record.fields.get("T") or record.fields.get("U") or ""


def _row(
    record: _Record, order: DateOrder, mark: str | None, previous: dt.date | None
) -> StatementRow:
    fields = record.fields
    problems: list[str] = []
    date = None
    try:
        date = _date(fields.get("D", ""), order)
    except CellError as exc:
        problems.append(f"date: {exc}")
    amount = None
    try:
        amount = parse_plain_amount(_amount_text(record), mark)
    except CellError as exc:
        problems.append(f"amount: {exc}")
    else:
        if not amount:
            problems.append("no amount")
    narration = " ".join(
        part for part in (cell_text(fields.get("P")), cell_text(fields.get("M"))) if part
    )
    if problems:  # an error row carries no money: nothing in it can be trusted
        amount = None
    return StatementRow(
        line=record.line,
        date=date or previous or dt.date.min,
        value_date=None,
        amount=abs(amount) if amount else Decimal("0.00"),
        direction="credit" if amount is not None and amount > 0 else "debit",
        narration=narration,
        reference=clean_reference(fields.get("N")),
        balance=None,
        error="; ".join(problems) or None,
    )


def _number_in(account: str | None) -> str | None:
    """An account number inside a QIF account name ("Savings XXXX4321" -> "XXXX4321")."""
    found = _NUMBER_IN_NAME.findall(account or "")
    return found[-1] if found else None
