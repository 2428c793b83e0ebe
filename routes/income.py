"""Income: record what comes in, list it, and monthly totals per type."""

from typing import Any

from fastapi import APIRouter, Response, status

from core.dates import stats_period
from database import get_owned, paginate
from ledger import service as ledger
from ledger.store import date_query, monthly_stats, monthly_totals
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    FromDate,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    ToDate,
    Year,
    responses,
    tagged,
)
from schemas import IncomeCreate, IncomeOut, IncomeType, IncomeUpdate, MonthlyStats, Page

router = APIRouter(prefix="/income", tags=["income"])
E401 = responses(401)
E404 = responses((404, "Income (or the account named) not found"))
E422 = responses((422, "Invalid input or date range"))
# A create that takes an Idempotency-Key.
E_KEYED = responses(
    (409, "A request with this Idempotency-Key is still being processed"),
    (422, "Invalid input, or the Idempotency-Key was used with another request"),
)
NEWEST_FIRST = [("date", -1), ("_id", -1)]
E304, E412 = responses(304), responses(412)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **E_KEYED,
        **responses((404, "Account not found (or not yours)")),
    },
)
async def create_income(
    body: IncomeCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> IncomeOut:
    """Record income; you get an in-app and push notification for it."""
    income, replayed = await ledger.create_income(db, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(income)


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
async def get_income_stats(
    user: CurrentUser, db: Db, year: Year = None, start: FromDate = None, end: ToDate = None
) -> MonthlyStats:
    """Income per month, split by type, for `year` or `from`..`to` (this year by default)."""
    period = stats_period(year, start, end, user.timezone)
    totals = await monthly_totals(db.income, user.id, period, "income_type")
    return monthly_stats(period, user.currency, "income_type", totals)


@router.get("/{income_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_income(income_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> IncomeOut:
    """One income record."""
    return tag(IncomeOut.model_validate(await get_owned(db.income, income_id, user.id, "income")))


@router.put("/{income_id}", responses={**tagged(), **E401, **E404, **E412, **E422})
async def update_income(
    income_id: str,
    body: IncomeUpdate,
    user: CurrentUser,
    db: Db,
    if_match: IfMatch,
    tag: ETagged,
) -> IncomeOut:
    """Change an income record; fields left out keep their value."""
    doc = await ledger.update_entry(db, user, "income", income_id, body, if_match)
    return tag(IncomeOut.model_validate(doc))


@router.delete("/{income_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_income(income_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete an income record; its notification stays, without its link."""
    await ledger.delete_entry(db, user, "income", income_id, if_match)
