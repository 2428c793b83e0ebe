"""Income: record what comes in, list it, and monthly totals per type."""

from typing import Any

from bson import ObjectId
from fastapi import APIRouter, status
from pymongo.asynchronous.client_session import AsyncClientSession

from core.dates import now_ms, stats_period, today
from core.money import format_money
from database import delete_owned, get_owned, in_transaction, paginate, update_owned
from ledger.store import date_query, entry_document, monthly_stats, monthly_totals
from routes.deps import NO_CONTENT, CurrentUser, Db, FromDate, Pagination, ToDate, Year, responses
from schemas import (
    IncomeCreate,
    IncomeOut,
    IncomeType,
    IncomeUpdate,
    MonthlyStats,
    NotificationType,
    Page,
)
from services import notify

router = APIRouter(prefix="/income", tags=["income"])
E401 = responses(401)
E404 = responses((404, "Income not found"))
E422 = responses((422, "Invalid input or date range"))
NEWEST_FIRST = [("date", -1), ("_id", -1)]


@router.post("", status_code=status.HTTP_201_CREATED, responses={**E401, **E422})
async def create_income(body: IncomeCreate, user: CurrentUser, db: Db) -> IncomeOut:
    """Record income; you get an in-app and push notification for it."""
    day = body.values(user.timezone)["date"] or today(user.timezone)
    doc = entry_document(body, user.id, day, now_ms())
    doc["_id"] = ObjectId()  # fixed up front, so a retried transaction writes the same record
    amount = format_money(body.amount, user.currency)

    async def record(session: AsyncClientSession) -> None:
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
    query: dict[str, Any] = {"user_id": user.id, **date_query(start, end)}
    if income_type is not None:
        query["income_type"] = str(income_type)
    return await paginate(db.income, query, page, IncomeOut.model_validate, sort=NEWEST_FIRST)


@router.get("/stats/monthly", responses={**E401, **E422})
async def income_stats(
    user: CurrentUser, db: Db, year: Year = None, start: FromDate = None, end: ToDate = None
) -> MonthlyStats:
    """Income per month, split by type, for `year` or `from`..`to` (this year by default)."""
    period = stats_period(year, start, end, user.timezone)
    totals = await monthly_totals(db.income, user.id, period, "income_type")
    return monthly_stats(period, user.currency, "income_type", totals)


@router.get("/{income_id}", responses={**E401, **E404})
async def get_income(income_id: str, user: CurrentUser, db: Db) -> IncomeOut:
    """One income record."""
    return IncomeOut.model_validate(await get_owned(db.income, income_id, user.id, "income"))


@router.put("/{income_id}", responses={**E401, **E404, **E422})
async def update_income(income_id: str, body: IncomeUpdate, user: CurrentUser, db: Db) -> IncomeOut:
    """Change an income record; fields left out keep their value."""
    body.check_echo(
        IncomeOut.model_validate(await get_owned(db.income, income_id, user.id, "income"))
    )
    changes = body.values(user.timezone, partial=True)
    doc = await update_owned(db.income, income_id, user.id, changes, "income")
    return IncomeOut.model_validate(doc)


@router.delete("/{income_id}", **NO_CONTENT, responses={**E401, **E404})
async def delete_income(income_id: str, user: CurrentUser, db: Db) -> None:
    """Delete an income record."""
    await delete_owned(db, "income", income_id, user.id, "income")
