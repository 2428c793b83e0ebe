"""The user's own profile and account, and all of the user's data as one download."""

import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms, today
from core.errors import BadRequest, ErrorCode, NotFound, PreconditionFailed
from core.sync import at_version, check_version
from database import USER_COLLECTIONS, Doc, update_stamped
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IfMatch,
    IfNoneMatch,
    responses,
    tagged,
)
from schemas import (
    AccountRecord,
    BudgetOut,
    ContributionOut,
    DebtExport,
    DeleteAccountRequest,
    ExpenseOut,
    GoalOut,
    ImportOut,
    ImportRowOut,
    ImportTemplateOut,
    IncomeOut,
    NotificationOut,
    PaymentOut,
    RuleOut,
    TransferOut,
    UserOut,
    UserUpdate,
)
from security import User, verify_password
from services import enqueue, receipt_link

router = APIRouter(prefix="/users", tags=["users"])
E401 = responses(401)


@router.get("/me", responses={**tagged(), **responses(304), **E401})
async def get_me(user: CurrentUser, tag: IfNoneMatch) -> UserOut:
    """Your profile and notification preferences."""
    return tag(UserOut.model_validate(user.doc))


def _flatten(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    # Nested objects are merged field by field, so a partial update keeps the rest.
    return {f"{prefix}.{key}": value for key, value in values.items()}


@router.put("/me", responses={**tagged(), **E401, **responses(412)})
async def update_me(
    body: UserUpdate, user: CurrentUser, db: Db, if_match: IfMatch, tag: ETagged
) -> UserOut:
    """Update your name, phone, profile (currency, timezone, ...) or notification preferences."""
    check_version(user.doc, if_match, "profile")
    changes = body.values(user.timezone, partial=True)
    update: dict[str, Any] = {"updated_at": now_ms()}
    for key in ("full_name", "phone"):
        if key in changes:
            update[key] = changes[key]
    if changes.get("profile") is not None:
        update |= _flatten("profile", changes["profile"])
    if changes.get("notification_preferences") is not None:
        update |= _flatten("notification_preferences", changes["notification_preferences"])
    query = {"_id": user.id, **at_version(if_match)}
    doc = await update_stamped(db.users, user.id, query, {"$set": update})
    if doc is None:  # at another version than the If-Match's, or the account just went
        raise PreconditionFailed("profile") if if_match is not None else NotFound("user")
    return tag(UserOut.model_validate(doc))


@router.delete(
    "/me",
    **NO_CONTENT,
    responses={**E401, **responses((400, "Password is incorrect"))},
)
async def delete_me(body: DeleteAccountRequest, user: CurrentUser, db: Db) -> None:
    """Delete your account and every record that belongs to it. Needs your password."""
    if not await verify_password(body.password, user.doc["hashed_password"]):
        raise BadRequest("Password is incorrect", code=ErrorCode.wrong_password)
    # Receipt files live outside the database: queue their removal before the records go.
    await _delete_receipts(db, user.id)
    for name in USER_COLLECTIONS:
        await db[name].delete_many({"user_id": user.id})
    await db.users.delete_one({"_id": user.id})


async def _delete_receipts(db: AsyncDatabase, user_id: ObjectId) -> None:
    """Queue the removal of every receipt file the user has (they live outside the database)."""
    cursor = db.expenses.find(
        {"user_id": user_id, "receipt_key": {"$ne": None}}, projection={"receipt_key": 1}
    )
    async for doc in cursor:
        await enqueue(db, "storage_delete", {"key": doc["receipt_key"]})


# ---------------------------------------------------------------- the user's data, to take away

EXPORT_BATCH = 500  # documents per database round trip
Shown = Callable[[Doc, date], BaseModel]

# Each section: the collection, and how a document is shown (exactly as the API shows it).
EXPORTED: dict[str, tuple[str, Shown]] = {
    "debts": ("debts", DebtExport.of),
    "payments": ("payments", lambda d, _: PaymentOut.model_validate(d)),
    "income": ("income", lambda d, _: IncomeOut.model_validate(d)),
    "expenses": ("expenses", lambda d, _: ExpenseOut.model_validate(d)),
    "budgets": ("budgets", lambda d, _: BudgetOut.model_validate(d)),
    "goals": ("goals", GoalOut.of),
    "goal_contributions": ("goal_contributions", lambda d, _: ContributionOut.model_validate(d)),
    "notifications": ("notifications", lambda d, _: NotificationOut.model_validate(d)),
    "imports": ("imports", lambda d, _: ImportOut.model_validate(d)),
    "import_rows": ("import_rows", lambda d, _: ImportRowOut.model_validate(d)),
    "import_templates": ("import_templates", lambda d, _: ImportTemplateOut.model_validate(d)),
    "rules": ("rules", lambda d, _: RuleOut.model_validate(d)),
    "accounts": ("accounts", lambda d, _: AccountRecord.model_validate(d)),
    "transfers": ("transfers", lambda d, _: TransferOut.model_validate(d)),
}


async def _export(request: Request, db: AsyncDatabase, user: User) -> AsyncIterator[bytes]:
    """One JSON document, written a section and a batch at a time: memory stays bounded
    whatever the number of records."""
    day = today(user.timezone)
    head = {
        "exported_at": now_ms().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user": UserOut.model_validate(user.doc).model_dump(mode="json"),
    }
    yield json.dumps(head)[:-1].encode()  # the object stays open for the sections
    for section, (collection, shown) in EXPORTED.items():
        yield f', "{section}": ['.encode()
        cursor = db[collection].find({"user_id": user.id}).sort("_id", 1).batch_size(EXPORT_BATCH)
        first = True
        async for doc in cursor:
            item = shown(doc, day).model_dump(mode="json")
            if doc.get("receipt_key"):  # the file itself is a link, valid for an hour
                storage = request.app.state.backends.storage
                item["receipt_link"] = await receipt_link(
                    storage, doc["receipt_key"], str(request.base_url)
                )
            yield (b"" if first else b", ") + json.dumps(item).encode()
            first = False
        yield b"]"
    yield b"}"


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/json": {}}, "description": "All your data (a download)"},
        **E401,
    },
)
async def export_me(request: Request, user: CurrentUser, db: Db) -> StreamingResponse:
    """All of your data as one JSON document, as the API shows it, receipts as links."""
    filename = f"cleero-export-{today(user.timezone).isoformat()}.json"
    return StreamingResponse(
        _export(request, db, user),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
