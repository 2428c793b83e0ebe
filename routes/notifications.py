"""The in-app notifications inbox (what is stored and how: `notifications.store`)."""

from fastapi import APIRouter

from core.errors import NotFound
from database import delete_owned, object_id, paginate
from notifications import store
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IfMatch,
    Pagination,
    SettingsDep,
    responses,
    tagged,
)
from schemas import NotificationOut, Page, ReadAllResult, UnreadCount

router = APIRouter(prefix="/notifications", tags=["notifications"])
E401 = responses(401)
E404 = responses((404, "Notification not found"))


@router.get("", responses=E401)
async def list_notifications(
    user: CurrentUser, db: Db, page: Pagination, unread: bool = False
) -> Page[NotificationOut]:
    """Your notifications, newest first; `?unread=true` for the unread ones only."""
    query = store.inbox_query(user.id, unread)
    return await paginate(
        db.notifications, query, page, NotificationOut.model_validate, sort=store.NEWEST_FIRST
    )


@router.get("/unread-count", responses=E401)
async def get_unread_count(user: CurrentUser, db: Db) -> UnreadCount:
    """How many notifications you have not read (for the badge)."""
    return UnreadCount(count=await store.unread_count(db, user.id))


@router.post("/read-all", responses=E401)
async def mark_all_read(user: CurrentUser, db: Db, settings: SettingsDep) -> ReadAllResult:
    """Mark every unread notification read."""
    return ReadAllResult(updated=await store.read_all(db, user.id, settings.notification_ttl_days))


@router.post("/{notification_id}/read", responses={**tagged(), **E401, **E404})
async def mark_read(
    notification_id: str, user: CurrentUser, db: Db, settings: SettingsDep, tag: ETagged
) -> NotificationOut:
    """Mark one notification read (again is harmless: the first read time is kept)."""
    oid = object_id(notification_id)
    doc = None
    if oid is not None:
        doc = await store.mark_read(db, user.id, oid, settings.notification_ttl_days)
    if doc is None:
        raise NotFound("notification")
    return tag(NotificationOut.model_validate(doc))


@router.delete("/{notification_id}", **NO_CONTENT, responses={**E401, **E404, **responses(412)})
async def delete_notification(
    notification_id: str, user: CurrentUser, db: Db, if_match: IfMatch
) -> None:
    """Delete one notification."""
    await delete_owned(
        db, "notifications", notification_id, user.id, "notification", expected=if_match
    )
