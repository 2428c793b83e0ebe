"""The one place that stamps a user's writes: the versions behind ETags and the order behind
delta sync (GET /api/sync, the `sync` package; docs/sync.md).

Each user has one change counter (`sync_state`, its `_id` the user's id). Every write of a
synced resource takes values of it inside the write's own transaction: the document written
gets `sync_seq` = the value its write took (n documents written together take n values with
one `$inc`), and a deleted document leaves a tombstone under the value its deletion took.
Two transactions that both `$inc` the counter conflict and one of them is retried, so the
counter's order is the commit order: a reader that sees the counter at H sees every write up
to H, and no write at or below H can appear after it. Every value belongs to one document
or tombstone, so a range of values holds at most that many of them.

`sync_seq` is also the document's version: its ETag is `"<sync_seq>"` (with the day, for a
resource whose figures move with the calendar), and a write conditional on it (If-Match)
names it in its filter.
"""

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from core.errors import PreconditionFailed

Doc = dict[str, Any]
# The versions an If-Match names (empty: none that can match); None: no precondition.
Expected = frozenset[int] | None

# Each synced resource, as GET /api/sync names it, and the collection holding it.
RESOURCES = {
    "debt": "debts",
    "payment": "payments",
    "income": "income",
    "expense": "expenses",
    "budget": "budgets",
    "goal": "goals",
    "goal_contribution": "goal_contributions",
    "notification": "notifications",
    "import": "imports",
    "rule": "rules",
    "account": "accounts",
    "transfer": "transfers",
    "recurring_item": "recurring_items",
    "profile": "users",
}
RESOURCE_OF = {collection: resource for resource, collection in RESOURCES.items()}
# A tombstone is kept this long (a TTL index); a cursor older than the oldest one kept is
# refused (410) and the client reloads.
TOMBSTONE_DAYS = 30


# ---------------------------------------------------------------- stamping writes


async def _advance(
    db: AsyncDatabase, user_id: ObjectId, n: int, session: AsyncClientSession | None
) -> Doc:
    """The user's counter moved on by `n`, as it is after. Created on first use (signup
    creates it; users from before it have it from the `2026-12-sync-versions` migration)."""
    state = await db.sync_state.find_one_and_update(
        {"_id": user_id, "user_id": user_id},
        {"$inc": {"seq": n}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return state


async def stamp(
    db: AsyncDatabase, user_id: ObjectId, session: AsyncClientSession | None, n: int = 1
) -> int:
    """Take `n` consecutive values of the user's counter in `session` (the transaction of the
    write they stamp); returns the first. The written documents store them as `sync_seq`."""
    state = await _advance(db, user_id, n, session)
    return state["seq"] - n + 1


async def stamp_new(
    db: AsyncDatabase, user_id: ObjectId, docs: list[Doc], session: AsyncClientSession
) -> list[Doc]:
    """Give each of the user's documents about to be inserted together a value of its own
    (one `$inc` for all of them); returns them."""
    if docs:
        first = await stamp(db, user_id, session, len(docs))
        for seq, doc in enumerate(docs, start=first):
            doc["sync_seq"] = seq
    return docs


async def stamp_each(
    coll: AsyncCollection,
    user_id: ObjectId,
    query: Doc,
    changes: Doc,
    session: AsyncClientSession,
    limit: int = 0,
) -> int:
    """`$set` `changes` on each of the user's documents `query` matches (it names the user),
    at most `limit` of them (0: all), each under a value of its own; returns how many. What
    would be one `update_many`."""
    found = await coll.find(query, {"_id": 1}, session=session).limit(limit).to_list(None)
    if not found:
        return 0
    first = await stamp(coll.database, user_id, session, len(found))
    writes = [
        UpdateOne({"_id": doc["_id"], "user_id": user_id}, {"$set": changes | {"sync_seq": seq}})
        for seq, doc in enumerate(found, start=first)
    ]
    await coll.bulk_write(writes, ordered=False, session=session)
    return len(found)


async def tombstone(
    db: AsyncDatabase,
    user_id: ObjectId,
    collection: str,
    ids: Iterable[ObjectId],
    session: AsyncClientSession,
) -> None:
    """Record, in the transaction that deletes them, that the user's documents `ids` of
    `collection` are gone. Each tombstone names the one before it (`prev_seq`), so the
    sync can tell that one it needs has expired; `deleted_at` never goes back for a user,
    so the TTL index removes a user's tombstones oldest first."""
    ids = list(ids)
    if not ids or collection not in RESOURCE_OF:
        return
    state = await _advance(db, user_id, len(ids), session)
    first = state["seq"] - len(ids) + 1
    at = max(now_ms(), state.get("last_tombstone_at") or now_ms())
    prev, docs = state.get("last_tombstone_seq", 0), []
    for seq, oid in enumerate(ids, start=first):
        docs.append(
            {
                "user_id": user_id,
                "resource": RESOURCE_OF[collection],
                "id": oid,
                "sync_seq": seq,
                "prev_seq": prev,
                "deleted_at": at,
            }
        )
        prev = seq
    await db.sync_tombstones.insert_many(docs, session=session)
    await db.sync_state.update_one(
        {"_id": user_id, "user_id": user_id},
        {"$set": {"last_tombstone_seq": prev, "last_tombstone_at": at}},
        session=session,
    )


# ---------------------------------------------------------------- versions


def version(doc: Doc) -> int:
    """A stored document's version (0: never stamped)."""
    return doc.get("sync_seq") or 0


def etag(version: int, day: date | None = None, derived: str | None = None) -> str:
    """The strong ETag of a resource at `version`; `day`: the day its figures are as of (a
    debt's overdue days, a goal's monthly saving), so a new day is a new representation;
    `derived`: figures it shows that other documents move without changing its version (an
    account's balance), named by a digest of them."""
    if derived is not None:
        return f'"{version}-{hashlib.sha256(derived.encode()).hexdigest()[:8]}"'
    return f'"{version}"' if day is None else f'"{version}-{day:%Y%m%d}"'


def at_version(expected: Expected) -> Doc:
    """The part of a write's filter that holds it to the versions an If-Match names."""
    if expected is None:
        return {}
    versions = sorted(expected)
    return {"sync_seq": versions[0] if len(versions) == 1 else {"$in": versions}}


def owned(oid: ObjectId, user_id: ObjectId, expected: Expected = None) -> Doc:
    """The filter of the user's document `oid`, at one of the `expected` versions when an
    If-Match names them (`_id` first: SecantusDB's fast path)."""
    return {"_id": oid, "user_id": user_id, **at_version(expected)}


def check_version(doc: Doc, expected: Expected, entity: str) -> None:
    """412 unless the document (as read in the transaction that writes it) is at one of the
    `expected` versions; no precondition, no check."""
    if expected is not None and version(doc) not in expected:
        raise PreconditionFailed(entity)
