"""Idempotency-Key: one protocol for every idempotent POST.

The work and the key's record commit in one transaction, so an answer is remembered exactly
when its write happened. Two concurrent requests with one key conflict on the unique
(user_id, key) index: the loser's transaction is retried and then finds the winner's stored
answer. A retry of the same request within 24 h answers the first result and applies nothing
twice; the same key with another request is a 422."""

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, Self, TypeVar

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from core.dates import now_ms
from core.errors import Conflict, ErrorCode, Unprocessable
from core.sync import stamp
from core.transactions import in_transaction

Doc = dict[str, Any]


class Answer(Protocol):
    """A created resource's response model (schemas.base.OutModel)."""

    @classmethod
    def model_validate(cls, obj: Any) -> Self: ...

    def stored(self) -> Doc: ...


A = TypeVar("A", bound=Answer)
IDEMPOTENCY_TTL = timedelta(hours=24)
# A repeat that lost the unique-key race re-reads the winner's answer; give up after this.
WAIT_ATTEMPTS = 20
WAIT_SECONDS = 0.05


def digest_of(*parts: bytes | Doc | None) -> str:
    """What tells two requests apart: a body as JSON (sorted keys), or raw bytes."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


async def peek(db: AsyncDatabase, user_id: ObjectId, key: str | None, digest: str) -> Doc | None:
    """The stored answer for this key, read before costly work (parsing a file) that a
    replay would not need; `write_once` still decides."""
    return None if key is None else await _stored_answer(db, user_id, key, digest, None)


async def _stored_answer(
    db: AsyncDatabase,
    user_id: ObjectId,
    key: str,
    digest: str,
    session: AsyncClientSession | None,
) -> Doc | None:
    record = await db.idempotency_keys.find_one({"user_id": user_id, "key": key}, session=session)
    if record is None:
        return None
    if record["expires_at"] <= now_ms():  # the TTL monitor hasn't removed it yet
        await db.idempotency_keys.delete_one(
            {"_id": record["_id"], "user_id": user_id}, session=session
        )
        return None
    if record["request_hash"] != digest:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body",
            code=ErrorCode.idempotency_key_reused,
            loc=("header", "Idempotency-Key"),
        )
    return record["response"]


async def _remember(
    db: AsyncDatabase,
    user_id: ObjectId,
    key: str,
    digest: str,
    answer: Doc,
    session: AsyncClientSession,
) -> None:
    at = now_ms()
    record = {
        "user_id": user_id,
        "key": key,
        "request_hash": digest,
        "status": "completed",
        "response": answer,
        "created_at": at,
        "expires_at": at + IDEMPOTENCY_TTL,
    }
    await db.idempotency_keys.insert_one(record, session=session)


DUPLICATE_KEY = 11000


def duplicates_only(exc: BulkWriteError) -> bool:
    """Every write the bulk write lost was a duplicate key (a race to a unique index): none
    failed for another reason."""
    errors = exc.details.get("writeErrors") or []
    return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)


def is_own_id(exc: DuplicateKeyError) -> bool:
    """The duplicate is on `_id`: a write whose id was chosen before it was sent."""
    details = exc.details or {}
    if "keyPattern" in details:
        return details["keyPattern"] == {"_id": 1}
    # Without the key pattern, the index's name: "... index: _id_ dup key ..." (an index on
    # user_id is named "user_id_1_..." and must not pass for it).
    return "index: _id_ " in str(details.get("errmsg", exc))


async def write_once(
    db: AsyncDatabase,
    user_id: ObjectId,
    key: str | None,
    digest: str,
    work: Callable[[AsyncClientSession], Awaitable[Doc]],
    *,
    already_written: Callable[[], Awaitable[Doc | None]] | None = None,
) -> tuple[Doc, bool]:
    """(the answer, whether it replays an earlier request with this key).

    `work` writes in the given session and returns the answer as JSON-ready data.
    `already_written` reads the answer of this very request when the database reports its
    own `_id` as a duplicate: a write whose first attempt was stored before the connection
    dropped and that the driver sent again. That is the same write, answered as such."""

    async def transaction(session: AsyncClientSession) -> tuple[Doc, bool]:
        if key is not None:
            stored = await _stored_answer(db, user_id, key, digest, session)
            if stored is not None:
                return stored, True
        answer = await work(session)
        if key is not None:
            await _remember(db, user_id, key, digest, answer, session)
        return answer, False

    for _ in range(WAIT_ATTEMPTS):
        try:
            return await in_transaction(db, transaction)
        except DuplicateKeyError as exc:
            if is_own_id(exc) and already_written is not None:
                if (answer := await already_written()) is not None:
                    return answer, False
                raise
            # The winner committed after our snapshot: a fresh transaction reads its answer.
            await asyncio.sleep(WAIT_SECONDS)
    raise Conflict(
        "A request with this Idempotency-Key is still being processed; retry shortly",
        code=ErrorCode.idempotency_in_progress,
    )


async def insert_new(coll: AsyncCollection, doc: Doc, session: AsyncClientSession | None) -> Doc:
    """Insert a document whose `_id` was chosen here; finding that `_id` already stored (the
    driver retried an insert that had landed) is the same write, not an error."""
    try:
        await coll.insert_one(doc, session=session)
    except DuplicateKeyError as exc:
        if not is_own_id(exc) or session is not None:
            raise
        stored = await coll.find_one({"_id": doc["_id"], "user_id": doc["user_id"]})
        if stored is None:
            raise
        return stored
    return doc


# ---------------------------------------------------------------- creates


def request_digest(kind: str, body: Any) -> str:
    """What a create's Idempotency-Key is bound to: the endpoint and the body (a request
    model) as sent (numbers written differently are the same request)."""
    return digest_of(kind.encode(), body.model_dump(mode="json", exclude_unset=True))


def stored_answer(
    coll: AsyncCollection, doc: Doc, shape: type[Answer]
) -> Callable[[], Awaitable[Doc | None]]:
    """`write_once`'s `already_written`: the answer of a create whose document is stored
    (its first attempt landed and the transaction was sent again)."""

    async def read() -> Doc | None:
        stored = await coll.find_one({"_id": doc["_id"], "user_id": doc["user_id"]})
        return None if stored is None else shape.model_validate(stored).stored()

    return read


async def create_once(
    db: AsyncDatabase,
    key: str | None,
    body: Any,
    collection: str,
    doc: Doc,
    shape: type[A],
    write: Callable[[AsyncClientSession], Awaitable[object]],
) -> tuple[A, bool]:
    """(the created document as `shape`, whether it replays): the one path of a create
    with an Idempotency-Key. `write` stores `doc` (with its side effects) in the
    transaction that also stores the key's answer; `doc` is stamped (its `sync_seq`,
    core/sync.py) in that transaction first."""

    async def work(session: AsyncClientSession) -> Doc:
        doc["sync_seq"] = await stamp(db, doc["user_id"], session)
        await write(session)
        return shape.model_validate(doc).stored()

    answer, replayed = await write_once(
        db,
        doc["user_id"],
        key,
        request_digest(collection, body),
        work,
        already_written=stored_answer(db[collection], doc, shape),
    )
    return shape.model_validate(answer), replayed
