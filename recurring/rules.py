"""Recurring items, pure: which of a user's entries repeat on a schedule (grouped by payee and
account), at what interval and amount, when each is next expected, and whether this period's
occurrence was paid. No I/O: the store groups the entries, the service writes the items."""

import itertools
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.dates import month_end, shift_month
from core.money import format_money, quantize
from imports.statements.names import payee_from_vpa


@dataclass(frozen=True)
class Interval:
    months: int  # a calendar interval: the same day of the month, `months` apart
    days: int  # else a fixed number of days
    gaps: tuple[int, int]  # the days between two occurrences that fit it
    slack: int  # how far from its date an occurrence may land and still be that period's
    minimum: int  # the occurrences it takes to call a payee recurring

    @property
    def length(self) -> timedelta:
        return timedelta(days=self.days or round(self.months * 30.44))


INTERVALS = {
    "weekly": Interval(0, 7, (6, 8), 1, 3),
    "fortnightly": Interval(0, 14, (12, 16), 2, 3),
    "monthly": Interval(1, 0, (26, 35), 3, 3),
    "quarterly": Interval(3, 0, (84, 99), 5, 3),
    "half_yearly": Interval(6, 0, (173, 193), 7, 2),
    "yearly": Interval(12, 0, (355, 376), 10, 2),
}
TOLERANCE = Decimal("0.075")  # an amount this close to the usual one is the same bill
FIT = 0.8  # the share of gaps that must fit the interval
DAY_SPREAD = 3  # a monthly bill lands within this many days of its usual day of the month
VARIABLE_RATIO = Decimal("1.6")  # a bill that varies (electricity): its highest ÷ lowest
RECENT = 12  # occurrences a variable bill's range is taken from
GRACE_DAYS = 3  # a bill is missed this many days after its date
# The entries detection reads: a yearly bill shows 3 times in them, and older prices and
# pauses would only break the runs and gaps that today's schedule is judged by.
HISTORY_MONTHS = 36


def payee_key(title: str | None, vpa: str | None = None) -> str:
    """The payee an entry names, stored on it as `payee_key` when it is written and grouped
    by detection: a merchant's UPI handle as the merchant (`swiggy8@ybl` is Swiggy, as a
    hand-typed "Swiggy" is), another UPI address as itself (a landlord paid by UPI, whatever
    each payment's note says), else the title cleaned: lower case, without digits,
    punctuation and spacing (`NETFLIX.COM 8839` and `Netflix.com` are one payee)."""
    if vpa and vpa.strip():
        merchant = payee_from_vpa(vpa.strip())
        return _cleaned(merchant) if merchant else vpa.strip().lower()
    return _cleaned(title or "")


def _cleaned(name: str) -> str:
    return " ".join(re.sub(r"[^a-z]+", " ", name.lower()).split())


def history_start(today: date) -> date:
    """The first day detection reads entries from: the month HISTORY_MONTHS back."""
    return date(*shift_month(today.year, today.month, -HISTORY_MONTHS), 1)


# ---------------------------------------------------------------- the schedule


def on_day(year: int, month: int, anchor: int) -> date:
    """The anchor day in a month, or the month's last day when it is shorter."""
    return min(date(year, month, 1) + timedelta(days=anchor - 1), month_end(year, month))


def advance(day: date, interval: str, anchor: int, n: int = 1) -> date:
    """The date `n` intervals after `day`."""
    rule = INTERVALS[interval]
    if not rule.months:
        return day + timedelta(days=rule.days * n)
    return on_day(*shift_month(day.year, day.month, rule.months * n), anchor)


def period_date(day: date, interval: str, anchor: int) -> date:
    """The scheduled date of the period an occurrence on `day` belongs to (a bill due on the
    7th and paid on the 5th is that month's)."""
    if not INTERVALS[interval].months:
        return day
    near = [on_day(*shift_month(day.year, day.month, d), anchor) for d in (-1, 0, 1)]
    return min(near, key=lambda candidate: abs((candidate - day).days))


def dates_between(first: date, interval: str, anchor: int, start: date, end: date) -> list[date]:
    """The scheduled dates from `first` on that fall within [start, end]."""
    found, n = [], 0
    while (day := advance(first, interval, anchor, n)) <= end:
        if day >= start:
            found.append(day)
        n += 1
    return found


def is_paid(scheduled: date, interval: str, last_date: date | None) -> bool:
    """Whether an entry matched the occurrence due on `scheduled`: the latest entry of the
    item is within its slack of that date, or later."""
    slack = timedelta(days=INTERVALS[interval].slack)
    return last_date is not None and last_date >= scheduled - slack


def is_ended(next_date: date, interval: str, anchor: int, today: date) -> bool:
    """Unseen for two intervals past its date."""
    return today > advance(next_date, interval, anchor, 2)


def is_missed(next_date: date, today: date) -> bool:
    return today > next_date + timedelta(days=GRACE_DAYS)


# ---------------------------------------------------------------- detection


@dataclass(frozen=True)
class Detected:
    interval: str
    day_of_month: int
    amount_min: Decimal
    amount_max: Decimal
    amount_typical: Decimal
    last_date: date
    next_date: date
    occurrences: int
    previous_amount: Decimal | None  # the price before a price change, if the latest is one

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _interval_of(days: Sequence[date]) -> str | None:
    """The interval most gaps between consecutive occurrences fit (at least FIT of them)."""
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    best, best_fit = None, 0.0
    for name, rule in INTERVALS.items():
        if len(days) < rule.minimum:
            continue
        low, high = rule.gaps
        fit = sum(low <= gap <= high for gap in gaps) / len(gaps)
        if fit >= FIT and fit > best_fit:
            best, best_fit = name, fit
    return best


def _anchor(days: Sequence[date], interval: str) -> int | None:
    """The usual day of the month of a calendar interval's occurrences, when they cluster
    around it (within DAY_SPREAD, counted from the month's start or from its end); None when
    they don't. A weekly or fortnightly item keeps the latest one's."""
    if not INTERVALS[interval].months:
        return days[-1].day
    recent = days[-RECENT:]
    of_month = [day.day for day in recent]
    from_end = [(month_end(day.year, day.month) - day).days for day in recent]
    for values in (of_month, from_end):
        middle = statistics.median_low(values)
        if all(abs(value - middle) <= DAY_SPREAD for value in values):
            return statistics.median_low(of_month)
    return None


def _segments(amounts: Sequence[Decimal]) -> list[list[Decimal]]:
    """Runs of amounts within TOLERANCE of their run's first: a fixed price and its changes."""
    runs: list[list[Decimal]] = []
    for amount in amounts:
        if runs and abs(amount - runs[-1][0]) <= runs[-1][0] * TOLERANCE:
            runs[-1].append(amount)
        else:
            runs.append([amount])
    return runs


def _amounts(amounts: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal, Decimal | None] | None:
    """(min, max, typical, price before a change) of a fixed price (a few runs, the latest
    its current price) or of a bill that varies within VARIABLE_RATIO; None for neither."""
    runs = _segments(amounts)
    if len(runs) <= 3 and all(len(run) >= 2 for run in runs[:-1]):
        current = runs[-1]
        before = statistics.median(runs[-2]) if len(runs) > 1 else None
        return min(current), max(current), statistics.median(current), before
    recent = amounts[-RECENT:]
    low, high = min(recent), max(recent)
    if high <= low * VARIABLE_RATIO:
        return low, high, statistics.median(recent), None
    return None


def detect(occurrences: Sequence[tuple[date, Decimal]], today: date) -> Detected | None:
    """What a payee's entries (one account, one kind) repeat as, or None: irregular dates or
    amounts, too few occurrences, or the latest too long ago for the interval."""
    ordered = sorted(occurrences)
    days = [day for day, _ in ordered]
    interval = _interval_of(days) if len(days) >= 2 else None
    if interval is None:
        return None
    anchor = _anchor(days, interval)
    amounts = _amounts([amount for _, amount in ordered])
    if anchor is None or amounts is None:
        return None
    low, high, typical, before = amounts
    last = days[-1]
    next_date = advance(period_date(last, interval, anchor), interval, anchor)
    if today > advance(next_date, interval, anchor):
        return None
    return Detected(
        interval=interval,
        day_of_month=anchor,
        amount_min=quantize(low),
        amount_max=quantize(high),
        amount_typical=quantize(typical),
        last_date=last,
        next_date=next_date,
        occurrences=len(days),
        previous_amount=None if before is None else quantize(before),
    )


def upcoming(item: dict[str, Any], start: date, end: date) -> Iterator[tuple[date, bool]]:
    """(date, paid) of an item's occurrences within [start, end]: this period's, paid, when
    an entry already matched it, then every one from `next_date` on."""
    interval, anchor, last = item["interval"], item["day_of_month"], item.get("last_date")
    if interval is None:  # one date (a card's due), paid or not
        if start <= item["next_date"] <= end:
            yield item["next_date"], item["paid"]
        return
    if last is not None:
        current = period_date(last, interval, anchor)
        if start <= current <= end and current < item["next_date"]:
            yield current, True
    for day in dates_between(item["next_date"], interval, anchor, start, end):
        yield day, False


def alerts(
    item: dict[str, Any], found: Detected | None, today: date, currency: str
) -> list[tuple[str, str, str]]:
    """(once-key, title, message) of each notification an item calls for: found for the
    first time, its price up by more than TOLERANCE (`found`: what detection just wrote),
    or its date GRACE_DAYS past with nothing matched. Nothing for a dismissed or ended item."""
    anchor, interval, due = item["day_of_month"], item["interval"], item["next_date"]
    if item["status"] == "dismissed" or is_ended(due, interval, anchor, today):
        return []
    title, out = item["title"], []
    if found is not None and item["source"] == "detected":
        typical, before = found.amount_typical, found.previous_amount
        if item["occurrences"] == found.occurrences and item["created_at"] == item["updated_at"]:
            line = f"{title}: {format_money(typical, currency)}, {interval.replace('_', '-')}"
            out.append(("new", "New recurring payment found", line))
        if before is not None and typical > before * (1 + TOLERANCE):
            line = f"{title} went from {format_money(before, currency)} to "
            out.append((f"price:{typical}", "Price change", line + format_money(typical, currency)))
    if is_missed(due, today):
        if item["kind"] == "income":
            line = f"{title} was expected on {due.isoformat()}"
            out.append((f"late:{due}", "Income not received", line))
        else:
            out.append((f"missed:{due}", "Bill missed", f"{title} was due on {due.isoformat()}"))
    return out
