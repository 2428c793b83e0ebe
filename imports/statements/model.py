"""Data shapes and errors shared by every statement parser.

Everything here is plain data: no I/O, no web or database types, so the API layer can map
these to its own responses (each error carries the HTTP status it suggests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

FORMATS = (
    "hdfc_csv",
    "hdfc_xls",
    "icici_xls",
    "sbi",
    "axis",
    "kotak",
    "generic",
    "ofx",
    "qif",
    "aa_json",
)

Direction = Literal["debit", "credit"]

CHANNELS = (
    "upi",
    "neft",
    "imps",
    "rtgs",
    "atm",
    "pos",
    "ach",
    "nach",
    "ecs",
    "cheque",
    "salary",
    "interest",
    "card",
    "other",
)


@dataclass(frozen=True)
class Narration:
    """What a narration says. ``reference`` is the UPI RRN (12 digits) or the
    NEFT/RTGS UTR or IMPS RRN; ``bank`` is the counterparty's bank as written (a name,
    a bank code such as "YESB" or an IFSC)."""

    raw: str
    channel: str
    payee: str | None = None
    vpa: str | None = None
    reference: str | None = None
    bank: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class StatementRow:
    """One transaction as the bank printed it.

    ``amount`` is always positive with exactly two decimal places; ``direction`` says which
    way the money moved. ``balance`` is the signed running balance after the row (overdrawn
    is negative). A row that could not be read keeps its line and says why in ``error``;
    its other fields are best effort (see ``tables.py`` for the fallbacks).
    """

    line: int
    date: dt.date
    value_date: dt.date | None
    amount: Decimal
    direction: Direction
    narration: str
    reference: str | None
    balance: Decimal | None
    error: str | None = None


@dataclass(frozen=True)
class Statement:
    format: str
    account: str | None
    period: tuple[dt.date, dt.date] | None
    rows: list[StatementRow]


@dataclass(frozen=True)
class ColumnMapping:
    """Where the columns of a "generic" CSV/XLS/XLSX are, by their header text.

    Give either ``debit`` and/or ``credit`` columns, or one signed ``amount`` column
    (negative, or a ``Dr`` suffix, means debit). Header names are compared ignoring case,
    spaces and punctuation, so "Balance (INR)" finds "BALANCE(INR)". ``date_format`` is a
    strptime format; without it the common Indian day-first formats are tried (never
    month-first). ``header_row`` is 1-based; without it the first row holding every named
    column is the header.
    """

    date: str
    narration: str
    debit: str | None = None
    credit: str | None = None
    amount: str | None = None
    reference: str | None = None
    balance: str | None = None
    date_format: str | None = None
    header_row: int | None = None
    value_date: str | None = None

    def __post_init__(self) -> None:
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise UnknownLayout(
                "invalid_mapping",
                "A column mapping takes either an amount column or debit/credit columns, not both.",
            )
        if self.amount is None and self.debit is None and self.credit is None:
            raise UnknownLayout(
                "invalid_mapping",
                "A column mapping needs an amount column or a debit and/or credit column.",
            )
        if self.header_row is not None and self.header_row < 1:
            raise UnknownLayout("invalid_mapping", "header_row is 1-based and must be >= 1.")

    def columns(self) -> dict[str, str]:
        """The roles this mapping names, role -> header text."""
        roles = (
            "date",
            "narration",
            "debit",
            "credit",
            "amount",
            "reference",
            "balance",
            "value_date",
        )
        return {role: getattr(self, role) for role in roles if getattr(self, role) is not None}


class StatementError(ValueError):
    """Base of every error a statement parse raises on purpose.

    ``code`` is a stable machine-readable reason, ``message`` a sentence for a person that
    says what was expected, ``http_status`` the status the API is expected to answer with.
    """

    http_status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UnsupportedFile(StatementError):
    """The bytes are not a kind of file we read (PDF, image, archive, binary, zip bomb)."""

    http_status = 415


class UnknownLayout(StatementError):
    """Readable text or spreadsheet, but no known layout (or mapping) fits it."""

    http_status = 422


class CorruptFile(StatementError):
    """A spreadsheet, OFX or JSON file that is truncated or damaged."""

    http_status = 422


class TooManyRows(StatementError):
    """More data rows than the caller allows; raised as soon as one too many is seen."""

    http_status = 413
