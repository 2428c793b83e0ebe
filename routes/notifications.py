"""The in-app notifications inbox. Notifications are created by the domains (`services.notify`);
read ones expire after NOTIFICATION_TTL_DAYS, unread ones stay until read or deleted."""

from datetime import timedelta

from bson import ObjectId
from fastapi import APIRouter
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from core.dates import now_ms
from core.errors import NotFound
from database import Doc, delete_owned, get_owned, object_id, paginate
from routes.deps import NO_CONTENT, CurrentUser, Db, Pagination, SettingsDep, responses
from schemas import NotificationOut, Page, ReadAllResult, UnreadCount

router = APIRouter(prefix="/notifications", tags=["notifications"])
E401 = responses(401)
E404 = responses((404, "Notification not found"))


def _read_fields(settings: Settings) -> Doc:
    """Marking read also starts the TTL clock (a TTL index on `expires_at` deletes it later)."""
    at = now_ms()
    return {
        "is_read": True,
        "read_at": at,
        "expires_at": at + timedelta(days=settings.notification_ttl_days),
    }


@router.get("", responses=E401)
async def list_notifications(
    user: CurrentUser, db: Db, page: Pagination, unread: bool = False
) -> Page[NotificationOut]:
    """Your notifications, newest first; `?unread=true` for the unread ones only."""
    query: Doc = {"user_id": user.id}
    if unread:
        query["is_read"] = False
    newest_first = [("created_at", -1), ("_id", -1)]
    return await paginate(
        db.notifications, query, page, NotificationOut.model_validate, sort=newest_first
    )


async def unread_count(db: AsyncDatabase, user_id: ObjectId) -> int:
    """The badge's number (the dashboard shows it too)."""
    return await db.notifications.count_documents({"user_id": user_id, "is_read": False})


@router.get("/unread-count", responses=E401)
async def get_unread_count(user: CurrentUser, db: Db) -> UnreadCount:
    """How many notifications you have not read (for the badge)."""
    return UnreadCount(count=await unread_count(db, user.id))


@router.post("/read-all", responses=E401)
async def read_all(user: CurrentUser, db: Db, settings: SettingsDep) -> ReadAllResult:
    """Mark every unread notification read."""
    result = await db.notifications.update_many(
        {"user_id": user.id, "is_read": False}, {"$set": _read_fields(settings)}
    )
    return ReadAllResult(updated=result.modified_count)


@router.post("/{notification_id}/read", responses={**E401, **E404})
async def mark_read(
    notification_id: str, user: CurrentUser, db: Db, settings: SettingsDep
) -> NotificationOut:
    """Mark one notification read (again is harmless: the first read time is kept)."""
    oid = object_id(notification_id)
    if oid is None:
        raise NotFound("notification")
    doc = await db.notifications.find_one_and_update(
        {"_id": oid, "user_id": user.id, "is_read": False},
        {"$set": _read_fields(settings)},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:  # already read, someone else's, or missing
        doc = await get_owned(db.notifications, oid, user.id, "notification")
    return NotificationOut.model_validate(doc)


@router.delete("/{notification_id}", **NO_CONTENT, responses={**E401, **E404})
async def delete_notification(notification_id: str, user: CurrentUser, db: Db) -> None:
    """Delete one notification."""
    await delete_owned(db, "notifications", notification_id, user.id, "notification")
