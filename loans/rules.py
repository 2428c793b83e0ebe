"""Loan rules: EMI arithmetic (EMI, interest split, amortization, what-ifs) and the rules of
a stored debt (what a write may change, the day of an event, the due-date anchor).

Pure functions only: no I/O, no floats. All money is ``decimal.Decimal`` rounded
half-up to paise (0.01), which is how Indian lenders state EMIs and interest. A refusal
of a stored debt's rule is a domain error (core/errors.py).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Literal

from core.dates import as_day, local_day, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from core.money import CENT, ZERO
from core.money import quantize as money

MAX_MONTHS = 1200  # 100 years: anything longer is treated as "never pays off"
PREC = 60  # generous: (1+r)^n and 100 years of negative amortization stay exact enough

PaymentType = Literal["emi", "prepayment"]


class PaymentTooSmall(ValueError):
    """An EMI-type payment smaller than the interest due on it."""

    def __init__(self, interest: Decimal) -> None:
        super().__init__(f"payment must cover at least the interest due ({interest})")
        self.interest = interest


class Overpayment(ValueError):
    """A payment whose principal part exceeds the outstanding principal (the API's 409).

    ``clears`` is what this payment would have to be to close the loan exactly: the
    remaining principal, plus the month's interest for an EMI-type payment.
    """

    def __init__(self, remaining: Decimal, clears: Decimal) -> None:
        super().__init__(f"payment exceeds what is owed: {clears} clears the debt")
        self.remaining = remaining
        self.clears = clears


class NeverPaysOff(ValueError):
    """The payments don't outpace the interest, so the loan never amortizes."""


def check_money(name: str, x: Decimal | int, *, positive: bool = False) -> None:
    # The exact-sum guarantees below only hold if inputs are whole paise.
    if isinstance(x, float) or not Decimal(x).is_finite() or Decimal(x) != money(x):
        raise ValueError(f"{name} must be a Decimal with at most 2 decimals, got {x!r}")
    if x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {x}")


def check_rate(annual_rate: Decimal) -> None:
    if isinstance(annual_rate, float) or not Decimal(annual_rate).is_finite() or annual_rate < 0:
        raise ValueError(f"annual rate must be a finite Decimal >= 0, got {annual_rate!r}")


def monthly_rate(annual_rate_percent: Decimal) -> Decimal:
    """Annual percentage -> monthly fraction, unrounded (12% -> 0.01)."""
    with localcontext(prec=PREC):
        return Decimal(annual_rate_percent) / 12 / 100


def add_months(d: datetime.date, k: int) -> datetime.date:
    """``d`` shifted by ``k`` months, clamped to month end (Jan 31 + 1 -> Feb 28/29)."""
    years, month0 = divmod(d.month - 1 + k, 12)
    year = d.year + years
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(d.day, last_day))


def emi(principal: Decimal, annual_rate: Decimal, tenure_months: int) -> Decimal:
    """Reducing-balance EMI P·r·(1+r)^n / ((1+r)^n - 1), rounded to 0.01, and never below
    0.01: a few paise over many months would round to an instalment of nothing."""
    check_money("principal", principal, positive=True)
    check_rate(annual_rate)
    if tenure_months < 1:
        raise ValueError("tenure_months must be >= 1")
    r = monthly_rate(annual_rate)
    if r == 0:
        return max(money(principal / tenure_months), CENT)
    with localcontext(prec=PREC):  # full precision until the single final rounding
        growth = (1 + r) ** tenure_months
        return max(money(principal * r * growth / (growth - 1)), CENT)


def split_payment(
    amount: Decimal, remaining: Decimal, annual_rate: Decimal, payment_type: PaymentType
) -> tuple[Decimal, Decimal]:
    """Split a payment into (interest, principal). Caller must check principal <= remaining."""
    check_money("amount", amount, positive=True)
    check_money("remaining", remaining)
    check_rate(annual_rate)
    if payment_type == "prepayment":
        return ZERO, amount  # prepayments go straight to principal
    if payment_type != "emi":
        raise ValueError(f"unknown payment_type {payment_type!r}")
    interest = money(remaining * monthly_rate(annual_rate))
    if amount < interest:
        raise PaymentTooSmall(interest)
    return interest, amount - interest


def split_checked(
    amount: Decimal, remaining: Decimal, annual_rate: Decimal, payment_type: PaymentType
) -> tuple[Decimal, Decimal]:
    """``split_payment`` that also refuses overpaying: raises ``Overpayment`` when the
    principal part would exceed ``remaining``."""
    interest, principal = split_payment(amount, remaining, annual_rate, payment_type)
    if principal > remaining:
        raise Overpayment(remaining, remaining + interest)
    return interest, principal


@dataclass(frozen=True)
class Row:
    month: int  # 1-based
    due_date: datetime.date
    emi: Decimal  # total paid this month, including extra_monthly
    interest: Decimal
    principal: Decimal
    balance: Decimal  # outstanding after this payment


@dataclass(frozen=True)
class Schedule:
    rows: list[Row]
    total_paid: Decimal  # includes lump_sum_applied
    total_interest: Decimal
    total_principal: Decimal  # includes lump_sum_applied
    months: int
    lump_sum_applied: Decimal  # lump_sum capped at the opening balance


def amortize(
    balance: Decimal,
    annual_rate: Decimal,
    emi_amount: Decimal,
    first_due: datetime.date,
    extra_monthly: Decimal = ZERO,
    lump_sum: Decimal = ZERO,
    max_months: int = MAX_MONTHS,
) -> Schedule:
    """Month-by-month schedule until the balance is exactly 0.00.

    ``lump_sum`` is paid against principal before month 1 (capped at the balance) and
    is counted in ``total_paid`` / ``total_principal``, but it produces no row.
    """
    for name, value in [
        ("balance", balance),
        ("emi_amount", emi_amount),
        ("extra_monthly", extra_monthly),
        ("lump_sum", lump_sum),
    ]:
        check_money(name, value)
    check_rate(annual_rate)
    r = monthly_rate(annual_rate)
    lump = min(lump_sum, balance)
    balance -= lump
    payment = emi_amount + extra_monthly
    rows: list[Row] = []
    with localcontext(prec=PREC):
        while balance > 0:
            if len(rows) >= max_months:
                raise NeverPaysOff(f"not paid off within {max_months} months")
            interest = money(balance * r)
            principal = payment - interest
            if principal <= 0:
                raise NeverPaysOff(f"payment {payment} doesn't cover interest {interest}")
            paid = payment
            if principal >= balance:  # last instalment absorbs all rounding
                principal, paid = balance, interest + balance
            balance -= principal
            month = len(rows) + 1
            rows.append(
                Row(month, add_months(first_due, month - 1), paid, interest, principal, balance)
            )
    total_interest = sum((row.interest for row in rows), ZERO)
    total_principal = sum((row.principal for row in rows), lump)
    return Schedule(
        rows=rows,
        total_paid=total_interest + total_principal,
        total_interest=total_interest,
        total_principal=total_principal,
        months=len(rows),
        lump_sum_applied=lump,
    )


@dataclass(frozen=True)
class WhatIf:
    baseline: Schedule
    scenario: Schedule
    months_saved: int
    interest_saved: Decimal


def what_if(
    balance: Decimal,
    annual_rate: Decimal,
    emi_amount: Decimal,
    first_due: datetime.date,
    extra_monthly: Decimal = ZERO,
    lump_sum: Decimal = ZERO,
) -> WhatIf:
    """Compare the plain schedule with one that adds extra_monthly and/or a lump sum.

    Raises NeverPaysOff if the baseline itself never pays off.
    """
    base = amortize(balance, annual_rate, emi_amount, first_due)
    scen = amortize(balance, annual_rate, emi_amount, first_due, extra_monthly, lump_sum)
    return WhatIf(
        baseline=base,
        scenario=scen,
        months_saved=base.months - scen.months,
        interest_saved=base.total_interest - scen.total_interest,
    )


# ---------------------------------------------------------------- the rules of a stored debt
# A debt document as the API stores it: its terms as they started, a due-date anchor, and
# the state its events give (loans/debt.py reads it). These functions decide what a write may
# change; loans/service.py reads, calls them, and writes through loans/store.py.

Doc = dict[str, Any]
# Loan terms: fixed once an event (a payment, a rate reset) exists, since events were applied
# against them; a rate or EMI changes after that through a rate reset or a prepayment.
TERMS = (
    "principal",
    "tenure_months",
    "outstanding_amount",
    "start_date",
    "interest_rate",
    "monthly_emi",
)
# What a PUT may change at any time: the debt's description, not its terms.
DESCRIPTION_FIELDS = (
    "name",
    "debt_type",
    "bank_name",
    "loan_account",
    "notes",
    "property_use",
    "sanctioned_on",
)
FUTURE_SLACK = datetime.timedelta(days=1)  # a payment may be dated a day ahead (zone skew)


def _event_day(
    value: datetime.date | datetime.datetime | None, tz: str, field: str, code: ErrorCode
) -> datetime.date:
    """Today by default; a datetime read in the user's timezone; never after tomorrow there
    (a device in a zone ahead of the profile's may be a day on): a loan's book records what
    has happened."""
    day = today(tz)
    if value is None:
        return day
    on = local_day(value, tz)
    if on > day + FUTURE_SLACK:
        raise Unprocessable(f"{field} cannot be in the future", code=code, loc=("body", field))
    return on


def payment_day(value: datetime.date | datetime.datetime | None, tz: str) -> datetime.date:
    """The day a payment was made."""
    return _event_day(value, tz, "payment_date", ErrorCode.payment_date_in_future)


def rate_change_day(value: datetime.date | datetime.datetime | None, tz: str) -> datetime.date:
    """The day a rate reset took effect."""
    return _event_day(value, tz, "effective_date", ErrorCode.rate_change_date_in_future)


def check_reset_after_start(debt: Doc, effective: datetime.date) -> None:
    if effective < as_day(debt["start_date"]):
        raise Unprocessable(
            "effective_date is before the loan started",
            code=ErrorCode.invalid_range,
            loc=("body", "effective_date"),
        )


def latest_rate_change(debt: Doc) -> Doc:
    """The rate reset an undo removes: the latest, while the debt is not paid off."""
    changes = debt.get("rate_changes", [])
    if not changes:
        raise NotFound("rate_change")
    if debt["status"] == "completed":
        raise Conflict(
            "This debt is paid off; delete a payment to reopen it", code=ErrorCode.debt_completed
        )
    return max(changes, key=lambda c: (as_day(c["effective_date"]), c["id"]))


def anchor_fields(day: datetime.date, emis_paid: int = 0) -> Doc:
    """A new due-date anchor: the next EMI falls on `day`, and every later one a month on
    (31 Jan -> 29 Feb -> 31 Mar, never drifting), whatever was paid before."""
    return {"due_anchor": day.isoformat(), "anchor_offset": emis_paid, "next_payment_date": day}


def overdue_days(debt: Doc, on: datetime.date) -> int:
    """Days since the unpaid due date of an active debt, as of `on` (0 when not overdue)."""
    due = debt.get("next_payment_date")
    if debt.get("status") != "active" or due is None:
        return 0
    return max(0, (on - as_day(due)).days)


def check_takes_payments(debt: Doc) -> None:
    if debt["status"] != "active":
        raise Conflict(
            f"This debt is {debt['status']}: it takes no payments", code=ErrorCode.debt_not_active
        )


def has_events(debt: Doc) -> bool:
    return debt.get("payments_count", 0) > 0 or bool(debt.get("rate_changes"))


def _changed_terms(debt: Doc, changes: Doc) -> list[str]:
    current = {**debt, "start_date": as_day(debt["start_date"])}
    return [k for k in TERMS if k in changes and changes[k] != current.get(k)]


def _due_date_moved(debt: Doc, changes: Doc) -> bool:
    """A new due date re-anchors the schedule; the stored one sent back (an edit form) keeps
    the anchor, so due days stay on the month's end (31 Jan -> 29 Feb -> 31 Mar, not 29 Mar)."""
    if changes.get("next_payment_date") is None:
        return False
    stored = debt.get("next_payment_date")
    return stored is None or changes["next_payment_date"] != as_day(stored)


def _status_change(debt: Doc, changes: Doc) -> Doc:
    wanted = changes.get("status")
    if wanted is None or wanted == debt["status"]:
        return {}
    if debt["status"] == "completed":
        raise Conflict(
            "This debt is paid off; delete a payment to reopen it", code=ErrorCode.debt_completed
        )
    return {"status": str(wanted)}


def debt_update(debt: Doc, changes: Doc) -> Doc:
    """The `$set` for a PUT (its days resolved), enforcing: terms fixed once the book has
    events, outstanding <= principal, a computed EMI follows its inputs until then,
    `completed` is never reopened. The state the terms give is rebooked by the caller."""
    terms = _changed_terms(debt, changes)
    if debt.get("card_account_id") is not None and (terms or _status_change(debt, changes)):
        raise Conflict(
            "A card EMI's terms and status follow its card: foreclose it"
            " (POST /api/accounts/{card_id}/emis/{id}/foreclose)",
            code=ErrorCode.card_emi_terms,
        )
    if terms and has_events(debt):
        raise Conflict(
            f"{', '.join(terms)} can't change once payments or rate changes are recorded"
            " (a rate reset is POST /api/debts/{id}/rate-changes)",
            code=ErrorCode.debt_has_payments,
        )
    update: Doc = {
        k: (str(v) if k == "debt_type" else v)
        for k, v in changes.items()
        if k in DESCRIPTION_FIELDS
    }
    update |= _status_change(debt, changes)
    principal = changes.get("principal", debt["principal"])
    outstanding = changes.get("outstanding_amount", debt.get("outstanding_amount"))
    if outstanding is not None and outstanding > principal:
        raise Unprocessable(
            "outstanding_amount cannot exceed principal",
            code=ErrorCode.invalid_amounts,
            loc=("body", "outstanding_amount"),
        )
    update |= {k: changes[k] for k in terms if k != "start_date"}
    rate = changes.get("interest_rate", debt["interest_rate"])
    if "interest_rate" in terms:
        update["original_rate"] = rate
    if "monthly_emi" in terms:
        update |= {"original_emi": changes["monthly_emi"], "emi_computed": False}
    elif debt.get("emi_computed") and terms:
        tenure = changes.get("tenure_months", debt["tenure_months"])
        update["monthly_emi"] = update["original_emi"] = emi(principal, rate, tenure)
    if "start_date" in terms:
        update["start_date"] = changes["start_date"]
        update |= anchor_fields(add_months(changes["start_date"], 1))
    if _due_date_moved(debt, changes):
        update |= anchor_fields(changes["next_payment_date"], debt.get("due_offset", 0))
    update["updated_at"] = now_ms()
    return update
