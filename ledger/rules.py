"""Budget rules: how far a month's spend has gone against a category's limit, how a write
moves the spend per category and month, which alert that calls for and what it says.
Pure: no I/O."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.dates import as_day
from core.money import ZERO, format_money, percent_of, quantize


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


# ---------------------------------------------------------------- spend and its alerts


def month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def spend(expense: Mapping[str, Any]) -> Decimal:
    """What an expense adds to spending: its amount, or less that for a refund."""
    return -expense["amount"] if expense.get("refund") else expense["amount"]


def spend_changes(
    removed: Iterable[Mapping[str, Any]], added: Iterable[Mapping[str, Any]]
) -> dict[tuple[str, tuple[int, int]], Decimal]:
    """How a write moves the spend per (category, month): what the expenses `added` (new, or
    as they are after an edit) bring, less what those `removed` (deleted, or as they were
    before an edit) took. A change that moves nothing is left out, so an edit of the title
    touches no counter."""
    changes: dict[tuple[str, tuple[int, int]], Decimal] = defaultdict(lambda: ZERO)
    for sign, docs in ((-1, removed), (1, added)):
        for doc in docs:
            changes[(doc["category"], month_of(as_day(doc["date"])))] += sign * spend(doc)
    return {key: amount for key, amount in changes.items() if amount != 0}


def alert_level(reached: list[BudgetLevel], newly: list[BudgetLevel]) -> BudgetLevel | None:
    """The one alert a write sends: the highest level reached, if this write is the first to
    record it. The lower levels it reaches at the same time are recorded with it and never
    sent; a lower level still unsent once a higher one went out stays unsent."""
    if reached and reached[-1] in newly:
        return reached[-1]
    return None


@dataclass(frozen=True)
class AlertText:
    title: str
    message: str
    context: dict[str, Any]  # the expense_alert email's


def budget_alert(
    category: str,
    line: BudgetLine,
    threshold: int,
    year_month: tuple[int, int],
    currency: str,
    app_url: str,
) -> AlertText:
    """What the alert for `line` (the month's spend as of the write that reached its level)
    says, in the app, the push and the email."""
    percent = line.percent
    label = datetime(*year_month, 1).strftime("%B %Y")
    if line.level == BudgetLevel.exceeded:
        title = f"Budget exceeded: {category}"
    else:
        title = f"Budget alert: {category} at {percent}%"
    message = (
        f"You have spent {format_money(line.spent, currency)} of your "
        f"{format_money(line.limit, currency)} {category} budget for {label} ({percent}%)."
    )
    context = {
        "category": category,
        "spent": line.spent,
        "limit": line.limit,
        "percent": percent,
        "threshold": threshold,
        "level": str(line.level),
        "currency": currency,
        "month_label": label,
        "app_url": app_url,
    }
    return AlertText(title, message, context)


def entry_url(collection: str, entry_id: object) -> str:
    """Where the app shows an income or expense entry: a notification's `action_url`."""
    return f"/{collection}/{entry_id}"
