"""The migrations of statement imports (run by ops/migrations.py, in its order): imports
that belong to an account, and committed rows' fingerprints keyed by `_id`."""

import logging
from datetime import datetime

from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from accounts.rules import INSTITUTIONS, name_key, printed_last4
from accounts.store import account_document
from core.dates import as_day, now_ms
from core.idempotency import duplicates_only
from core.indexes import INDEXES
from core.money import quantize
from database import Doc, drop_index
from imports.statements import StatementRow, fingerprints
from imports.store import fingerprint_id

log = logging.getLogger("cleero.migrations")
BATCH = 500


UNLABELLED = "Imported statements"  # the account of the imports made without any label


async def import_accounts(db: AsyncDatabase, started: datetime) -> None:
    """Every statement import belongs to an account: each label imports were made with (the
    `account` the user typed, else the file's own) becomes an account of that name (one per
    user and name however spaced or cased; an import with no label at all goes to the
    user's UNLABELLED account); the import and the entries it created name it, and its
    rows' fingerprints are keyed by the account's id, so a statement imported again dedupes
    against them. An import is marked last: a second run redoes only what did not finish,
    and keying again gives the same keys."""
    await db.accounts.create_indexes(INDEXES["accounts"])  # one account per name, even now
    fields = {"user_id": 1, "account": 1, "format": 1}
    todo = db.imports.find({"account_id": {"$exists": False}}, fields)
    for record in await todo.to_list(None):
        owner = {"user_id": record["user_id"]}
        user = await db.users.find_one({"_id": record["user_id"]}, {"profile": 1}) or {}
        currency = (user.get("profile") or {}).get("preferred_currency") or "INR"
        label = " ".join((record.get("account") or UNLABELLED).split())[:100]
        account_id = await _label_account(db, record["user_id"], label, record, currency)
        await _rekey_rows(db, record, account_id)
        for collection in ("expenses", "income", "payments"):
            entries = owner | {"import_id": record["_id"]}
            await db[collection].update_many(entries, {"$set": {"account_id": account_id}})
        await db.imports.update_one(
            owner | {"_id": record["_id"]},
            {"$set": {"account_id": account_id, "account_created": False}},
        )


async def _label_account(
    db: AsyncDatabase, user_id: ObjectId, label: str, record: Doc, currency: str
) -> ObjectId:
    found = await db.accounts.find_one({"user_id": user_id, "name_key": name_key(label)})
    if found is not None:
        return found["_id"]
    values = {
        "name": label,
        "institution": INSTITUTIONS.get(record["format"]),
        "kind": "savings",
        "number_last4": printed_last4(label),
        "currency": currency,
        "opening_date": None,
    }
    doc = account_document(values, user_id, now_ms())
    try:
        await db.accounts.insert_one(doc)
    except DuplicateKeyError:  # another replica made it first
        found = await db.accounts.find_one({"user_id": user_id, "name_key": doc["name_key"]})
        if found is None:
            raise
        return found["_id"]
    return doc["_id"]


async def _rekey_rows(db: AsyncDatabase, record: Doc, account_id: ObjectId) -> None:
    """The import's rows, and the fingerprints of those committed, keyed by the account's
    id as a preview keys them now. A key another committed row already holds (one statement
    imported twice under two labels of one account: counted twice before) keeps its old
    value, and is logged."""
    owner = {"user_id": record["user_id"]}
    rows = await (
        db.import_rows.find(owner | {"import_id": record["_id"]}).sort("line", 1).to_list(None)
    )
    keyed = [
        StatementRow(
            row["line"],
            as_day(row["date"]),
            None,
            quantize(row["amount"]),
            row["direction"],
            row["narration"],
            row.get("reference"),
            quantize(row["balance"]) if row.get("balance") is not None else None,
        )
        for row in rows
    ]
    prints = fingerprints(str(account_id), keyed)
    new = {"account_id": account_id}
    for collection, key in (("import_rows", "_id"), ("import_fingerprints", "row_id")):
        writes = [
            UpdateOne(owner | {key: row["_id"]}, {"$set": new | {"fingerprint": fingerprint}})
            for row, fingerprint in zip(rows, prints, strict=True)
        ]
        for at in range(0, len(writes), BATCH):
            try:
                await db[collection].bulk_write(writes[at : at + BATCH], ordered=False)
            except BulkWriteError as exc:
                if not duplicates_only(exc):
                    raise
                log.warning("import %s: rows already imported by another import", record["_id"])


async def fingerprint_ids(db: AsyncDatabase, started: datetime) -> None:
    """A committed row's fingerprint is its document's `_id` (`imports.store.fingerprint_id`)
    instead of a unique (user_id, fingerprint) index beside an ObjectId: one index fewer for
    every row an import commits. The index goes first (a copy would collide with its
    original on it); then each document keyed by an ObjectId is copied under its new `_id`
    and removed, a batch at a time. A copy already made (by a run that stopped, or by
    another replica) is a duplicate `_id`, the one unique index left, and is kept."""
    await drop_index(db, "import_fingerprints", "user_id_1_fingerprint_1")
    old = {"_id": {"$type": "objectId"}}
    while docs := await db.import_fingerprints.find(old).limit(BATCH).to_list(None):
        copies = [
            InsertOne(doc | {"_id": fingerprint_id(doc["user_id"], doc["fingerprint"])})
            for doc in docs
        ]
        try:
            await db.import_fingerprints.bulk_write(copies, ordered=False)
        except BulkWriteError as exc:
            if not duplicates_only(exc):
                raise
        await db.import_fingerprints.delete_many({"_id": {"$in": [doc["_id"] for doc in docs]}})
