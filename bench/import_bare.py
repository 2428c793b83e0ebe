"""The bare stack doing an import's work, for bench/import_bench.py to compare with: the same
statement parsed by `statements.parse_statement` in a worker thread, then PyMongo alone on
the same database, client and indexes: the preview's row documents and import inserted, the commit's
entries and fingerprints inserted in transactions of 500 rows (each batch's rows and
committed fingerprints read first), and the re-import's parse, fingerprint read and rows.
No HTTP, no validation, no decisions (rules, hand entries, EMI matching), no titles."""

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.sync import stamp_new
from database import in_transaction
from imports.statements import parse_statement
from recurring.rules import payee_key

BATCH = 500  # rows per commit transaction, as the API's


async def parse(data: bytes) -> Any:
    return await anyio.to_thread.run_sync(lambda: parse_statement(data))


def row_docs(statement: Any, user_id: ObjectId, import_id: ObjectId) -> list[dict[str, Any]]:
    return [
        {
            "user_id": user_id,
            "import_id": import_id,
            "line": row.line,
            "date": row.date,
            "amount": row.amount,
            "direction": row.direction,
            "narration": row.narration,
            "reference": row.reference,
            "balance": row.balance,
            "fingerprint": f"{row.line}:{row.date}:{row.amount}:{row.narration}",
            "status": "new",
            "kind": "expense" if row.direction == "debit" else "income",
        }
        for row in statement.rows
    ]


async def store_rows(db: AsyncDatabase, docs: list[dict[str, Any]]) -> None:
    """The rows, then the import's own document."""
    for at in range(0, len(docs), 1000):
        await db.import_rows.insert_many(docs[at : at + 1000], ordered=False)
    first = docs[0]
    record = {"_id": first["import_id"], "user_id": first["user_id"], "rows": len(docs)}
    await db.imports.insert_one(record | {"created_at": datetime.now(UTC)})


async def preview(db: AsyncDatabase, user_id: ObjectId, data: bytes) -> ObjectId:
    statement = await parse(data)
    import_id = ObjectId()
    await store_rows(db, row_docs(statement, user_id, import_id))
    return import_id


async def commit(db: AsyncDatabase, user_id: ObjectId, import_id: ObjectId) -> int:
    created = 0
    last = await db.import_rows.find_one({"import_id": import_id}, sort=[("line", -1)])
    for first in range(0, last["line"] + 1, BATCH):
        query = {"user_id": user_id, "import_id": import_id, "line": {"$gte": first}}
        query["line"]["$lt"] = first + BATCH
        rows = await db.import_rows.find(query).sort("line", 1).to_list(None)
        if not rows:
            continue

        async def work(session: AsyncClientSession, rows: list[dict[str, Any]] = rows) -> int:
            days = {"$gte": min(r["date"] for r in rows), "$lte": max(r["date"] for r in rows)}
            taken = await db.import_fingerprints.find(
                {"user_id": user_id, "date": days}, projection={"fingerprint": 1}, session=session
            ).to_list(None)
            present = {doc["fingerprint"] for doc in taken}
            todo = [r for r in rows if r["fingerprint"] not in present]
            at = datetime.now(UTC)
            for kind, collection in (("expense", "expenses"), ("income", "income")):
                docs = [entry(r, user_id, at) for r in todo if r["kind"] == kind]
                if docs:  # each with its version, as the API's commit numbers them
                    await stamp_new(db, user_id, docs, session)
                    await db[collection].insert_many(docs, session=session)
            prints = [fingerprint(r, user_id, at) for r in todo]
            if prints:
                await db.import_fingerprints.insert_many(prints, session=session)
            return len(todo)

        created += await in_transaction(db, work)
    return created


def entry(row: dict[str, Any], user_id: ObjectId, at: datetime) -> dict[str, Any]:
    return {
        "_id": row["_id"],
        "user_id": user_id,
        "import_id": row["import_id"],
        "title": row["narration"][:100],
        "amount": row["amount"],
        "date": row["date"],
        "category": "other",
        "description": row["narration"],
        "tags": [],
        "payee_key": payee_key(row["narration"][:100], row.get("vpa")),
        "refund": False,
        "created_at": at,
        "updated_at": at,
    }


def fingerprint(row: dict[str, Any], user_id: ObjectId, at: datetime) -> dict[str, Any]:
    return {
        "_id": f"{user_id}:{row['fingerprint']}",
        "user_id": user_id,
        "fingerprint": row["fingerprint"],
        "date": row["date"],
        "import_id": row["import_id"],
        "row_id": row["_id"],
        "line": row["line"],
        "entry_id": row["_id"],
        "created_at": at,
    }


async def reimport(db: AsyncDatabase, user_id: ObjectId, data: bytes) -> int:
    """The statement again: parsed, its days' fingerprints read, its rows stored; the count
    of rows found new (0)."""
    statement = await parse(data)
    import_id = ObjectId()
    docs = row_docs(statement, user_id, import_id)
    days = [doc["date"] for doc in docs]
    window = {"$gte": min(days), "$lt": max(days) + timedelta(days=1)}
    found = await db.import_fingerprints.find(
        {"user_id": user_id, "date": window}, projection={"fingerprint": 1}
    ).to_list(None)
    present = {doc["fingerprint"] for doc in found}
    for doc in docs:
        doc["status"] = "duplicate" if doc["fingerprint"] in present else "new"
    await store_rows(db, docs)
    return sum(doc["status"] == "new" for doc in docs)
