"""The user's books as stored: income and expense entries, their totals per month, the spend
per category and month (`category_spend`), budgets against a month's spend, and the records
that make each budget alert go out once.

Aggregation happens in the database; Python folds only grouped rows (months x categories).

`category_spend` holds one counter per (user_id, category, month): the sum of the user's
expenses in that category dated in that month, moved by `$inc` in the transaction of every
expense write (`ledger.budget_alerts.expenses_written`), so a write knows the spend as of itself."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import Period, check_order, month_key, now_ms
from core.money import ZERO, from_sum, quantize, total
from database import Doc, move_counters
from ledger.rules import BudgetLevel, BudgetLine, budget_line
from recurring.rules import payee_key
from schemas import (
    BudgetStatus,
    BudgetStatusItem,
    ExpenseCreate,
    IncomeCreate,
    MonthlyStats,
    StatsRange,
)

# What an expense adds to spending, in an aggregation: its amount, a refund's taken off
# (`ledger.rules.spend` in Python). Every sum of spending reads it.
SPEND = {"$cond": [{"$eq": ["$refund", True]}, {"$subtract": [0, "$amount"]}, "$amount"]}

# ---------------------------------------------------------------- entries


def month_expr(day: str) -> Doc:
    """The month key of a day field (`core.dates.month_key`: "YYYY-MM"), computed in the
    database; a day is stored as midnight UTC, so its month is the UTC one."""
    return {"$dateToString": {"format": "%Y-%m", "date": day}}


def entry_document(
    body: IncomeCreate | ExpenseCreate,
    user_id: ObjectId,
    day: date,
    created_at: datetime,
    vpa: str | None = None,
) -> Doc:
    """An income or expense entry as stored, dated `day`, with its payee's key (and the UPI
    address a statement row paid, `vpa`). The benchmarks seed theirs through this too."""
    doc = body.model_dump(exclude={"date", "account_id"}) | {
        "user_id": user_id,
        "date": day,
        "created_at": created_at,
        "updated_at": created_at,
    }
    name = body.title if isinstance(body, ExpenseCreate) else body.source
    doc |= payee_fields(name, vpa)
    if isinstance(body, ExpenseCreate):
        doc |= {"receipt_key": None, "receipt_content_type": None}
    return doc


# The field naming an entry's payee, by collection.
PAYEE_FIELD = {"expenses": "title", "income": "source"}


def payee_fields(name: str | None, vpa: str | None) -> Doc:
    """What an entry stores of its payee: the key detection groups and reads it by (on the
    (user_id, payee_key) index), and the UPI address when a statement row named one."""
    fields: Doc = {"payee_key": payee_key(name, vpa)}
    if vpa:
        fields["vpa"] = vpa
    return fields


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
    month = month_expr("$date")
    amount = SPEND if coll.name == "expenses" else "$amount"
    pipeline = [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": after}}},
        {
            "$group": {
                "_id": {"month": month, "key": f"${field}"},
                "total": {"$sum": amount},
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
        {"$group": {"_id": "$category", "spent": {"$sum": SPEND}}},
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
    budgets: list[Doc],
    spend: dict[str, Decimal],
    year_month: tuple[int, int],
    currency: str,
    expected: dict[str, Decimal] | None = None,
) -> BudgetStatus:
    """Each budget against its category's spend in that month (spend per category, rounded,
    as `month_spend` returns it; the dashboard and reports group the month themselves), and
    the bills still `expected` in its category this month (recurring items not yet paid)."""
    expected = expected or {}
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
                bills_expected=expected.get(budget["category"], ZERO),
            )
        )
    return BudgetStatus(
        month=month_key(*year_month),
        currency=currency,
        items=items,
        total_monthly_limit=total(i.monthly_limit for i in items),
        total_spent=total(i.spent for i in items),
    )


async def active_budget(
    db: AsyncDatabase, user_id: ObjectId, category: str, session: AsyncClientSession
) -> Doc | None:
    query = {"user_id": user_id, "category": category, "active": True}
    return await db.budgets.find_one(query, session=session)


async def record_alert(
    db: AsyncDatabase,
    budget: Doc,
    month: str,
    level: BudgetLevel,
    line: BudgetLine,
    session: AsyncClientSession,
) -> bool:
    """Record that the budget's `level` was reached in `month`; True for the one write that
    records it first (the unique (budget_id, month, level) index decides)."""
    key = {"user_id": budget["user_id"], "budget_id": budget["_id"], "month": month}
    key["level"] = str(level)
    doc = key | {"spent": line.spent, "percent": line.percent, "created_at": now_ms()}
    result = await db.budget_alerts.update_one(
        key, {"$setOnInsert": doc}, upsert=True, session=session
    )
    return result.upserted_id is not None


# ---------------------------------------------------------------- spend per category and month


async def move_spends(
    db: AsyncDatabase,
    user_id: ObjectId,
    moves: dict[tuple[str, str], Decimal],
    session: AsyncClientSession,
) -> None:
    """Move each (category, month) spend counter by its amount, in one round trip: the
    counters no alert reads (`move_spend` for those)."""
    counters = [
        ({"user_id": user_id, "category": category, "month": month}, {"spent": amount})
        for (category, month), amount in sorted(moves.items())
    ]
    await move_counters(db.category_spend, counters, session)


async def move_spend(
    db: AsyncDatabase,
    user_id: ObjectId,
    category: str,
    month: str,
    amount: Decimal,
    session: AsyncClientSession,
) -> Decimal:
    """Move the category's spend in `month` by `amount` (negative takes it back) and return
    the spend as of this write. Two writes on one counter never run at once: the second's
    transaction conflicts and is retried, so each sees the other's amount or none of it."""
    doc = await db.category_spend.find_one_and_update(
        {"user_id": user_id, "category": category, "month": month},
        {"$inc": {"spent": amount}, "$set": {"updated_at": now_ms()}},
        projection={"spent": 1},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return quantize(doc["spent"])


async def spend_of(
    db: AsyncDatabase,
    user_id: ObjectId,
    category: str,
    month: str,
    session: AsyncClientSession | None = None,
) -> Decimal:
    query = {"user_id": user_id, "category": category, "month": month}
    doc = await db.category_spend.find_one(query, projection={"spent": 1}, session=session)
    return quantize(doc["spent"]) if doc else ZERO


async def rebuild_spend(db: AsyncDatabase, user_id: ObjectId, session: AsyncClientSession) -> int:
    """Set the user's counters to the sums of their expenses (one `$group` in the database),
    and to zero where no expense is left. In one transaction: an expense written meanwhile
    conflicts with it, so the counters end exact. Returns the counters changed."""
    pipeline = [
        {"$match": {"user_id": user_id}},
        {
            "$group": {
                "_id": {"category": "$category", "month": month_expr("$date")},
                "spent": {"$sum": SPEND},
            }
        },
    ]
    rows = await (await db.expenses.aggregate(pipeline, session=session)).to_list(None)
    sums = {(r["_id"]["category"], r["_id"]["month"]): from_sum(r["spent"]) for r in rows}
    stored = await db.category_spend.find({"user_id": user_id}, session=session).to_list(None)
    have = {(doc["category"], doc["month"]): quantize(doc["spent"]) for doc in stored}
    at = now_ms()
    writes = [
        UpdateOne(
            {"user_id": user_id, "category": category, "month": month},
            {"$set": {"spent": spent, "updated_at": at}},
            upsert=True,
        )
        for (category, month), spent in (dict.fromkeys(have, ZERO) | sums).items()
        if have.get((category, month)) != spent
    ]
    if writes:
        await db.category_spend.bulk_write(writes, ordered=False, session=session)
    return len(writes)
