"""Income: record what comes in, list it, and monthly totals per type.

Also home to the helpers income and expenses share: the user's timezone and currency,
entry dates, date-range filters and the one-aggregation monthly statistics.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from bson import ObjectId
from fastapi import APIRouter, Query, status
from pymongo.asynchronous.collection import AsyncCollection

from database import Db, Doc, delete_owned, get_owned, in_transaction, object_id, paginate
from dates import (
    day_end,
    local_date,
    now,
    now_ms,
    start_of_day,
    to_millis,
    to_utc,
    user_tz,
)
from errors import NotFound, Unprocessable
from schemas import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    ExpenseCreate,
    IncomeCreate,
    IncomeMonth,
    IncomeOut,
    IncomeStats,
    IncomeType,
    IncomeUpdate,
    IsoDate,
    NotificationType,
    Page,
    Pagination,
    StatsRange,
    quantize,
    responses,
    user_currency,
)
from security import CurrentUser
from services import format_money, notify

router = APIRouter(prefix="/income", tags=["income"])
E401 = responses(401)
E404 = responses((404, "Income not found"))
E422 = responses((422, "Invalid input or date range"))
NEWEST_FIRST = [("date", -1), ("_id", -1)]

# Query parameters shared by the income and expense lists and stats (IsoDate keeps days within
# EARLIEST_YEAR..LATEST_YEAR).
FromDate = Annotated[IsoDate | None, Query(alias="from", description="First day, in your timezone")]
ToDate = Annotated[IsoDate | None, Query(alias="to", description="Last day (inclusive)")]
Year = Annotated[int | None, Query(ge=EARLIEST_YEAR, le=LATEST_YEAR)]


# ---------------------------------------------------------------- shared helpers


def entry_date(value: datetime | None, tz: str) -> datetime:
    """A request's `date`: naive means the user's wall clock; missing means now."""
    return to_millis(to_utc(value, tz) if value is not None else now())


def _check_order(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise Unprocessable("`from` must not be after `to`", code="invalid_range")


def date_filter(start: date | None, end: date | None, tz: str) -> dict[str, Any]:
    """`from`/`to` calendar days in the user's timezone; `to` covers its whole day."""
    _check_order(start, end)
    bounds: dict[str, Any] = {}
    if start:
        bounds["$gte"] = start_of_day(start, tz)
    if end:
        bounds["$lt"] = day_end(end, tz)
    return {"date": bounds} if bounds else {}


def stats_range(year: int | None, start: date | None, end: date | None, tz: str) -> StatsRange:
    """`?year=` or `?from=&to=` (both); neither means the current year in the user's timezone."""
    if year is not None and (start or end):
        raise Unprocessable("Use either `year` or `from`/`to`", code="invalid_range")
    if (start is None) != (end is None):
        raise Unprocessable("`from` and `to` go together", code="invalid_range")
    if start and end:
        _check_order(start, end)
        return StatsRange(start=start, end=end)
    year = year or local_date(now(), tz).year
    return StatsRange(start=date(year, 1, 1), end=date(year, 12, 31))


def month_keys(span: StatsRange) -> list[str]:
    """Every "YYYY-MM" the range touches, so months without entries show as zero."""
    keys = []
    year, month = span.start.year, span.start.month
    while (year, month) <= (span.end.year, span.end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _money(value: Any) -> Decimal:
    # `$sum` answers Decimal for amounts, but int 0 for an empty group.
    return quantize(Decimal(str(value)))


async def monthly_totals(
    coll: AsyncCollection, user_id: ObjectId, span: StatsRange, tz: str, field: str
) -> dict[str, Any]:
    """Totals per month (in `tz`) and per `field`, as one `$group` in the database.

    Python only folds the grouped rows (at most months x categories), never documents.
    """
    pipeline = [
        {
            "$match": {
                "user_id": user_id,
                "date": {"$gte": start_of_day(span.start, tz), "$lt": day_end(span.end, tz)},
            }
        },
        {
            "$group": {
                "_id": {
                    "month": {
                        "$dateToString": {"format": "%Y-%m", "date": "$date", "timezone": tz}
                    },
                    "key": f"${field}",
                },
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
    ]
    rows = await (await coll.aggregate(pipeline)).to_list(None)
    months: dict[str, dict[str, Any]] = {
        key: {"month": key, "total": Decimal(0), "count": 0, "by": {}} for key in month_keys(span)
    }
    overall: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        month, key, total = row["_id"]["month"], row["_id"]["key"], _money(row["total"])
        entry = months[month]
        entry["total"] += total
        entry["count"] += row["count"]
        entry["by"][key] = total
        overall[key] += total
    # `months` is built in calendar order; categories/types are listed alphabetically.
    return {
        "months": [m | {"by": dict(sorted(m["by"].items()))} for m in months.values()],
        "total": sum(overall.values(), Decimal(0)),
        "count": sum(m["count"] for m in months.values()),
        "by": dict(sorted(overall.items())),
    }


async def update_owned(
    coll: AsyncCollection, id_: str, user_id: ObjectId, changes: dict[str, Any], entity: str
) -> Doc:
    """Apply `$set` changes to the user's document and return it; 404 if it is not theirs."""
    oid = object_id(id_)
    doc = None
    if oid is not None:
        doc = await coll.find_one_and_update(
            {"_id": oid, "user_id": user_id},
            {"$set": {**changes, "updated_at": now_ms()}},
            return_document=True,
        )
    if doc is None:
        raise NotFound(entity)
    return doc


# ---------------------------------------------------------------- routes


def entry_document(
    body: IncomeCreate | ExpenseCreate, user_id: ObjectId, date: datetime, created_at: datetime
) -> Doc:
    """An income or expense entry as stored, its `date` resolved by `entry_date` (the
    benchmarks seed theirs through this and `routes.expenses.expense_document` too)."""
    return body.model_dump(exclude={"date"}) | {
        "user_id": user_id,
        "date": date,
        "created_at": created_at,
        "updated_at": created_at,
    }


@router.post("", status_code=status.HTTP_201_CREATED, responses={**E401, **E422})
async def create_income(body: IncomeCreate, user: CurrentUser, db: Db) -> IncomeOut:
    """Record income; you get an in-app and push notification for it."""
    doc = entry_document(body, user["_id"], entry_date(body.date, user_tz(user)), now_ms())
    doc["_id"] = ObjectId()  # fixed up front, so a retried transaction writes the same record
    amount = format_money(body.amount, user_currency(user))

    async def record(session: Any) -> None:
        await db.income.insert_one(doc, session=session)
        await notify(
            db,
            user,
            NotificationType.income_received,
            "Income received",
            f"{amount} from {body.source} recorded.",
            action_url=f"/income/{doc['_id']}",
            session=session,
        )

    await in_transaction(db, record)
    return IncomeOut.model_validate(doc)


@router.get("", responses={**E401, **E422})
async def list_income(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    income_type: IncomeType | None = None,
    start: FromDate = None,
    end: ToDate = None,
) -> Page[IncomeOut]:
    """Your income, newest first; filter by type and by date (`from`/`to`, inclusive days)."""
    query: dict[str, Any] = {"user_id": user["_id"], **date_filter(start, end, user_tz(user))}
    if income_type is not None:
        query["income_type"] = str(income_type)
    return await paginate(db.income, query, page, IncomeOut, sort=NEWEST_FIRST)


@router.get("/stats/monthly", responses={**E401, **E422})
async def income_stats(
    user: CurrentUser, db: Db, year: Year = None, start: FromDate = None, end: ToDate = None
) -> IncomeStats:
    """Income per month and per type, in your timezone, for `year` or `from`..`to`."""
    tz = user_tz(user)
    span = stats_range(year, start, end, tz)
    totals = await monthly_totals(db.income, user["_id"], span, tz, "income_type")
    return IncomeStats(
        range=span,
        currency=user_currency(user),
        months=[IncomeMonth(**m, by_type=m["by"]) for m in totals["months"]],
        total=totals["total"],
        count=totals["count"],
        by_type=totals["by"],
    )


@router.get("/{income_id}", responses={**E401, **E404})
async def get_income(income_id: str, user: CurrentUser, db: Db) -> IncomeOut:
    """One income record."""
    return IncomeOut.model_validate(await get_owned(db.income, income_id, user["_id"], "income"))


@router.put("/{income_id}", responses={**E401, **E404, **E422})
async def update_income(income_id: str, body: IncomeUpdate, user: CurrentUser, db: Db) -> IncomeOut:
    """Change an income record; fields left out keep their value."""
    changes = body.model_dump(exclude_unset=True)
    if "date" in changes:
        changes["date"] = entry_date(changes["date"], user_tz(user))
    doc = await update_owned(db.income, income_id, user["_id"], changes, "income")
    return IncomeOut.model_validate(doc)


@router.delete("/{income_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**E401, **E404})
async def delete_income(income_id: str, user: CurrentUser, db: Db) -> None:
    """Delete an income record."""
    await delete_owned(db, "income", income_id, user["_id"], "income")
