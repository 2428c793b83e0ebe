"""The engine shared by every tabular layout (bank CSV/XLS and mapped "generic" files).

A layout names the columns it needs by header text. The engine finds the header row,
reads the account number and statement period from the lines above it, then turns each
line below it into a ``StatementRow``:

* blank lines and rows of asterisks are skipped;
* a repeated header (page breaks in some exports) is skipped;
* a line without a date and without amounts continues the previous row's narration;
* opening-balance / brought-forward lines are skipped;
* a summary or footer marker ("STATEMENT SUMMARY", "Legends Used ...", "computer
  generated", "Page Total", "TRANSACTION TOTAL", "CLOSING BALANCE") ends the table;
* a dated line whose debit and credit are both empty or zero is skipped when it is the
  first data line (ICICI's zero-amount opening balance) or is labelled as a balance line,
  and otherwise kept as an error row;
* any other line that cannot be read becomes a row with ``error`` set.

Error rows keep the best values available: the date falls back to the previous row's
date (or ``date.min`` if there is none), an unreadable amount becomes 0.00 and an
unknown direction "debit". Error rows never count towards ``Statement.period``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from .amounts import CellError, cell_text, drcr_of, is_blank, parse_date, quote, read_amount
from .balances import check_balances
from .model import Statement, StatementRow, TooManyRows, marker_key
from .preamble import last_four, read_preamble_details

HEADER_SCAN_ROWS = 150

AMOUNT_ROLES = ("debit", "credit", "amount")

TERMINAL_MARKERS = (
    "statement summary",
    "legends used",
    "end of statement",
    "computer generated",
    "computer-generated",
    "unless the constituent",
    "page total",
    "transaction total",
    "closing balance",
    "generated on",
)
SKIP_MARKERS = (
    "opening balance",
    "brought forward",
    "carried forward",
    "balance b/f",
    "b/f",
    "c/f",
)


def header_key(value: object) -> str:
    """Header text reduced to lowercase letters and digits: "Withdrawal Amount (INR )" and
    "Withdrawal Amount(INR)" both become "withdrawalamountinr"."""
    return marker_key(cell_text(value))


@dataclass(frozen=True)
class Column:
    role: str
    names: tuple[str, ...]  # accepted header_key() values
    required: bool = True


@dataclass(frozen=True)
class Layout:
    format: str
    label: str  # how a person would name it in an error message
    columns: tuple[Column, ...]
    date_formats: tuple[str, ...] | None = None
    # Dates in the preamble's period line (default: the day-first formats).
    period_formats: tuple[str, ...] | None = None
    # (debit, credit) texts of the "drcr" column as marker_key values; default drcr_of.
    drcr_values: tuple[frozenset[str], frozenset[str]] | None = None
    # The currency when the preamble names none: Indian bank layouts are in rupees.
    currency: str | None = "INR"
    # What a single unsigned, unmarked amount is: money in on a bank account, a charge on a
    # credit card (whose statements mark only refunds and payments, "Cr").
    unsigned: str = "credit"

    def match(self, cells: list[object]) -> dict[str, int] | None:
        """Column index per role if ``cells`` is this layout's header row, else None.

        Each header cell is given to the first still-unassigned role that accepts it, left
        to right, so a repeated header text (Kotak's two "Dr / Cr" columns) fills the roles
        in the order the layout lists them.
        """
        assigned: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = header_key(cell)
            if not key:
                continue
            for column in self.columns:
                if column.role not in assigned and key in column.names:
                    assigned[column.role] = index
                    break
        if all(c.role in assigned for c in self.columns if c.required):
            return assigned
        return None


@dataclass(frozen=True)
class HeaderMatch:
    layout: Layout
    index: int  # position of the header row in the scanned rows
    columns: dict[str, int]
    width: int = 0  # cells in the header row


def find_header(rows: list[list[object]], layouts: Iterable[Layout]) -> HeaderMatch | None:
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        for layout in layouts:
            columns = layout.match(cells)
            if columns is not None:
                return HeaderMatch(layout, index, columns, len(cells))
    return None


# SBI fills "Ref No./Cheque No." with the internal transfer leg ("TRANSFER TO 4897...")
# for every UPI/NEFT row: the same text on many rows, so it identifies nothing.
_NOT_A_REFERENCE = re.compile(r"^(?:TRANSFER\s+(?:TO|FROM)|TFR\b)", re.IGNORECASE)


def clean_reference(value: object) -> str | None:
    """A bank reference as stable text: blank, "-" and all-zero cells mean none; leading
    zeros of an all-digit reference are dropped (HDFC pads to 16 digits in one export and
    not another), so the same transaction keys the same way in both. SBI's "TRANSFER
    TO/FROM <account>" is not a reference (the narration's RRN/UTR is used instead)."""
    text = cell_text(value)
    if is_blank(text) or _NOT_A_REFERENCE.match(text):
        return None
    if text.isdigit():
        text = text.lstrip("0")
        return text or None
    return text


class TableReader:
    """Turns the rows under a header into StatementRows (see the module docstring)."""

    def __init__(self, match: HeaderMatch, max_rows: int, text_source: bool = False) -> None:
        self.layout = match.layout
        self.columns = match.columns
        # Only a text export can split a narration on a comma; spreadsheet cells are cells.
        self.width = match.width if text_source else 0
        self.max_rows = max_rows
        self.rows: list[StatementRow] = []
        self._last_date: dt.date | None = None
        self.stated_opening: Decimal | None = None

    def _cell(self, cells: list[object], role: str) -> object:
        index = self.columns.get(role)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def feed(self, line: int, cells: list[object]) -> bool:
        """Read one line; False once a footer marker ends the table."""
        cells = self._rejoin_narration(cells)
        texts = [cell_text(c) for c in cells]
        if all(not t for t in texts) or all(not t or set(t) <= {"*"} for t in texts):
            return True
        try:
            date = parse_date(self._cell(cells, "date"), self.layout.date_formats)
        except CellError as exc:
            return self._undated(line, cells, texts, str(exc))
        return self._dated(line, cells, date)

    def _rejoin_narration(self, cells: list[object]) -> list[object]:
        """Undo an unquoted comma inside the narration of a text export (HDFC writes
        "NEFT DR-...-NETBANK, MUM-..." unquoted): when a line has more cells than the
        header, the surplus belongs to the narration, the only free-text column."""
        index = self.columns.get("narration")
        extra = len(cells) - self.width
        if index is None or self.width == 0 or extra <= 0:
            return cells
        if all(not cell_text(c) for c in cells[self.width :]):
            return cells
        merged = ",".join(str(c) for c in cells[index : index + extra + 1])
        return [*cells[:index], merged, *cells[index + extra + 1 :]]

    def _undated(self, line: int, cells: list[object], texts: list[str], why: str) -> bool:
        if self.layout.match(cells) is not None:  # header repeated at a page break
            return True
        lowered = " ".join(texts).lower()
        if any(marker in lowered for marker in TERMINAL_MARKERS):
            return False
        if any(marker in lowered for marker in SKIP_MARKERS):
            self._note_opening(cells)
            return True
        if all(is_blank(self._cell(cells, role)) for role in AMOUNT_ROLES):
            narration = cell_text(self._cell(cells, "narration"))
            if narration and self.rows:
                last = self.rows[-1]
                self.rows[-1] = replace(last, narration=f"{last.narration} {narration}".strip())
            return True
        self._append_error(line, cells, f"date: {why}")
        return True

    def _dated(self, line: int, cells: list[object], date: dt.date) -> bool:
        narration = cell_text(self._cell(cells, "narration"))
        problems: list[str] = []
        amount, direction = self._amount(cells, problems)
        if amount is None and not problems:
            lowered = narration.lower()
            if not self.rows or any(m in lowered for m in SKIP_MARKERS):
                self._note_opening(cells)
                return True
            problems.append("no debit or credit amount")
        balance = self._balance(cells, problems)
        value_date = None
        if "value_date" in self.columns and not is_blank(self._cell(cells, "value_date")):
            try:
                value_date = parse_date(self._cell(cells, "value_date"), self.layout.date_formats)
            except CellError as exc:
                problems.append(f"value date: {exc}")
        row = StatementRow(
            line=line,
            date=date,
            value_date=value_date,
            amount=amount if amount is not None else Decimal("0.00"),
            direction=direction or "debit",
            narration=narration,
            reference=clean_reference(self._cell(cells, "reference")),
            balance=balance,
            error="; ".join(problems) or None,
        )
        self._append(row)
        if row.error is None:
            self._last_date = date
        return True

    def _amount(
        self, cells: list[object], problems: list[str]
    ) -> tuple[Decimal | None, str | None]:
        if "amount" in self.columns:
            return self._single_amount(cells, problems)
        found: list[tuple[Decimal, str]] = []
        for role in ("debit", "credit"):
            try:
                value, marker = read_amount(self._cell(cells, role))
            except CellError as exc:
                problems.append(f"{role}: {exc}")
                continue
            if value:  # None and 0.00 both mean "no money this side"
                found.append((abs(value), marker or turned(role, value)))
        if len(found) == 2:
            problems.append("both a debit and a credit amount")
            return found[0][0], found[0][1]
        if found:
            return found[0]
        return None, None

    def _single_amount(
        self, cells: list[object], problems: list[str]
    ) -> tuple[Decimal | None, str | None]:
        """One amount column: signed, or with a Dr/Cr column beside it."""
        cell = self._cell(cells, "amount")
        try:
            value, marker = read_amount(cell)
        except CellError as exc:
            problems.append(f"amount: {exc}")
            return None, None
        if value is None or value == 0:
            return None, None
        if "drcr" not in self.columns:
            return abs(value), marker or turned(self.layout.unsigned, value)
        stated = self._direction(self._cell(cells, "drcr"))
        if stated is None:
            drcr = quote(cell_text(self._cell(cells, "drcr")))
            problems.append(f"Dr/Cr: {drcr} is neither a debit nor a credit marker")
            return abs(value), None
        if marker is not None and marker != stated:
            problems.append(
                f"amount: {quote(cell_text(cell))} is marked {marker} but the Dr/Cr column "
                f"says {stated}"
            )
        return abs(value), marker or turned(stated, value)

    def _direction(self, value: object) -> str | None:
        if self.layout.drcr_values is None:
            return drcr_of(value)
        debit, credit = self.layout.drcr_values
        key = marker_key(cell_text(value))
        return "debit" if key in debit else "credit" if key in credit else None

    def _balance(self, cells: list[object], problems: list[str]) -> Decimal | None:
        if "balance" not in self.columns:
            return None
        try:
            balance, _marker = read_amount(self._cell(cells, "balance"))
        except CellError as exc:
            problems.append(f"balance: {exc}")
            return None
        marker = drcr_of(self._cell(cells, "balance_drcr"))  # None when there is no column
        if balance is not None and marker == "debit":
            balance = -abs(balance)
        return balance

    def _note_opening(self, cells: list[object]) -> None:
        """A balance line skipped before the first transaction (Axis "OPENING BALANCE",
        ICICI's zero-amount "B/F") states the balance before it: no money has moved yet."""
        if not self.rows:
            self.stated_opening = self._balance(cells, [])

    def _append_error(self, line: int, cells: list[object], why: str) -> None:
        problems = [why]
        amount, direction = self._amount(cells, problems)
        self._append(
            StatementRow(
                line=line,
                date=self._last_date or dt.date.min,
                value_date=None,
                amount=amount if amount is not None else Decimal("0.00"),
                direction=direction or "debit",
                narration=cell_text(self._cell(cells, "narration")),
                reference=clean_reference(self._cell(cells, "reference")),
                balance=self._balance(cells, problems),
                error="; ".join(problems),
            )
        )

    def _append(self, row: StatementRow) -> None:
        if len(self.rows) >= self.max_rows:
            raise TooManyRows(
                "too_many_rows",
                f"The statement has more than {self.max_rows:,} transactions; "
                "split it into shorter periods.",
            )
        self.rows.append(row)


def read_table(
    match: HeaderMatch,
    preamble: list[list[object]],
    body: Iterator[tuple[int, list[object]]],
    max_rows: int,
    text_source: bool = False,
) -> Statement:
    """Read every line after the header (``body`` yields (line number, cells))."""
    layout = match.layout
    found = read_preamble_details(preamble, layout.period_formats)
    reader = TableReader(match, max_rows, text_source)
    for line, cells in body:
        if not reader.feed(line, cells):
            break
    stated = found.opening if found.opening is not None else reader.stated_opening
    rows, opening, closing = check_balances(reader.rows, stated)
    return Statement(
        format=layout.format,
        account=found.account,
        period=found.period or rows_period(rows),
        rows=rows,
        currency=found.currency or layout.currency,
        account_number=found.account,
        number_last4=last_four(found.account),
        opening_balance=opening,
        closing_balance=closing,
    )


def turned(direction: str, value: Decimal) -> str:
    """A column's direction, turned round by a minus sign: a negative withdrawal is money
    coming back (a reversal or refund), so a credit; a negative deposit is a debit."""
    if value >= 0:
        return direction
    return "credit" if direction == "debit" else "debit"


def rows_period(rows: list[StatementRow]) -> tuple[dt.date, dt.date] | None:
    dates = [row.date for row in rows if row.error is None]
    return (min(dates), max(dates)) if dates else None
