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
from core.sync import stamp, stamp_each
from database import Doc, in_transaction

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
READ_BATCH = 500  # notifications marked read per transaction


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
    """The notification, read (and stamped); reading it again keeps the first read time and
    its version. None when it is not the user's."""

    async def work(session: AsyncClientSession) -> Doc | None:
        doc = await db.notifications.find_one(
            {"_id": notification_id, "user_id": user_id}, session=session
        )
        if doc is None or doc["is_read"]:  # someone else's, missing, or already read
            return doc
        read = _read_fields(ttl_days) | {"sync_seq": await stamp(db, user_id, session)}
        return await db.notifications.find_one_and_update(
            {"_id": notification_id, "user_id": user_id, "is_read": False},
            {"$set": read},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    return await in_transaction(db, work)


async def read_all(db: AsyncDatabase, user_id: ObjectId, ttl_days: int) -> int:
    """Mark every unread notification read, each stamped, READ_BATCH a transaction; returns
    how many were."""
    unread = {"user_id": user_id, "is_read": False}
    read = 0
    while True:

        async def work(session: AsyncClientSession) -> int:
            changes = _read_fields(ttl_days)
            return await stamp_each(db.notifications, user_id, unread, changes, session, READ_BATCH)

        done = await in_transaction(db, work)
        read += done
        if done < READ_BATCH:
            return read


async def unlink(
    db: AsyncDatabase, user_id: ObjectId, urls: list[str], session: AsyncClientSession
) -> int:
    """The notifications that link to any of `urls` (entries being deleted in `session`) no
    longer link anywhere; returns how many did. Read on (user_id, action_url)."""
    if not urls:
        return 0
    target = urls[0] if len(urls) == 1 else {"$in": urls}
    query = {"user_id": user_id, "action_url": target}
    return await stamp_each(db.notifications, user_id, query, {"action_url": None}, session)
