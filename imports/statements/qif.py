"""QIF (Quicken Interchange Format) bank/cash/card exports.

Each record is read by ``quiffen`` (``Transaction.from_list``); we split the file into
records ourselves first so one damaged record becomes an error row instead of failing
the whole file, and so each row keeps its source line number.

Dates are read day-first: QIF has no fixed date order, and Indian exports write
dd/mm/yyyy. A date that only makes sense month-first (``12/31/2024``) is still read
correctly by dateutil's fallback.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from quiffen import Transaction

from .amounts import TWO_PLACES, cell_text
from .model import Statement, StatementRow, TooManyRows, UnknownLayout
from .tables import clean_reference, rows_period

# Sections whose records are plain transactions; investment sections are not statements.
_TRANSACTION_TYPES = {"bank", "cash", "ccard", "otha", "othl", "oth a", "oth l"}


def parse_qif(text: str, max_rows: int) -> Statement:
    rows: list[StatementRow] = []
    account: str | None = None
    section: str | None = None
    in_account_block = False
    record: list[str] = []
    record_line = 0
    saw_transactions = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("!"):
            header = line[1:].strip().lower()
            in_account_block = header == "account"
            if header.startswith("type:"):
                section = header[5:].strip()
            elif header.startswith(("option", "clear")):
                continue
            record = []
            continue
        if line.strip() == "^":
            if in_account_block:
                in_account_block = False
            elif record and section in _TRANSACTION_TYPES:
                saw_transactions = True
                if len(rows) >= max_rows:
                    raise TooManyRows(
                        "too_many_rows", f"The statement has more than {max_rows:,} transactions."
                    )
                rows.append(_row(record, record_line, rows[-1].date if rows else None))
            record = []
            continue
        if in_account_block:
            if line.startswith("N") and account is None:
                account = line[1:].strip() or None
            continue
        if not record:
            record_line = number
        record.append(line)
    if not saw_transactions:
        raise UnknownLayout(
            "unknown_layout",
            "This QIF file has no bank, cash or card transactions (!Type:Bank, !Type:Cash, "
            "!Type:CCard).",
        )
    return Statement("qif", account, rows_period(rows), rows)


def _row(record: list[str], line: int, previous: dt.date | None) -> StatementRow:
    try:
        transaction, _classes = Transaction.from_list(record, day_first=True, line_number=line)
    except (ValueError, ArithmeticError, OverflowError) as exc:
        return _error_row(record, line, previous, str(exc).splitlines()[0])
    amount = Decimal(transaction.amount)
    quantized = amount.quantize(TWO_PLACES)
    if quantized != amount or quantized == 0:
        why = "no amount" if quantized == 0 else "fractions of a paisa"
        return _error_row(record, line, previous, why)
    narration = " ".join(
        part for part in (cell_text(transaction.payee), cell_text(transaction.memo)) if part
    )
    return StatementRow(
        line=line,
        date=transaction.date.date(),
        value_date=None,
        amount=abs(quantized),
        direction="debit" if quantized < 0 else "credit",
        narration=narration,
        reference=clean_reference(transaction.check_number),
        balance=None,
    )


def _error_row(record: list[str], line: int, previous: dt.date | None, why: str) -> StatementRow:
    fields = {entry[:1]: entry[1:].strip() for entry in record}
    return StatementRow(
        line=line,
        date=previous or dt.date.min,
        value_date=None,
        amount=Decimal("0.00"),
        direction="debit",
        narration=" ".join(p for p in (fields.get("P", ""), fields.get("M", "")) if p),
        reference=clean_reference(fields.get("N")),
        balance=None,
        error=re.sub(r"\s+", " ", why) or "unreadable record",
    )
