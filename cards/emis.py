"""Card EMIs, the rules without I/O: a purchase (or an amount) converted into monthly
instalments on a card. The instalments are the loans' reducing-balance schedule
(`loans.rules.emi`, `loans.rules.amortize`), each billed on the statement that closes the
cycle holding its due date (the first: the statement closing the cycle of the booking),
with GST at 18 % on its interest; a no-cost EMI's merchant discount equals each
instalment's interest. The processing fee and its GST are posted on the booking day (billed
with the first statement). A foreclosure bills the principal not billed yet, a fee (a
percentage of it) and its GST on its day, and bills no instalment after it. What the EMIs
put on the card's ledger (`cards.rules.Ledger`) is worked out here too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cards.rules import Ledger, Terms, gst, next_statement_date
from core.dates import as_day
from core.errors import Conflict, ErrorCode, Unprocessable
from core.money import HUNDRED, ZERO, quantize
from loans.rules import amortize, emi

Doc = dict[str, Any]


@dataclass(frozen=True)
class Foreclosure:
    on: date
    fee_percent: Decimal
    principal: Decimal  # not billed before it
    fee: Decimal
    gst: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.fee + self.gst


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: date
    statement_date: date  # the statement that bills it
    principal: Decimal
    interest: Decimal
    discount: Decimal  # a no-cost EMI's merchant discount: the interest
    gst: Decimal  # 18 % on the interest
    balance: Decimal  # principal left after it

    @property
    def amount(self) -> Decimal:
        """What the statement bills for it."""
        return self.principal + self.interest - self.discount + self.gst


@dataclass(frozen=True)
class CardEmi:
    """A card EMI as its debt document keeps it (`card_emi`, `foreclosure`)."""

    id: str
    amount: Decimal
    annual_rate: Decimal
    tenure_months: int
    processing_fee: Decimal
    no_cost: bool
    booked_on: date
    first_due: date
    expense_id: str | None  # the purchase converted (its credit on the booking day)
    foreclosure: Foreclosure | None = None

    @classmethod
    def of(cls, debt: Doc) -> CardEmi:
        terms, closed = debt["card_emi"], debt.get("foreclosure")
        return cls(
            id=str(debt["_id"]),
            amount=quantize(terms["amount"]),
            annual_rate=Decimal(str(terms["annual_rate"])),
            tenure_months=terms["tenure_months"],
            processing_fee=quantize(terms["processing_fee"]),
            no_cost=terms["no_cost"],
            booked_on=as_day(terms["booked_on"]),
            first_due=as_day(terms["first_due"]),
            expense_id=str(terms["expense_id"]) if terms.get("expense_id") else None,
            foreclosure=None
            if closed is None
            else Foreclosure(
                on=as_day(closed["on"]),
                fee_percent=Decimal(str(closed["fee_percent"])),
                principal=quantize(closed["principal"]),
                fee=quantize(closed["fee"]),
                gst=quantize(closed["gst"]),
            ),
        )

    @property
    def monthly_emi(self) -> Decimal:
        return emi(self.amount, self.annual_rate, self.tenure_months)

    @property
    def fee_gst(self) -> Decimal:
        return gst(self.processing_fee)


def first_statement(card: Terms, booked_on: date) -> date:
    """The statement closing the cycle that holds the booking day: the first instalment's
    due date, and the statement that bills the processing fee."""
    return next_statement_date(card, booked_on - timedelta(days=1))


def plan(card: Terms, found: CardEmi) -> list[Instalment]:
    """Every instalment of the EMI's schedule, each with the statement that bills it; after a
    foreclosure, only those billed before its day."""
    schedule = amortize(found.amount, found.annual_rate, found.monthly_emi, found.first_due)
    out = []
    for row in schedule.rows:
        billed_on = next_statement_date(card, row.due_date - timedelta(days=1))
        if found.foreclosure is not None and billed_on > found.foreclosure.on:
            break
        discount = row.interest if found.no_cost else ZERO
        out.append(
            Instalment(
                number=row.month,
                due_date=row.due_date,
                statement_date=billed_on,
                principal=row.principal,
                interest=row.interest,
                discount=discount,
                gst=gst(row.interest),
                balance=row.balance,
            )
        )
    return out


@dataclass(frozen=True)
class Cost:
    interest: Decimal
    discount: Decimal
    gst: Decimal  # on the interest
    payable: Decimal  # everything the card bills for the EMI
    true_cost: Decimal  # payable less the amount: interest not discounted, GST, fee, its GST


def cost(found: CardEmi, rows: list[Instalment]) -> Cost:
    """What the EMI costs over its schedule (or up to its foreclosure, with it)."""
    interest = sum((r.interest for r in rows), ZERO)
    discount = sum((r.discount for r in rows), ZERO)
    tax = sum((r.gst for r in rows), ZERO)
    closing = found.foreclosure.total if found.foreclosure else ZERO
    payable = sum((r.amount for r in rows), ZERO) + found.processing_fee + found.fee_gst + closing
    return Cost(interest, discount, tax, payable, payable - found.amount)


def foreclose(card: Terms, found: CardEmi, on: date, fee_percent: Decimal) -> Foreclosure:
    """The EMI closed on `on`: the principal its statements up to that day have not billed,
    a fee of `fee_percent` of it, GST on the fee."""
    if found.foreclosure is not None:
        raise Conflict("This EMI is already foreclosed", code=ErrorCode.emi_closed)
    if on < found.booked_on:
        raise Unprocessable(
            "date is before the EMI was booked", code=ErrorCode.invalid_range, loc=("body", "date")
        )
    billed = [r for r in plan(card, found) if r.statement_date <= on]
    left = billed[-1].balance if billed else found.amount
    if left == 0:
        raise Conflict(
            "Every instalment is billed: nothing to foreclose", code=ErrorCode.emi_closed
        )
    fee = quantize(left * fee_percent / HUNDRED)
    return Foreclosure(on=on, fee_percent=fee_percent, principal=left, fee=fee, gst=gst(fee))


def _add(into: dict[date, Decimal], day: date, value: Decimal) -> None:
    if value:
        into[day] = into.get(day, ZERO) + value


def with_emis(card: Terms, ledger: Ledger, emis: list[CardEmi]) -> Ledger:
    """The card's ledger with its EMIs' lines: each instalment on its statement date, the
    fee and its GST, a converted purchase's credit and a foreclosure on their days."""
    for found in emis:
        for row in plan(card, found):
            _add(ledger.emi, row.statement_date, row.amount)
            _add(ledger.emi_principal, row.statement_date, row.principal)
        _add(ledger.emi, found.booked_on, found.processing_fee + found.fee_gst)
        if found.expense_id is not None:
            _add(ledger.converted, found.booked_on, found.amount)
        closed = found.foreclosure
        if closed is not None:
            _add(ledger.emi, closed.on, closed.total)
            _add(ledger.emi_principal, closed.on, closed.principal)
    return ledger


def blocked(card: Terms, found: CardEmi, day: date) -> Decimal:
    """The EMI's principal not billed by `day`: blocked from the card's limit."""
    if found.foreclosure is not None:
        return ZERO
    return sum((r.principal for r in plan(card, found) if r.statement_date > day), ZERO)
