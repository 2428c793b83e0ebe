"""MongoDB access: one AsyncMongoClient, exact money codecs, indexes, ownership lookups."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from bson import Decimal128, ObjectId
from bson.codec_options import CodecOptions, TypeDecoder, TypeEncoder, TypeRegistry
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from core.dates import now_ms
from core.errors import NotFound
from ops import embedded_db
from schemas.base import Page, PageParams

T = TypeVar("T")
Doc = dict[str, Any]
_SPECIAL = 3 << 61  # NaN, Infinity and the (never canonical) large-coefficient form
_MAX_COEFFICIENT = 10**34 - 1


def decimal_from_bson(value: Decimal128) -> Decimal:
    """`Decimal128.to_decimal()` without its per-digit Python loop: 6x faster, and every money
    field of every document read goes through it (bench/RESULTS-load.md). Unusual encodings
    take bson's own path, so the result is always identical."""
    high, low = value.__getstate__()
    coefficient = ((high & 0x1FFFFFFFFFFFF) << 64) | low
    if high & _SPECIAL == _SPECIAL or coefficient > _MAX_COEFFICIENT:
        return value.to_decimal()
    sign = "-" if high >> 63 else ""
    return Decimal(f"{sign}{coefficient}E{((high >> 49) & 0x3FFF) - 6176}")


class _DecimalCodec(TypeEncoder, TypeDecoder):
    """Money crosses the database boundary as Decimal128 and comes back as Decimal."""

    python_type = Decimal
    bson_type = Decimal128

    def transform_python(self, value: Decimal) -> Decimal128:
        return Decimal128(value)

    def transform_bson(self, value: Decimal128) -> Decimal:
        return decimal_from_bson(value)


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
    "category_spend",
    "goals",
    "goal_contributions",
    "reminders",
    "imports",
    "import_rows",
    "import_fingerprints",
    "import_templates",
    "rules",
)


def _per_user(*extra: IndexModel) -> list[IndexModel]:
    # Ascending keys only: SecantusDB mishandles an inclusive bound on a descending key, and
    # an ascending index serves newest-first sorts just as well (it is walked backwards).
    return [IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]), *extra]


# One place for every index a query relies on (see README, "Indexes"). Keys are ascending
# throughout: SecantusDB 0.7 drops an inclusive bound on a descending key that another key
# follows, and MongoDB walks an ascending index backwards for newest-first sorts anyway.
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
    # The inbox (newest first, optionally unread only) and its unread count. Read notifications
    # get `expires_at` (read_at + NOTIFICATION_TTL_DAYS); unread ones never expire.
    "notifications": _per_user(
        IndexModel([("user_id", ASCENDING), ("is_read", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel("expires_at", expireAfterSeconds=0),
        # The notifications that link to an entry being deleted (they lose the link).
        IndexModel([("user_id", ASCENDING), ("action_url", ASCENDING)]),
    ),
    # Debt lists (newest first, optionally one status or type), summary and payoff plan.
    "debts": [
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("status", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("debt_type", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        # The reminder scheduler: active debts due within the next few days, across users.
        IndexModel([("status", ASCENDING), ("next_payment_date", ASCENDING)]),
    ],
    # Payment lists and monthly stats by date, overall or for one debt (also its cascade delete).
    # Ascending like income's: SecantusDB drops a `$gte` bound on a descending key + another key.
    "payments": _per_user(
        IndexModel([("user_id", ASCENDING), ("payment_date", ASCENDING), ("_id", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("debt_id", ASCENDING),
                ("payment_date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel("transaction_id", unique=True),
        # An import's payments (its undo); hand-entered ones near a statement's days.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("payment_date", ASCENDING)]),
    ),
    # One record per (user, Idempotency-Key): the unique index makes a concurrent repeat wait.
    "idempotency_keys": [
        IndexModel([("user_id", ASCENDING), ("key", ASCENDING)], unique=True),
        IndexModel("expires_at", expireAfterSeconds=0),
    ],
    # Lists (newest first, read backwards) and stats within the user's date range, optionally
    # one type/category/tag. Ascending on purpose: SecantusDB 0.7 drops the inclusive `$gte`
    # bound on a descending key followed by another key; ranges here are always [$gte, $lt).
    "income": _per_user(
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
        # An import's entries (its undo); the hand-entered ones (import_id null) near a
        # statement's days, without reading the imported ones.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("income_type", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
    ),
    "expenses": _per_user(
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
        # As income's.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("category", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel(
            [("user_id", ASCENDING), ("tags", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]
        ),
    ),
    # One active budget per (user, category); inactive ones may repeat.
    "budgets": _per_user(
        IndexModel(
            [("user_id", ASCENDING), ("category", ASCENDING)],
            unique=True,
            partialFilterExpression={"active": True},
            name="one_active_budget_per_category",
        )
    ),
    # An expense alert is sent once per budget, month and level: the insert that wins sends it.
    "budget_alerts": _per_user(
        IndexModel(
            [("budget_id", ASCENDING), ("month", ASCENDING), ("level", ASCENDING)], unique=True
        )
    ),
    # One spend counter per user, category and month (ledger.store): every expense write
    # moves its own with `$inc`, and the unique index makes two first writes one counter.
    "category_spend": [
        IndexModel(
            [("user_id", ASCENDING), ("category", ASCENDING), ("month", ASCENDING)], unique=True
        ),
    ],
    # Goal lists (newest first, optionally one status) and the summary.
    "goals": _per_user(
        IndexModel([("user_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)])
    ),
    # One goal's contributions, newest first (also its cascade delete); every goal's within a
    # date range for the monthly and annual reports.
    "goal_contributions": _per_user(
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("goal_id", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
    ),
    # One reminder per debt, due date and kind: the insert that wins sends it. A record only
    # matters until its due date has passed (REMINDER_DAYS is at most 60), so it expires.
    "reminders": _per_user(
        IndexModel(
            [("debt_id", ASCENDING), ("due_date", ASCENDING), ("kind", ASCENDING)], unique=True
        ),
        IndexModel("created_at", expireAfterSeconds=90 * 24 * 3600),
    ),
    # Statement imports, newest first.
    "imports": [
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]),
    ],
    # An import's rows in file order, optionally one status.
    "import_rows": [
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("line", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("import_id", ASCENDING),
                ("status", ASCENDING),
                ("line", ASCENDING),
            ]
        ),
    ],
    # The committed rows' fingerprints: the unique index decides which commit creates an
    # entry; a preview reads the fingerprints of its statement's days by (user_id, date)
    # (never a `$in` over thousands of them); an import's, by line, say what became of a
    # page of its rows, and an undo removes them.
    "import_fingerprints": [
        IndexModel([("user_id", ASCENDING), ("fingerprint", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("line", ASCENDING)]),
    ],
    # A generic CSV/XLS column mapping saved under a name, one per (user, name).
    "import_templates": [
        IndexModel([("user_id", ASCENDING), ("name", ASCENDING)], unique=True),
    ],
    # The user's rules in the order they apply.
    "rules": [
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("order", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
    ],
}


def database_url(settings: Settings) -> str:
    """MONGODB_URL, else the embedded database's (started by `make run` or the tests)."""
    return settings.mongodb_url or embedded_db.url(settings.embedded_db_port)


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
    `check` sees the stored document first and may refuse the change (a PUT that echoes
    read-only fields with other values)."""
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
