"""Transfers: money moved between two of your accounts (a card bill paid from savings, a move
to a deposit). Neither spending nor income: budgets, reports, the dashboard and tax figures
leave them out; account balances count them."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from accounts import service, store
from database import get_owned, paginate
from ledger.store import date_query
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
    responses,
    tagged,
)
from schemas import Page, TransferCreate, TransferOut

router = APIRouter(prefix="/transfers", tags=["transfers"])
E401 = responses(401)
E404 = responses((404, "Transfer not found (or not yours)"))
E304, E412 = responses(304), responses(412)
NEWEST_FIRST = [("date", -1), ("_id", -1)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **responses(
            (404, "An account not found (or not yours)"),
            (409, "A request with this Idempotency-Key is still being processed"),
            (
                422,
                "Invalid input, one account twice, two currencies, or the Idempotency-Key "
                "was used with another request",
            ),
        ),
    },
)
async def create_transfer(
    body: TransferCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> TransferOut:
    """Record money moved between two of your accounts. A statement of either account
    imported later finds it: its row joins the transfer instead of becoming an expense or
    income."""
    transfer, replayed = await service.create_transfer(db, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(transfer)


@router.get("", responses={**E401, **responses((404, "Account not found"), 422)})
async def list_transfers(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    start: FromDate = None,
    end: ToDate = None,
) -> Page[TransferOut]:
    """Your transfers, newest first; `account_id` keeps one account's (either side), `from`
    and `to` a range of days (inclusive)."""
    query: dict[str, Any] = {"user_id": user.id, **date_query(start, end)}
    if account_id is not None:
        query["account_ids"] = (await store.owned(db, user.id, account_id))["_id"]
    return await paginate(db.transfers, query, page, TransferOut.model_validate, NEWEST_FIRST)


@router.get("/{transfer_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_transfer(
    transfer_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch
) -> TransferOut:
    """One transfer."""
    doc = await get_owned(db.transfers, transfer_id, user.id, "transfer")
    return tag(TransferOut.model_validate(doc))


@router.delete("/{transfer_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_transfer(transfer_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a transfer. The statement rows it held become the expense and income they were
    (it was not a transfer after all)."""
    await service.delete_transfer(db, user, transfer_id, if_match)
