"""Credit cards, the rules without I/O: a card's terms, its statement cycles (a short month
closes on its last day; a changed statement day lets the cycle in progress end on the old
one), the charges the RBI's Master Direction on credit cards allows (interest on each day's
closing balance from each purchase's date, only when the total due was not paid by the due
date; a late fee only after 3 days past due, by slab; GST at 18 %) and the estimated minimum
due. Every figure is Decimal, rounded once to the paisa (`core.money.quantize`)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core.dates import as_day
from core.errors import ErrorCode, Unprocessable
from core.money import HUNDRED, ZERO, quantize

DEFAULT_DUE_DAYS = 20
DEFAULT_MONTHLY_RATE = Decimal("3.75")
# A typical issuer's late-fee slabs (the amount outstanding after the due date, the fee).
DEFAULT_LATE_FEE_SLABS: list[dict] = [
    {"up_to": Decimal(500), "fee": ZERO},
    {"up_to": Decimal(5000), "fee": Decimal(500)},
    {"up_to": Decimal(10000), "fee": Decimal(750)},
    {"up_to": None, "fee": Decimal(1300)},
]
GST_RATE = Decimal("0.18")
LATE_FEE_GRACE_DAYS = 3  # past due for more than this many days before a late fee
MINIMUM_DUE_SHARE = Decimal("0.05")  # of the purchases' part of the total due
MINIMUM_DUE_FLOOR = Decimal(100)
CARD_FIELDS = (
    "credit_limit",
    "statement_day",
    "due_days",
    "monthly_interest_rate",
    "late_fee_slabs",
    "interest_free",
)


def _invalid(message: str, field_name: str, code: ErrorCode) -> Unprocessable:
    return Unprocessable(message, code=code, loc=("body", field_name))


# ---------------------------------------------------------------- terms


@dataclass(frozen=True)
class Terms:
    statement_day: int
    due_days: int = DEFAULT_DUE_DAYS
    monthly_rate: Decimal = DEFAULT_MONTHLY_RATE
    late_fee_slabs: tuple[tuple[Decimal | None, Decimal], ...] = ()
    interest_free: bool = True
    credit_limit: Decimal | None = None
    # A changed statement day: the old day closes statements up to the first one on or after
    # `changed_on` (the cycle then in progress), the new day every later one.
    previous_day: int | None = None
    changed_on: date | None = None

    @classmethod
    def of(cls, account: dict) -> Terms:
        """A card account's terms, the defaults for what it leaves out; a card with no
        statement day has no cycles yet (a 422 naming the field)."""
        if account.get("statement_day") is None:
            raise _invalid(
                "Set the card's statement_day (PUT /api/accounts/{id}) to see its cycles",
                "statement_day",
                ErrorCode.card_terms_missing,
            )
        slabs = account.get("late_fee_slabs") or DEFAULT_LATE_FEE_SLABS
        rate = account.get("monthly_interest_rate")
        return cls(
            statement_day=account["statement_day"],
            due_days=account.get("due_days") or DEFAULT_DUE_DAYS,
            monthly_rate=DEFAULT_MONTHLY_RATE if rate is None else Decimal(str(rate)),
            late_fee_slabs=tuple((s["up_to"], s["fee"]) for s in slabs),
            interest_free=account.get("interest_free", True) is not False,
            credit_limit=account.get("credit_limit"),
            previous_day=account.get("previous_statement_day"),
            changed_on=as_day(changed)
            if (changed := account.get("statement_day_changed_on"))
            else None,
        )


def check_terms(kind: str, values: dict) -> None:
    """Card terms belong to a credit card only; late-fee slabs rise, the last one open."""
    sent = [name for name in CARD_FIELDS if values.get(name) is not None]
    if sent and kind != "credit_card":
        raise _invalid(f"{sent[0]} is a credit card's term only", sent[0], ErrorCode.not_a_card)
    slabs = values.get("late_fee_slabs")
    if slabs:
        limits = [slab["up_to"] for slab in slabs]
        bounded = [limit for limit in limits[:-1] if limit is not None]
        if limits[-1] is not None or len(bounded) != len(limits) - 1:
            raise _invalid(
                "Only the last late-fee slab is open (up_to: null)",
                "late_fee_slabs",
                ErrorCode.invalid_late_fee_slabs,
            )
        if bounded != sorted(set(bounded)):
            raise _invalid(
                "Late-fee slabs rise: each up_to above the last",
                "late_fee_slabs",
                ErrorCode.invalid_late_fee_slabs,
            )


def with_defaults(values: dict) -> dict:
    """A card's terms with the defaults for those left out (shown on the account)."""
    defaults = {
        "due_days": DEFAULT_DUE_DAYS,
        "monthly_interest_rate": DEFAULT_MONTHLY_RATE,
        "late_fee_slabs": DEFAULT_LATE_FEE_SLABS,
        "interest_free": True,
    }
    return values | {k: v for k, v in defaults.items() if values.get(k) is None}


def statement_day_change(stored: dict, new_day: int, today: date) -> dict:
    """The fields a new statement day sets: the cardholder may change it once (RBI, 2024
    amendment); the cycle in progress ends on the old day."""
    old = stored.get("statement_day")
    if old is None or old == new_day:
        return {}
    if stored.get("statement_day_changed_on") is not None:
        raise _invalid(
            "The statement day can be changed once, and it was",
            "statement_day",
            ErrorCode.statement_day_changed,
        )
    return {"previous_statement_day": old, "statement_day_changed_on": today}


# ---------------------------------------------------------------- cycles


def closing_day(year: int, month: int, day: int) -> date:
    """The statement date of a month: `day`, or the month's last day when it is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_on(day: int, after: date) -> date:
    """The first date after `after` on statement day `day`."""
    year, month = after.year, after.month
    while (candidate := closing_day(year, month, day)) <= after:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return candidate


def next_statement_date(terms: Terms, after: date) -> date:
    """The statement date that closes the cycle holding the day after `after`."""
    if terms.previous_day is not None and terms.changed_on is not None:
        switch = _next_on(terms.previous_day, terms.changed_on - timedelta(days=1))
        if after < switch:
            return _next_on(terms.previous_day, after)
    return _next_on(terms.statement_day, after)


def cycles(terms: Terms, first: date, last: date) -> list[tuple[date, date]]:
    """(from, to) of each cycle from `first` (the card's first day: its first cycle starts
    there) to the one holding `last`."""
    out: list[tuple[date, date]] = []
    start = first
    while True:
        end = next_statement_date(terms, start - timedelta(days=1))
        out.append((start, end))
        if end >= last:
            return out
        start = end + timedelta(days=1)


# ---------------------------------------------------------------- charges


def daily_rate(monthly_rate: Decimal) -> Decimal:
    """Per day, as a fraction: the monthly rate x 12 / 365, unrounded."""
    return monthly_rate * 12 / 365 / HUNDRED


@dataclass
class Balance:
    """What interest runs on at the start of a window: `bearing` (purchases carried without an
    interest-free period) and `free` (a total due that was paid in time: payments settle it
    first)."""

    bearing: Decimal = ZERO
    free: Decimal = ZERO


def interest(
    days: tuple[date, date],
    opening: Balance,
    moves: dict[date, Decimal],
    payments: dict[date, Decimal],
    monthly_rate: Decimal,
) -> Decimal:
    """Interest on each day's closing balance from `days[0]` to `days[1]`, both counted:
    purchases less refunds (`moves`, by day) and payments, at the monthly rate x 12 / 365 a
    day, summed and rounded once to the paisa. Fees, interest and GST are never in it."""
    rate = daily_rate(monthly_rate)
    bearing, free, owed = opening.bearing, opening.free, Decimal(0)
    day = days[0]
    while day <= days[1]:
        bearing += moves.get(day, ZERO)
        paid = payments.get(day, ZERO)
        settled = min(free, paid)
        free, bearing = free - settled, bearing - (paid - settled)
        owed += max(bearing, ZERO) * rate
        day += timedelta(days=1)
    return quantize(owed)


def late_fee(slabs: tuple[tuple[Decimal | None, Decimal], ...], outstanding: Decimal) -> Decimal:
    """The fee of the slab the amount outstanding after the due date falls in (0 for none)."""
    if outstanding <= 0:
        return ZERO
    for up_to, fee in slabs:
        if up_to is None or outstanding <= up_to:
            return quantize(fee)
    return ZERO


def gst(*charges: Decimal) -> Decimal:
    """GST at 18 % on interest and fees."""
    return quantize(sum(charges, ZERO) * GST_RATE)


def minimum_due(total_due: Decimal, charges: Decimal) -> Decimal:
    """The estimated minimum due (a statement that prints one says it): every charge (interest,
    fees, GST) and 5 % of the rest, at least ₹100, never more than the total due."""
    if total_due <= 0:
        return ZERO
    rest = max(total_due - charges, ZERO)
    return min(total_due, max(charges + quantize(rest * MINIMUM_DUE_SHARE), MINIMUM_DUE_FLOOR))


@dataclass
class Ledger:
    """A card's entries by day: `moves` purchases (+) and refunds (-), `payments` made to it;
    its EMIs' lines (`cards.emis`): `emi` everything they bill (instalments, fees, GST, a
    foreclosure), `emi_principal` the principal part of it, `converted` the purchases
    converted into EMIs (a credit on the conversion day)."""

    purchases: dict[date, Decimal] = field(default_factory=dict)
    refunds: dict[date, Decimal] = field(default_factory=dict)
    payments: dict[date, Decimal] = field(default_factory=dict)
    emi: dict[date, Decimal] = field(default_factory=dict)
    emi_principal: dict[date, Decimal] = field(default_factory=dict)
    converted: dict[date, Decimal] = field(default_factory=dict)

    def moves(self) -> dict[date, Decimal]:
        """What interest may run on, by day: purchases and billed EMI principal, less refunds
        and conversions (an EMI's interest, fees and GST are charges: never in it)."""
        days = set(self.purchases) | set(self.refunds) | set(self.emi_principal)
        days |= set(self.converted)
        signed = ((self.purchases, 1), (self.emi_principal, 1))
        signed += ((self.refunds, -1), (self.converted, -1))
        return {d: sum((kind.get(d, ZERO) * sign for kind, sign in signed), ZERO) for d in days}

    def sum(self, kind: str, days: tuple[date, date]) -> Decimal:
        return sum((v for d, v in getattr(self, kind).items() if days[0] <= d <= days[1]), ZERO)

    def first_day(self) -> date | None:
        days = [*self.purchases, *self.refunds, *self.payments, *self.emi, *self.converted]
        return min(days, default=None)

    def blocked_after(self, day: date) -> Decimal:
        """EMI principal billed after `day`: what the EMIs still block of the limit."""
        return sum((v for d, v in self.emi_principal.items() if d > day), ZERO)
