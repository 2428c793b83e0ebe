"""Running balances: each row's balance must follow from the one before it.

For a statement in date order, ``balance = previous balance - debit + credit``. A row whose
balance does not is kept and marked ``balance_mismatch`` (its direction or amount, or the
bank's figure, is wrong; the reader decides). Rows without a balance are carried: the next
printed balance is checked against the last one plus every amount in between. An error row
(amount unknown) breaks the chain; checking resumes from its balance, the bank's own figure.

Some downloads list the newest transaction first. The chain is checked both ways and the
order with fewer mismatches is taken (file order on a tie), so such a file is neither
flagged on every row nor given its closing balance as its opening one.

``opening`` is the balance before the first transaction in date order (its balance minus
a credit or plus a debit), ``closing`` the balance after the last; both None without
balances, or when an error row stands between the end and the nearest balance.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .model import StatementRow


def signed(row: StatementRow) -> Decimal:
    return row.amount if row.direction == "credit" else -row.amount


def _mismatches(rows: list[StatementRow], stated_opening: Decimal | None) -> set[int]:
    """Positions (in ``rows``) of the rows whose balance breaks the chain."""
    flagged: set[int] = set()
    expected = stated_opening
    for position, row in enumerate(rows):
        if row.error is not None:
            expected = row.balance
            continue
        after = expected + signed(row) if expected is not None else None
        if row.balance is not None:
            if after is not None and row.balance != after:
                flagged.add(position)
            after = row.balance
        expected = after
    return flagged


def _edge_balance(rows: list[StatementRow], from_end: bool) -> Decimal | None:
    """The balance before the first row (or after the last, ``from_end``), carried from the
    nearest printed balance over the rows between."""
    carried = Decimal("0.00")
    for row in reversed(rows) if from_end else rows:
        if from_end and row.balance is not None:
            return row.balance + carried  # the bank's figure, even on an error row
        if row.error is not None:
            return None
        if row.balance is not None:
            return row.balance - signed(row) - carried
        carried += signed(row)
    return None


def check_balances(
    rows: list[StatementRow], stated_opening: Decimal | None = None
) -> tuple[list[StatementRow], Decimal | None, Decimal | None]:
    """(rows with ``balance_mismatch`` set, opening balance, closing balance).

    ``stated_opening`` is an opening balance the file prints before its rows (Axis
    "OPENING BALANCE", ICICI "B/F", SBI "Balance as on"); the first row is checked
    against it."""
    if not any(row.balance is not None for row in rows):
        return rows, None, None
    forward = _mismatches(rows, stated_opening)
    newest_first = rows[::-1]
    # Only a file that does not chain in its own order may be newest first.
    backward = _mismatches(newest_first, None) if forward and len(rows) > 1 else None
    if backward is not None and len(backward) < len(forward):
        last = len(rows) - 1
        flagged = {last - position for position in backward}
        chronological = newest_first
    else:
        flagged, chronological = forward, rows
    marked = [
        replace(row, balance_mismatch=True) if position in flagged else row
        for position, row in enumerate(rows)
    ]
    return (
        marked,
        _edge_balance(chronological, from_end=False),
        _edge_balance(chronological, from_end=True),
    )
