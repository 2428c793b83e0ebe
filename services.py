"""The thin door to the outside world (email, push, file storage) and the durable outbox.

Routes never call a provider directly: they `enqueue` a message in the same transaction as
their write, and the dispatcher (delivery/outbox.py) delivers it later through the providers
(delivery/providers.py), with retries, so a provider that is down never fails or loses the
user's write.
"""

from collections.abc import Sequence
from typing import Any, Literal

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from core.dates import now_ms
from core.sync import stamp
from database import Doc, in_transaction
from delivery.emails import Email, render_email
from delivery.providers import Backends, LocalStorage, Push, S3Storage, make_storage
from schemas import NotificationType
from security import User

# Names other modules import from here.
__all__ = [
    "RECEIPT_LINK_SECONDS",
    "Backends",
    "Email",
    "LocalStorage",
    "S3Storage",
    "enqueue",
    "enqueue_email",
    "make_storage",
    "notify",
    "notify_once",
    "receipt_link",
    "render_email",
]

RECEIPT_LINK_SECONDS = 3600


async def receipt_link(storage: LocalStorage | S3Storage, key: str, base_url: str) -> str:
    """A download link of a stored receipt, valid for RECEIPT_LINK_SECONDS: presigned S3, or
    a signed link to this API (`base_url`) for local storage."""
    url = await storage.url(key, RECEIPT_LINK_SECONDS)
    return base_url.rstrip("/") + url if url.startswith("/") else url


OutboxKind = Literal["email", "push"] | str


async def enqueue(
    db: AsyncDatabase,
    kind: OutboxKind,
    payload: dict[str, Any],
    *,
    session: AsyncClientSession | None = None,
) -> ObjectId:
    """Record a side effect durably, inside the caller's transaction when it has one."""
    at = now_ms()
    result = await db.outbox.insert_one(
        {
            "kind": kind,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        },
        session=session,
    )
    return result.inserted_id


async def enqueue_email(
    db: AsyncDatabase,
    template: str,
    to: str,
    *,
    session: AsyncClientSession | None = None,
    **context: Any,
) -> ObjectId:
    email = render_email(template, to, **context)
    return await enqueue(db, "email", email.__dict__, session=session)


async def notify(
    db: AsyncDatabase,
    user: User,
    type_: NotificationType,
    title: str,
    message: str,
    *,
    action_url: str | None = None,
    email: tuple[str, dict[str, Any]] | None = None,
    session: AsyncClientSession | None = None,
) -> Doc:
    """Store an in-app notification (always, stamped for sync) and queue its push and email
    (unless muted), in the caller's transaction, else in one of its own."""
    if session is None:

        async def work(session: AsyncClientSession) -> Doc:
            return await notify(
                db, user, type_, title, message, action_url=action_url, email=email, session=session
            )

        return await in_transaction(db, work)
    doc = {
        "user_id": user.id,
        "notification_type": str(type_),
        "title": title,
        "message": message,
        "action_url": action_url,
        "is_read": False,
        "created_at": now_ms(),
        "sync_seq": await stamp(db, user.id, session),
    }
    doc["_id"] = (await db.notifications.insert_one(doc, session=session)).inserted_id
    prefs = user.doc.get("notification_preferences", {}).get(str(type_), {})
    if prefs.get("push", True):
        push = Push(str(user.id), title, message, action_url)
        await enqueue(db, "push", push.__dict__, session=session)
    if email and prefs.get("email", True):
        template, context = email
        await enqueue_email(
            db, template, user.email, session=session, name=user.full_name, **context
        )
    return doc


async def notify_once(
    db: AsyncDatabase,
    record: tuple[str, Doc],
    user: User,
    type_: NotificationType,
    title: str,
    message: str,
    *,
    covers: Sequence[tuple[str, Doc, Doc]] = (),
    **notification: Any,
) -> bool:
    """Record once, then notify: insert `record` (collection, document) and the notification
    in one transaction. A unique index on the record decides: of any number of concurrent or
    repeated callers exactly one notifies; the others get False. `covers` (collection, key,
    document) are recorded in the same transaction if absent: the lesser events this
    notification stands for, which must not be notified later on their own."""
    collection, doc = record

    async def work(session: AsyncClientSession) -> None:
        await db[collection].insert_one(doc, session=session)
        for name, key, covered in covers:
            await db[name].update_one(key, {"$setOnInsert": covered}, upsert=True, session=session)
        await notify(db, user, type_, title, message, session=session, **notification)

    try:
        await in_transaction(db, work)
    except DuplicateKeyError:
        return False
    return True
