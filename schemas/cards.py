"""A credit card's cycles and statements, as worked out from its entries and the statements
imported for it."""

from typing import Literal

from pydantic import Field

from schemas.base import ResponseModel
from schemas.types import Amount, DayOut, Percent

StatementStatus = Literal["paid", "partly_paid", "unpaid", "overdue"]


class CurrentCycle(ResponseModel):
    from_: DayOut = Field(serialization_alias="from")
    to: DayOut  # the next statement date
    spent: Amount  # purchases so far
    refunds: Amount
    # spent less refunds and purchases converted into EMIs, with the EMIs' lines posted so far
    unbilled: Amount


class StatementOut(ResponseModel):
    """One cycle's statement: printed by an imported statement (`estimated: false`), else
    closed from the card's entries, its minimum due estimated (`estimated: true`)."""

    period_from: DayOut
    statement_date: DayOut
    due_date: DayOut
    previous_due: Amount
    purchases: Amount
    refunds: Amount
    converted: Amount  # purchases converted into EMIs (a credit)
    emi: Amount  # the EMIs' instalments, fees, GST and foreclosures billed
    payments: Amount  # made in the cycle
    interest: Amount
    late_fee: Amount
    gst: Amount  # 18 % on interest and fees
    total_due: Amount
    minimum_due: Amount
    estimated: bool
    paid: Amount  # paid after the statement date, to today
    remaining_due: Amount
    status: StatementStatus
    days_past_due: int


class NextStatement(ResponseModel):
    """The statement the cycle in progress will close with, if nothing more is bought or
    paid: an estimate."""

    statement_date: DayOut
    due_date: DayOut
    previous_due: Amount
    purchases: Amount
    refunds: Amount
    converted: Amount
    emi: Amount
    payments: Amount
    interest: Amount
    late_fee: Amount
    gst: Amount
    total_due: Amount
    minimum_due: Amount
    estimated: bool = True


class Outstanding(ResponseModel):
    billed: Amount  # the last statement's total due not yet paid
    unbilled: Amount  # the cycle in progress, less what was paid beyond the billed
    emi_principal_blocked: Amount  # the EMIs' principal not billed yet


class CardOut(ResponseModel):
    current_cycle: CurrentCycle
    last_statement: StatementOut | None = None  # None before the first statement date
    next_statement: NextStatement
    outstanding: Outstanding
    credit_limit: Amount | None = None
    available_limit: Amount | None = None  # None without a credit limit
    utilisation_percent: Percent | None = None


class DashboardCards(ResponseModel):
    """The dashboard's cards block: the user's cards with a statement day, added up."""

    cards: int
    billed: Amount  # the last statements' totals due not yet paid
    unbilled: Amount  # the cycles in progress
    next_due_date: DayOut | None = None  # the soonest due date of a statement still owed
    next_due_amount: Amount | None = None  # what is still owed on that date, every card
    credit_limit: Amount | None = None  # the cards' limits (None: no card has one)
    utilisation_percent: Percent | None = None  # used / the limits of the cards with one
