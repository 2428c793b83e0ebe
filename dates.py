"""Time rules: everything stored in UTC, calendars read in the user's own timezone."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TZ = "Asia/Kolkata"
KNOWN_TIMEZONES = frozenset(available_timezones())


def now() -> datetime:
    return datetime.now(UTC)


def to_millis(value: datetime) -> datetime:
    """BSON keeps milliseconds: trim, so a create's answer equals every later read."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now_ms() -> datetime:
    """Now, at the precision MongoDB stores."""
    return to_millis(now())


def user_tz(user: Mapping[str, Any]) -> str:
    """The user's IANA timezone (profile.timezone), Asia/Kolkata by default."""
    return user.get("profile", {}).get("timezone") or DEFAULT_TZ


def to_utc(value: datetime, tz: str) -> datetime:
    """A naive datetime means wall-clock time in the user's timezone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def start_of_day(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_date(value: datetime, tz: str) -> date:
    return value.astimezone(ZoneInfo(tz)).date()


def month_bounds(year: int, month: int, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in the user's timezone, as UTC instants."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start_of_day(date(year, month, 1), tz), start_of_day(date(next_year, next_month, 1), tz)


def current_month(tz: str, at: datetime | None = None) -> tuple[int, int]:
    local = (at or now()).astimezone(ZoneInfo(tz))
    return local.year, local.month


def fiscal_year_bounds(fy: str, tz: str) -> tuple[datetime, datetime]:
    """Indian fiscal year "2024-25": 1 April 2024 to 31 March 2025, in the user's timezone."""
    start_year = int(fy[:4])
    return start_of_day(date(start_year, 4, 1), tz), start_of_day(date(start_year + 1, 4, 1), tz)


def day_end(day: date, tz: str) -> datetime:
    """Exclusive end of a calendar day: an inclusive `to=` date filter covers that whole day."""
    return start_of_day(day + timedelta(days=1), tz)
