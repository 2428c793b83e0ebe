"""Delta sync's reads: the user's change counter, and the documents and tombstones whose
change number falls in a window, each a bounded range of a (user_id, sync_seq) index
(SecantusDB reads every index entry inside a query's bounds, even under a limit)."""

import asyncio

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from core.sync import RESOURCES
from database import Doc

# (number, resource, id, the document, or None for a deletion)
Found = tuple[int, str, ObjectId, Doc | None]


async def counter(db: AsyncDatabase, user_id: ObjectId) -> Doc:
    """The user's counter: `seq` (the latest change number), `last_tombstone_seq`; empty for
    a user who never wrote."""
    return await db.sync_state.find_one({"_id": user_id, "user_id": user_id}) or {}


async def profile(db: AsyncDatabase, user_id: ObjectId) -> Doc | None:
    return await db.users.find_one({"_id": user_id})


def _numbered(user_id: ObjectId, low: int, high: int) -> Doc:
    # (low, high] as [low + 1, high + 1): SecantusDB drops `$lte` on an ascending key.
    return {"user_id": user_id, "sync_seq": {"$gte": low + 1, "$lt": high + 1}}


async def _changed(
    db: AsyncDatabase, user_id: ObjectId, resource: str, low: int, high: int
) -> list[Found]:
    docs = await db[RESOURCES[resource]].find(_numbered(user_id, low, high)).to_list(None)
    return [(doc["sync_seq"], resource, doc["_id"], doc) for doc in docs]


async def _deleted(db: AsyncDatabase, user_id: ObjectId, low: int, high: int) -> list[Found]:
    if low >= high:
        return []
    found = await db.sync_tombstones.find(_numbered(user_id, low, high)).to_list(None)
    return [(doc["sync_seq"], doc["resource"], doc["id"], None) for doc in found]


async def window(
    db: AsyncDatabase, user_id: ObjectId, low: int, high: int, deletions_from: int
) -> list[Found]:
    """Every document (but the profile, read on its own) whose latest change is numbered in
    (low, high], and the deletions numbered there after `deletions_from`."""
    reads = [
        _changed(db, user_id, resource, low, high)
        for resource in RESOURCES
        if resource != "profile"
    ]
    reads.append(_deleted(db, user_id, max(low, deletions_from), high))
    return [change for found in await asyncio.gather(*reads) for change in found]


async def first_kept_after(
    db: AsyncDatabase, user_id: ObjectId, after: int, last: int
) -> int | None:
    """The `prev_seq` of the first tombstone kept numbered in (after, last], None if none is
    (`last`: the latest deletion's number, so the range is the deletions still to deliver)."""
    first = await db.sync_tombstones.find_one(
        _numbered(user_id, after, last), sort=[("sync_seq", 1)]
    )
    return None if first is None else first["prev_seq"]


async def accounts_besides(
    db: AsyncDatabase, user_id: ObjectId, present: list[ObjectId]
) -> list[Found]:
    """The user's accounts but those `present` (a user has a handful), as changes."""
    query = {"user_id": user_id, "_id": {"$nin": present}}
    docs = await db.accounts.find(query).sort("_id", 1).to_list(None)
    return [(doc.get("sync_seq", 0), "account", doc["_id"], doc) for doc in docs]


async def account_count(db: AsyncDatabase, user_id: ObjectId) -> int:
    return await db.accounts.count_documents({"user_id": user_id})
