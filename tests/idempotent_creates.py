"""What every create that takes an Idempotency-Key must do, checked through HTTP: a repeat
with the key answers the first answer (marked replayed) and stores nothing more; the key with
another body is a 422 on the header; concurrent requests with one key store one document."""

import asyncio
import uuid
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ServerSelectionTimeoutError

import core.idempotency


async def _count(db: Any, user: Any, collection: str) -> int:
    return await db[collection].count_documents({"user_id": ObjectId(user.id)})


async def check_replay(
    client: Any, db: Any, user: Any, path: str, body: dict, other: dict, collection: str
) -> dict:
    """`body` twice with one key, then `other` with it; returns the first answer."""
    before = await _count(db, user, collection)
    headers = user.headers | {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(path, json=body, headers=headers)
    second = await client.post(path, json=body, headers=headers)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.content == first.content  # the same body, byte for byte
    assert await _count(db, user, collection) == before + 1

    reused = await client.post(path, json=other, headers=headers)
    assert reused.status_code == 422, reused.text
    assert reused.json()["code"] == "idempotency_key_reused"
    assert [issue["loc"] for issue in reused.json()["detail"]] == [["header", "Idempotency-Key"]]
    assert await _count(db, user, collection) == before + 1

    # Without a key, the same body is another request.
    again = await client.post(path, json=body, headers=user.headers)
    assert again.status_code == 201 and again.json() != first.json()
    assert await _count(db, user, collection) == before + 2
    return first.json()


async def check_concurrent(
    client: Any, db: Any, user: Any, path: str, body: dict, collection: str, n: int = 8
) -> None:
    """`n` requests at once with one key: one document, the same answer to all."""
    before = await _count(db, user, collection)
    headers = user.headers | {"Idempotency-Key": str(uuid.uuid4())}
    answers = await asyncio.gather(
        *[client.post(path, json=body, headers=headers) for _ in range(n)]
    )
    assert [r.status_code for r in answers] == [201] * n, [r.text for r in answers]
    assert len({r.content for r in answers}) == 1
    assert await _count(db, user, collection) == before + 1


async def check_resent(
    client: Any, db: Any, user: Any, path: str, body: dict, collection: str, monkeypatch: Any
) -> dict:
    """The transaction committed but its answer was lost, and it was sent again (a database
    restarted under load): the second attempt finds the document's own `_id` stored. That
    is the same write: a 201 with what was stored, one document."""
    before = await _count(db, user, collection)
    real = core.idempotency.in_transaction

    async def sent_twice(db_: Any, work: Any) -> Any:
        await real(db_, work)
        return await real(db_, work)

    monkeypatch.setattr(core.idempotency, "in_transaction", sent_twice)
    r = await client.post(path, json=body, headers=user.headers)
    monkeypatch.setattr(core.idempotency, "in_transaction", real)
    assert r.status_code == 201, r.text
    assert await _count(db, user, collection) == before + 1
    return r.json()


async def check_unreachable(
    client: Any, db: Any, user: Any, path: str, body: dict, collection: str, monkeypatch: Any
) -> None:
    """The database gone after the first attempt landed: rereading what it stored cannot
    reach it either, and the answer is a 503 (retry later), never a 500."""
    real = core.idempotency.in_transaction

    async def lost(db_: Any, work: Any) -> Any:
        await real(db_, work)
        await real(db_, work)  # the duplicate of the document's own `_id`

    find_one = AsyncCollection.find_one

    async def unreachable(coll: AsyncCollection, *args: Any, **kwargs: Any) -> Any:
        if coll.name == collection:
            raise ServerSelectionTimeoutError("no server")
        return await find_one(coll, *args, **kwargs)

    monkeypatch.setattr(core.idempotency, "in_transaction", lost)
    monkeypatch.setattr(AsyncCollection, "find_one", unreachable)
    r = await client.post(path, json=body, headers=user.headers)
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "database_unavailable"
