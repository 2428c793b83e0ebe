"""Recurring items (bills, subscriptions, salary: found in your entries or added by hand), the
bills coming up, and the cash-flow forecast."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from core.dates import today
from database import paginate
from recurring import service
from recurring.store import COLLECTION
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    responses,
    tagged,
)
from schemas import (
    DetectOut,
    Forecast,
    Page,
    RecurringCreate,
    RecurringOut,
    RecurringUpdate,
    UpcomingBills,
)

router = APIRouter(tags=["recurring"])
E401 = responses(401)
E404 = responses((404, "Recurring item not found (or not yours)"))
E304, E412, E422 = responses(304), responses(412), responses(422)
OLDEST_FIRST = [("created_at", 1), ("_id", 1)]
Days = Annotated[int, Query(ge=1, le=366, description="Days ahead, at most 366")]


@router.get("/recurring", responses=E401)
async def list_recurring(user: CurrentUser, db: Db, page: Pagination) -> Page[RecurringOut]:
    """Your recurring items in the order they were found: suggested, confirmed, dismissed
    and ended ones."""
    day = today(user.timezone)
    query = {"user_id": user.id}
    return await paginate(
        db[COLLECTION], query, page, lambda doc: service.item_out(doc, day), sort=OLDEST_FIRST
    )


@router.post(
    "/recurring",
    status_code=status.HTTP_201_CREATED,
    responses={**tagged(201), **E401, **responses((404, "Account not found"), 409, 422)},
)
async def create_recurring(
    body: RecurringCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> RecurringOut:
    """Add a bill, subscription or income you expect (confirmed, from `next_date` on)."""
    item, replayed = await service.create_item(db, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(item)


@router.post("/recurring/detect", responses={**E401})
async def detect_recurring(user: CurrentUser, db: Db) -> DetectOut:
    """Look for recurring items in all your entries now (it also runs after every statement
    import and every entry you type)."""
    return await service.detect(db, user)


@router.get("/recurring/{recurring_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_recurring(
    recurring_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch
) -> RecurringOut:
    """One recurring item."""
    return tag(await service.get_item(db, user, recurring_id))


@router.put("/recurring/{recurring_id}", responses={**tagged(), **E401, **E404, **E412, **E422})
async def update_recurring(
    recurring_id: str,
    body: RecurringUpdate,
    user: CurrentUser,
    db: Db,
    if_match: IfMatch,
    tag: ETagged,
) -> RecurringOut:
    """Confirm (`status: confirmed`) or dismiss (`dismissed`: never suggested again) an item,
    or edit it; fields left out keep their value."""
    return tag(await service.update_item(db, user, recurring_id, body, if_match))


@router.delete("/recurring/{recurring_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_recurring(recurring_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete an item (detection may find it again: dismiss it to keep it away)."""
    await service.delete_item(db, user, recurring_id, if_match)


@router.get("/bills/upcoming", responses={**E401, **E422})
async def upcoming_bills(user: CurrentUser, db: Db, days: Days = 30) -> UpcomingBills:
    """The bills and EMIs expected from today to `days` ahead, each marked paid when an entry
    already matched this period's occurrence."""
    return await service.upcoming_bills(db, user, days)


@router.get("/forecast", responses={**E401, **responses((404, "Account not found")), **E422})
async def get_forecast(
    user: CurrentUser,
    db: Db,
    days: Days = 90,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Forecast:
    """Your projected balance each day from today's, through the items and EMIs expected,
    per account and in total (or one account's), with its lowest point."""
    return await service.forecast(db, user, days, account_id)
