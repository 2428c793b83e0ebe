"""The ledger's workflows: writing income and expense entries and budgets, and the one path
every entry write takes (`entries_written`): a hand entry, an edit, a delete, a statement
import's batch and its undo: it queues the payees for detection, moves the accounts' month
counters and, for expenses, the spend and its budget alerts (`ledger.budget_alerts`)."""

from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import TypeVar

from bson import ObjectId
from pydantic import BaseModel
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from accounts import months as account_months
from accounts import store as accounts
from core.dates import current_month, month_bounds, month_key, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound
from core.idempotency import create_once, is_own_id, stored_answer
from core.money import format_money
from core.sync import Expected, check_version, owned, stamp, tombstone
from database import Doc, get_owned, in_transaction, object_id, refused
from ledger import budget_alerts, store
from ledger.rules import (
    BudgetLevel,
    entry_url,
)
from notifications import store as inbox
from recurring import service as recurring
from recurring import store as recurring_store
from schemas import (
    BudgetCreate,
    BudgetOut,
    BudgetStatus,
    ExpenseCreate,
    ExpenseOut,
    ExpenseUpdate,
    IncomeCreate,
    IncomeOut,
    IncomeUpdate,
    NotificationType,
)
from security import User
from services import enqueue, notify

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
# A counter's or an alert record's first insert can lose a race to another transaction's,
# which some servers report as a duplicate key rather than a conflict: a fresh try sees it.
RACE_ATTEMPTS = 5
REMOVE_BATCH = 500  # entries per transaction when an import is undone
ENTITY = {"expenses": "expense", "income": "income"}

# ---------------------------------------------------------------- the path of every entry write


async def entries_written(
    db: AsyncDatabase,
    user: User,
    session: AsyncClientSession,
    collection: str,
    *,
    removed: Iterable[Doc] = (),
    added: Iterable[Doc] = (),
    app_url: str = "",
) -> None:
    """After entries of `collection` were written in `session` (`removed` as they were,
    `added` as they are now): their payees queued for detection, their accounts' month
    counters moved (`accounts.months`), an expense's spend moved."""
    removed, added = list(removed), list(added)
    payees = recurring_store.touched_payees(collection, removed, added)
    await recurring_store.queue_payees(db, user.id, payees, session)
    await account_months.move(db, user.id, collection, session, removed=removed, added=added)
    if collection == "expenses":
        await budget_alerts.expenses_written(
            db, user, session, removed=removed, added=added, app_url=app_url
        )


async def check_budget(
    db: AsyncDatabase, user: User, category: str, day: date, *, app_url: str = ""
) -> list[BudgetLevel]:
    """The alert the category's spend in `day`'s month has reached and no write has sent
    (a month whose spend was entered before it began), sent once. Returns the level sent."""
    year_month = (day.year, day.month)

    async def work(session: AsyncClientSession) -> list[BudgetLevel]:
        month = month_key(*year_month)
        spent = await store.spend_of(db, user.id, category, month, session)
        return await budget_alerts.alert(db, user, category, year_month, spent, session, app_url)

    return await in_ledger_transaction(db, work)


async def in_ledger_transaction(
    db: AsyncDatabase, work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """`database.in_transaction`, tried again when a counter's or alert record's insert lost
    the race to a concurrent one (reported as a duplicate key)."""
    for _ in range(RACE_ATTEMPTS - 1):
        try:
            return await in_transaction(db, work)
        except DuplicateKeyError as exc:
            if is_own_id(exc):
                raise
    return await in_transaction(db, work)


# ---------------------------------------------------------------- creates (Idempotency-Key)


async def create_expense(
    db: AsyncDatabase, user: User, body: ExpenseCreate, key: str | None, app_url: str
) -> tuple[ExpenseOut, bool]:
    """(the expense, whether it replays an earlier request with this key)."""
    day = body.values(user.timezone)["date"] or today(user.timezone)
    doc = store.entry_document(body, user.id, day, now_ms()) | {"_id": ObjectId()}
    doc |= await accounts.entry_account(db, user.id, body.account_id)

    async def write(session: AsyncClientSession) -> None:
        await db.expenses.insert_one(doc, session=session)
        await entries_written(db, user, session, "expenses", added=[doc], app_url=app_url)

    return await create_once(db, key, body, "expenses", doc, ExpenseOut, write)


async def create_income(
    db: AsyncDatabase, user: User, body: IncomeCreate, key: str | None
) -> tuple[IncomeOut, bool]:
    """(the income, whether it replays): stored with its in-app and push notification."""
    day = body.values(user.timezone)["date"] or today(user.timezone)
    doc = store.entry_document(body, user.id, day, now_ms()) | {"_id": ObjectId()}
    doc |= await accounts.entry_account(db, user.id, body.account_id)
    amount = format_money(body.amount, user.currency)

    async def write(session: AsyncClientSession) -> None:
        await db.income.insert_one(doc, session=session)
        await entries_written(db, user, session, "income", added=[doc])
        await notify(
            db,
            user,
            NotificationType.income_received,
            "Income received",
            f"{amount} from {body.source} recorded.",
            action_url=entry_url("income", doc["_id"]),
            session=session,
        )

    return await create_once(db, key, body, "income", doc, IncomeOut, write)


async def budget_status(db: AsyncDatabase, user: User) -> BudgetStatus:
    """Every active budget against its spend this month (one aggregation for all), with the
    bills still expected in its category before the month ends."""
    year, month = current_month(user.timezone)
    start, end = month_bounds(year, month)
    budgets = await store.active_budgets(db, user.id)
    spend = await store.month_spend(db, user.id, [b["category"] for b in budgets], start, end)
    expected = await recurring.bills_this_month(db, user)
    return store.status_of(budgets, spend, (year, month), user.currency, expected)


def budget_exists() -> Conflict:
    return Conflict(
        "An active budget for this category already exists",
        code=ErrorCode.budget_exists,
        loc=("body", "category"),
    )


async def create_budget(
    db: AsyncDatabase, user: User, body: BudgetCreate, key: str | None
) -> tuple[BudgetOut, bool]:
    """(the budget, whether it replays); a second active budget for a category is a 409."""
    at = now_ms()
    doc = body.model_dump() | {"_id": ObjectId(), "user_id": user.id}
    doc |= {"created_at": at, "updated_at": at}

    async def write(session: AsyncClientSession) -> None:
        try:
            await db.budgets.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            if is_own_id(exc):
                raise
            raise budget_exists() from exc

    try:
        return await create_once(db, key, body, "budgets", doc, BudgetOut, write)
    except Conflict:
        # The category's active budget may be this very one, stored by a first attempt
        # whose answer was lost (the server names either unique index first).
        if (answer := await stored_answer(db.budgets, doc, BudgetOut)()) is None:
            raise
        return BudgetOut.model_validate(answer), False


# ---------------------------------------------------------------- edits and deletes


async def entry_changes(db: AsyncDatabase, user: User, body: ExpenseUpdate | IncomeUpdate) -> Doc:
    """A PUT's fields as stored: days resolved, an `account_id` one of the user's accounts
    (404 naming it when not), null to take the entry out of its account."""
    changes = body.values(user.timezone, partial=True)
    if changes.get("account_id") is not None:
        changes |= await accounts.entry_account(db, user.id, changes["account_id"])
    return changes


async def update_entry(
    db: AsyncDatabase,
    user: User,
    collection: str,
    entry_id: str,
    body: ExpenseUpdate | IncomeUpdate,
    expected: Expected = None,
    app_url: str = "",
) -> Doc:
    """Change an entry (fields left out keep their value) with what it moves, in one
    transaction (`entries_written`); a new title, a new payee key (a UPI address still
    names it). Another version than an If-Match's `expected` is a 412."""
    changes = await entry_changes(db, user, body)
    entity = ENTITY[collection]

    async def work(session: AsyncClientSession) -> Doc:
        old = await get_owned(db[collection], entry_id, user.id, entity, session=session)
        check_version(old, expected, entity)
        if (name := changes.get(store.PAYEE_FIELD[collection])) is not None:
            changes.update(store.payee_fields(name, old.get("vpa")))
        seq = await stamp(db, user.id, session)
        new = await db[collection].find_one_and_update(
            owned(old["_id"], user.id, expected),
            {"$set": {**changes, "updated_at": now_ms(), "sync_seq": seq}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if new is None:
            await refused(db[collection], old["_id"], user.id, entity, session)
        written = {"removed": [old], "added": [new], "app_url": app_url}
        await entries_written(db, user, session, collection, **written)
        return new

    return await in_ledger_transaction(db, work)


async def entries_removed(
    db: AsyncDatabase,
    user: User,
    collection: str,
    docs: list[Doc],
    session: AsyncClientSession,
    *,
    keep_files: bool = False,
) -> None:
    """After income or expense entries were deleted in `session`: their tombstones are left,
    their notifications no longer link to them, and an expense's spend and (unless
    `keep_files`) receipt go with it."""
    await tombstone(db, user.id, collection, [doc["_id"] for doc in docs], session)
    await inbox.unlink(db, user.id, [entry_url(collection, doc["_id"]) for doc in docs], session)
    await entries_written(db, user, session, collection, removed=docs)
    if collection != "expenses":
        return
    for doc in docs if not keep_files else ():
        if doc.get("receipt_key"):
            await enqueue(db, "storage_delete", {"key": doc["receipt_key"]}, session=session)


async def delete_entry(
    db: AsyncDatabase, user: User, collection: str, entry_id: str, expected: Expected = None
) -> None:
    """Delete an income or expense entry and what hangs off it, in one transaction (412 when
    not at an If-Match's `expected` version)."""
    entity = ENTITY[collection]
    oid = object_id(entry_id)
    if oid is None:
        raise NotFound(entity)

    async def work(session: AsyncClientSession) -> None:
        query = owned(oid, user.id, expected)
        doc = await db[collection].find_one_and_delete(query, session=session)
        if doc is None:
            await refused(db[collection], oid, user.id, entity, session)
        await entries_removed(db, user, collection, [doc], session)

    await in_ledger_transaction(db, work)


async def remove_imported(db: AsyncDatabase, user: User, import_id: ObjectId) -> dict[str, int]:
    """Delete the expenses and income a statement import created, a batch of days a
    transaction, each batch with its spend, receipts and links. Safe to repeat after an
    interruption: a batch is gone with everything it moved, or not at all. Returns how many
    of each were removed."""
    removed = {}
    for collection in ("expenses", "income"):
        removed[collection] = 0
        while done := await _remove_days(db, user, collection, import_id):
            removed[collection] += done
    return removed


async def _remove_days(db: AsyncDatabase, user: User, collection: str, import_id: ObjectId) -> int:
    """The import's entries of its earliest days, REMOVE_BATCH and the rest of the last of
    those days: a range on the (user_id, import_id, date) index, read and deleted in one
    snapshot (on SecantusDB a delete by a list of ids takes seconds a batch)."""

    async def work(session: AsyncClientSession) -> int:
        batch: Doc = {"user_id": user.id, "import_id": import_id}
        edge = (
            await db[collection]
            .find(batch, {"date": 1}, session=session)
            .sort("date", 1)
            .skip(REMOVE_BATCH - 1)
            .limit(1)
            .to_list(None)
        )
        if edge:
            batch["date"] = {"$lte": edge[0]["date"]}
        docs = await db[collection].find(batch, session=session).to_list(None)
        if docs:
            await db[collection].delete_many(batch, session=session)
            await entries_removed(db, user, collection, docs, session)
        return len(docs)

    return await in_ledger_transaction(db, work)
