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
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts.rules import MOVES, month_moves
from core.dates import month_bounds, month_key, now_ms, shift_month
from core.money import ZERO, from_sum, quantize
from database import Doc, in_transaction, move_counters
from ledger.store import SPEND

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
    counters = [
        ({"user_id": user_id, "account_id": account_id, "month": month}, {"net": n, "count": c})
        for (account_id, month), (n, c) in sorted(moved.items(), key=str)
    ]
    await move_counters(db[COLLECTION], counters, session)


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


async def rebuild(db: AsyncDatabase, user_id: ObjectId) -> int:
    """Set the user's counters to a recount of their entries and transfers, one account's
    year a transaction (a whole history would outlast a transaction's time): a write in that
    year meanwhile conflicts with it, so the counters end exact. Years are found first by
    one `$group` a collection, with the counters already stored (a year whose entries are
    gone is set to zero). Returns the counters changed."""
    years: set[tuple[ObjectId, int]] = set()
    for collection, field, account in _SIDES:
        pipeline = [
            {"$match": {"user_id": user_id}},
            {"$group": {"_id": {"account": account, "year": _format("%Y", field)}}},
        ]
        for row in await (await db[collection].aggregate(pipeline)).to_list(None):
            if row["_id"].get("account") is not None:
                years.add((row["_id"]["account"], int(row["_id"]["year"])))
    async for doc in db[COLLECTION].find({"user_id": user_id}, {"account_id": 1, "month": 1}):
        years.add((doc["account_id"], int(doc["month"][:4])))
    changed = 0
    for account_id, year in sorted(years, key=str):

        async def work(s: AsyncClientSession, account: ObjectId = account_id, y: int = year) -> int:
            return await _rebuild_year(db, user_id, account, y, s)

        changed += await in_transaction(db, work)
    return changed


# (collection, day field, the account it names) of every side a counter counts.
_SIDES = [
    *((name, field, "$account_id") for name, (field, _) in MOVES.items()),
    ("transfers", "date", "$from_account_id"),
    ("transfers", "date", "$to_account_id"),
]


async def _rebuild_year(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, year: int, session: Any
) -> int:
    """One account's counters of one year set to a recount (in `session`)."""
    days = {"$gte": date(year, 1, 1), "$lt": date(year + 1, 1, 1)}
    sums: dict[str, list] = {}
    for name, (field, sign) in MOVES.items():
        match = {"user_id": user_id, "account_id": account_id, field: days}
        group = {"net": {"$sum": SPEND if name == "expenses" else "$amount"}}  # refunds in
        for month, row in await _by_month(db, name, match, field, group, session):
            _fold(sums, month, sign * from_sum(row["net"]), row["count"])
    match = {"user_id": user_id, "account_ids": account_id, "date": days}
    group = {
        "in": {"$sum": {"$cond": [{"$eq": ["$to_account_id", account_id]}, "$amount", 0]}},
        "out": {"$sum": {"$cond": [{"$eq": ["$from_account_id", account_id]}, "$amount", 0]}},
    }
    for month, row in await _by_month(db, "transfers", match, "date", group, session):
        _fold(sums, month, from_sum(row["in"]) - from_sum(row["out"]), row["count"])
    months_of_year = {"$gte": f"{year:04d}-01", "$lte": f"{year:04d}-12"}
    query = {"user_id": user_id, "account_id": account_id, "month": months_of_year}
    stored = await db[COLLECTION].find(query, session=session).to_list(None)
    have = {d["month"]: (quantize(d["net"]), d["count"]) for d in stored}
    at, writes = now_ms(), []
    for month, (net, count) in ({m: (ZERO, 0) for m in have} | sums).items():
        if have.get(month) != (net, count):
            mine = {"user_id": user_id, "account_id": account_id, "month": month}
            change = {"net": net, "count": count, "updated_at": at}
            writes.append(UpdateOne(mine, {"$set": change}, upsert=True))
    if writes:
        await db[COLLECTION].bulk_write(writes, ordered=False, session=session)
    return len(writes)


def _fold(sums: dict[str, list], month: str, net: Decimal, count: int) -> None:
    counter = sums.setdefault(month, [ZERO, 0])
    counter[0] += net
    counter[1] += count


async def _by_month(
    db: AsyncDatabase, collection: str, match: Doc, field: str, group: Doc, session: Any
) -> list[tuple[str, Doc]]:
    """(month, its `group` sums and count) of the documents `match` finds."""
    pipeline = [
        {"$match": match},
        {"$group": {"_id": _format("%Y-%m", field), "count": {"$sum": 1}, **group}},
    ]
    rows = await (await db[collection].aggregate(pipeline, session=session)).to_list(None)
    return [(row["_id"], row) for row in rows]


def _format(pattern: str, field: str) -> Doc:
    """A day field's year or month as text, computed in the database (days are stored as
    midnight UTC, so the UTC one is the day's)."""
    return {"$dateToString": {"format": pattern, "date": f"${field}"}}
