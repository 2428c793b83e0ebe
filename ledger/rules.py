"""Budget rules: how far a month's spend has gone against a category's limit, and which alert
that calls for. Pure: no I/O."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.money import percent_of, quantize


class BudgetLevel(StrEnum):
    ok = "ok"
    warning = "warning"  # at or past the alert threshold
    exceeded = "exceeded"  # at or past 100 %


def level_for(spent: Decimal, limit: Decimal, threshold: int) -> BudgetLevel:
    # Compared exactly, not on the rounded percent: 79.996 % is still below an 80 % threshold.
    if spent >= limit:
        return BudgetLevel.exceeded
    if spent * 100 >= limit * threshold:
        return BudgetLevel.warning
    return BudgetLevel.ok


def levels_reached(spent: Decimal, limit: Decimal, threshold: int) -> list[BudgetLevel]:
    """The alert levels at or below the current one: `warning` (the threshold), `exceeded`
    (100 %). A 100 % threshold has only the one level."""
    level = level_for(spent, limit, threshold)
    if level == BudgetLevel.ok:
        return []
    if level == BudgetLevel.warning or threshold >= 100:
        return [level]
    return [BudgetLevel.warning, BudgetLevel.exceeded]


@dataclass(frozen=True)
class BudgetLine:
    """One budget against its category's spend in a month."""

    limit: Decimal
    spent: Decimal
    remaining: Decimal  # negative when over the limit
    percent: Decimal
    level: BudgetLevel


def budget_line(spent: Decimal, limit: Decimal, threshold: int) -> BudgetLine:
    return BudgetLine(
        limit=limit,
        spent=spent,
        remaining=quantize(limit - spent),
        percent=percent_of(spent, limit),
        level=level_for(spent, limit, threshold),
    )
