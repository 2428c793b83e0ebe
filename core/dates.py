"""Periods and the clock: instants in UTC, calendar days as days, "today" in the user's zone.

Pure: no I/O. An instant (`created_at`) is UTC at millisecond precision: the one clock is
`now_ms`, so a create's answer equals every later read. A calendar day (a payment date, an
expense date) is a `date`, stored as midnight UTC (BSON has no date type) and never moved by
a timezone; a datetime sent for a day means its calendar day in the user's timezone. The one
period rule is `stats_period`; the fiscal year starts in one place.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from core.errors import ErrorCode, Unprocessable

DEFAULT_TZ = "Asia/Kolkata"
KNOWN_TIMEZONES = frozenset(available_timezones())
# Years a request may name: wider ones would overflow when moved between timezones.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
FISCAL_YEAR_START_MONTH = 4  # the Indian fiscal year runs 1 April to 31 March


def to_millis(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now_ms() -> datetime:
    """Now in UTC, at the precision MongoDB stores."""
    return to_millis(datetime.now(UTC))


# ---------------------------------------------------------------- days and instants


def to_utc(value: datetime, tz: str) -> datetime:
    """A naive datetime means wall-clock time in the user's timezone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def local_date(value: datetime, tz: str) -> date:
    """The calendar day an instant falls on in `tz`."""
    return value.astimezone(ZoneInfo(tz)).date()


def local_day(value: date | datetime, tz: str) -> date:
    """A request's calendar day: a datetime (naive = the user's wall clock) is read in `tz`."""
    if isinstance(value, datetime):
        return local_date(to_utc(value, tz), tz)
    return value


def as_day(value: date | datetime) -> date:
    """A stored day (midnight UTC) as the day it is."""
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def today(tz: str) -> date:
    return local_date(now_ms(), tz)


def start_of_day(day: date, tz: str) -> datetime:
    """The instant a calendar day begins in `tz` (the reminders' quiet hours use it)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ---------------------------------------------------------------- months


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> date:
    """The last day of the month."""
    return date(*shift_month(year, month, 1), 1) - timedelta(days=1)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """[first day, first day of the next month) of a calendar month."""
    return date(year, month, 1), date(*shift_month(year, month, 1), 1)


def current_month(tz: str, at: datetime | None = None) -> tuple[int, int]:
    local = (at or now_ms()).astimezone(ZoneInfo(tz))
    return local.year, local.month


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    start: date  # inclusive, the user's calendar
    end: date  # inclusive

    def bounds(self) -> tuple[date, date]:
        """[start, the day after end): the range a day field is filtered on."""
        return self.start, self.end + timedelta(days=1)

    def month_keys(self) -> list[str]:
        """Every "YYYY-MM" the period touches, so months without entries can show as zero."""
        keys = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            keys.append(month_key(year, month))
            year, month = shift_month(year, month, 1)
        return keys


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def check_order(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise Unprocessable(
            "`from` must not be after `to`", code=ErrorCode.invalid_range, loc=("query", "from")
        )


def stats_period(year: int | None, start: date | None, end: date | None, tz: str) -> Period:
    """The one period rule of every monthly statistic: `?year=` or `?from=&to=` (both), neither
    meaning this calendar year in the user's timezone. The year's bounds are the query type's
    (EARLIEST_YEAR..LATEST_YEAR)."""
    if year is not None and (start or end):
        raise Unprocessable(
            "Use either `year` or `from`/`to`", code=ErrorCode.invalid_range, loc=("query", "year")
        )
    if (start is None) != (end is None):
        raise Unprocessable(
            "`from` and `to` go together",
            code=ErrorCode.invalid_range,
            loc=("query", "to" if end is None else "from"),
        )
    if start and end:
        check_order(start, end)
        return Period(start, end)
    return calendar_year(year or today(tz).year)


def report_month(year: int | None, month: int | None, tz: str) -> tuple[int, int]:
    """`?year=&month=` together, or neither for this month in the user's timezone."""
    if (year is None) != (month is None):
        raise Unprocessable(
            "`year` and `month` go together",
            code=ErrorCode.invalid_period,
            loc=("query", "month" if month is None else "year"),
        )
    if year is None or month is None:
        day = today(tz)
        return day.year, day.month
    return year, month


# ---------------------------------------------------------------- the Indian fiscal year


def fiscal_year(day: date) -> int:
    """The first calendar year of the fiscal year that holds `day`."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_period(first_year: int) -> Period:
    """1 April `first_year` to 31 March of the next year."""
    start = date(first_year, FISCAL_YEAR_START_MONTH, 1)
    return Period(start, date(first_year + 1, FISCAL_YEAR_START_MONTH, 1) - timedelta(days=1))


def fy_label(first_year: int) -> str:
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def parse_fiscal_year(fy: str) -> int:
    """The first calendar year of "2024-25"; the second part must be the next year."""
    first, second = int(fy[:4]), int(fy[5:])
    if second != (first + 1) % 100 or not EARLIEST_YEAR <= first < LATEST_YEAR:
        raise Unprocessable(
            "A fiscal year is written like 2024-25 (April 2024 to March 2025)",
            code=ErrorCode.invalid_fiscal_year,
            loc=("query", "fy"),
        )
    return first
