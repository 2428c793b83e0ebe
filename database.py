"""MongoDB access: one AsyncMongoClient, exact money codecs, indexes, ownership lookups."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from bson import Decimal128, ObjectId
from bson.codec_options import CodecOptions, TypeDecoder, TypeEncoder, TypeRegistry
from fastapi import Depends, Request
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from errors import NotFound
from schemas import Page, PageParams

T = TypeVar("T")
Doc = dict[str, Any]


class _DecimalCodec(TypeEncoder, TypeDecoder):
    """Money crosses the database boundary as Decimal128 and comes back as Decimal."""

    python_type = Decimal
    bson_type = Decimal128

    def transform_python(self, value: Decimal) -> Decimal128:
        return Decimal128(value)

    def transform_bson(self, value: Decimal128) -> Decimal:
        return value.to_decimal()


class _DateCodec(TypeEncoder):
    """BSON has no plain date: store calendar dates as midnight UTC."""

    python_type = date

    def transform_python(self, value: date) -> datetime:
        return datetime.combine(value, time(), tzinfo=UTC)


CODEC_OPTIONS: CodecOptions = CodecOptions(
    type_registry=TypeRegistry([_DecimalCodec(), _DateCodec()]), tz_aware=True, tzinfo=UTC
)

# Every collection holding a user's data; `DELETE /users/me` empties all of them.
USER_COLLECTIONS = (
    "sessions",
    "password_resets",
    "notifications",
    "debts",
    "payments",
    "idempotency_keys",
    "income",
    "expenses",
    "budgets",
    "budget_alerts",
    "goals",
    "goal_contributions",
    "reminders",
)


def _per_user(*extra: IndexModel) -> list[IndexModel]:
    return [IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]), *extra]


# One place for every index a query relies on (see README, "Indexes").
INDEXES: dict[str, list[IndexModel]] = {
    "users": [IndexModel("email", unique=True)],
    "sessions": _per_user(IndexModel("expires_at", expireAfterSeconds=0)),
    "password_resets": _per_user(IndexModel("expires_at", expireAfterSeconds=0)),
    "rate_limits": [IndexModel("expires_at", expireAfterSeconds=0)],
    "locks": [IndexModel("expires_at")],
    "outbox": [
        IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
        IndexModel("sent_at", expireAfterSeconds=30 * 24 * 3600),
    ],
    "notifications": _per_user(),
    "debts": _per_user(),
    "payments": _per_user(),
    "idempotency_keys": _per_user(IndexModel("expires_at", expireAfterSeconds=0)),
    "income": _per_user(),
    "expenses": _per_user(),
    "budgets": _per_user(),
    "budget_alerts": _per_user(),
    "goals": _per_user(),
    "goal_contributions": _per_user(),
    "reminders": _per_user(),
}


def connect(url: str, settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.db_timeout_ms,
        connectTimeoutMS=settings.db_timeout_ms,
        appname="cleero-financial-compass",
    )


def get_database(client: AsyncMongoClient, name: str) -> AsyncDatabase:
    return client.get_database(name, codec_options=CODEC_OPTIONS)


async def ensure_indexes(db: AsyncDatabase) -> None:
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


def _db(request: Request) -> AsyncDatabase:
    return request.app.state.db


Db = Annotated[AsyncDatabase, Depends(_db)]


async def in_transaction(
    db: AsyncDatabase, work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run `work` in one multi-document transaction, retried on transient conflicts."""
    async with db.client.start_session() as session:
        return await session.with_transaction(work)


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


async def paginate(
    coll: AsyncCollection,
    query: dict[str, Any],
    page: PageParams,
    model: type[Any],
    sort: list[tuple[str, int]],
) -> Page[Any]:
    """One page of the user's documents, newest first by `sort`, with the total count."""
    total = await coll.count_documents(query)
    docs = await coll.find(query).sort(sort).skip(page.skip).limit(page.limit).to_list(None)
    return Page[model](  # type: ignore[valid-type]
        items=[model.model_validate(d) for d in docs],
        total=total,
        skip=page.skip,
        limit=page.limit,
    )
