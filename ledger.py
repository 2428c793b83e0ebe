"""The user's books, as more than one router reads them: income and expense entries, their
totals per month, budgets against a month's spend, and the budget alert an expense can raise.

Aggregation happens in the database; Python folds only grouped rows (months x categories)."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from budgeting import BudgetLevel, budget_line, levels_reached
from database import Doc
from dates import (
    Period,
    check_order,
    current_month,
    day_end,
    month_bounds,
    month_key,
    now_ms,
    start_of_day,
)
from money import ZERO, format_money, from_sum, total
from schemas import BudgetStatus, BudgetStatusItem, ExpenseCreate, IncomeCreate, NotificationType
from security import User
from services import notify_once

# ---------------------------------------------------------------- entries


def entry_document(
    body: IncomeCreate | ExpenseCreate, user_id: ObjectId, date: datetime, created_at: datetime
) -> Doc:
    """An income or expense entry as stored (the benchmarks seed theirs through this too)."""
    doc = body.model_dump(exclude={"date"}) | {
        "user_id": user_id,
        "date": date,
        "created_at": created_at,
        "updated_at": created_at,
    }
    if isinstance(body, ExpenseCreate):
        doc |= {"receipt_key": None, "receipt_content_type": None}
    return doc


def date_query(start: date | None, end: date | None, tz: str, field: str = "date") -> Doc:
    """`from`/`to` calendar days in the user's timezone as a filter; `to` covers its whole day."""
    check_order(start, end)
    bounds: dict[str, Any] = {}
    if start:
        bounds["$gte"] = start_of_day(start, tz)
    if end:
        bounds["$lt"] = day_end(end, tz)
    return {field: bounds} if bounds else {}


async def monthly_totals(
    coll: AsyncCollection, user_id: ObjectId, period: Period, tz: str, field: str
) -> dict[str, Any]:
    """Totals per month (in `tz`) and per `field`, as one `$group` in the database: every
    month of the period in calendar order (zeros included), keys alphabetically."""
    start, end = period.bounds(tz)
    month = {"$dateToString": {"format": "%Y-%m", "date": "$date", "timezone": tz}}
    pipeline = [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": end}}},
        {
            "$group": {
                "_id": {"month": month, "key": f"${field}"},
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
    ]
    rows = await (await coll.aggregate(pipeline)).to_list(None)
    months: dict[str, dict[str, Any]] = {
        key: {"month": key, "total": ZERO, "count": 0, "by": {}} for key in period.month_keys()
    }
    overall: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        key, amount = row["_id"]["key"], from_sum(row["total"])
        entry = months[row["_id"]["month"]]
        entry["total"] += amount
        entry["count"] += row["count"]
        entry["by"][key] = amount
        overall[key] += amount
    return {
        "months": [m | {"by": dict(sorted(m["by"].items()))} for m in months.values()],
        "total": total(overall.values()),
        "count": sum(m["count"] for m in months.values()),
        "by": dict(sorted(overall.items())),
    }


# ---------------------------------------------------------------- budgets


async def month_spend(
    db: AsyncDatabase, user_id: ObjectId, categories: list[str], start: datetime, end: datetime
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
    query = {"user_id": user_id, "is_active": True}
    return await db.budgets.find(query).sort("category", 1).to_list(None)


def status_of(
    budgets: list[Doc], spend: dict[str, Decimal], year_month: tuple[int, int], currency: str
) -> BudgetStatus:
    """Each budget against its category's spend in that month (spend per category, rounded,
    as `month_spend` returns it; the dashboard and reports group the month themselves)."""
    items = []
    for budget in budgets:
        line = budget_line(
            spend.get(budget["category"], ZERO), budget["amount"], budget["alert_threshold"]
        )
        items.append(
            BudgetStatusItem(
                budget_id=budget["_id"],
                category=budget["category"],
                name=budget.get("name"),
                limit=line.limit,
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
        total_limit=total(i.limit for i in items),
        total_spent=total(i.spent for i in items),
    )


async def budget_status(db: AsyncDatabase, user: User, at: datetime) -> BudgetStatus:
    """Every active budget against its spend in `at`'s month: one aggregation for all."""
    year, month = current_month(user.timezone, at)
    start, end = month_bounds(year, month, user.timezone)
    budgets = await active_budgets(db, user.id)
    spend = await month_spend(db, user.id, [b["category"] for b in budgets], start, end)
    return status_of(budgets, spend, (year, month), user.currency)


async def check_budget(
    db: AsyncDatabase, user: User, category: str, at: datetime, *, app_url: str = ""
) -> list[BudgetLevel]:
    """After an expense write: alert once for each level that `at`'s month's spend in
    `category` has reached. Returns the levels alerted by this call; the unique index on
    budget_alerts (budget_id, month, level) makes each level announced once a month."""
    budget = await db.budgets.find_one(
        {"user_id": user.id, "category": category, "is_active": True}
    )
    if budget is None:
        return []
    year, month = current_month(user.timezone, at)
    start, end = month_bounds(year, month, user.timezone)
    spent = (await month_spend(db, user.id, [category], start, end)).get(category, ZERO)
    alerted = []
    for level in levels_reached(spent, budget["amount"], budget["alert_threshold"]):
        if await _alert(db, user, budget, (year, month), level, spent, app_url):
            alerted.append(level)
    return alerted


async def _alert(
    db: AsyncDatabase,
    user: User,
    budget: Doc,
    year_month: tuple[int, int],
    level: BudgetLevel,
    spent: Decimal,
    app_url: str,
) -> bool:
    line = budget_line(spent, budget["amount"], budget["alert_threshold"])
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
    record = {
        "user_id": user.id,
        "budget_id": budget["_id"],
        "month": month_key(*year_month),
        "level": str(level),
        "spent": spent,
        "percent": percent,
        "created_at": now_ms(),
    }
    return await notify_once(
        db,
        ("budget_alerts", record),
        user,
        NotificationType.expense_alert,
        title,
        message,
        action_url="/budgets",
        email=("expense_alert", context),
    )
