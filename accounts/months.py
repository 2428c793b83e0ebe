"""What moved each account in each month: one counter per (user_id, account_id, month) in
`account_months`, `{net, count}`, moved by `$inc` in the transaction of every write of an
entry or a transfer with an account (`move`), as the spend counters per category and month
are (ledger/store.py). An account's balance then sums the whole months between its base
(the opening date, or its last statement's end) and the day asked from the counters, and
reads entries only for the days of the partial months at either end (`movement`).

The writes that move them: `ledger.service.entries_written` (every expense and income
write: typed, edited, deleted, imported, undone, given back by a transfer), `loans.store`
(a payment recorded or removed, a debt deleted with its payments), a transfer created by
hand or by an import (`accounts.service`, `imports.transfers`), joined by a statement's
debit (its day moves) and dissolved. `rebuild` sets a user's counters to a recount (the
migration that built them; the tests compare the two)."""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts.rules import MOVES, month_moves
from core.dates import month_bounds, month_key, now_ms, shift_month
from core.money import ZERO, from_sum, quantize
from database import Doc

COLLECTION = "account_months"


async def move(
    db: AsyncDatabase,
    user_id: ObjectId,
    collection: str,
    session: AsyncClientSession,
    *,
    removed: Iterable[Doc] = (),
    added: Iterable[Doc] = (),
) -> None:
    """Move the counters of the accounts that writes of `collection` in `session` touched:
    `removed` as they were (deleted, or before an edit), `added` as they are now."""
    moved = month_moves(collection, removed, added)
    for (account_id, month), (net, count) in sorted(moved.items(), key=str):
        await db[COLLECTION].update_one(
            {"user_id": user_id, "account_id": account_id, "month": month},
            {"$inc": {"net": net, "count": count}, "$set": {"updated_at": now_ms()}},
            upsert=True,
            session=session,
        )


def _month_after(day: date) -> str:
    return month_key(*shift_month(day.year, day.month, 1))


def whole_months(first: date | None, last: date | None) -> tuple[str | None, str | None]:
    """[from, to) of the months wholly inside the days [first, last] (None: unbounded)."""
    start = None if first is None else first.strftime("%Y-%m")
    if first is not None and first.day != 1:
        start = _month_after(first)
    end = None if last is None else last.strftime("%Y-%m")
    if last is not None and (last + timedelta(days=1)).day == 1:
        end = _month_after(last)
    return start, end


async def counted(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, months: tuple[str | None, ...]
) -> tuple[Decimal, str | None]:
    """(the net movement of the months [from, to), the last of them with an entry), from
    the counters (a user's few hundred at most, read on the unique index)."""
    start, end = months
    bounds: Doc = {}
    if start is not None:
        bounds["$gte"] = start
    if end is not None:
        bounds["$lt"] = end
    query: Doc = {"user_id": user_id, "account_id": account_id}
    if bounds:
        query["month"] = bounds
    docs = await db[COLLECTION].find(query, {"month": 1, "net": 1, "count": 1}).to_list(None)
    net = sum((quantize(doc["net"]) for doc in docs), ZERO)
    last = max((doc["month"] for doc in docs if doc["count"] > 0), default=None)
    return net, last


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of a "YYYY-MM" month."""
    first, after = month_bounds(int(month[:4]), int(month[5:]))
    return first, after - timedelta(days=1)


async def rebuild(db: AsyncDatabase, user_id: ObjectId, session: AsyncClientSession) -> int:
    """Set the user's counters to a recount of their entries and transfers (one `$group` a
    collection, in the database), and to zero where nothing is left; in one transaction, so
    a write meanwhile conflicts with it and they end exact. Returns the counters changed."""
    sums: dict[tuple[ObjectId, str], list] = {}
    month = {"$dateToString": {"format": "%Y-%m", "date": "$day"}}
    sides = [(name, field, sign, "$account_id") for name, (field, sign) in MOVES.items()]
    sides += [("transfers", "date", -1, "$from_account_id")]
    sides += [("transfers", "date", 1, "$to_account_id")]
    for collection, field, sign, account in sides:
        pipeline = [
            {"$match": {"user_id": user_id}},
            {"$project": {"account": account, "day": f"${field}", "amount": 1}},
            {"$match": {"account": {"$ne": None}}},
            {
                "$group": {
                    "_id": {"account": "$account", "month": month},
                    "net": {"$sum": "$amount"},
                    "count": {"$sum": 1},
                }
            },
        ]
        cursor = await db[collection].aggregate(pipeline, session=session)
        for row in await cursor.to_list(None):
            counter = sums.setdefault((row["_id"]["account"], row["_id"]["month"]), [ZERO, 0])
            counter[0] += sign * from_sum(row["net"])
            counter[1] += row["count"]
    stored = await db[COLLECTION].find({"user_id": user_id}, session=session).to_list(None)
    have = {(d["account_id"], d["month"]): (quantize(d["net"]), d["count"]) for d in stored}
    at, writes = now_ms(), []
    for (account_id, month), (net, count) in ({k: (ZERO, 0) for k in have} | sums).items():
        if have.get((account_id, month)) != (net, count):
            key = {"user_id": user_id, "account_id": account_id, "month": month}
            change = {"net": net, "count": count, "updated_at": at}
            writes.append(UpdateOne(key, {"$set": change}, upsert=True))
    if writes:
        await db[COLLECTION].bulk_write(writes, ordered=False, session=session)
    return len(writes)
