"""Schedules and periodic statements of an event-sourced loan (see ``loans.events``).

Pure functions only. ``schedule`` is the loan as it stood on a day: what was paid up to
then, event by event, and the instalments still to come. ``statement`` is the periodic
statement an RBI-regulated lender sends for EMI-based floating-rate personal loans: the
circular on resetting floating rates (RBI/2023-24/55, DOR.MCS.REC.32/01.01.003/2023-24,
18 Aug 2023; the RBI's FAQs on it, Jan 2025) asks for a statement at the end of each
quarter showing at least the principal and interest recovered till date, the EMI
amount, the number of EMIs left and the annualised rate of interest / APR for the
tenor. The app tracks no fees or charges, so the rate shown is the nominal annual rate,
not an APR (Key Facts Statement circular RBI/2024-25/18, 15 Apr 2024, Annex B). The
KFS-style repayment schedule (instalment number, outstanding, principal, interest,
instalment) is ``schedule().projection``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from loans.events import Event, EventRow, LoanState, LoanTerms, replay
from loans.rules import ZERO, NeverPaysOff, Row, money, monthly_rate


@dataclass(frozen=True)
class Totals:
    interest: Decimal
    principal: Decimal
    total: Decimal  # interest + principal
    months: int  # instalments (EMIs) paid, or projected


@dataclass(frozen=True)
class LoanSchedule:
    as_of: datetime.date
    state: LoanState  # the loan after the events dated on or before as_of
    history: tuple[EventRow, ...]  # those events: EMIs, prepayments and rate changes
    projection: tuple[Row, ...]  # instalments still to pay; month = instalment number
    paid: Totals
    projected: Totals


@dataclass(frozen=True)
class LoanStatement:
    start: datetime.date
    end: datetime.date
    as_of: datetime.date  # events after min(end, as_of) are not in the statement
    outstanding_at_start: Decimal  # principal before the first event of the period
    outstanding_at_end: Decimal
    principal_in_period: Decimal  # includes prepayments
    interest_in_period: Decimal
    paid_in_period: Decimal
    prepaid_in_period: Decimal  # prepayments only
    emis_paid_in_period: int
    principal_to_date: Decimal  # since terms.principal was outstanding
    interest_to_date: Decimal
    paid_to_date: Decimal
    emis_paid_to_date: int
    emis_left: int  # instalments still to pay, = the schedule's projected months
    annual_rate: Decimal  # nominal rate in force at the end (no fees are tracked: not an APR)
    emi: Decimal
    next_due: datetime.date | None  # None once repaid
    final_due: datetime.date | None
    events: tuple[EventRow, ...]  # the period's payments and rate changes


def projection(terms: LoanTerms, state: LoanState) -> tuple[Row, ...]:
    """The instalments left at the state's rate and EMI, ending at exactly 0.00.

    Instalments before the last pay the EMI, the last pays what is left plus its
    interest. Raises ``loans.rules.NeverPaysOff`` when an EMI would not reduce the principal
    (only an EMI entered below the interest can do that; the engine never sets one).
    """
    r = monthly_rate(state.annual_rate)
    balance = state.balance
    rows: list[Row] = []
    for k in range(1, state.remaining_tenure + 1):
        interest = money(balance * r)
        if k == state.remaining_tenure or state.emi >= balance + interest:
            principal = balance
        else:
            principal = state.emi - interest
            if principal <= 0:
                raise NeverPaysOff(f"EMI {state.emi} doesn't cover interest {interest}")
        balance -= principal
        number = state.instalments_paid + k
        due = terms.due(number)
        rows.append(Row(number, due, interest + principal, interest, principal, balance))
        if balance == 0:
            break
    return tuple(rows)


def _totals(interest: Decimal, principal: Decimal, months: int) -> Totals:
    return Totals(interest, principal, interest + principal, months)


def schedule(terms: LoanTerms, events: list[Event], as_of: datetime.date) -> LoanSchedule:
    """The plan as it stood on ``as_of``: events after that day are ignored."""
    state = replay(terms, events, as_of)
    rows = projection(terms, state)
    return LoanSchedule(
        as_of=as_of,
        state=state,
        history=state.rows,
        projection=rows,
        paid=_totals(state.total_interest, state.total_principal, state.instalments_paid),
        projected=_totals(
            sum((row.interest for row in rows), ZERO),
            sum((row.principal for row in rows), ZERO),
            len(rows),
        ),
    )


def statement(
    terms: LoanTerms,
    events: list[Event],
    start: datetime.date,
    end: datetime.date,
    as_of: datetime.date,
) -> LoanStatement:
    """The periodic statement for ``start``..``end`` (inclusive), as known on ``as_of``."""
    if start > end:
        raise ValueError("start must not be after end")
    state = replay(terms, events, min(end, as_of))
    period = tuple(row for row in state.rows if row.date >= start)
    before = state.rows[: len(state.rows) - len(period)]  # replay order is date order
    payments = [row for row in period if row.kind != "rate_change"]
    principal = sum((row.principal for row in payments), ZERO)
    interest = sum((row.interest for row in payments), ZERO)
    repaid = state.remaining_tenure == 0
    return LoanStatement(
        start=start,
        end=end,
        as_of=as_of,
        outstanding_at_start=terms.principal - sum((row.principal for row in before), ZERO),
        outstanding_at_end=state.balance,
        principal_in_period=principal,
        interest_in_period=interest,
        paid_in_period=principal + interest,
        prepaid_in_period=sum(
            (row.principal for row in payments if row.kind == "prepayment"), ZERO
        ),
        emis_paid_in_period=sum(1 for row in payments if row.kind == "emi"),
        principal_to_date=state.total_principal,
        interest_to_date=state.total_interest,
        paid_to_date=state.total_paid,
        emis_paid_to_date=state.instalments_paid,
        emis_left=state.remaining_tenure,
        annual_rate=state.annual_rate,
        emi=state.emi,
        next_due=None if repaid else state.next_due,
        final_due=state.final_due,
        events=period,
    )
