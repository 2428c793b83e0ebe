"""Savings-goal rules: progress, the monthly saving a goal needs, milestones and status.
Pure: no I/O."""

from datetime import date
from decimal import Decimal

from core.money import ZERO, percent_of, quantize

MILESTONES = (25, 50, 75, 100)
# Contributions are taken while a goal is being saved for; completed/cancelled goals are closed.
OPEN_STATUSES = ("active", "paused")
# "At risk": more than this many days of saving behind the straight-line pace.
AT_RISK_GRACE_DAYS = 30


def months_left(today: date, target: date) -> int:
    """Saving months from today to the target date, a started month counting whole (min 1)."""
    months = (target.year - today.year) * 12 + target.month - today.month
    if target.day > today.day:
        months += 1
    return max(1, months)


def progress_percentage(current: Decimal, target: Decimal) -> Decimal:
    """Exact 100 x current / target; above 100 when over-saved."""
    return percent_of(current, target)


def remaining(current: Decimal, target: Decimal) -> Decimal:
    """What is still to save, never below 0."""
    return quantize(max(target - current, ZERO))


def monthly_required(current: Decimal, target: Decimal, target_date: date, today: date) -> Decimal:
    """What to save each month from now to reach the target on time; 0 once it is reached."""
    left = target - current
    if left <= 0:
        return ZERO
    return quantize(left / months_left(today, target_date))


def milestones_for(current: Decimal, target: Decimal) -> list[int]:
    """Milestones reached, compared exactly (24.996 % is not 25 %)."""
    return [m for m in MILESTONES if current * 100 >= target * m]


def settled_status(status: str, current: Decimal, target: Decimal) -> str:
    """An open goal whose target is reached is completed; a completed one whose target was
    raised above what is saved is active again; a cancelled goal stays cancelled."""
    if status in OPEN_STATUSES and current >= target:
        return "completed"
    if status == "completed" and current < target:
        return "active"
    return status
