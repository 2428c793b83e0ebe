"""Monthly budgets per expense category, their status this month, and threshold alerts."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, status
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from database import Db, Doc, delete_owned, get_owned, in_transaction, paginate
from dates import current_month, month_bounds, now, now_ms, user_tz
from errors import Conflict
from routes.income import (
    update_owned,
)
from schemas import (
    BudgetCreate,
    BudgetLevel,
    BudgetOut,
    BudgetStatus,
    BudgetStatusItem,
    BudgetUpdate,
    NotificationType,
    Page,
    Pagination,
    quantize,
    responses,
    user_currency,
)
from security import CurrentUser
from services import format_money, notify

router = APIRouter(prefix="/budgets", tags=["budgets"])
E401 = responses(401)
E404 = responses((404, "Budget not found"))
E409 = responses((409, "An active budget for this category exists"))
HUNDRED = Decimal(100)


def _budget_exists() -> Conflict:
    return Conflict("An active budget for this category already exists", code="budget_exists")


# ---------------------------------------------------------------- rules


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


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
    return {row["_id"]: quantize(Decimal(str(row["spent"]))) for row in rows}


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


def percent_of(spent: Decimal, limit: Decimal) -> Decimal:
    return quantize(spent * HUNDRED / limit)


async def check_budget(
    db: AsyncDatabase, user: Doc, category: str, at: datetime, *, app_url: str = ""
) -> list[BudgetLevel]:
    """After an expense write: alert once for each level that `at`'s month's spend in
    `category` has reached. Returns the levels alerted by this call.

    The unique index on budget_alerts (budget_id, month, level) decides who sends: of two
    concurrent calls only one insert succeeds, in the same transaction as its notification.
    """
    budget = await db.budgets.find_one(
        {"user_id": user["_id"], "category": category, "is_active": True}
    )
    if budget is None:
        return []
    tz = user_tz(user)
    year, month = current_month(tz, at)
    start, end = month_bounds(year, month, tz)
    spent = (await month_spend(db, user["_id"], [category], start, end)).get(category, Decimal(0))
    alerted = []
    for level in levels_reached(spent, budget["amount"], budget["alert_threshold"]):
        if await _send_alert(db, user, budget, (year, month), level, spent, app_url):
            alerted.append(level)
    return alerted


async def _send_alert(
    db: AsyncDatabase,
    user: Doc,
    budget: Doc,
    year_month: tuple[int, int],
    level: BudgetLevel,
    spent: Decimal,
    app_url: str,
) -> bool:
    currency = user_currency(user)
    limit = budget["amount"]
    percent = percent_of(spent, limit)
    category = budget["category"]
    label = datetime(*year_month, 1).strftime("%B %Y")
    spent_text, limit_text = format_money(spent, currency), format_money(limit, currency)
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
        "limit": limit,
        "percent": percent,
        "threshold": budget["alert_threshold"],
        "level": str(level),
        "currency": currency,
        "month_label": label,
        "app_url": app_url,
    }

    async def record(session: Any) -> None:
        await db.budget_alerts.insert_one(
            {
                "user_id": user["_id"],
                "budget_id": budget["_id"],
                "month": month_key(*year_month),
                "level": str(level),
                "spent": spent,
                "percent": percent,
                "created_at": now(),
            },
            session=session,
        )
        await notify(
            db,
            user,
            NotificationType.expense_alert,
            title,
            message,
            action_url="/budgets",
            email=("expense_alert", context),
            session=session,
        )

    try:
        await in_transaction(db, record)
    except DuplicateKeyError:
        return False  # this level was already announced this month
    return True


async def active_budgets(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's active budgets, by category."""
    query = {"user_id": user_id, "is_active": True}
    return await db.budgets.find(query).sort("category", 1).to_list(None)


async def budget_status(db: AsyncDatabase, user: Doc, at: datetime) -> BudgetStatus:
    """Every active budget against its spend in `at`'s month: one aggregation for all."""
    tz = user_tz(user)
    year, month = current_month(tz, at)
    start, end = month_bounds(year, month, tz)
    budgets = await active_budgets(db, user["_id"])
    spend = await month_spend(db, user["_id"], [b["category"] for b in budgets], start, end)
    return status_of(budgets, spend, (year, month), user_currency(user))


def status_of(
    budgets: list[Doc], spend: dict[str, Decimal], year_month: tuple[int, int], currency: str
) -> BudgetStatus:
    """Each budget against its category's spend in that month (spend per category, quantized,
    as `month_spend` returns it; the dashboard and reports group the month themselves)."""
    items = []
    for budget in budgets:
        spent, limit = spend.get(budget["category"], Decimal("0.00")), budget["amount"]
        items.append(
            BudgetStatusItem(
                budget_id=budget["_id"],
                category=budget["category"],
                name=budget.get("name"),
                limit=limit,
                spent=spent,
                remaining=quantize(limit - spent),
                percent=percent_of(spent, limit),
                alert_threshold=budget["alert_threshold"],
                level=level_for(spent, limit, budget["alert_threshold"]),
            )
        )
    return BudgetStatus(
        month=month_key(*year_month),
        currency=currency,
        items=items,
        total_limit=quantize(sum((i.limit for i in items), Decimal(0))),
        total_spent=quantize(sum((i.spent for i in items), Decimal(0))),
    )


# ---------------------------------------------------------------- routes


@router.post("", status_code=status.HTTP_201_CREATED, responses={**E401, **E409})
async def create_budget(body: BudgetCreate, user: CurrentUser, db: Db) -> BudgetOut:
    """Set a monthly limit for an expense category (one active budget per category)."""
    at = now_ms()
    doc = body.model_dump() | {"user_id": user["_id"], "created_at": at, "updated_at": at}
    try:
        await db.budgets.insert_one(doc)
    except DuplicateKeyError as exc:
        raise _budget_exists() from exc
    return BudgetOut.model_validate(doc)


@router.get("", responses=E401)
async def list_budgets(
    user: CurrentUser, db: Db, page: Pagination, is_active: bool | None = None
) -> Page[BudgetOut]:
    """Your budgets, newest first; `is_active` filters."""
    query: dict[str, Any] = {"user_id": user["_id"]}
    if is_active is not None:
        query["is_active"] = is_active
    return await paginate(
        db.budgets, query, page, BudgetOut, sort=[("created_at", -1), ("_id", -1)]
    )


@router.get("/status", responses=E401)
async def get_budget_status(user: CurrentUser, db: Db) -> BudgetStatus:
    """This month (in your timezone): limit, spent, remaining, percent and level per budget."""
    return await budget_status(db, user, now())


@router.get("/{budget_id}", responses={**E401, **E404})
async def get_budget(budget_id: str, user: CurrentUser, db: Db) -> BudgetOut:
    """One budget."""
    return BudgetOut.model_validate(await get_owned(db.budgets, budget_id, user["_id"], "budget"))


@router.put("/{budget_id}", responses={**E401, **E404, **E409})
async def update_budget(budget_id: str, body: BudgetUpdate, user: CurrentUser, db: Db) -> BudgetOut:
    """Change a budget; fields left out keep their value."""
    changes = body.model_dump(exclude_unset=True)
    try:
        doc = await update_owned(db.budgets, budget_id, user["_id"], changes, "budget")
    except DuplicateKeyError as exc:
        raise _budget_exists() from exc
    return BudgetOut.model_validate(doc)


@router.delete("/{budget_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**E401, **E404})
async def delete_budget(budget_id: str, user: CurrentUser, db: Db) -> None:
    """Delete a budget and its alert history."""
    await delete_owned(
        db, "budgets", budget_id, user["_id"], "budget", children=("budget_alerts", "budget_id")
    )
