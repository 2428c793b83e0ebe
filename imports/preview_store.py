"""A preview as stored: the reads it decides with (the fingerprints committed near its days,
the entries typed in by hand), its rows, its discard, and what a commit made of each row.
The decisions themselves are `imports.rules` (pure); the commit and the undo are
`imports.store`."""

from datetime import date, timedelta

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import as_day
from core.money import quantize
from database import Doc
from imports.rules import DUPLICATE_WINDOW_DAYS, HandEntry, HandMatcher
from imports.store import ENTRY_COLLECTIONS
from ledger.store import date_query

INSERT_BATCH = 1000  # preview rows per insert


async def committed_prints(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date
) -> tuple[set[str], set[str]]:
    """(the fingerprints committed for these days, the hand entries already linked to an
    imported row near them): one range read on (user_id, date), however many rows."""
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    query = {"user_id": user_id, **date_query(start - window, end + window)}
    found = await db.import_fingerprints.find(
        query, projection={"fingerprint": 1, "date": 1, "entry_id": 1, "linked": 1}
    ).to_list(None)
    prints = {doc["fingerprint"] for doc in found if start <= as_day(doc["date"]) <= end}
    linked = {str(doc["entry_id"]) for doc in found if doc.get("linked")}
    return prints, linked


async def hand_entries(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date
) -> list[HandEntry]:
    """Expenses, income and payments the user typed in (no import made them) within the
    duplicate window of these days: range reads on (user_id, date) with a projection."""
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    first, last = start - window, end + window
    out = []
    for kind, collection in ENTRY_COLLECTIONS.items():
        field = "payment_date" if kind == "payment" else "date"
        query = {"user_id": user_id, **date_query(first, last, field), "import_id": None}
        docs = await db[collection].find(query, projection={field: 1, "amount": 1}).to_list(None)
        out += [
            HandEntry(str(d["_id"]), kind, as_day(d[field]), quantize(d["amount"])) for d in docs
        ]
    return out


async def hand_matcher(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date, linked: set[str]
) -> HandMatcher:
    return HandMatcher(await hand_entries(db, user_id, start, end), linked)


def stored_rows(rows: list[Doc], user_id: ObjectId, import_id: ObjectId) -> list[Doc]:
    """`imports.rules.preview_rows`' rows as documents: ids, the ids they name as ObjectIds,
    and no empty fields (a row answers them as null or []; 10,000 rows insert a fifth
    faster)."""
    out = []
    for row in rows:
        row["matches"] = [ObjectId(i) for i in row["matches"]]
        row["debt_id"] = ObjectId(row["debt_id"]) if row["debt_id"] else None
        doc = {k: v for k, v in row.items() if v is not None and v != []}
        out.append({"_id": ObjectId(), "user_id": user_id, "import_id": import_id} | doc)
    return out


async def store_rows(db: AsyncDatabase, rows: list[Doc]) -> None:
    """A preview's rows, stored before its import: a reader never sees an import whose rows
    are not all there (an interrupted preview leaves rows without an import, removed with
    the account)."""
    for at in range(0, len(rows), INSERT_BATCH):
        batch = rows[at : at + INSERT_BATCH]
        await db.import_rows.insert_many(batch, ordered=False)


async def discard(db: AsyncDatabase, user_id: ObjectId, import_id: ObjectId) -> None:
    await db.import_rows.delete_many({"user_id": user_id, "import_id": import_id})
    await db.imports.delete_one({"_id": import_id, "user_id": user_id})


async def outcomes(db: AsyncDatabase, record: Doc, rows: list[Doc]) -> list[Doc]:
    """The rows of a page with what the commit made of each (`outcome`, `entry_id`), read
    from the import's fingerprints in the page's lines (one range read)."""
    if record["status"] not in ("committing", "committed", "undoing") or not rows:
        return rows
    lines = [row["line"] for row in rows]
    query = {
        "user_id": record["user_id"],
        "import_id": record["_id"],
        "line": {"$gte": min(lines), "$lte": max(lines)},
    }
    found = await db.import_fingerprints.find(
        query, projection={"row_id": 1, "entry_id": 1, "linked": 1}
    ).to_list(None)
    made = {doc["row_id"]: doc for doc in found}
    out = []
    for row in rows:
        doc = made.get(row["_id"])
        if doc is None:
            outcome = "skipped" if record["status"] == "committed" else None
            out.append(row | {"outcome": outcome, "entry_id": None})
        else:
            outcome = "linked" if doc["linked"] else "created"
            out.append(row | {"outcome": outcome, "entry_id": doc["entry_id"]})
    return out
