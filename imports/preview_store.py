"""A preview as stored: the reads it decides with (the fingerprints committed near its days,
the rows skipped before, the entries typed in by hand or imported into other accounts, the
transfers and the other accounts' previews near them), its rows, its discard, and what a
commit made of each row.
The decisions themselves are `imports.rules` (pure); the commit and the undo are
`imports.store`."""

from datetime import date, timedelta

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from accounts import store as accounts_store
from accounts.rules import TRANSFER_WINDOW_DAYS, Counterpart, TransferMatcher
from core.dates import as_day
from core.money import quantize
from database import Doc
from imports import rule_store
from imports import store as import_store
from imports.rules import DUPLICATE_WINDOW_DAYS, HandEntry, HandMatcher, PreviewBooks
from imports.store import ENTRY_COLLECTIONS
from imports.transfers import counterpart, open_side
from ledger.store import date_query

INSERT_BATCH = 1000  # preview rows per insert


async def committed_prints(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date
) -> tuple[set[str], set[str], dict[str, str]]:
    """(the fingerprints committed for these days, the entries already linked to an imported
    row near them, the bank reference of each entry an import created near them): one range
    read on (user_id, date), however many rows."""
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    query = {"user_id": user_id, **date_query(start - window, end + window)}
    projection = {"fingerprint": 1, "date": 1, "entry_id": 1, "linked": 1, "reference": 1}
    found = await db.import_fingerprints.find(query, projection=projection).to_list(None)
    prints = {doc["fingerprint"] for doc in found if start <= as_day(doc["date"]) <= end}
    linked = {str(doc["entry_id"]) for doc in found if doc.get("linked")}
    references = {str(doc["entry_id"]): doc["reference"] for doc in found if doc.get("reference")}
    return prints, linked, references


async def book_entries(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, start: date, end: date
) -> list[tuple[str, Doc]]:
    """(kind, entry) for every expense, income and payment within the duplicate window of
    these days that a row of `account_id` may already be or pair with: those typed in by
    hand (any account's, or none's), and those in the user's other accounts. Range reads on
    (user_id, import_id, date) and (user_id, account_id, date) with a projection, never
    reading what this account's own imports created."""
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    first, last = start - window, end + window
    out: list[tuple[str, Doc]] = []
    for kind, collection in ENTRY_COLLECTIONS.items():
        field = "payment_date" if kind == "payment" else "date"
        query = {"user_id": user_id, **date_query(first, last, field), "import_id": None}
        projection = {field: 1, "amount": 1, "import_id": 1, "account_id": 1, "refund": 1}
        found = await db[collection].find(query, projection=projection).to_list(None)
        out += [(kind, doc | {"date": doc[field]}) for doc in found]
    kinds = tuple(ENTRY_COLLECTIONS)
    others = await accounts_store.other_entries(db, user_id, account_id, (first, last), kinds)
    return out + [(kind, doc) for kind, doc in others if doc.get("import_id") is not None]


def hand_entries(entries: list[tuple[str, Doc]], references: dict[str, str]) -> list[HandEntry]:
    return [
        HandEntry(
            str(doc["_id"]),
            kind,
            as_day(doc["date"]),
            quantize(doc["amount"]),
            references.get(str(doc["_id"])),
            bool(doc.get("refund")),
        )
        for kind, doc in entries
    ]


async def skipped_prints(db: AsyncDatabase, user_id: ObjectId, start: date, end: date) -> set[str]:
    """The fingerprints of the rows you skipped in these days."""
    query = {"user_id": user_id, **date_query(start, end)}
    found = await db.import_skips.find(query, projection={"fingerprint": 1}).to_list(None)
    return {doc["fingerprint"] for doc in found}


# The new rows that may still become a side of a transfer: expense and income not set by hand.
PAIRABLE = {"status": "new", "kind_set": False, "kind": {"$in": ["expense", "income"]}}


async def preview_counterparts(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, days: tuple[date, date]
) -> list[Counterpart]:
    """The new expense and income rows, in `days`, of your previews of other accounts: the
    other side of a transfer may be in a statement not yet committed."""
    query = {"user_id": user_id, "status": "preview", "account_id": {"$nin": [None, account_id]}}
    previews = await db.imports.find(query, projection={"account_id": 1}).to_list(None)
    out = []
    for preview in previews:
        rows = {"user_id": user_id, "import_id": preview["_id"], **date_query(*days)}
        rows |= PAIRABLE
        projection = {"date": 1, "amount": 1, "direction": 1}
        for row in await db.import_rows.find(rows, projection=projection).to_list(None):
            day, amount = as_day(row["date"]), quantize(row["amount"])
            account = str(preview["account_id"])
            out.append(Counterpart(str(row["_id"]), "row", account, row["direction"], day, amount))
    return out


async def preview_books(
    db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId, days: tuple[date, date] | None
) -> PreviewBooks:
    """What a preview of a statement of `account_id` in `days` decides with."""
    book = await rule_store.rule_book(db, user_id)
    loans = await import_store.active_loans(db, user_id, account_id)
    cards = await accounts_store.cards(db, user_id, account_id)
    if days is None:
        nothing = HandMatcher([], set()), TransferMatcher([], [])
        return PreviewBooks(set(), set(), *nothing, loans, book, cards)
    first, last = days
    committed, linked, references = await committed_prints(db, user_id, first, last)
    entries = await book_entries(db, user_id, account_id, first, last)
    window = timedelta(days=TRANSFER_WINDOW_DAYS)
    span = (first - window, last + window)
    sides = await accounts_store.open_sides(db, user_id, account_id, span)
    others = [
        counterpart(kind, doc)
        for kind, doc in entries
        if kind != "payment" and doc.get("account_id") not in (None, account_id)
    ]
    others += await preview_counterparts(db, user_id, account_id, span)
    return PreviewBooks(
        committed,
        await skipped_prints(db, user_id, first, last),
        HandMatcher(hand_entries(entries, references), linked),
        TransferMatcher([open_side(doc, account_id) for doc in sides], others),
        loans,
        book,
        cards,
    )


def stored_rows(rows: list[Doc], record: Doc) -> list[Doc]:
    """`imports.rules.preview_rows`' rows as documents of the import `record`: ids, their
    account, the ids they name as ObjectIds, and no empty fields (a row answers them as null
    or []; 10,000 rows insert a fifth faster)."""
    out = []
    owner = {"user_id": record["user_id"], "import_id": record["_id"]}
    owner["account_id"] = record["account_id"]
    for row in rows:
        row["matches"] = [ObjectId(i) for i in row["matches"]]
        row["debt_id"] = ObjectId(row["debt_id"]) if row["debt_id"] else None
        if row.get("transfer_account_id"):
            row["transfer_account_id"] = ObjectId(row["transfer_account_id"])
        if row.get("transfer_pair"):
            row["transfer_pair"]["id"] = ObjectId(row["transfer_pair"]["id"])
        doc = {k: v for k, v in row.items() if v is not None and v != []}
        out.append({"_id": ObjectId(), **owner} | doc)
    return out


async def pair_previews(db: AsyncDatabase, rows: list[Doc]) -> None:
    """The rows of other accounts' previews this preview's transfer rows pair with become
    transfers to this account too (unless set by hand since)."""
    for row in rows:
        pair = row.get("transfer_pair") or {}
        if pair.get("kind") != "row":
            continue
        await db.import_rows.update_one(
            {"_id": pair["id"], "user_id": row["user_id"], **PAIRABLE},
            {
                "$set": {
                    "kind": "transfer",
                    "transfer_account_id": row["account_id"],
                    "transfer_pair": {"kind": "row", "id": row["_id"]},
                }
            },
        )


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
