"""The cash-flow forecast, pure: each day's projected balance of every account and of them
all, from today's balances through the expected inflows and outflows, each on its date."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from recurring.rules import GRACE_DAYS, dates_between

TOTAL = "total"
DUES = ("debt", "card")  # the moves the balance watch warns of when they cannot be paid


@dataclass(frozen=True)
class Move:
    day: date
    amount: Decimal  # signed: money in is positive
    account_id: str | None  # None: in no account (counted in the total only)
    title: str
    source: str  # detected | manual | debt | card
    item_id: str


def _unpaid_dates(item: dict[str, Any], today: date, end: date) -> list[date]:
    """An item's unpaid occurrences up to `end`. One overdue by at most GRACE_DAYS is still
    expected; an older one was missed. An item of one date (a card's due) is owed until paid."""
    first, interval, anchor = item["next_date"], item["interval"], item["day_of_month"]
    if interval is None:
        return [] if item["paid"] or first > end else [first]
    return dates_between(first, interval, anchor, today - timedelta(days=GRACE_DAYS), end)


def expected_moves(item: dict[str, Any], today: date, end: date) -> list[Move]:
    """An item's unpaid occurrences from today to `end` at its typical amount, one overdue
    today. A card's due is a transfer: out of its account (`account_id`), into the card."""
    sign = 1 if item["kind"] == "income" else -1
    legs = [(sign * item["amount_typical"], item.get("account_id"))]
    if (card := item.get("card_account_id")) is not None:
        legs.append((item["amount_typical"], card))
    return [
        Move(
            max(day, today),
            amount,
            None if account is None else str(account),
            item["title"],
            item["source"],
            str(item["_id"]),
        )
        for day in _unpaid_dates(item, today, end)
        for amount, account in legs
    ]


@dataclass
class Projection:
    days: list[dict[str, Any]]
    lowest: dict[str, tuple[date, Decimal]]  # per account and TOTAL: its lowest point


def project(
    balances: dict[str, Decimal], moves: Iterable[Move], today: date, days: int
) -> Projection:
    """Day by day from today (its balances as they are) to today + days: every account's
    balance (`balances`: today's, by account id) and the total, with the moves of each day.
    A move into an account not in `balances` (or none) counts in the total only."""
    by_day: dict[date, list[Move]] = defaultdict(list)
    for move in moves:
        by_day[move.day].append(move)
    running = dict(balances)
    total = sum(balances.values(), Decimal("0.00"))
    lowest: dict[str, tuple[date, Decimal]] = {}
    out = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        todays = sorted(by_day.get(day, []), key=lambda m: (m.amount, m.title))
        for move in todays:
            total += move.amount
            if move.account_id in running:
                running[move.account_id] += move.amount
        for key, value in [*running.items(), (TOTAL, total)]:
            if key not in lowest or value < lowest[key][1]:
                lowest[key] = (day, value)
        out.append({"date": day, "total": total, "accounts": dict(running), "moves": todays})
    return Projection(out, lowest)


def first_below(result: Projection, threshold: Decimal) -> tuple[date, Decimal] | None:
    """The first day the total is projected below `threshold`, with its balance then."""
    for row in result.days:
        if row["total"] < threshold:
            return row["date"], row["total"]
    return None


def uncovered(result: Projection) -> list[tuple[date, Move, Decimal]]:
    """(day, move, balance) of each EMI (a debt's move) or card due (its paying side) after
    which its account's projected balance (the total's, for one paid from no account) is
    below zero."""
    return [
        (row["date"], move, row["accounts"].get(move.account_id, row["total"]))
        for row in result.days
        for move in row["moves"]
        if move.source in DUES
        and move.amount < 0
        and row["accounts"].get(move.account_id, row["total"]) < 0
    ]
