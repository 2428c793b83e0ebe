"""Statement imports as written to the books: the open loans a preview matches EMIs
against, the commit (entries, payments through `loans.store`, and the fingerprints that
dedupe them) and the undo. A preview's own reads and rows are `imports.preview_store`, the
saved column mappings `imports.template_store`, the user's rules `imports.rule_store`; the
decisions themselves are `imports.rules` (pure).

Collections: `imports` (one per uploaded file), `import_rows` (its rows, what each is and
what the commit did with it), `import_fingerprints` (one per committed row, its `_id`
the user's and the fingerprint: the insert that takes it decides which commit creates the
entry), `import_templates`
(saved column mappings)."""

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from core.dates import as_day, now_ms
from core.errors import AppError, Conflict, ErrorCode
from core.idempotency import duplicates_only
from core.money import quantize
from database import Doc, in_transaction, insert_stamped, update_stamped
from imports.entries import entry_of
from imports.rules import (
    Loan,
    payment_method,
)
from imports.transfers import BatchTransfers
from imports.transfers import undo_import as undo_transfers
from ledger.service import entries_written, remove_imported
from loans import service as loan_service
from loans import store as loan_store
from loans.debt import debt_of
from loans.events import Payment
from schemas import NotificationType
from security import User
from services import notify

COMMIT_BATCH = 500  # rows per transaction (SecantusDB aborts a transaction open 8 s)
COMMIT_ATTEMPTS = 5  # a batch that lost a fingerprint race is retried, then skips them
ENTRY_COLLECTIONS = {"expense": "expenses", "income": "income", "payment": "payments"}

# ---------------------------------------------------------------- what a preview reads


async def active_loans(db: AsyncDatabase, user_id: ObjectId, account_id: ObjectId) -> list[Loan]:
    """The active debts a statement of `account_id` may pay: a card EMI only on its card's."""
    found = await loan_store.active_debts(db, user_id)
    mine = [doc for doc in found if doc.get("card_account_id") in (None, account_id)]
    debts = map(debt_of, mine)
    return [
        Loan(
            id=debt.id,
            name=debt.name,
            bank_name=debt.bank_name,
            monthly_emi=debt.emi,
            next_due=debt.next_due,
            start=debt.start,
            loan_account=debt.loan_account,
        )
        for debt in debts
        if debt.next_due is not None
    ]


def _days(field: str, start: date, end: date) -> Doc:
    return {field: {"$gte": start, "$lt": end + timedelta(days=1)}}


# ---------------------------------------------------------------- commit


async def _payment(
    db: AsyncDatabase, row: Doc, user_id: ObjectId, session: AsyncClientSession
) -> Doc:
    """The row as an EMI payment on its debt, through the path POST /api/payments takes (the
    month's interest first, the due date advanced); a refusal is the domain error. No
    notification per payment: the commit sends one summary."""
    event = Payment(str(row["_id"]), as_day(row["date"]), quantize(row["amount"]), "emi")
    return await loan_service.record_payment(
        db,
        user_id,
        row["debt_id"],
        event,
        session=session,
        method=payment_method(row["narration"]),
        notes=row["title"],
        notify=None,
        extra={"import_id": row["import_id"]},
    )


async def _linked(
    db: AsyncDatabase, row: Doc, user_id: ObjectId, session: AsyncClientSession
) -> ObjectId | None:
    """The hand entry a possible duplicate links to, if it is still there."""
    if row.get("kind_set") or not row.get("matches"):
        return None
    collection = ENTRY_COLLECTIONS[row.get("match_kind") or "expense"]
    found = await db[collection].find_one(
        {"_id": row["matches"][0], "user_id": user_id}, projection={"_id": 1}, session=session
    )
    return found["_id"] if found else None


def fingerprint_id(user_id: ObjectId, fingerprint: str) -> str:
    """A committed fingerprint's `_id`: unique per user without an index of its own (each
    costs every insert; a user's documents live on one shard, so `_id` is unique there)."""
    return f"{user_id}:{fingerprint}"


def _fingerprint(row: Doc, entry_id: ObjectId, kind: str, linked: bool) -> Doc:
    """A committed row: its fingerprint, and what it became (the row's own id for an entry
    it created, the hand entry's for a link)."""
    return {
        "_id": fingerprint_id(row["user_id"], row["fingerprint"]),
        "user_id": row["user_id"],
        "fingerprint": row["fingerprint"],
        "date": row["date"],
        "import_id": row["import_id"],
        "row_id": row["_id"],
        "line": row["line"],
        "entry_id": entry_id,
        "entry_kind": kind,
        "linked": linked,
        "account_id": row.get("account_id"),
        "reference": row.get("reference"),
        "created_at": now_ms(),
    }


def committable(row: Doc) -> bool:
    """Rows a commit writes: readable, not imported before, of a kind it can record."""
    if row["status"] in ("duplicate", "error") or row["kind"] == "skip":
        return False
    return row["kind"] != "payment" or row.get("debt_id") is not None


async def _commit_batch(db: AsyncDatabase, user: User, rows: list[Doc], app_url: str) -> None:
    """One transaction: every row of the batch whose fingerprint no commit has taken yet
    becomes its entry, its link or its side of a transfer (`imports.transfers`) and takes
    the fingerprint; the entries it creates take the one path of entry writes (spend, budget
    alerts, payees queued, accounts' months: `ledger.service.entries_written`). A commit
    that took a fingerprint first makes the insert fail on its `_id`; the batch is
    then retried and skips that row. The rows are not written (what became of each is its
    fingerprint's record), except for a payment the debt refused, which says why."""
    days = [as_day(row["date"]) for row in rows]

    async def work(session: AsyncClientSession) -> None:
        taken = await db.import_fingerprints.find(
            {"user_id": user.id, **_days("date", min(days), max(days))},
            projection={"fingerprint": 1},
            session=session,
        ).to_list(None)
        present = {doc["fingerprint"] for doc in taken}
        entries: dict[str, list[Doc]] = defaultdict(list)
        prints = []
        at = now_ms()
        transfers = await BatchTransfers.load(db, user, rows, session)
        for row in rows:
            if row["fingerprint"] in present:  # imported before, or by a concurrent commit
                continue
            linked = await _linked(db, row, user.id, session)
            if linked is not None:
                prints.append(_fingerprint(row, linked, row.get("match_kind") or "expense", True))
            elif made := await transfers.commit(row, session):
                prints.append(_fingerprint(row, made[0], "transfer", made[1]))
            elif row["kind"] == "payment":
                try:
                    payment = await _payment(db, row, user.id, session)
                except AppError as exc:  # refused before anything was written
                    change = {"error": f"Not recorded: {exc.detail}"}
                    owned = {"_id": row["_id"], "user_id": user.id}
                    await db.import_rows.update_one(owned, {"$set": change}, session=session)
                else:
                    prints.append(_fingerprint(row, payment["_id"], "payment", False))
            else:
                kind, doc = entry_of(row, user.id, at)
                entries[kind].append(doc)
                prints.append(_fingerprint(row, doc["_id"], kind, False))
        for kind, docs in entries.items():
            await insert_stamped(db, ENTRY_COLLECTIONS[kind], docs, session)
        if prints:
            await db.import_fingerprints.insert_many(prints, session=session)
        await transfers.finish(session)
        for kind, name in (("expense", "expenses"), ("income", "income")):
            await entries_written(db, user, session, name, added=entries[kind], app_url=app_url)

    for _ in range(COMMIT_ATTEMPTS):
        try:
            return await in_transaction(db, work)
        except (DuplicateKeyError, BulkWriteError) as exc:
            if isinstance(exc, BulkWriteError) and not duplicates_only(exc):
                raise
    raise Conflict(
        "Another commit of this statement is still running; try again shortly",
        code=ErrorCode.import_busy,
    )


Advance = Callable[[int, int], Awaitable[bool]]


async def commit(
    db: AsyncDatabase, user: User, record: Doc, app_url: str, advance: Advance | None = None
) -> Doc | None:
    """Write every committable row, a batch per transaction, in file order (a payment dated
    before one already booked is booked as of its day: the debt's book replays), from where
    the import's commit stands (`next_line`, `progress.done`: an interrupted commit goes on);
    after each batch `advance(next_line, done)` records how far it got, and False from it
    (another process has taken the commit over) stops this run: None. Then the import is
    committed and one notification sums it up. Safe to repeat, and to run twice at once:
    each fingerprint creates one entry. A batch is read when it is written: the rows of
    COMMIT_BATCH lines of the file, a bounded range on the (user_id, import_id, line) index
    (SecantusDB reads every index entry within a query's bounds, even under a limit), so
    memory holds one batch, however long the file."""
    done = (record.get("progress") or {}).get("done", 0)
    for first in range(record.get("next_line", 0), record["last_line"] + 1, COMMIT_BATCH):
        lines = {"$gte": first, "$lt": first + COMMIT_BATCH}
        query = {"user_id": user.id, "import_id": record["_id"], "line": lines}
        rows = await db.import_rows.find(query).sort("line", 1).to_list(None)
        todo = [row for row in rows if committable(row)]
        if todo:
            await _commit_batch(db, user, todo, app_url)
        done += len(rows)
        if advance is not None and not await advance(first + COMMIT_BATCH, done):
            return None
    result = await commit_result(db, user.id, record)
    await _committed(db, user, record, result)
    return result


async def _committed(db: AsyncDatabase, user: User, record: Doc, result: Doc) -> None:
    """The import committed and one summary notification (the budget alerts went with the
    batches), in one transaction: of the runs that reach the end (two requests at once, a
    run that lost its lease), only the one that moves the import notifies."""

    async def work(session: AsyncClientSession) -> None:
        at = now_ms()
        owned = {"_id": record["_id"], "user_id": user.id, "status": "committing"}
        done = {"status": "committed", "result": result, "committed_at": at, "updated_at": at}
        job = {"progress": None, "lease": None}
        update = {"$set": done | job, "$unset": {"next_line": ""}}
        if await update_stamped(db.imports, user.id, owned, update, session) is not None:
            await _summary(db, user, result, record, session)

    await in_transaction(db, work)


async def _summary(
    db: AsyncDatabase, user: User, result: Doc, record: Doc, session: AsyncClientSession
) -> None:
    created = result["created"]
    if sum(created.values()) == 0:
        return
    await notify(
        db,
        user,
        NotificationType.system,
        "Statement imported",
        f"{record['filename']}: {created['expenses']} expenses, {created['income']} income "
        f"and {created['payments']} loan payments added.",
        action_url=f"/imports/{record['_id']}",
        session=session,
    )


async def commit_result(db: AsyncDatabase, user_id: ObjectId, record: Doc) -> Doc:
    """What the import's rows came to: its fingerprints grouped in the database; every other
    row was skipped."""
    pipeline = [
        {"$match": {"user_id": user_id, "import_id": record["_id"]}},
        {"$group": {"_id": {"kind": "$entry_kind", "linked": "$linked"}, "n": {"$sum": 1}}},
    ]
    groups = await (await db.import_fingerprints.aggregate(pipeline)).to_list(None)
    created = {"expenses": 0, "income": 0, "payments": 0, "transfers": 0}
    linked = 0
    for group in groups:
        kind = group["_id"]["kind"]
        if group["_id"].get("linked"):
            linked += group["n"]
        else:
            created["transfers" if kind == "transfer" else ENTRY_COLLECTIONS[kind]] += group["n"]
    skipped = record["counts"]["rows"] - linked - sum(created.values())
    return {"created": created, "linked": linked, "skipped": skipped}


# ---------------------------------------------------------------- undo


async def undo(db: AsyncDatabase, user: User, import_id: ObjectId) -> Doc:
    """Remove what the import created: its payments first, each reversed exactly by the
    debt's book, all in one transaction (a refusal changes nothing); then its expenses and
    income and its fingerprints. Safe to repeat after an interruption."""
    owned = {"user_id": user.id, "import_id": import_id}
    payments = await db.payments.find(owned, projection={"debt_id": 1, "payment_date": 1}).to_list(
        None
    )
    payments.sort(key=lambda p: (p["payment_date"], p["_id"]), reverse=True)

    async def reverse(session: AsyncClientSession) -> None:
        for payment in payments:
            await loan_service.reverse_payment(db, user.id, payment, session)

    if payments:
        await in_transaction(db, reverse)
    transfers = await undo_transfers(db, user, import_id)
    removed = await remove_imported(db, user, import_id)
    await db.import_fingerprints.delete_many(owned)
    return {"removed": removed | {"payments": len(payments), "transfers": transfers}}
