"""Data shapes and errors shared by every statement parser.

Everything here is plain data: no I/O, no web or database types, so the API layer can map
these to its own responses (each error carries the HTTP status it suggests).
"""

from __future__ import annotations

import datetime as dt
import re
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
    "hdfc_card",
    "icici_card",
    "sbi_card",
    "axis_card",
)
CARD_FORMATS = ("hdfc_card", "icici_card", "sbi_card", "axis_card")

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
    ``balance_mismatch`` is True when the row's balance does not follow from the balance
    before it and this row's amount and direction (see ``balances.py``); the row is kept.
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
    balance_mismatch: bool = False


@dataclass(frozen=True)
class CardSummary:
    """The summary block of a credit-card statement; None where the issuer prints nothing.
    A balance marked "Cr" (the bank owes the cardholder) is negative."""

    statement_date: dt.date | None = None
    due_date: dt.date | None = None
    total_due: Decimal | None = None
    minimum_due: Decimal | None = None
    credit_limit: Decimal | None = None
    available_limit: Decimal | None = None
    previous_balance: Decimal | None = None


@dataclass(frozen=True)
class Statement:
    """A parsed file.

    ``account`` labels the account as the file names it (a masked number, or a QIF account
    name). ``account_number`` is the account number as printed (digits, possibly masked
    with X or *) and ``number_last4`` its last four digits, both None when the file prints
    no number. ``currency`` is the ISO code the amounts are in (None when the file does not
    say and the layout does not fix it). ``opening_balance`` is the balance before the
    first transaction and ``closing_balance`` the balance after the last, when the file
    carries running balances (otherwise None).
    """

    format: str
    account: str | None
    period: tuple[dt.date, dt.date] | None
    rows: list[StatementRow]
    currency: str | None = None
    account_number: str | None = None
    number_last4: str | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    card: CardSummary | None = None  # a credit-card statement's summary


# What a Dr/Cr column may say, compared as letters and digits only, lower-cased.
DEBIT_MARKERS = ("dr", "d", "debit", "db")
CREDIT_MARKERS = ("cr", "c", "credit")


def marker_key(value: object) -> str:
    """A Dr/Cr marker reduced to lowercase letters and digits ("Dr." -> "dr")."""
    return re.sub(r"[^a-z0-9]", "", str(value).lower()) if value is not None else ""


@dataclass(frozen=True)
class ColumnMapping:
    """Where the columns of a "generic" CSV/XLS/XLSX are, by their header text.

    The amount is one of: ``debit`` and/or ``credit`` columns; one ``amount`` column with
    a ``direction`` column saying Dr/Cr (``debit_values``/``credit_values`` list what that
    column writes, compared ignoring case and punctuation; defaults ``DEBIT_MARKERS`` and
    ``CREDIT_MARKERS``); or one signed ``amount`` column (negative, or a ``Dr`` suffix,
    means debit). Header names are compared ignoring case, spaces and punctuation, so
    "Balance (INR)" finds "BALANCE(INR)". ``date_format`` is a strptime format; without it
    the file's date order is decided from all its dates (see ``dateorder.py``).
    ``header_row`` is 1-based; without it the first row holding every named column is the
    header.
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
    direction: str | None = None
    debit_values: tuple[str, ...] | None = None
    credit_values: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        def invalid(message: str) -> UnknownLayout:
            return UnknownLayout("invalid_mapping", message)

        split = self.debit is not None or self.credit is not None
        if self.amount is not None and split:
            raise invalid(
                "A column mapping takes either an amount column or debit/credit columns, not both."
            )
        if self.amount is None and not split:
            raise invalid(
                "A column mapping needs an amount column or a debit and/or credit column."
            )
        if self.direction is not None and self.amount is None:
            raise invalid(
                "A direction (Dr/Cr) column goes with one amount column, not with "
                "debit/credit columns."
            )
        if self.header_row is not None and self.header_row < 1:
            raise invalid("header_row is 1-based and must be >= 1.")
        for name in ("debit_values", "credit_values"):
            values = getattr(self, name)
            if values is None:
                continue
            if self.direction is None:
                raise invalid(f"{name} applies only with a direction (Dr/Cr) column.")
            if isinstance(values, str) or not values or not all(marker_key(v) for v in values):
                raise invalid(f"{name} must be a list of one or more non-blank texts.")
            object.__setattr__(self, name, tuple(values))
        debit_keys, credit_keys = self.direction_markers()
        both = sorted(debit_keys & credit_keys)
        if both:
            raise invalid(f"'{both[0]}' cannot mean both debit and credit.")

    def direction_markers(self) -> tuple[frozenset[str], frozenset[str]]:
        """The direction column's debit and credit texts, as ``marker_key`` values."""
        debit = self.debit_values if self.debit_values is not None else DEBIT_MARKERS
        credit = self.credit_values if self.credit_values is not None else CREDIT_MARKERS
        return frozenset(map(marker_key, debit)), frozenset(map(marker_key, credit))

    def columns(self) -> dict[str, str]:
        """The roles this mapping names, role -> header text ("drcr" is ``direction``)."""
        roles = {
            "date": self.date,
            "narration": self.narration,
            "debit": self.debit,
            "credit": self.credit,
            "amount": self.amount,
            "drcr": self.direction,
            "reference": self.reference,
            "balance": self.balance,
            "value_date": self.value_date,
        }
        return {role: name for role, name in roles.items() if name is not None}


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

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Rebuilt from both fields when it crosses from a worker process (a PDF's parse).
        return (type(self), (self.code, self.message))


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
