"""Accounts and transfers as stored, and an account's balance as the database sums it.

Collections: `accounts` (one name per user: the unique (user_id, name_key) index), and
`transfers` (money moved between two of the user's accounts; `account_ids` holds both, so one
index serves either side; `import_ids` the statement imports whose rows it holds, for their
undo). Entries (expenses, income, payments) name their account in `account_id`."""

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from accounts import months
from accounts.rules import name_key
from core.dates import as_day
from core.errors import AppError, Conflict, ErrorCode, NotFound
from core.idempotency import is_own_id
from core.money import ZERO, from_sum, quantize
from database import Doc, object_id
from ledger.store import SPEND

COMMITTED = "committed"
ONE_DAY = timedelta(days=1)
# Every collection an account's entries are in, with its day field; transfers are apart
# (they move two accounts).
ENTRY_DAYS = {"income": "date", "expenses": "date", "payments": "payment_date"}
# An entry's kind, as a statement row becomes one: its collection and day field.
ENTRY_KINDS = {
    "expense": ("expenses", "date"),
    "income": ("income", "date"),
    "payment": ("payments", "payment_date"),
}


class AccountNotFound(NotFound):
    """An account id in a request that names none of the user's accounts: a 404 whose
    sentence names the field."""

    def __init__(self, field: str = "account_id") -> None:
        AppError.__init__(
            self,
            f"Account not found: {field} names none of your accounts",
            code=ErrorCode.account_not_found,
        )


def account_exists() -> Conflict:
    return Conflict(
        "You already have an account with this name",
        code=ErrorCode.account_exists,
        loc=("body", "name"),
    )


# ---------------------------------------------------------------- accounts


def account_document(values: Doc, user_id: ObjectId, at: datetime) -> Doc:
    """An account as stored, from its request's values (days resolved, currency chosen)."""
    return values | {
        "_id": ObjectId(),
        "user_id": user_id,
        "name_key": name_key(values["name"]),
        "opening_balance": quantize(values.get("opening_balance") or ZERO),
        "created_at": at,
        "updated_at": at,
    }


async def insert_account(db: AsyncDatabase, doc: Doc, session: AsyncClientSession | None) -> Doc:
    """Store a new account; a name the user already has is a 409 on `name`."""
    try:
        await db.accounts.insert_one(doc, session=session)
    except DuplicateKeyError as exc:
        if is_own_id(exc):
            raise
        raise account_exists() from exc
    return doc


async def owned(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_ref: str | ObjectId,
    field: str = "account_id",
    session: AsyncClientSession | None = None,
) -> Doc:
    """The user's account `account_ref` names (404 naming `field` when none)."""
    oid = object_id(account_ref)
    query = {"_id": oid, "user_id": user_id}
    doc = await db.accounts.find_one(query, session=session) if oid else None
    if doc is None:
        raise AccountNotFound(field)
    return doc


async def entry_account(
    db: AsyncDatabase, user_id: ObjectId, ref: str | None, field: str = "account_id"
) -> Doc:
    """An entry's `account_id` as stored: `{"account_id": <the user's account>}` for a ref,
    `{}` for none (404 naming `field` when it is not the user's)."""
    if ref is None:
        return {}
    return {"account_id": (await owned(db, user_id, ref, field))["_id"]}


async def by_name(db: AsyncDatabase, user_id: ObjectId, name: str) -> Doc | None:
    return await db.accounts.find_one({"user_id": user_id, "name_key": name_key(name)})


async def by_last4(db: AsyncDatabase, user_id: ObjectId, last4: str) -> list[Doc]:
    return await db.accounts.find({"user_id": user_id, "number_last4": last4}).to_list(None)


async def cards(
    db: AsyncDatabase, user_id: ObjectId, besides: ObjectId
) -> list[tuple[str, str | None]]:
    """(id, last four digits) of the user's credit card accounts but `besides`."""
    query = {"user_id": user_id, "kind": "credit_card", "_id": {"$ne": besides}}
    found = await db.accounts.find(query, {"number_last4": 1}).to_list(None)
    return [(str(doc["_id"]), doc.get("number_last4")) for doc in found]


async def usage(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_id: ObjectId,
    session: AsyncClientSession | None = None,
) -> dict[str, int]:
    """How many entries, transfers and imports name the account (each a count on its
    (user_id, account_id[s], ...) index), read in `session` one after another (a session
    runs one operation at a time)."""
    mine = {"user_id": user_id, "account_id": account_id}
    transfers = {"user_id": user_id, "account_ids": account_id}
    counted = [*((name, mine) for name in ENTRY_DAYS), ("transfers", transfers), ("imports", mine)]
    counted.append(("debts", {"user_id": user_id, "card_account_id": account_id}))  # its EMIs
    return {name: await db[name].count_documents(query, session=session) for name, query in counted}


# ---------------------------------------------------------------- balance


async def last_statement(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, before: date | None = None
) -> Doc | None:
    """The account's committed import with a closing balance whose statement ends last
    (before `before`, when given)."""
    query: Doc = {"user_id": user_id, "account_id": account_id, "status": COMMITTED}
    query["closing_balance"] = {"$ne": None}
    if before is not None:
        query["period.to"] = {"$lt": before}
    projection = {"closing_balance": 1, "period": 1}
    found = db.imports.find(query, projection=projection).sort("period.to", -1).limit(1)
    docs = await found.to_list(None)
    return docs[0] if docs else None


def _days(field: str, after: date | None, first: date | None, until: date | None) -> Doc:
    """Days strictly after `after`, from `first` on, up to `until`, as a filter."""
    bounds: Doc = {}
    if after is not None:
        bounds["$gte"] = after + timedelta(days=1)
    if first is not None:
        bounds["$gte"] = max(first, bounds.get("$gte", first))
    if until is not None:
        bounds["$lt"] = until + timedelta(days=1)
    return {field: bounds} if bounds else {}


async def _sums(db: AsyncDatabase, collection: str, match: Doc, group: Doc) -> Doc:
    pipeline = [{"$match": match}, {"$group": {"_id": None, **group}}]
    rows = await (await db[collection].aggregate(pipeline)).to_list(None)
    return rows[0] if rows else {}


async def _summed(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_id: ObjectId,
    days: tuple[date | None, date | None, date | None],
) -> tuple[Decimal, date | None]:
    """(what the account's entries and transfers in `days` (after, first, until) moved it,
    the last day among them): income in, expenses and payments out, transfers either way,
    each summed by one `$group` in the database."""
    jobs = []
    for collection, field in ENTRY_DAYS.items():
        match = {"user_id": user_id, "account_id": account_id, **_days(field, *days)}
        amount = SPEND if collection == "expenses" else "$amount"  # a refund comes back in
        group = {"total": {"$sum": amount}, "last": {"$max": f"${field}"}}
        jobs.append(_sums(db, collection, match, group))
    match = {"user_id": user_id, "account_ids": account_id, **_days("date", *days)}
    group = {
        "in": {"$sum": {"$cond": [{"$eq": ["$to_account_id", account_id]}, "$amount", 0]}},
        "out": {"$sum": {"$cond": [{"$eq": ["$from_account_id", account_id]}, "$amount", 0]}},
        "last": {"$max": "$date"},
    }
    jobs.append(_sums(db, "transfers", match, group))
    income, expenses, payments, transfers = await asyncio.gather(*jobs)
    moved = from_sum(income.get("total")) - from_sum(expenses.get("total"))
    moved += from_sum(transfers.get("in")) - from_sum(transfers.get("out"))
    moved -= from_sum(payments.get("total"))
    lasts = [as_day(g["last"]) for g in (income, expenses, payments, transfers) if g.get("last")]
    return moved, max(lasts, default=None)


async def movement(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_id: ObjectId,
    days: tuple[date | None, date | None, date | None],
) -> tuple[Decimal, date | None]:
    """`_summed`'s answer, with the months wholly inside `days` read from the account's
    counters (`accounts.months`) and only the days of the partial months at either end
    summed from the entries: ten years cost two partial months, not ten years."""
    after, first, until = days
    lo = max((d for d in (after and after + timedelta(days=1), first) if d), default=None)
    start, end = months.whole_months(lo, until)
    if start is not None and end is not None and start >= end:  # within a month or two
        return await _summed(db, user_id, account_id, (None, lo, until))
    net, last_month = await months.counted(db, user_id, account_id, (start, end))
    head = tail = (ZERO, None)
    if lo is not None and start is not None and lo < months.month_days(start)[0]:
        head = await _summed(
            db, user_id, account_id, (None, lo, months.month_days(start)[0] - ONE_DAY)
        )
    if until is not None and end is not None and months.month_days(end)[0] <= until:
        tail = await _summed(db, user_id, account_id, (None, months.month_days(end)[0], until))
    last = tail[1]
    if last is None and last_month is not None:  # the last entry of the last whole month
        last = (await _summed(db, user_id, account_id, (None, *months.month_days(last_month))))[1]
    return net + head[0] + tail[0], last or head[1]


async def balance(db: AsyncDatabase, account: Doc, until: date | None = None) -> Doc:
    """`{balance, balance_date, from_statement}` of the account as of `until` (default:
    everything): its last committed statement's closing balance and what moved it after that
    statement's last day, else its opening balance and what moved it from its opening
    date."""
    user_id, account_id = account["user_id"], account["_id"]
    before = until + timedelta(days=1) if until is not None else None
    statement = await last_statement(db, user_id, account_id, before)
    if statement is not None:
        base, since = quantize(statement["closing_balance"]), as_day(statement["period"]["to"])
        moved, last = await movement(db, user_id, account_id, (since, None, until))
        as_of = max(since, last or since)
        return {"balance": base + moved, "balance_date": as_of, "from_statement": True}
    opened = as_day(account["opening_date"]) if account.get("opening_date") else None
    moved, last = await movement(db, user_id, account_id, (None, opened, until))
    base = quantize(account.get("opening_balance") or ZERO)
    return {"balance": base + moved, "balance_date": last or opened, "from_statement": False}


async def with_balance(db: AsyncDatabase, account: Doc) -> Doc:
    return account | await balance(db, account)


# ---------------------------------------------------------------- transfers


def transfer_document(
    user_id: ObjectId,
    sides: tuple[ObjectId, ObjectId],
    amount: Decimal,
    day: date,
    at: datetime,
    **fields: Any,
) -> Doc:
    """A transfer as stored: from `sides[0]` to `sides[1]`; `fields` adds its note and the
    statement rows it holds (`from_row`, `to_row`: {import_id, row_id}), the import that
    recorded it and the entries it replaced."""
    doc = {
        "_id": ObjectId(),
        "user_id": user_id,
        "from_account_id": sides[0],
        "to_account_id": sides[1],
        "account_ids": list(sides),
        "amount": quantize(amount),
        "date": day,
        "note": None,
        "from_row": None,
        "to_row": None,
        "import_id": None,
        "replaced": [],
        "created_at": at,
        "updated_at": at,
    } | fields
    doc["import_ids"] = sorted(
        {side["import_id"] for side in (doc["from_row"], doc["to_row"]) if side}
        | ({doc["import_id"]} if doc["import_id"] else set())
    )
    return doc


async def other_entries(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_id: ObjectId,
    days: tuple[date, date],
    kinds: tuple[str, ...] = ("expense", "income"),
    session: AsyncClientSession | None = None,
) -> list[tuple[str, Doc]]:
    """(kind, entry) of the user's other accounts in `days` (both inclusive), each entry's
    day in `date`: one range read per account and collection on (user_id, account_id, day),
    never reading the entries of `account_id` itself."""
    query = {"user_id": user_id, "_id": {"$ne": account_id}}
    others = await db.accounts.find(query, {"_id": 1}, session=session).to_list(None)
    bounds = {"$gte": days[0], "$lt": days[1] + timedelta(days=1)}
    out: list[tuple[str, Doc]] = []
    for other in others:
        for kind in kinds:
            collection, field = ENTRY_KINDS[kind]
            mine = {"user_id": user_id, "account_id": other["_id"], field: bounds}
            projection = {field: 1, "amount": 1, "account_id": 1, "import_id": 1}
            docs = await db[collection].find(mine, projection, session=session).to_list(None)
            out += [(kind, doc | {"date": doc[field]}) for doc in docs]
    return out


async def open_sides(
    db: AsyncDatabase,
    user_id: ObjectId,
    account_id: ObjectId,
    days: tuple[date, date],
    session: AsyncClientSession | None = None,
) -> list[Doc]:
    """The account's transfers in `days` (both inclusive) whose side in this account no
    statement row holds yet."""
    query = {"user_id": user_id, "account_ids": account_id}
    query["date"] = {"$gte": days[0], "$lt": days[1] + timedelta(days=1)}
    docs = await db.transfers.find(query, session=session).to_list(None)
    return [
        doc
        for doc in docs
        if (doc["from_account_id"] == account_id and doc.get("from_row") is None)
        or (doc["to_account_id"] == account_id and doc.get("to_row") is None)
    ]
