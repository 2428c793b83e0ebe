"""The notifications inbox as stored. Notifications are created by the domains
(`services.notify`, in the transaction of what they tell about); read ones expire after
`notification_ttl_days` (a TTL index on `expires_at`), unread ones stay until read or deleted.
A notification whose `action_url` pointed at an entry that was deleted keeps its text and
loses its link (`unlink`): the inbox still says what happened, and never links to a 404."""

from datetime import timedelta

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from database import Doc

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]


def inbox_query(user_id: ObjectId, unread_only: bool) -> Doc:
    """The inbox's filter, on (user_id[, is_read], created_at)."""
    query: Doc = {"user_id": user_id}
    if unread_only:
        query["is_read"] = False
    return query


async def unread_count(db: AsyncDatabase, user_id: ObjectId) -> int:
    """The badge's number (the dashboard shows it too)."""
    return await db.notifications.count_documents({"user_id": user_id, "is_read": False})


def _read_fields(ttl_days: int) -> Doc:
    """Marking read also starts the expiry clock."""
    at = now_ms()
    return {"is_read": True, "read_at": at, "expires_at": at + timedelta(days=ttl_days)}


async def mark_read(
    db: AsyncDatabase, user_id: ObjectId, notification_id: ObjectId, ttl_days: int
) -> Doc | None:
    """The notification, read; reading it again keeps the first read time. None when it is
    not the user's."""
    doc = await db.notifications.find_one_and_update(
        {"_id": notification_id, "user_id": user_id, "is_read": False},
        {"$set": _read_fields(ttl_days)},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:  # already read, someone else's, or missing
        doc = await db.notifications.find_one({"_id": notification_id, "user_id": user_id})
    return doc


async def read_all(db: AsyncDatabase, user_id: ObjectId, ttl_days: int) -> int:
    """Mark every unread notification read; returns how many were."""
    result = await db.notifications.update_many(
        {"user_id": user_id, "is_read": False}, {"$set": _read_fields(ttl_days)}
    )
    return result.modified_count


async def unlink(
    db: AsyncDatabase, user_id: ObjectId, urls: list[str], session: AsyncClientSession
) -> int:
    """The notifications that link to any of `urls` (entries being deleted in `session`) no
    longer link anywhere; returns how many did. Read on (user_id, action_url)."""
    if not urls:
        return 0
    target = urls[0] if len(urls) == 1 else {"$in": urls}
    result = await db.notifications.update_many(
        {"user_id": user_id, "action_url": target},
        {"$set": {"action_url": None}},
        session=session,
    )
    return result.modified_count
