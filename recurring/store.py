"""Recurring items as stored (`recurring_items`), the user's entries grouped by payee for
detection (grouped in the database, by the `payee_key` each entry stores), the payees waiting
for detection (`recurring_queue`), and the EMIs of active debts."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from cards.emi_store import PAID_AS_LOANS
from core.dates import as_day, now_ms
from core.idempotency import DUPLICATE_KEY, duplicates_only
from core.money import quantize
from database import Doc

# The entries of each kind: (collection, the field naming the payee, the category field).
ENTRIES = {
    "expense": ("expenses", "title", "category"),
    "income": ("income", "source", "income_type"),
}
COLLECTION = "recurring_items"
QUEUE = "recurring_queue"
# Payees one detection query names: a statement touching hundreds of them is read in
# several short `$in`s on the (user_id, payee_key) index.
PAYEE_BATCH = 50


@dataclass
class Group:
    """One payee's entries in one account (or in none), of one kind."""

    kind: str
    account_id: ObjectId | None
    payee: str
    title: str
    category: str | None
    occurrences: list[tuple[date, Decimal]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, ObjectId | None, str]:
        return self.kind, self.account_id, self.payee


def _pipeline(
    user_id: ObjectId, name: str, category: str, payees: list[str] | None, since: date
) -> list[Doc]:
    # The payees' entries are found on the (user_id, payee_key) index, and only then those
    # of the window kept: with the date beside the key, the database reads the window.
    match: Doc = {"user_id": user_id}
    window = {"date": {"$gte": since}}
    if payees is None:
        match |= window
    else:
        match["payee_key"] = {"$in": payees}
    fields = {name: 1, category: 1, "payee_key": 1, "account_id": 1, "date": 1, "amount": 1}
    return [
        {"$match": match},
        *([] if payees is None else [{"$match": window}]),
        {"$project": {"_id": 0, **fields}},
        {
            "$group": {
                "_id": {"payee": "$payee_key", "account": "$account_id"},
                "title": {"$max": f"${name}"},
                "category": {"$max": f"${category}"},
                "dates": {"$push": "$date"},
                "amounts": {"$push": "$amount"},
            }
        },
    ]


def batches(payees: Iterable[str]) -> list[list[str]]:
    ordered = sorted(payees)
    return [ordered[n : n + PAYEE_BATCH] for n in range(0, len(ordered), PAYEE_BATCH)]


async def grouped(
    db: AsyncDatabase, user_id: ObjectId, kind: str, since: date, payees: set[str] | None = None
) -> list[Group]:
    """The user's entries of `kind` dated from `since` on, by payee key and account, grouped
    in the database: all of them, or only those of the `payees` given (read by their key,
    PAYEE_BATCH at once)."""
    collection, name, category = ENTRIES[kind]
    chunks: list[list[str] | None] = [None] if payees is None else list(batches(payees))
    groups = []
    for chunk in chunks:
        pipeline = _pipeline(user_id, name, category, chunk, since)
        for row in await (await db[collection].aggregate(pipeline)).to_list(None):
            payee, account = row["_id"].get("payee"), row["_id"].get("account")
            if not payee:  # a title of digits and signs names no payee
                continue
            group = Group(kind, account, payee, row["title"], row["category"])
            group.occurrences = [
                (as_day(day), quantize(amount))
                for day, amount in zip(row["dates"], row["amounts"], strict=True)
            ]
            groups.append(group)
    return groups


async def items(
    db: AsyncDatabase, user_id: ObjectId, session: AsyncClientSession | None = None
) -> list[Doc]:
    """All of the user's items (a handful: read whole, joined in Python)."""
    query = {"user_id": user_id}
    return (
        await db[COLLECTION]
        .find(query, session=session)
        .sort([("created_at", 1), ("_id", 1)])
        .to_list(None)
    )


def item_key(doc: Doc) -> tuple[str, ObjectId | None, str]:
    return doc["kind"], doc.get("account_id"), doc["payee"]


def item_document(user_id: ObjectId, values: Doc, at: datetime) -> Doc:
    return {"user_id": user_id, **values, "created_at": at, "updated_at": at}


async def payees_of(db: AsyncDatabase, user_id: ObjectId, import_id: ObjectId) -> set[str]:
    """The payees an import's entries name: those its commit touched."""
    found: set[str] = set()
    for collection, _, _ in ENTRIES.values():
        query = {"user_id": user_id, "import_id": import_id}
        pipeline = [{"$match": query}, {"$group": {"_id": "$payee_key"}}]
        rows = await (await db[collection].aggregate(pipeline)).to_list(None)
        found |= {row["_id"] for row in rows if row["_id"]}
    return found


# ---------------------------------------------------------------- the detection queue


def touched_payees(collection: str, removed: Iterable[Doc], added: Iterable[Doc]) -> set[str]:
    """The payees whose entries, as detection reads them, a write changed: an edit of a
    note or a tag (or a form sent back unchanged) touches none."""
    _, name, category = next(spec for spec in ENTRIES.values() if spec[0] == collection)
    fields = ("payee_key", name, category, "account_id", "date", "amount")

    def facts(docs: Iterable[Doc]) -> Counter:
        return Counter(tuple(doc.get(field) for field in fields) for doc in docs)

    before, after = facts(removed), facts(added)
    return {fact[0] for fact in (before - after) + (after - before) if fact[0]}


async def queue_payees(
    db: AsyncDatabase, user_id: ObjectId, payees: Iterable[str], session: AsyncClientSession
) -> None:
    """Ask the worker (`recurring.jobs`) to run detection for these payees, in the writer's
    transaction: one record per (user, payee), however many writes ask before it runs. A
    record being worked on is made due again (`owner` cleared), so the write is seen. One bulk
    write, however many (a statement's batch names hundreds); a race to a payee's first record
    is answered as a duplicate key, which the ledger's and the commit's transactions retry."""
    at = now_ms()
    update = {"$set": {"due_at": at, "owner": None}, "$setOnInsert": {"created_at": at}}
    keys = [{"user_id": user_id, "payee_key": p} for p in sorted(set(payees) - {""})]
    if not keys:
        return
    writes = [UpdateOne(key, update, upsert=True) for key in keys]
    try:
        await db[QUEUE].bulk_write(writes, ordered=False, session=session)
    except BulkWriteError as exc:  # lost a race to a first record: the writer tries again
        if not duplicates_only(exc):
            raise
        first = exc.details["writeErrors"][0]
        raise DuplicateKeyError(first.get("errmsg", ""), DUPLICATE_KEY, first) from exc


async def claim(
    db: AsyncDatabase, owner: str, lease: timedelta
) -> tuple[ObjectId, set[str]] | None:
    """(a user, the payees of theirs now leased to `owner`), or None when nothing is due. The
    first due record names the user (on the (due_at) index, across users); then every due
    payee of that user is taken, each by an atomic update, so two workers never share one.
    A lease (`due_at` moved ahead) that runs out makes the payee due again."""
    at = now_ms()
    due = {"due_at": {"$lte": at}}
    lease_to = {"$set": {"due_at": at + lease, "owner": owner}}
    first = await db[QUEUE].find_one_and_update(due, lease_to, sort=[("due_at", 1)])
    if first is None:
        return None
    mine = {"user_id": first["user_id"]}
    await db[QUEUE].update_many(mine | due, lease_to)
    docs = await db[QUEUE].find(mine | {"owner": owner}, {"payee_key": 1}).to_list(None)
    return first["user_id"], {doc["payee_key"] for doc in docs}


async def unqueue(db: AsyncDatabase, user_id: ObjectId, owner: str) -> None:
    """Done with what `owner` leased: a payee queued again meanwhile (no owner) stays."""
    await db[QUEUE].delete_many({"user_id": user_id, "owner": owner})


async def active_emis(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's active debts with an EMI and a due date (a handful), but a card's EMIs:
    their instalments are billed on the card's statements, in its dues."""
    query = {"user_id": user_id, "status": "active", **PAID_AS_LOANS}
    fields = {"name": 1, "monthly_emi": 1, "next_payment_date": 1, "account_id": 1}
    debts = await db.debts.find(query, fields).to_list(None)
    return [d for d in debts if d.get("monthly_emi") and d.get("next_payment_date")]


def emi_item(debt: Doc) -> Doc:
    """A debt's EMI as a recurring item: monthly, on its due date's day."""
    due = as_day(debt["next_payment_date"])
    emi = quantize(debt["monthly_emi"])
    return {
        "_id": debt["_id"],
        "title": debt["name"],
        "kind": "expense",
        "interval": "monthly",
        "day_of_month": due.day,
        "next_date": due,
        "last_date": None,
        "amount_typical": emi,
        "account_id": debt.get("account_id"),
        "category": "emi",
        "source": "debt",
        "status": "confirmed",
    }


def as_days(docs: Iterable[Doc]) -> list[Doc]:
    """Stored items with their days as dates (BSON keeps them as midnight UTC)."""
    out = []
    for doc in docs:
        doc = dict(doc)
        for name in ("next_date", "last_date"):
            if doc.get(name) is not None:
                doc[name] = as_day(doc[name])
        out.append(doc)
    return out


async def close_episode(db: AsyncDatabase, user_id: ObjectId, event: str) -> None:
    """Forget a user-wide alert's record (an episode that ended): the next one notifies."""
    await db.recurring_alerts.delete_one({"user_id": user_id, "item_id": None, "event": event})
