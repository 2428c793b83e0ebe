"""The user's own profile and account."""

from typing import Any

from bson import ObjectId
from fastapi import APIRouter
from pymongo.asynchronous.database import AsyncDatabase

from database import USER_COLLECTIONS
from dates import now_ms
from errors import BadRequest, ErrorCode
from routes.deps import NO_CONTENT, CurrentUser, Db, responses
from schemas import DeleteAccountRequest, UserOut, UserUpdate
from security import verify_password
from services import enqueue

router = APIRouter(prefix="/users", tags=["users"])
E401 = responses(401)


@router.get("/me", responses=E401)
async def get_me(user: CurrentUser) -> UserOut:
    """Your profile and notification preferences."""
    return UserOut.model_validate(user.doc)


def _flatten(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    # Nested objects are merged field by field, so a partial update keeps the rest.
    return {f"{prefix}.{key}": value for key, value in values.items()}


@router.put("/me", responses=E401)
async def update_me(body: UserUpdate, user: CurrentUser, db: Db) -> UserOut:
    """Update your name, phone, profile (currency, timezone, ...) or notification preferences."""
    body.check_echo(UserOut.model_validate(user.doc))
    changes = body.values(user.timezone, partial=True)
    update: dict[str, Any] = {"updated_at": now_ms()}
    for key in ("full_name", "phone"):
        if key in changes:
            update[key] = changes[key]
    if changes.get("profile") is not None:
        update |= _flatten("profile", changes["profile"])
    if changes.get("notification_preferences") is not None:
        update |= _flatten("notification_preferences", changes["notification_preferences"])
    doc = await db.users.find_one_and_update(
        {"_id": user.id}, {"$set": update}, return_document=True
    )
    return UserOut.model_validate(doc)


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
