"""Monthly budgets per expense category and their status this month (the alerts an expense
raises: `ledger.budget_alerts.expenses_written`)."""

from typing import Any

from fastapi import APIRouter, Response, status
from pymongo.errors import DuplicateKeyError

from database import delete_owned, get_owned, paginate, update_owned
from ledger import service as ledger
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
from schemas import BudgetCreate, BudgetOut, BudgetStatus, BudgetUpdate, Page

router = APIRouter(prefix="/budgets", tags=["budgets"])
E401 = responses(401)
E404 = responses((404, "Budget not found"))
E409 = responses((409, "An active budget for this category exists"))
E304, E412 = responses(304), responses(412)
E409_CREATE = responses(
    (
        409,
        "An active budget for this category exists, or a request with this Idempotency-Key "
        "is still being processed",
    )
)
E422_CREATE = responses(
    (422, "Invalid input, or the Idempotency-Key was used with another request")
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**tagged(201), **E401, **E409_CREATE, **E422_CREATE},
)
async def create_budget(
    body: BudgetCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> BudgetOut:
    """Set a monthly limit for an expense category (one active budget per category)."""
    budget, replayed = await ledger.create_budget(db, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(budget)


@router.get("", responses=E401)
async def list_budgets(
    user: CurrentUser, db: Db, page: Pagination, active: bool | None = None
) -> Page[BudgetOut]:
    """Your budgets, newest first; `active` filters."""
    query: dict[str, Any] = {"user_id": user.id}
    if active is not None:
        query["active"] = active
    newest_first = [("created_at", -1), ("_id", -1)]
    return await paginate(db.budgets, query, page, BudgetOut.model_validate, sort=newest_first)


@router.get("/status", responses=E401)
async def get_budget_status(user: CurrentUser, db: Db) -> BudgetStatus:
    """This month (in your timezone): limit, spent, remaining, percent and level per budget,
    and the bills still expected in its category this month."""
    return await ledger.budget_status(db, user)


@router.get("/{budget_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_budget(budget_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> BudgetOut:
    """One budget."""
    return tag(BudgetOut.model_validate(await get_owned(db.budgets, budget_id, user.id, "budget")))


@router.put("/{budget_id}", responses={**tagged(), **E401, **E404, **E409, **E412})
async def update_budget(
    budget_id: str,
    body: BudgetUpdate,
    user: CurrentUser,
    db: Db,
    if_match: IfMatch,
    tag: ETagged,
) -> BudgetOut:
    """Change a budget; fields left out keep their value."""
    changes = body.model_dump(exclude_unset=True)
    try:
        doc = await update_owned(
            db.budgets, budget_id, user.id, changes, "budget", expected=if_match
        )
    except DuplicateKeyError as exc:
        raise ledger.budget_exists() from exc
    return tag(BudgetOut.model_validate(doc))


@router.delete("/{budget_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_budget(budget_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a budget and its alert history."""
    await delete_owned(
        db, "budgets", budget_id, user.id, "budget", ("budget_alerts", "budget_id"), if_match
    )
