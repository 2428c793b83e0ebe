"""A card's statements worked out from its entries, pure: each cycle closed on its statement
date with what was bought, refunded and paid in it and the charges the previous statement
earned (interest when its total due was not paid by the due date, a late fee after 3 days
past due, GST on both), with what its EMIs billed and the purchases converted into them
(`cards.emis`). A statement imported for a cycle is the truth for it: its total due, minimum
due and due date replace ours, and the next cycle starts from them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from cards.rules import (
    LATE_FEE_GRACE_DAYS,
    Balance,
    Ledger,
    Terms,
    cycles,
    gst,
    interest,
    late_fee,
    minimum_due,
)
from core.money import ZERO


@dataclass(frozen=True)
class Printed:
    """What an imported card statement prints (any may be None)."""

    statement_date: date
    due_date: date | None
    total_due: Decimal | None
    minimum_due: Decimal | None


@dataclass(frozen=True)
class Statement:
    cycle: tuple[date, date]
    due_date: date
    previous_due: Decimal
    purchases: Decimal
    refunds: Decimal
    converted: Decimal  # purchases converted into EMIs (a credit)
    emi: Decimal  # what the card's EMIs billed: instalments, fees, GST, a foreclosure
    payments: Decimal
    interest: Decimal
    late_fee: Decimal
    gst: Decimal
    total_due: Decimal
    minimum_due: Decimal
    estimated: bool  # no imported statement printed its figures
    owed: Decimal  # what the card owes at the statement date (negative: in credit)
    principal: Decimal  # purchases less refunds and payments to date: what interest runs on
    charged: bool  # interest was counted up to this statement date


def paid_by(ledger: Ledger, statement: Statement, day: date) -> Decimal:
    """Payments made to the card after the statement date, up to `day`."""
    return ledger.sum("payments", (statement.cycle[1] + timedelta(days=1), day))


def _interest(
    terms: Terms, ledger: Ledger, earlier: list[Statement], cycle: tuple[date, date]
) -> tuple[Decimal, bool]:
    """(interest for the cycle, whether it was charged). Without an interest-free period,
    or when the last statement's total due was not paid in full by its due date: on each
    day's balance up to this statement date, from the last statement date when interest was
    already counted up to it, else from the first day of the last statement's cycle (each
    purchase from its own date; the total due before it, paid in time, settled first)."""
    last = earlier[-1] if earlier else None
    carried = last is not None and paid_by(ledger, last, last.due_date) < last.total_due
    if terms.interest_free and not carried:
        return ZERO, False
    if last is None:
        window, opening = cycle, Balance()
    elif last.charged or not terms.interest_free:
        window, opening = (last.cycle[1] + timedelta(days=1), cycle[1]), Balance(last.principal)
    else:
        base = earlier[-2].principal if len(earlier) > 1 else ZERO
        window, opening = (last.cycle[0], cycle[1]), Balance(min(base, ZERO), max(base, ZERO))
    found = interest(window, opening, ledger.moves(), ledger.payments, terms.monthly_rate)
    return found, True


def _late_fee(terms: Terms, ledger: Ledger, last: Statement | None) -> Decimal:
    """A late fee when the last statement's minimum due was still unpaid more than 3 days
    after its due date: the slab of what was outstanding after the due date."""
    if last is None or last.minimum_due <= 0:
        return ZERO
    grace_end = last.due_date + timedelta(days=LATE_FEE_GRACE_DAYS)
    if paid_by(ledger, last, grace_end) >= last.minimum_due:
        return ZERO
    outstanding = last.total_due - paid_by(ledger, last, last.due_date)
    return late_fee(terms.late_fee_slabs, outstanding)


def close(
    terms: Terms,
    ledger: Ledger,
    earlier: list[Statement],
    cycle: tuple[date, date],
    printed: Printed | None = None,
) -> Statement:
    """The statement closing `cycle`, after the `earlier` ones."""
    last = earlier[-1] if earlier else None
    purchases = ledger.sum("purchases", cycle)
    refunds = ledger.sum("refunds", cycle)
    payments = ledger.sum("payments", cycle)
    converted, emi = ledger.sum("converted", cycle), ledger.sum("emi", cycle)
    charge, charged = _interest(terms, ledger, earlier, cycle)
    fee = _late_fee(terms, ledger, last)
    tax = gst(charge, fee)
    before = last.owed if last else ZERO
    owed = before + purchases - refunds - converted + emi - payments + charge + fee + tax
    total_due = max(owed, ZERO)
    # The EMIs' lines are due in full, like the charges: all in the minimum due.
    minimum = minimum_due(total_due, charge + fee + tax + emi)
    due_date = cycle[1] + timedelta(days=terms.due_days)
    if printed is not None:
        total_due = printed.total_due if printed.total_due is not None else total_due
        minimum = printed.minimum_due if printed.minimum_due is not None else minimum
        due_date = printed.due_date or due_date
        owed = total_due if printed.total_due is not None else owed
    return Statement(
        cycle=cycle,
        due_date=due_date,
        previous_due=max(before, ZERO),
        purchases=purchases,
        refunds=refunds,
        converted=converted,
        emi=emi,
        payments=payments,
        interest=charge,
        late_fee=fee,
        gst=tax,
        total_due=total_due,
        minimum_due=minimum,
        estimated=printed is None,
        owed=owed,
        principal=(last.principal if last else ZERO)
        + purchases
        - refunds
        - converted
        + ledger.sum("emi_principal", cycle)
        - payments,
        charged=charged,
    )


def statements(
    terms: Terms, ledger: Ledger, first: date, today: date, printed: list[Printed]
) -> list[Statement]:
    """Every cycle's statement from `first` to the cycle holding `today`; the last one is
    the cycle in progress (its figures an estimate: nothing after today is known)."""
    out: list[Statement] = []
    for cycle in cycles(terms, first, today):
        mine = [p for p in printed if cycle[0] <= p.statement_date <= cycle[1]]
        out.append(close(terms, ledger, out, cycle, mine[-1] if mine else None))
    return out


def status(ledger: Ledger, statement: Statement, today: date) -> dict:
    """What was paid on a statement by `today`, what remains, and whether it is past due
    (its minimum due unpaid after the due date)."""
    paid = paid_by(ledger, statement, today)
    remaining = max(statement.total_due - paid, ZERO)
    late = today > statement.due_date and paid < statement.minimum_due
    days_past_due = (today - statement.due_date).days if late else 0
    if late:
        state = "overdue"
    elif remaining == 0:
        state = "paid"
    else:
        state = "partly_paid" if paid > 0 else "unpaid"
    return {
        "paid": paid,
        "remaining_due": remaining,
        "status": state,
        "days_past_due": days_past_due,
    }


def next_due_when_paid(
    terms: Terms, ledger: Ledger, found: list[Statement], today: date
) -> Decimal:
    """The total due the cycle in progress (the last of `found`) will close with when the last
    statement's remaining due is paid on its due date (today, when past it), as the forecast
    has it: no interest or late fee that paying in time avoids, no previous due carried. A due
    date after the next statement date leaves the payment out of the cycle: that statement
    then carries the due, taken off here."""
    *earlier, current = found
    remaining = status(ledger, earlier[-1], today)["remaining_due"] if earlier else ZERO
    if remaining == 0:
        return current.total_due
    day = max(earlier[-1].due_date, today)
    paid = replace(
        ledger, payments=ledger.payments | {day: ledger.payments.get(day, ZERO) + remaining}
    )
    closed = close(terms, paid, earlier, current.cycle).total_due
    return max(closed - remaining, ZERO) if day > current.cycle[1] else closed
