"""Recurring items as stored (`recurring_items`), the user's entries grouped by payee for
detection (grouped in the database), and the EMIs of active debts."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import as_day
from core.money import quantize
from database import Doc
from recurring.rules import payee_key, title_pattern

# The entries of each kind: (collection, the field naming the payee, the category field).
ENTRIES = {
    "expense": ("expenses", "title", "category"),
    "income": ("income", "source", "income_type"),
}
COLLECTION = "recurring_items"
MAX_PATTERN = 1000


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


def _pipeline(user_id: ObjectId, name: str, category: str, payees: set[str] | None) -> list[Doc]:
    match: Doc = {"user_id": user_id}
    pattern = None if payees is None else title_pattern(payees)
    # A statement touching many payees makes a long pattern; SecantusDB refuses one over 1,000
    # characters, so those read every title (and `grouped` keeps the payees asked for).
    if pattern is not None and len(pattern) <= MAX_PATTERN:
        match[name] = {"$regex": pattern, "$options": "i"}
    return [
        {"$match": match},
        {"$project": {"_id": 0, name: 1, category: 1, "account_id": 1, "date": 1, "amount": 1}},
        {
            "$group": {
                "_id": {
                    "title": {"$toLower": {"$trim": {"input": f"${name}"}}},
                    "account": "$account_id",
                },
                "title": {"$max": f"${name}"},
                "category": {"$max": f"${category}"},
                "dates": {"$push": "$date"},
                "amounts": {"$push": "$amount"},
            }
        },
    ]


async def grouped(
    db: AsyncDatabase, user_id: ObjectId, kind: str, payees: set[str] | None = None
) -> list[Group]:
    """The user's entries of `kind` by payee and account (only the `payees` given, when
    given): grouped in the database by their title, merged here by payee key (titles that
    differ by digits or punctuation are one payee, which the database can't tell)."""
    if payees is not None and not payees:
        return []
    collection, name, category = ENTRIES[kind]
    cursor = await db[collection].aggregate(_pipeline(user_id, name, category, payees))
    merged: dict[tuple, Group] = {}
    for row in await cursor.to_list(None):
        payee, account = payee_key(row["title"] or ""), row["_id"].get("account")
        if not payee or (payees is not None and payee not in payees):
            continue
        group = merged.setdefault(
            (payee, account), Group(kind, account, payee, row["title"], row["category"])
        )
        group.occurrences += [
            (as_day(day), quantize(amount))
            for day, amount in zip(row["dates"], row["amounts"], strict=True)
        ]
    return list(merged.values())


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
    for collection, name, _ in ENTRIES.values():
        query = {"user_id": user_id, "import_id": import_id}
        pipeline = [{"$match": query}, {"$group": {"_id": f"${name}"}}]
        rows = await (await db[collection].aggregate(pipeline)).to_list(None)
        found |= {payee_key(row["_id"]) for row in rows if row["_id"]}
    return found


async def active_emis(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's active debts with an EMI and a due date (a handful)."""
    query = {"user_id": user_id, "status": "active"}
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
