"""One-off data migrations: run at start-up, before the API serves and before the indexes are
ensured (and by `python -m ops.migrations`). Each is idempotent and recorded in `migrations`, so a
start-up after it finished costs one lookup, and a start-up after a crash finishes the job.

    python -m ops.migrations     run what has not run yet against MONGODB_URL (or the embedded db)
"""

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import months
from config import get_settings
from core import sync
from core.dates import DEFAULT_TZ, local_date, now_ms
from core.errors import AppError
from core.indexes import INDEXES
from database import Doc, connect, database_url, drop_index, get_database, in_transaction
from ledger import store as ledger_store
from loans import store as loan_store
from ops.statement_migrations import fingerprint_ids, import_accounts

log = logging.getLogger("cleero.migrations")
BATCH = 500

# The calendar-day fields that used to be stored as the instant their day began in the user's
# timezone (or, for entries, the instant itself). Goal target dates and birth dates were days.
DAY_FIELDS = {
    "debts": ("start_date", "next_payment_date"),
    "payments": ("payment_date",),
    "income": ("date",),
    "expenses": ("date",),
    "goal_contributions": ("date",),
}


async def owner_names(db: AsyncDatabase, started: datetime) -> None:
    """The owner's field names: budgets `monthly_limit`/`active` (were `amount`/`is_active`),
    notifications `notification_type` (was `type`), payments `status`, users `updated_at`."""
    # The one-active-budget index filtered on `is_active`; ensure_indexes makes the new one.
    await drop_index(db, "budgets", "one_active_budget_per_category")
    await db.budgets.update_many(
        {"amount": {"$exists": True}}, {"$rename": {"amount": "monthly_limit"}}
    )
    await db.budgets.update_many(
        {"is_active": {"$exists": True}}, {"$rename": {"is_active": "active"}}
    )
    await db.notifications.update_many(
        {"type": {"$exists": True}}, {"$rename": {"type": "notification_type"}}
    )
    await db.payments.update_many({"status": {"$exists": False}}, {"$set": {"status": "completed"}})
    async for user in db.users.find({"updated_at": {"$exists": False}}, {"created_at": 1}):
        await db.users.update_one(
            {"_id": user["_id"]}, {"$set": {"updated_at": user.get("created_at") or started}}
        )


async def calendar_days(db: AsyncDatabase, started: datetime) -> None:
    """Days stored as the user's local midnight (or an instant) become the day itself, stored
    as midnight UTC, read in the timezone the user has. Every document written before this
    migration started is converted exactly once: the `days_migrated` mark on each guards it
    against a second run (after a crash, or from another replica at the same time)."""
    async for user in db.users.find({}, {"profile.timezone": 1}):
        tz = (user.get("profile") or {}).get("timezone") or DEFAULT_TZ
        for collection, fields in DAY_FIELDS.items():
            query = {
                "user_id": user["_id"],
                "created_at": {"$lt": started},
                "days_migrated": {"$exists": False},
            }
            cursor = db[collection].find(query, {field: 1 for field in fields})
            batch: list[UpdateOne] = []
            async for doc in cursor:
                days = {f: local_date(doc[f], tz) for f in fields if doc.get(f) is not None}
                guard = {"_id": doc["_id"], "days_migrated": {"$exists": False}}
                batch.append(UpdateOne(guard, {"$set": days | {"days_migrated": True}}))
                if len(batch) == BATCH:
                    await db[collection].bulk_write(batch, ordered=False)
                    batch = []
            if batch:
                await db[collection].bulk_write(batch, ordered=False)


async def loan_books(db: AsyncDatabase, started: datetime) -> None:
    """Debts recorded before the loan book: their rate and EMI become the terms they started
    with, and the book replays their payments into the state (remaining tenure included).
    A history the engine refuses (a rate edited after payments by the old PUT) keeps its
    stored state, with the tenure its EMI needs from there, and is logged."""
    # Every debt the API created has a due-date anchor; nothing else is a loan to book.
    unbooked = {"remaining_tenure_months": {"$exists": False}, "due_anchor": {"$exists": True}}
    async for debt in db.debts.find(unbooked):
        terms = {
            "original_rate": debt["interest_rate"],
            "original_emi": debt["monthly_emi"],
            "anchor_offset": 0,
            "rate_changes": debt.get("rate_changes", []),
        }

        async def work(
            session: AsyncClientSession, debt: Doc = debt | terms, terms: Doc = terms
        ) -> None:
            await db.debts.update_one({"_id": debt["_id"]}, {"$set": terms}, session=session)
            await loan_store.book(db, debt, session)

        try:
            await in_transaction(db, work)
        except AppError as refused:
            log.warning("debt %s keeps its stored state: %s", debt["_id"], refused.detail)
            latest = await db.payments.find_one(
                {"user_id": debt["user_id"], "debt_id": debt["_id"]},
                sort=[("payment_date", -1), ("_id", -1)],
            )
            carried = loan_store.carried_state(debt, latest)
            await db.debts.update_one({"_id": debt["_id"]}, {"$set": terms | carried})


async def category_spend(db: AsyncDatabase, started: datetime) -> None:
    """The spend counters per user, category and month (`ledger.store.move_spend`) start
    equal to the expenses already stored: each user's are set to the sums of their expenses
    in one transaction (`ledger.store.rebuild_spend`). Setting, never adding, makes a second
    run (after a crash, or from another replica at the same time) leave them as exact."""
    async for user in db.users.find({}, {"_id": 1}):

        async def work(session: AsyncClientSession, user_id: ObjectId = user["_id"]) -> int:
            return await ledger_store.rebuild_spend(db, user_id, session)

        await in_transaction(db, work)


# The unique indexes that did not start with user_id, the shard key of per-user collections
# (a sharded cluster enforces uniqueness only under it), by collection.
NOT_USER_FIRST = {
    "payments": "transaction_id_1",
    "budget_alerts": "budget_id_1_month_1_level_1",
    "reminders": "debt_id_1_due_date_1_kind_1",
}


async def user_first_unique_indexes(db: AsyncDatabase, started: datetime) -> None:
    """Each replaced unique index is dropped only once its user_id-first successor exists, so
    no insert in between escapes the check. The successor's key extends the old one, so the
    documents the old index let in never violate it."""
    for collection, old_name in NOT_USER_FIRST.items():
        await db[collection].create_indexes(INDEXES[collection])
        await drop_index(db, collection, old_name)


async def sync_versions(db: AsyncDatabase, started: datetime) -> None:
    """Every synced document stored before versions existed takes one (`sync_seq`,
    core/sync.py) from its user's change counter, which starts there; the profile too.
    BATCH documents a transaction. A document that has a version keeps it, so a second run
    (after a crash, or from another replica at the same time) changes nothing."""
    collections = [c for c in sync.RESOURCES.values() if c != "users"]
    async for user in db.users.find({}, {"sync_seq": 1}):
        user_id = user["_id"]
        if user.get("sync_seq") is None:
            await _versions(db, "users", user_id, [user_id])
        for collection in collections:
            unversioned = {"user_id": user_id, "sync_seq": {"$exists": False}}
            ids = [doc["_id"] async for doc in db[collection].find(unversioned, {"_id": 1})]
            for at in range(0, len(ids), BATCH):
                await _versions(db, collection, user_id, ids[at : at + BATCH])


async def _versions(
    db: AsyncDatabase, collection: str, user_id: ObjectId, ids: list[ObjectId]
) -> None:
    owner = {} if collection == "users" else {"user_id": user_id}

    async def work(session: AsyncClientSession) -> None:
        first = await sync.stamp(db, user_id, session, len(ids))
        writes = [
            UpdateOne(
                {"_id": oid, **owner, "sync_seq": {"$exists": False}}, {"$set": {"sync_seq": seq}}
            )
            for seq, oid in enumerate(ids, start=first)
        ]
        await db[collection].bulk_write(writes, ordered=False, session=session)

    await in_transaction(db, work)


async def entry_creation_indexes(db: AsyncDatabase, started: datetime) -> None:
    """Entries (income, expenses, payments) are listed by their day, never by creation: the
    (user_id, created_at) index they had served no query and cost every insert."""
    for collection in ENTRIES_WITHOUT_CREATION_INDEX:
        await drop_index(db, collection, "user_id_1_created_at_1")


ENTRIES_WITHOUT_CREATION_INDEX = ("income", "expenses", "payments")


async def payee_keys(db: AsyncDatabase, started: datetime) -> None:
    """Every income and expense entry stores its payee's key (`ledger.store.payee_fields`),
    which recurring detection reads by: from its title, or from the UPI address of the
    statement row it was imported from. Only entries without one are set, so a second run
    (after a crash, or from another replica) changes nothing."""
    for collection, name in ledger_store.PAYEE_FIELD.items():
        missing = {"payee_key": {"$exists": False}}
        fields = {name: 1, "import_id": 1, "user_id": 1}
        docs = db[collection].find(missing, fields).sort("_id", 1).batch_size(BATCH)
        batch: list[Doc] = []
        async for doc in docs:
            batch.append(doc)
            if len(batch) == BATCH:
                await _set_payee_keys(db, collection, name, batch)
                batch = []
        await _set_payee_keys(db, collection, name, batch)


async def _set_payee_keys(db: AsyncDatabase, collection: str, name: str, docs: list[Doc]) -> None:
    imported = [doc["_id"] for doc in docs if doc.get("import_id")]
    rows = await db.import_rows.find({"_id": {"$in": imported}}, {"vpa": 1}).to_list(None)
    vpas = {row["_id"]: row.get("vpa") for row in rows}
    writes = [
        UpdateOne(
            {"_id": doc["_id"], "user_id": doc["user_id"]},
            {"$set": ledger_store.payee_fields(doc.get(name), vpas.get(doc["_id"]))},
        )
        for doc in docs
    ]
    if writes:
        await db[collection].bulk_write(writes, ordered=False)


async def account_months(db: AsyncDatabase, started: datetime) -> None:
    """The movement counters per user, account and month (`accounts.months`) start equal to
    the entries and transfers already stored: each user's set to a recount, an account's
    year a transaction. Setting, never adding, makes a second run leave them as exact."""
    async for user in db.users.find({}, {"_id": 1}):
        await months.rebuild(db, user["_id"])


Migration = Callable[[AsyncDatabase, datetime], Awaitable[None]]
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("2026-11-owner-names", owner_names),
    ("2026-11-calendar-days", calendar_days),
    ("2026-11-loan-books", loan_books),
    ("2026-12-category-spend", category_spend),
    ("2026-12-user-first-unique-indexes", user_first_unique_indexes),
    ("2026-12-import-accounts", import_accounts),
    ("2026-12-sync-versions", sync_versions),
    ("2026-12-entry-creation-indexes", entry_creation_indexes),
    ("2026-12-payee-keys", payee_keys),
    ("2026-12-account-months", account_months),
    ("2026-12-fingerprint-ids", fingerprint_ids),
)


async def migrate(db: AsyncDatabase) -> list[str]:
    """Run every migration that has not finished; returns the names of those run now."""
    ran = []
    for name, step in MIGRATIONS:
        record = await db.migrations.find_one_and_update(
            {"_id": name},
            {"$setOnInsert": {"started_at": now_ms()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if record.get("finished_at"):
            continue
        log.info("migration %s: running", name)
        await step(db, record["started_at"])
        await db.migrations.update_one({"_id": name}, {"$set": {"finished_at": now_ms()}})
        ran.append(name)
    return ran


async def _main() -> int:
    settings = get_settings()
    client = connect(database_url(settings), settings)
    try:
        ran = await migrate(get_database(client, settings.mongodb_db))
    finally:
        await client.close()
    print("migrations run:", ", ".join(ran) or "none (all done before)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
