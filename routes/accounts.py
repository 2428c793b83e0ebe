"""Accounts: your bank accounts, cards, cash and wallets, each with its balance (the last
committed statement's closing balance and what was entered after it). Statements are
imported into an account; entries and transfers name one."""

import asyncio

from fastapi import APIRouter, Response, status

from accounts import service, store
from database import paginate
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
from schemas import AccountCreate, AccountOut, AccountUpdate, Page

router = APIRouter(prefix="/accounts", tags=["accounts"])
E401 = responses(401)
E404 = responses((404, "Account not found (or not yours)"))
E304, E412 = responses(304), responses(412)
BY_NAME = [("name_key", 1), ("_id", 1)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **responses(
            (409, "You have an account of this name, or this Idempotency-Key is in use"),
            (422, "Invalid input, or the Idempotency-Key was used with another request"),
        ),
    },
)
async def create_account(
    body: AccountCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> AccountOut:
    """Add an account (its currency defaults to yours). Give `number_last4` and statements
    printing that number are imported into it without asking."""
    account, replayed = await service.create_account(db, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(account)


@router.get("", responses=E401)
async def list_accounts(user: CurrentUser, db: Db, page: Pagination) -> Page[AccountOut]:
    """Your accounts by name, each with its balance."""
    query = {"user_id": user.id}
    found = await paginate(db.accounts, query, page, lambda doc: doc, sort=BY_NAME)
    items = await asyncio.gather(*(service.account_out(db, doc) for doc in found.items))
    return Page[AccountOut](
        items=list(items), total=found.total, skip=found.skip, limit=found.limit
    )


@router.get("/{account_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_account(account_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> AccountOut:
    """One account and its balance (its ETag changes when the balance does)."""
    return tag(await service.account_out(db, await store.owned(db, user.id, account_id)))


@router.put(
    "/{account_id}",
    responses={
        **tagged(),
        **E401,
        **E404,
        **E412,
        **responses((409, "You have an account of this name"), 422),
    },
)
async def update_account(
    account_id: str,
    body: AccountUpdate,
    user: CurrentUser,
    db: Db,
    if_match: IfMatch,
    tag: ETagged,
) -> AccountOut:
    """Change an account; fields left out keep their value (the currency never changes)."""
    return tag(await service.update_account(db, user, account_id, body, if_match))


@router.delete(
    "/{account_id}",
    **NO_CONTENT,
    responses={
        **E401,
        **E404,
        **E412,
        **responses((409, "Entries, transfers or imports name it")),
    },
)
async def delete_account(account_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete an account nothing names yet. One with entries, transfers or statement imports
    is a 409 saying how many: delete them (undo and discard its imports) first."""
    await service.delete_account(db, user.id, account_id, if_match)
