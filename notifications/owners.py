"""What every reminder pass shares: the items it found (due debts, cards), each with its
owner, read a batch at a time (one users query per batch, not one per item), and one item's
failure kept from holding back everyone else's reminders."""

import logging
from collections.abc import AsyncIterable, Awaitable, Callable

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from database import Doc
from security import User

log = logging.getLogger("cleero.scheduler")
BATCH = 200
USER_FIELDS = {"email": 1, "full_name": 1, "profile": 1, "notification_preferences": 1}
Remind = Callable[[User, Doc], Awaitable[int]]


async def _remind_batch(db: AsyncDatabase, items: list[Doc], remind: Remind) -> int:
    user_ids = list({item["user_id"] for item in items})
    query = {"_id": {"$in": user_ids}, "is_active": {"$ne": False}}
    found = await db.users.find(query, projection=USER_FIELDS).to_list(None)
    users = {doc["_id"]: User.from_doc(doc) for doc in found}
    sent = 0
    for item in items:
        user = users.get(item["user_id"])
        if user is None:
            continue
        try:
            sent += await remind(user, item)
        except PyMongoError:
            raise  # the database is away: the whole pass waits for the next run
        except Exception:  # one malformed item must not hold back everyone else's reminders
            log.exception("reminder for %s failed", item["_id"])
    return sent


async def with_owners(db: AsyncDatabase, items: AsyncIterable[Doc], remind: Remind) -> int:
    """`remind(owner, item)` for every item of an active user; how many reminders it sent."""
    sent = 0
    batch: list[Doc] = []
    async for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            sent += await _remind_batch(db, batch, remind)
            batch = []
    if batch:
        sent += await _remind_batch(db, batch, remind)
    return sent
