"""MongoDB access: one AsyncMongoClient, transactions, ownership lookups. The codecs live in
core/codecs.py, the indexes in core/indexes.py."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings, embedded_url
from core.codecs import CODEC_OPTIONS, decimal_from_bson  # noqa: F401 (re-exported)
from core.dates import now_ms
from core.errors import NotFound
from core.indexes import INDEXES, USER_COLLECTIONS  # noqa: F401 (re-exported)
from core.transactions import in_transaction as in_transaction  # the one runner, for callers
from schemas.base import Page, PageParams

T = TypeVar("T")
Doc = dict[str, Any]


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


async def delete_owned(
    db: AsyncDatabase,
    collection: str,
    id_: str,
    user_id: ObjectId,
    entity: str,
    children: tuple[str, str] | None = None,
) -> None:
    """Delete the user's document, and with `children=(collection, foreign key)` everything
    that hangs off it in the same transaction; a malformed, missing or foreign id is a 404."""
    oid = object_id(id_)

    async def work(session: AsyncClientSession | None) -> int:
        result = await db[collection].delete_one({"_id": oid, "user_id": user_id}, session=session)
        if result.deleted_count and children:
            child, key = children
            await db[child].delete_many({"user_id": user_id, key: oid}, session=session)
        return result.deleted_count

    deleted = 0
    if oid is not None:
        deleted = await (in_transaction(db, work) if children else work(None))
    if not deleted:
        raise NotFound(entity)


async def update_owned(
    coll: AsyncCollection,
    id_: str,
    user_id: ObjectId,
    changes: dict[str, Any],
    entity: str,
    check: Callable[[Doc], None] | None = None,
) -> Doc:
    """Apply `$set` changes to the user's document and return it; 404 if it is not theirs.
    `check` sees the stored document first and may refuse the change."""
    oid = object_id(id_)
    doc = None
    if oid is not None and check is not None:
        check(await get_owned(coll, oid, user_id, entity))
    if oid is not None:
        doc = await coll.find_one_and_update(
            {"_id": oid, "user_id": user_id},
            {"$set": {**changes, "updated_at": now_ms()}},
            return_document=True,
        )
    if doc is None:
        raise NotFound(entity)
    return doc


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
