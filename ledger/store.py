"""The user's books, as more than one router reads them: income and expense entries, their
totals per month, budgets against a month's spend, and the budget alert an expense can raise.

Aggregation happens in the database; Python folds only grouped rows (months x categories)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import Period, check_order, current_month, month_bounds, month_key, now_ms
from core.money import ZERO, format_money, from_sum, total
from database import Doc
from ledger.rules import BudgetLevel, budget_line, levels_reached
from schemas import (
    BudgetStatus,
    BudgetStatusItem,
    ExpenseCreate,
    IncomeCreate,
    MonthlyStats,
    NotificationType,
    StatsRange,
)
from security import User
from services import notify_once

# ---------------------------------------------------------------- entries


def entry_document(
    body: IncomeCreate | ExpenseCreate, user_id: ObjectId, day: date, created_at: datetime
) -> Doc:
    """An income or expense entry as stored, dated `day` (the benchmarks seed theirs through
    this too)."""
    doc = body.model_dump(exclude={"date"}) | {
        "user_id": user_id,
        "date": day,
        "created_at": created_at,
        "updated_at": created_at,
    }
    if isinstance(body, ExpenseCreate):
        doc |= {"receipt_key": None, "receipt_content_type": None}
    return doc


def date_query(start: date | None, end: date | None, field: str = "date") -> Doc:
    """`from`/`to` calendar days as a filter on a day field, both inclusive."""
    check_order(start, end)
    bounds: dict[str, Any] = {}
    if start:
        bounds["$gte"] = start
    if end:
        bounds["$lt"] = end + timedelta(days=1)
    return {field: bounds} if bounds else {}


def fold_months(period: Period, rows: Iterable[tuple[str, str, Decimal, int]]) -> Doc:
    """Grouped rows (month, key, amount, count) as every month of the period in calendar order
    (zeros included), each with its total, count and breakdown per key (alphabetical), and
    the same overall. Python folds grouped rows only (months x keys), never documents."""
    months: dict[str, Doc] = {
        key: {"month": key, "total": ZERO, "count": 0, "breakdown": {}}
        for key in period.month_keys()
    }
    overall: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for month, key, amount, count in rows:
        entry = months[month]
        entry["total"] += amount
        entry["count"] += count
        entry["breakdown"][key] = amount
        overall[key] += amount
    return {
        "months": [
            m | {"breakdown": dict(sorted(m["breakdown"].items()))} for m in months.values()
        ],
        "total": total(overall.values()),
        "count": sum(m["count"] for m in months.values()),
        "breakdown": dict(sorted(overall.items())),
    }


def monthly_stats(period: Period, currency: str, breakdown_by: str, folded: Doc) -> MonthlyStats:
    """The one shape of every monthly statistic."""
    return MonthlyStats(
        range=StatsRange(start=period.start, end=period.end),
        currency=currency,
        breakdown_by=breakdown_by,
        **folded,
    )


async def monthly_totals(
    coll: AsyncCollection, user_id: ObjectId, period: Period, field: str
) -> Doc:
    """Entries per month and per `field` (`fold_months`), grouped by one `$group` in the
    database."""
    start, after = period.bounds()
    month = {"$dateToString": {"format": "%Y-%m", "date": "$date"}}
    pipeline = [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": after}}},
        {
            "$group": {
                "_id": {"month": month, "key": f"${field}"},
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
    ]
    rows = await (await coll.aggregate(pipeline)).to_list(None)
    return fold_months(
        period,
        ((r["_id"]["month"], r["_id"]["key"], from_sum(r["total"]), r["count"]) for r in rows),
    )


# ---------------------------------------------------------------- budgets


async def month_spend(
    db: AsyncDatabase, user_id: ObjectId, categories: list[str], start: date, end: date
) -> dict[str, Decimal]:
    """Spend per category in [start, end): one `$group` over the user's expenses, whatever
    the number of categories. One category reads the (user_id, category, date) index; several
    read the month on (user_id, date) and keep the budgeted groups (a `$in` on category would
    make SecantusDB scan the whole collection)."""
    if not categories:
        return {}
    match: dict[str, Any] = {"user_id": user_id, "date": {"$gte": start, "$lt": end}}
    if len(categories) == 1:
        match["category"] = categories[0]
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {"$group": {"_id": "$category", "spent": {"$sum": "$amount"}}},
    ]
    if len(categories) > 1:
        pipeline.append({"$match": {"_id": {"$in": categories}}})
    rows = await (await db.expenses.aggregate(pipeline)).to_list(None)
    return {row["_id"]: from_sum(row["spent"]) for row in rows}


async def active_budgets(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's active budgets, by category."""
    query = {"user_id": user_id, "active": True}
    return await db.budgets.find(query).sort("category", 1).to_list(None)


def status_of(
    budgets: list[Doc], spend: dict[str, Decimal], year_month: tuple[int, int], currency: str
) -> BudgetStatus:
    """Each budget against its category's spend in that month (spend per category, rounded,
    as `month_spend` returns it; the dashboard and reports group the month themselves)."""
    items = []
    for budget in budgets:
        line = budget_line(
            spend.get(budget["category"], ZERO), budget["monthly_limit"], budget["alert_threshold"]
        )
        items.append(
            BudgetStatusItem(
                budget_id=budget["_id"],
                category=budget["category"],
                name=budget.get("name"),
                monthly_limit=line.limit,
                spent=line.spent,
                remaining=line.remaining,
                percent=line.percent,
                alert_threshold=budget["alert_threshold"],
                level=line.level,
            )
        )
    return BudgetStatus(
        month=month_key(*year_month),
        currency=currency,
        items=items,
        total_monthly_limit=total(i.monthly_limit for i in items),
        total_spent=total(i.spent for i in items),
    )


async def budget_status(db: AsyncDatabase, user: User) -> BudgetStatus:
    """Every active budget against its spend this month: one aggregation for all."""
    year, month = current_month(user.timezone)
    start, end = month_bounds(year, month)
    budgets = await active_budgets(db, user.id)
    spend = await month_spend(db, user.id, [b["category"] for b in budgets], start, end)
    return status_of(budgets, spend, (year, month), user.currency)


async def check_budget(
    db: AsyncDatabase, user: User, category: str, day: date, *, app_url: str = ""
) -> list[BudgetLevel]:
    """After an expense write: the alert for the level that the spend in `category` in `day`'s
    month has reached, once per budget, month and level (a unique index on budget_alerts
    decides). Returns the level this call alerted, if any."""
    budget = await db.budgets.find_one({"user_id": user.id, "category": category, "active": True})
    if budget is None:
        return []
    start, end = month_bounds(day.year, day.month)
    spent = (await month_spend(db, user.id, [category], start, end)).get(category, ZERO)
    levels = levels_reached(spent, budget["monthly_limit"], budget["alert_threshold"])
    if levels and await _alert(db, user, budget, (day.year, day.month), levels, spent, app_url):
        return [levels[-1]]
    return []


async def _alert(
    db: AsyncDatabase,
    user: User,
    budget: Doc,
    year_month: tuple[int, int],
    levels: list[BudgetLevel],
    spent: Decimal,
    app_url: str,
) -> bool:
    """One alert for the highest of `levels`; every level is recorded with it, so an expense
    that crosses the threshold and 100 % at once sends one alert, and no later write sends
    the lower one."""
    level = levels[-1]
    line = budget_line(spent, budget["monthly_limit"], budget["alert_threshold"])
    category, percent = budget["category"], line.percent
    label = datetime(*year_month, 1).strftime("%B %Y")
    spent_text = format_money(spent, user.currency)
    limit_text = format_money(line.limit, user.currency)
    if level == BudgetLevel.exceeded:
        title = f"Budget exceeded: {category}"
    else:
        title = f"Budget alert: {category} at {percent}%"
    message = (
        f"You have spent {spent_text} of your {limit_text} {category} budget "
        f"for {label} ({percent}%)."
    )
    context = {
        "category": category,
        "spent": spent,
        "limit": line.limit,
        "percent": percent,
        "threshold": budget["alert_threshold"],
        "level": str(level),
        "currency": user.currency,
        "month_label": label,
        "app_url": app_url,
    }
    at, month = now_ms(), month_key(*year_month)

    def record(reached: BudgetLevel) -> tuple[Doc, Doc]:
        key = {
            "user_id": user.id,
            "budget_id": budget["_id"],
            "month": month,
            "level": str(reached),
        }
        doc = key | {"spent": spent, "percent": percent, "created_at": at}
        return key, doc

    covers = [("budget_alerts", *record(lower)) for lower in levels[:-1]]
    return await notify_once(
        db,
        ("budget_alerts", record(level)[1]),
        user,
        NotificationType.expense_alert,
        title,
        message,
        covers=covers,
        action_url="/budgets",
        email=("expense_alert", context),
    )
