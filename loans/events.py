"""Event-sourced loan engine: a debt's state is a pure function of its terms and events.

Pure functions only (no I/O, no floats); money is ``Decimal`` in whole paise.

Terms and state
    ``LoanTerms.principal`` is the outstanding principal the events start from (a new
    loan's amount, or the outstanding of a loan already running); ``tenure_months`` the
    instalments left from ``first_due``; ``emi`` the instalment. The state carries the
    balance (outstanding principal), the rate, the EMI and the *remaining tenure*: the
    number of instalments left. Instalments before the last pay the EMI; the last pays
    whatever principal is left plus its interest, so it absorbs all rounding (a few paise
    above or below the EMI). ``remaining_tenure`` always equals the number of instalments
    ``schedule`` projects.

Rounding (as Indian lenders do, half-up to 0.01, only here):
    * each EMI's interest: one month's interest on the balance, balance x rate/12/100;
    * an EMI recomputed on a rate reset or a reduce-EMI prepayment: the reducing-balance
      formula over the remaining tenure (``loans.rules.emi``: one rounding at the end).
    Everything else is exact sums and differences of paise.

Events, replayed in the order (date, kind, id) whatever order they were inserted in;
on one date rate changes come first (a rate is effective from its date, so a payment
dated on or after the effective date pays interest at the new rate), then the payments in
the order of their ids, which the API gives in the order payments are recorded (the
user's own sequence for one day). Ids must be unique.
    * ``Payment(payment_type="emi")``: interest first, the rest principal; the next due
      date moves one month (anchor + EMIs paid, clamped to month end). Paying exactly the
      EMI uses up one instalment. Paying more or less than the EMI also uses up one: the
      EMI stays, the surplus shortens the loan and a shortfall is carried by the last
      instalment.
    * ``Payment(payment_type="prepayment")``: all principal, due date unchanged.
      ``reduce_tenure`` (default) keeps the EMI, so the loan ends sooner; ``reduce_emi``
      keeps the remaining tenure and recomputes the EMI on the reduced balance.
    * ``RateChange``: the borrower's choice at a floating-rate reset (RBI circular
      DOR.MCS.REC.32/01.01.003/2023-24, 18 Aug 2023). ``increase_emi`` keeps the
      remaining tenure and recomputes the EMI at the new rate (it falls if the rate
      falls). ``extend_tenure`` keeps the EMI and sets the tenure to the number of
      instalments that EMI needs at the new rate; it is refused with
      ``TenureExtensionRefused`` when that would amortise negatively or outlast the
      lender's maximum tenure (see ``minimum_emi``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from loans.instalments import clears_within, instalments, minimum_emi, reamortize
from loans.rules import (
    MAX_MONTHS,
    ZERO,
    Overpayment,
    PaymentTooSmall,
    PaymentType,
    add_months,
    check_money,
    check_rate,
    money,
    monthly_rate,
    split_checked,
)

PrepaymentEffect = Literal["reduce_tenure", "reduce_emi"]
RateTreatment = Literal["increase_emi", "extend_tenure"]
EventKind = Literal["rate_change", "emi", "prepayment"]
_KIND_ORDER = {"rate_change": 0, "emi": 1, "prepayment": 1}


class TenureExtensionRefused(ValueError):
    """A rate reset with ``extend_tenure`` the current EMI cannot carry.

    ``reason`` is ``"negative_amortisation"`` when the EMI does not exceed the first
    month's interest at the new rate (the RBI forbids elongation that amortises
    negatively) and ``"beyond_max_tenure"`` when it would repay only after the lender's
    maximum tenure. ``minimum_emi`` is the smallest EMI that would be accepted.
    """

    def __init__(self, reason: str, interest: Decimal, minimum_emi: Decimal) -> None:
        super().__init__(
            f"extending the tenure is refused ({reason}): the EMI must be at least "
            f"{minimum_emi} (first month's interest {interest})"
        )
        self.reason = reason
        self.interest = interest
        self.minimum_emi = minimum_emi


# ---------------------------------------------------------------- terms and events


@dataclass(frozen=True)
class LoanTerms:
    principal: Decimal  # outstanding principal before the first event
    annual_rate: Decimal  # percent per year
    tenure_months: int  # instalments left, the first due on first_due
    emi: Decimal
    first_due: datetime.date  # due-date anchor: instalment k is due add_months(first_due, k-1)
    max_tenure_months: int = MAX_MONTHS  # lender's longest tenure, in instalments from first_due
    # EMIs already paid when first_due was set (a due date moved after payments): instalment
    # k (counted over the whole loan, from 1) is due on add_months(first_due, k - 1 - offset).
    anchor_offset: int = 0

    def due(self, instalment: int) -> datetime.date:
        """The due date of the loan's `instalment`-th EMI (from 1)."""
        return add_months(self.first_due, instalment - 1 - self.anchor_offset)


@dataclass(frozen=True)
class Payment:
    id: str
    date: datetime.date
    amount: Decimal
    payment_type: PaymentType = "emi"
    prepayment_effect: PrepaymentEffect = "reduce_tenure"  # prepayments only

    @property
    def kind(self) -> EventKind:
        return self.payment_type


@dataclass(frozen=True)
class RateChange:
    id: str
    effective_date: datetime.date
    annual_rate: Decimal  # the new rate, percent per year
    treatment: RateTreatment

    @property
    def date(self) -> datetime.date:
        return self.effective_date

    @property
    def kind(self) -> EventKind:
        return "rate_change"


Event = Payment | RateChange


# ---------------------------------------------------------------- state


@dataclass(frozen=True)
class EventRow:
    """One applied event and the loan right after it."""

    id: str
    date: datetime.date
    kind: EventKind
    option: str | None  # prepayment_effect or rate treatment; None for EMIs
    amount: Decimal  # paid; 0.00 for a rate change
    interest: Decimal
    principal: Decimal
    remaining_after: Decimal
    annual_rate: Decimal  # for payments, the rate the interest was charged at
    emi: Decimal  # EMI after the event
    remaining_tenure: int  # instalments left after the event
    due_date: datetime.date | None  # the instalment an EMI paid; None otherwise


@dataclass(frozen=True)
class LoanState:
    principal: Decimal  # outstanding before the first event (terms.principal)
    balance: Decimal  # outstanding principal now
    annual_rate: Decimal
    emi: Decimal
    remaining_tenure: int  # instalments left (0 once repaid)
    instalments_paid: int  # EMI-type payments
    next_due: datetime.date  # add_months(first_due, instalments_paid)
    total_paid: Decimal
    total_interest: Decimal
    total_principal: Decimal
    rows: tuple[EventRow, ...]  # every applied event, in replay order

    @property
    def splits(self) -> tuple[EventRow, ...]:
        """The payments' (interest, principal, remaining_after), in replay order."""
        return tuple(row for row in self.rows if row.kind != "rate_change")

    @property
    def final_due(self) -> datetime.date | None:
        """Due date of the last instalment still to pay; None once repaid."""
        if self.remaining_tenure == 0:
            return None
        return add_months(self.next_due, self.remaining_tenure - 1)


# ---------------------------------------------------------------- replay


def _check_terms(terms: LoanTerms) -> None:
    check_money("principal", terms.principal)
    check_money("emi", terms.emi, positive=True)
    check_rate(terms.annual_rate)
    if terms.tenure_months < 1:
        raise ValueError("tenure_months must be >= 1")
    if terms.max_tenure_months < 1:
        raise ValueError("max_tenure_months must be >= 1")


def _check_event(event: Event) -> None:
    if isinstance(event, Payment):
        check_money("amount", event.amount, positive=True)
        if event.payment_type not in ("emi", "prepayment"):
            raise ValueError(f"unknown payment_type {event.payment_type!r}")
        if event.prepayment_effect not in ("reduce_tenure", "reduce_emi"):
            raise ValueError(f"unknown prepayment_effect {event.prepayment_effect!r}")
    elif isinstance(event, RateChange):
        check_rate(event.annual_rate)
        if event.treatment not in ("increase_emi", "extend_tenure"):
            raise ValueError(f"unknown treatment {event.treatment!r}")
    else:
        raise TypeError(f"not a loan event: {event!r}")


def ordered(events: list[Event], as_of: datetime.date | None = None) -> list[Event]:
    """The events dated on or before ``as_of`` (all if None), in replay order."""
    for event in events:
        _check_event(event)
    ids = [e.id for e in events]
    if len(set(ids)) != len(ids):
        raise ValueError("event ids must be unique")
    kept = [e for e in events if as_of is None or e.date <= as_of]
    return sorted(kept, key=event_key)


@dataclass
class _Fold:
    terms: LoanTerms
    balance: Decimal
    rate: Decimal
    emi: Decimal
    tenure: int
    paid_instalments: int = 0
    rows: list[EventRow] = field(default_factory=list)

    def payment(self, p: Payment) -> None:
        interest, principal = split_checked(p.amount, self.balance, self.rate, p.payment_type)
        charged_at = self.rate
        self.balance -= principal
        r = monthly_rate(self.rate)
        due = None
        if p.payment_type == "emi":
            due = self.terms.due(self.paid_instalments + 1)
            self.paid_instalments += 1
            if self.balance == 0:
                self.tenure = 0
            elif p.amount == self.emi and self.tenure > 1:
                self.tenure -= 1  # exactly the projected instalment: the rest is unchanged
            else:
                self.tenure = instalments(self.balance, r, self.emi, max(self.tenure - 1, 1))
        elif p.prepayment_effect == "reduce_emi" and self.balance > 0:
            self.emi = reamortize(self.balance, self.rate, self.tenure)
            self.tenure = instalments(self.balance, r, self.emi, self.tenure)
        else:
            self.tenure = instalments(self.balance, r, self.emi, self.tenure)
        option = p.prepayment_effect if p.payment_type == "prepayment" else None
        self._row(p, option, p.amount, interest, principal, charged_at, due)

    def rate_change(self, c: RateChange) -> None:
        self.rate = c.annual_rate
        r = monthly_rate(self.rate)
        if self.balance > 0 and c.treatment == "increase_emi":
            self.emi = reamortize(self.balance, self.rate, self.tenure)
            self.tenure = instalments(self.balance, r, self.emi, self.tenure)
        elif self.balance > 0:
            interest = money(self.balance * r)
            within = max(self.terms.max_tenure_months - self.paid_instalments, 1)
            needed = clears_within(self.balance, r, self.emi, within)
            if needed is None:
                reason = "negative_amortisation" if self.emi <= interest else "beyond_max_tenure"
                floor = minimum_emi(self.balance, self.rate, within)
                raise TenureExtensionRefused(reason, interest, floor)
            self.tenure = needed
        self._row(c, c.treatment, ZERO, ZERO, ZERO, self.rate, None)

    def _row(
        self,
        event: Event,
        option: str | None,
        amount: Decimal,
        interest: Decimal,
        principal: Decimal,
        rate: Decimal,
        due: datetime.date | None,
    ) -> None:
        self.rows.append(
            EventRow(
                event.id,
                event.date,
                event.kind,
                option,
                amount,
                interest,
                principal,
                self.balance,
                rate,
                self.emi,
                self.tenure,
                due,
            )
        )


def replay(terms: LoanTerms, events: list[Event], as_of: datetime.date | None = None) -> LoanState:
    """The loan after every event dated on or before ``as_of`` (all events if None).

    Raises ``loans.rules.PaymentTooSmall`` (an EMI below the month's interest),
    ``loans.rules.Overpayment`` (principal beyond the balance) and ``TenureExtensionRefused``;
    each carries the event that could not be applied as ``.event``.
    """
    _check_terms(terms)
    r = monthly_rate(terms.annual_rate)
    start = LoanState(
        principal=terms.principal,
        balance=terms.principal,
        annual_rate=terms.annual_rate,
        emi=terms.emi,
        remaining_tenure=instalments(terms.principal, r, terms.emi, terms.tenure_months),
        instalments_paid=0,
        next_due=terms.due(1),
        total_paid=ZERO,
        total_interest=ZERO,
        total_principal=ZERO,
        rows=(),
    )
    return _fold(terms, start, ordered(events, as_of))


def resume(terms: LoanTerms, state: LoanState, events: list[Event]) -> LoanState:
    """The loan after ``events``, continuing from ``state``, the replay of every earlier
    event: equal to replaying them all when each of ``events`` sorts after those (by
    ``event_key``). ``rows`` holds the new events' rows only. It costs the new events, not
    the loan's history, which makes recording the latest payment cheap."""
    _check_terms(terms)
    return _fold(terms, state, ordered(events))


def event_key(event: Event) -> tuple[datetime.date, int, str]:
    """The replay order: by date, rate changes before EMIs before prepayments, then id."""
    return (event.date, _KIND_ORDER[event.kind], event.id)


def _fold(terms: LoanTerms, state: LoanState, events: list[Event]) -> LoanState:
    fold = _Fold(
        terms=terms,
        balance=state.balance,
        rate=state.annual_rate,
        emi=state.emi,
        tenure=state.remaining_tenure,
        paid_instalments=state.instalments_paid,
    )
    for event in events:
        try:
            if isinstance(event, Payment):
                fold.payment(event)
            else:
                fold.rate_change(event)
        except (PaymentTooSmall, Overpayment, TenureExtensionRefused) as exc:
            exc.event = event  # type: ignore[attr-defined]  # which event the loan refused
            raise
    rows = tuple(fold.rows)
    interest = sum((row.interest for row in rows), ZERO)
    principal = sum((row.principal for row in rows), ZERO)
    return LoanState(
        principal=terms.principal,
        balance=fold.balance,
        annual_rate=fold.rate,
        emi=fold.emi,
        remaining_tenure=fold.tenure,
        instalments_paid=fold.paid_instalments,
        next_due=terms.due(fold.paid_instalments + 1),
        total_paid=state.total_paid + interest + principal,
        total_interest=state.total_interest + interest,
        total_principal=state.total_principal + principal,
        rows=rows,
    )


def tenure_as_of(terms: LoanTerms, events: list[Event], today: datetime.date) -> int:
    """Instalments left as of ``today``: events dated later are not counted yet."""
    return replay(terms, events, today).remaining_tenure


def without(events: list[Event], event_id: str) -> list[Event]:
    """The events less the one with ``event_id`` (deleting an event is replaying without
    it, which restores the EMI and tenure exactly)."""
    kept = [e for e in events if e.id != event_id]
    if len(kept) == len(events):
        raise KeyError(event_id)
    return kept
