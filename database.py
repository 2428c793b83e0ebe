"""MongoDB access: one AsyncMongoClient, transactions, ownership lookups. The codecs live in
core/codecs.py, the indexes in core/indexes.py."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, TypeVar

from bson import ObjectId
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from config import Settings, embedded_url
from core import sync
from core.codecs import CODEC_OPTIONS, decimal_from_bson  # noqa: F401 (re-exported)
from core.dates import now_ms
from core.errors import NotFound, PreconditionFailed
from core.indexes import INDEXES, USER_COLLECTIONS  # noqa: F401 (re-exported)
from core.sync import Expected
from core.transactions import in_transaction as in_transaction  # the one runner, for callers
from schemas.base import Page, PageParams

T = TypeVar("T")
Doc = dict[str, Any]
# What a delete does with the children it removed, in its transaction.
Removed = Callable[[list[Doc], AsyncClientSession], Awaitable[None]]


def database_url(settings: Settings) -> str:
    """MONGODB_URL, else the embedded database's (started by `make run` or the tests)."""
    return settings.mongodb_url or embedded_url(settings.embedded_db_port)


def connect(url: str, settings: Settings, event_listeners: Sequence[Any] = ()) -> AsyncMongoClient:
    """`event_listeners`: PyMongo monitoring listeners (the benchmarks count round trips).

    A write (or commit) is acknowledged once it is journaled on a majority of the replica set,
    so a 2xx survives a crash of the database or of its primary; SecantusDB accepts both."""
    return AsyncMongoClient(
        url,
        w="majority",
        journal=True,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.db_timeout_ms,
        connectTimeoutMS=settings.db_timeout_ms,
        appname="cleero-financial-compass",
        event_listeners=list(event_listeners),
    )


def get_database(client: AsyncMongoClient, name: str) -> AsyncDatabase:
    return client.get_database(name, codec_options=CODEC_OPTIONS)


async def ensure_indexes(db: AsyncDatabase) -> None:
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


INDEX_NOT_FOUND = 27  # the server's code for dropping an index that is not there


async def drop_index(db: AsyncDatabase, collection: str, name: str) -> None:
    """Drop an index no longer declared (a migration's), if it is still there."""
    try:
        await db[collection].drop_index(name)
    except OperationFailure as exc:
        if exc.code != INDEX_NOT_FOUND:  # a fresh database, or another replica dropped it
            raise


async def move_counters(
    coll: AsyncCollection, moves: list[tuple[Doc, Doc]], session: AsyncClientSession
) -> None:
    """`$inc` each counter document (its key, its increments), made on first use, in one
    bulk write in `session`: the month and spend counters a batch of entries moves."""
    if not moves:
        return
    at = now_ms()
    writes = [
        UpdateOne(key, {"$inc": inc, "$set": {"updated_at": at}}, upsert=True) for key, inc in moves
    ]
    await coll.bulk_write(writes, session=session)


def object_id(value: str | ObjectId | None) -> ObjectId | None:
    """A client-supplied id, or None when it is not a well-formed ObjectId."""
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and ObjectId.is_valid(value):
        return ObjectId(value)
    return None


async def get_owned(
    coll: AsyncCollection,
    id_: str | ObjectId,
    user_id: ObjectId,
    entity: str,
    session: AsyncClientSession | None = None,
) -> Doc:
    """The user's document with that id; a malformed, missing or foreign id is the same 404."""
    oid = object_id(id_)
    doc = await coll.find_one({"_id": oid, "user_id": user_id}, session=session) if oid else None
    if doc is None:
        raise NotFound(entity)
    return doc


async def refused(
    coll: AsyncCollection, oid: ObjectId, user_id: ObjectId, entity: str, session: Any
) -> NoReturn:
    """A write filtered on the expected version matched nothing: 404 when the document is not
    the user's, else 412 (it is at another version now)."""
    await get_owned(coll, oid, user_id, entity, session=session)
    raise PreconditionFailed(entity)


async def delete_owned(
    db: AsyncDatabase,
    collection: str,
    id_: str,
    user_id: ObjectId,
    entity: str,
    children: tuple[str, str] | None = None,
    expected: Expected = None,
    removed: Removed | None = None,
) -> None:
    """Delete the user's document, and with `children=(collection, foreign key)` everything
    that hangs off it (`removed` then called with them as they were), in one transaction
    that leaves their tombstones; a malformed, missing or foreign id is a 404, another
    version than an If-Match's `expected` a 412."""
    oid = object_id(id_)
    if oid is None:
        raise NotFound(entity)

    async def work(session: AsyncClientSession) -> None:
        query = sync.owned(oid, user_id, expected)
        if await db[collection].find_one_and_delete(query, {"_id": 1}, session=session) is None:
            await refused(db[collection], oid, user_id, entity, session)
        await sync.tombstone(db, user_id, collection, [oid], session)
        if children:
            child, key = children
            owned = {"user_id": user_id, key: oid}
            fields = None if removed else {"_id": 1}
            found = await db[child].find(owned, fields, session=session).to_list(None)
            if child in sync.RESOURCE_OF:
                await sync.tombstone(db, user_id, child, [doc["_id"] for doc in found], session)
            await db[child].delete_many(owned, session=session)
            if removed:
                await removed(found, session)

    await in_transaction(db, work)


async def update_owned(
    coll: AsyncCollection,
    id_: str,
    user_id: ObjectId,
    changes: dict[str, Any],
    entity: str,
    expected: Expected = None,
) -> Doc:
    """Apply `$set` changes to the user's document, stamped, and return it; 404 if it is not
    theirs, 412 if it is at another version than an If-Match's `expected` (checked by the
    update's own filter)."""
    oid = object_id(id_)
    if oid is None:
        raise NotFound(entity)
    db = coll.database

    async def work(session: AsyncClientSession) -> Doc:
        seq = await sync.stamp(db, user_id, session)
        doc = await coll.find_one_and_update(
            sync.owned(oid, user_id, expected),
            {"$set": {**changes, "updated_at": now_ms(), "sync_seq": seq}},
            return_document=True,
            session=session,
        )
        if doc is None:
            await refused(coll, oid, user_id, entity, session)
        return doc

    return await in_transaction(db, work)


async def update_stamped(
    coll: AsyncCollection,
    user_id: ObjectId,
    query: dict[str, Any],
    update: dict[str, Any],
    session: AsyncClientSession | None = None,
) -> Doc | None:
    """`find_one_and_update` of one of the user's documents (`query` names it), stamped with
    a new version (core/sync.py) in the same transaction: the caller's, else one of its own.
    The document as it is after; None when nothing matched."""
    if session is None:
        return await in_transaction(
            coll.database, lambda s: update_stamped(coll, user_id, query, update, s)
        )
    seq = await sync.stamp(coll.database, user_id, session)
    stamped = update | {"$set": update.get("$set", {}) | {"sync_seq": seq}}
    return await coll.find_one_and_update(query, stamped, return_document=True, session=session)


async def insert_stamped(
    db: AsyncDatabase, collection: str, docs: list[Doc], session: AsyncClientSession
) -> None:
    """Insert documents of one user (the first's `user_id`) in `session`, each stamped with a
    version of its own (core/sync.py); a document inserted again (one a transfer gave back)
    takes a new one."""
    if docs:
        await sync.stamp_new(db, docs[0]["user_id"], docs, session)
        await db[collection].insert_many(docs, session=session)


async def paginate(
    coll: AsyncCollection,
    query: dict[str, Any],
    page: PageParams,
    item: Callable[[Doc], T],
    sort: list[tuple[str, int]],
) -> Page[T]:
    """One page of the user's documents, newest first by `sort`, with the total count; `item`
    turns a document into its response (a model's `model_validate`, or a function)."""
    total = await coll.count_documents(query)
    docs = await coll.find(query).sort(sort).skip(page.skip).limit(page.limit).to_list(None)
    return Page[Any](items=[item(d) for d in docs], total=total, skip=page.skip, limit=page.limit)
