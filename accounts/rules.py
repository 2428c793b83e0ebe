"""Accounts and transfers, the rules without I/O: how an account is named and found (its
name, the last four digits a statement prints), what a statement may be imported into (its
number and currency agree), the balance check between statements, and which row of a
statement is one side of a transfer between two of the user's accounts."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.dates import as_day, month_key
from core.errors import ErrorCode, Unprocessable
from ledger.rules import spend

# How each collection's documents move an account: (day field, sign of the amount).
MOVES = {"income": ("date", 1), "expenses": ("date", -1), "payments": ("payment_date", -1)}
TRANSFER_WINDOW_DAYS = 2  # the two sides of a transfer are booked this close together
# The banks whose layouts name them, as an account created from their statement is called.
INSTITUTIONS = {
    "hdfc_csv": "HDFC Bank",
    "hdfc_xls": "HDFC Bank",
    "icici_xls": "ICICI Bank",
    "sbi": "State Bank of India",
    "axis": "Axis Bank",
    "kotak": "Kotak Mahindra Bank",
    "hdfc_card": "HDFC Bank",
    "icici_card": "ICICI Bank",
    "sbi_card": "SBI Card",
    "axis_card": "Axis Bank",
}


def name_key(name: str) -> str:
    """What tells two account names apart: case and runs of spaces do not ("HDFC SB  4321"
    is "hdfc sb 4321")."""
    return " ".join(name.split()).casefold()


def last4_of(number: str | None) -> str | None:
    """The last four digits of an account number as printed (masked or not), if it has
    four."""
    digits = re.sub(r"[^0-9]", "", number or "")
    return digits[-4:] if len(digits) >= 4 else None


def printed_last4(label: str) -> str | None:
    """The last four digits of a label that is an account number as a file prints it
    ("XXXXXXXX1234", "0846 0150 1234"); None for a name ("HDFC Savings", "Salary 2024")."""
    if not re.fullmatch(r"[0-9Xx*][0-9Xx* -]{3,}", label.strip()):
        return None
    return last4_of(label)


def paid_card(narration: str, cards: list[tuple[str, str | None]]) -> str | None:
    """The card account (id, last four digits) a card bill pays: the one whose number the
    narration prints, masked or not ("CC 4111XXXXXXXX1111 AUTOPAY"), else the only card;
    None when that cannot be told."""
    printed = {last4_of(number) for number in re.findall(r"[0-9][0-9Xx*]{11,18}", narration)}
    named = [card for card, last4 in cards if last4 is not None and last4 in printed]
    if len(named) == 1:
        return named[0]
    return cards[0][0] if len(cards) == 1 and not named else None


def proposed_name(file_format: str, last4: str) -> str:
    """The name of an account created from a statement that names no account of yours."""
    return f"{INSTITUTIONS.get(file_format, 'Account')} ending {last4}"


def check_identity(account_last4: str | None, file_last4: str | None, field: str) -> None:
    """A statement printing another number than the account's is not its statement: a 422
    on `field` (the form field that chose the account)."""
    if account_last4 and file_last4 and account_last4 != file_last4:
        raise Unprocessable(
            f"This statement is of an account ending {file_last4}, not {account_last4}: "
            "choose the account it belongs to",
            code=ErrorCode.account_mismatch,
            loc=("body", field),
        )


def check_currency(account_currency: str, file_currency: str | None) -> None:
    """A statement in another currency than its account's: a 422 on the file."""
    if file_currency and file_currency != account_currency:
        raise Unprocessable(
            f"This statement is in {file_currency} and the account in {account_currency}: "
            "import it into an account in its currency",
            code=ErrorCode.currency_mismatch,
            loc=("body", "file"),
        )


def balance_gap(expected: Decimal, found: Decimal | None) -> dict[str, Decimal] | None:
    """The gap between the balance the account should open a statement with and the one the
    statement opens with (None when they agree, or the statement prints none)."""
    if found is None or found == expected:
        return None
    return {"expected": expected, "found": found, "amount": found - expected}


def signed(direction: str, amount: Decimal) -> Decimal:
    return amount if direction == "credit" else -amount


# ---------------------------------------------------------------- transfers


@dataclass(frozen=True)
class OpenSide:
    """A transfer of this account whose side here no statement row holds yet (one typed in
    by hand, or one a statement of the other account recorded): `direction` is the way the
    row in this account moves."""

    transfer_id: str
    direction: str
    other_account_id: str
    day: date
    amount: Decimal


@dataclass(frozen=True)
class Counterpart:
    """An entry (or a row of a statement not yet committed) in another of the user's accounts
    that may be the other side of a transfer: `direction` is the way it moved there."""

    id: str
    kind: str  # "expense" or "income" (committed), "row" (a preview's row)
    account_id: str
    direction: str
    day: date
    amount: Decimal


@dataclass(frozen=True)
class Pairing:
    """What a row joins: an open side of a transfer ("open"), or the counterpart it makes a
    new transfer with ("expense", "income", "row")."""

    kind: str
    id: str
    other_account_id: str


class TransferMatcher:
    """The open transfer sides and the counterparts in other accounts near a statement's days.
    A row moving money one way pairs with the closest open side of this account that moves
    it the same way, else with the closest counterpart moving the same amount the other way
    in another account, within TRANSFER_WINDOW_DAYS; each is paired once."""

    def __init__(self, sides: list[OpenSide], counterparts: list[Counterpart]) -> None:
        self.sides = sides
        self.counterparts = counterparts
        self.claimed: set[str] = set()

    def pair(self, direction: str, day: date, amount: Decimal) -> Pairing | None:
        window = timedelta(days=TRANSFER_WINDOW_DAYS)

        def near(other_day: date) -> bool:
            return abs(other_day - day) <= window

        sides = [
            s
            for s in self.sides
            if s.transfer_id not in self.claimed
            and (s.direction, s.amount) == (direction, amount)
            and near(s.day)
        ]
        if sides:
            side = min(sides, key=lambda s: (abs((s.day - day).days), s.transfer_id))
            self.claimed.add(side.transfer_id)
            return Pairing("open", side.transfer_id, side.other_account_id)
        others = [
            c
            for c in self.counterparts
            if c.id not in self.claimed
            and c.direction != direction
            and c.amount == amount
            and near(c.day)
        ]
        if not others:
            return None
        other = min(others, key=lambda c: (abs((c.day - day).days), c.id))
        self.claimed.add(other.id)
        return Pairing(other.kind, other.id, other.account_id)


# ---------------------------------------------------------------- balances by month


def month_of(day: date | datetime) -> str:
    day = as_day(day)
    return month_key(day.year, day.month)


def _sides(collection: str, doc: dict[str, Any]) -> list[tuple[Any, date | datetime, Decimal]]:
    """(account, day, signed amount) of each account a document moves: a transfer moves
    two, an entry its own (none when it is in no account)."""
    if collection == "transfers":
        amount = Decimal(str(doc["amount"]))
        day = doc["date"]
        return [(doc["from_account_id"], day, -amount), (doc["to_account_id"], day, amount)]
    field, sign = MOVES[collection]
    if doc.get("account_id") is None:
        return []
    amount = Decimal(str(doc["amount"]))
    if collection == "expenses":  # what it takes out: a refund's amount comes back in
        amount = spend(doc | {"amount": amount})
    return [(doc["account_id"], doc[field], sign * amount)]


def month_moves(
    collection: str, removed: Iterable[dict[str, Any]], added: Iterable[dict[str, Any]]
) -> dict[tuple[Any, str], tuple[Decimal, int]]:
    """What writes of `collection` change in each (account, month) counter: (net movement,
    documents), `removed` as they were (deleted, or before an edit) taken out and `added`
    as they are now put in. Counters a write leaves as they were are left out."""
    moved: dict[tuple[Any, str], list[Any]] = defaultdict(lambda: [Decimal("0.00"), 0])
    for sign, docs in ((-1, removed), (1, added)):
        for doc in docs:
            for account_id, day, amount in _sides(collection, doc):
                counter = moved[(account_id, month_of(day))]
                counter[0] += sign * amount
                counter[1] += sign
    return {key: (net, count) for key, (net, count) in moved.items() if net or count}
