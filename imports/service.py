"""Statement import workflows, whichever entry point asks: a preview built from an upload
(parsed in a worker thread, checked against what is already in your books, stored with its
Idempotency-Key), a row corrected (and remembered as a rule), the commit, the undo, the
discard, a rule re-applied to what imports created.

An import moves preview -> committing -> committed -> undoing -> undone; each move is one
atomic update on the import, so a commit, an undo and a discard never run on one import at
once, and an interrupted commit or undo is finished by asking again."""

from typing import Any

import anyio
from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import service as accounts
from accounts import store as accounts_store
from core.dates import now_ms
from core.errors import AppError, Conflict, ErrorCode, NotFound, Unprocessable
from core.idempotency import peek, write_once
from core.sync import Expected, check_version, owned, stamp, tombstone
from database import Doc, get_owned, in_transaction, object_id, paginate, update_stamped
from imports import preview_store, rule_store, template_store
from imports import store as import_store
from imports.rules import (
    counts,
    day_range,
    period,
    preview_rows,
    suggested_rule,
)
from imports.statements import Statement
from imports.upload import Upload, chosen_mapping, parse
from schemas import (
    CommitResult,
    ImportOut,
    ImportRowChange,
    ImportRowOut,
    ImportRowUpdate,
    ImportStatus,
    Page,
    PageParams,
    RowStatus,
    RuleOut,
    RuleSuggestion,
    UndoResult,
)
from security import User

IN_FILE_ORDER = [("line", 1), ("_id", 1)]


# ---------------------------------------------------------------- the preview


async def build_preview(
    db: AsyncDatabase,
    user_id: ObjectId,
    statement: Statement,
    account: tuple[Doc, bool],
    filename: str,
) -> tuple[Doc, list[Doc]]:
    """The import into `account` (the account, whether it was created for this statement)
    and its rows, each row checked against what is already in your books."""
    (chosen, created), days = account, day_range([{"date": row.date} for row in statement.rows])
    books = await preview_store.preview_books(db, user_id, chosen["_id"], days)
    rows = await anyio.to_thread.run_sync(preview_rows, statement, str(chosen["_id"]), books)
    import_id, at = ObjectId(), now_ms()
    record = {
        "_id": import_id,
        "user_id": user_id,
        "filename": filename,
        "format": statement.format,
        "account_id": chosen["_id"],
        "account_created": created,
        "account": statement.account,
        "number_last4": statement.number_last4,
        "currency": statement.currency,
        "opening_balance": statement.opening_balance,
        "closing_balance": statement.closing_balance,
        "balance_gap": await accounts.opening_gap(db, chosen, statement),
        "status": str(ImportStatus.preview),
        "period": period(statement),
        "counts": counts(rows),
        "last_line": max((row["line"] for row in rows), default=0),  # the commit's batches
        "result": None,
        "created_at": at,
        "updated_at": at,
        "committed_at": None,
        "undone_at": None,
    }
    return record, preview_store.stored_rows(rows, record)


async def create_preview(
    db: AsyncDatabase, user: User, upload: Upload, key: str | None
) -> tuple[ImportOut, bool]:
    """(the upload's preview, whether it replays an earlier request with this key). The rows
    are stored before the import, so a reader never sees an import without all its rows; the
    import and a mapping to save are written with the key, in one transaction."""
    digest = upload.digest()
    if (stored := await peek(db, user.id, key, digest)) is not None:
        return ImportOut.model_validate(stored), True
    mapping, to_save = await chosen_mapping(db, user.id, upload.mapping, upload.template)
    fmt = str(upload.file_format) if upload.file_format is not None else None
    order = str(upload.date_order) if upload.date_order is not None else None
    statement = await parse(upload.data, fmt, mapping, order)
    label = upload.account.strip() if upload.account else None
    account = await accounts.statement_account(db, user, upload.account_id, label, statement)
    filename = (upload.filename or "statement").strip()[:200] or "statement"
    record, rows = await build_preview(db, user.id, statement, account, filename)
    await preview_store.store_rows(db, rows)

    async def work(session: AsyncClientSession) -> Doc:
        record["sync_seq"] = await stamp(db, user.id, session)
        await db.imports.insert_one(record, session=session)
        if to_save is not None and upload.template is not None:
            await template_store.save_template(db, user.id, upload.template, to_save, session)
        return ImportOut.model_validate(record).stored(by_alias=True)

    answer, replayed = await write_once(db, user.id, key, digest, work)
    if replayed:  # a concurrent request with this key stored first
        await preview_store.discard(db, user.id, record["_id"])
    else:
        await preview_store.pair_previews(db, rows)
    return ImportOut.model_validate(answer), replayed


async def rows_page(
    db: AsyncDatabase,
    user_id: ObjectId,
    import_id: str,
    page: PageParams,
    row_status: RowStatus | None,
) -> Page[ImportRowOut]:
    """A page of the import's rows in file order, each with what the commit made of it."""
    record = await get_owned(db.imports, import_id, user_id, "import")
    query: dict[str, Any] = {"user_id": user_id, "import_id": record["_id"]}
    if row_status is not None:
        query["status"] = str(row_status)
    rows = await paginate(db.import_rows, query, page, lambda doc: doc, IN_FILE_ORDER)
    items = await preview_store.outcomes(db, record, rows.items)
    return Page[ImportRowOut](
        items=[ImportRowOut.model_validate(doc) for doc in items],
        total=rows.total,
        skip=rows.skip,
        limit=rows.limit,
    )


# ---------------------------------------------------------------- corrections


async def _preview(db: AsyncDatabase, user_id: ObjectId, import_id: str) -> Doc:
    record = await get_owned(db.imports, import_id, user_id, "import")
    if record["status"] != ImportStatus.preview:
        raise Conflict(
            f"This import is {record['status']}: rows change only in a preview",
            code=ErrorCode.import_not_in_preview,
        )
    return record


async def row_changes(db: AsyncDatabase, user_id: ObjectId, row: Doc, body: ImportRowUpdate) -> Doc:
    """The body as stored fields: a payment names one of your debts, an expense has a
    category, income a type; sending `kind` makes it yours (created, never linked)."""
    changes = body.model_dump(exclude_unset=True, exclude={"remember"})
    if row["status"] in (RowStatus.duplicate, RowStatus.error) and changes:
        raise Conflict(
            f"A {row['status']} row is never imported", code=ErrorCode.row_not_importable
        )
    kind = changes.get("kind", row["kind"])
    if kind == "payment":
        debt_ref = changes.get("debt_id", row.get("debt_id"))
        if debt_ref is None:
            raise Unprocessable(
                "A payment row needs the debt it pays (debt_id)",
                code=ErrorCode.payment_needs_debt,
                loc=("body", "debt_id"),
            )
        changes["debt_id"] = (await get_owned(db.debts, debt_ref, user_id, "debt"))["_id"]
    elif "debt_id" in changes or "kind" in changes:
        changes["debt_id"] = None
    if kind == "transfer":
        changes |= await _transfer_changes(db, user_id, row, changes)
    elif "transfer_account_id" in changes or "kind" in changes:
        changes |= {"transfer_account_id": None, "transfer_pair": None}
    if kind == "expense" and not changes.get("category", row.get("category")):
        changes["category"] = "other"
    if kind == "income" and not changes.get("income_type", row.get("income_type")):
        changes["income_type"] = "other"
    # A kind chosen makes the row its own entry even if it looks like one typed by hand; the
    # same kind inside a whole row sent back by an edit form is an echo, not a choice.
    if "kind" in changes and (changes["kind"] != row["kind"] or not body.is_echo):
        changes["kind_set"] = True
    return changes


async def _transfer_changes(db: AsyncDatabase, user_id: ObjectId, row: Doc, changes: Doc) -> Doc:
    """A transfer row names another account of yours; a row made a transfer, or sent to
    another account, by hand is paired at the commit (the preview's pairing is dropped)."""
    ref = changes.get("transfer_account_id", row.get("transfer_account_id"))
    if ref is None:
        raise Unprocessable(
            "A transfer row needs the account the money moved to or from (transfer_account_id)",
            code=ErrorCode.transfer_needs_account,
            loc=("body", "transfer_account_id"),
        )
    other = await accounts_store.owned(db, user_id, ref, "transfer_account_id")
    if other["_id"] == row.get("account_id"):
        raise Unprocessable(
            "A transfer moves money to or from another account than the statement's",
            code=ErrorCode.same_account,
            loc=("body", "transfer_account_id"),
        )
    out: Doc = {"transfer_account_id": other["_id"]}
    if row["kind"] != "transfer" or other["_id"] != row.get("transfer_account_id"):
        out["transfer_pair"] = None
    return out


async def remember_skip(db: AsyncDatabase, row: Doc, skipped: bool) -> None:
    """A row set to `skip` by hand stays skipped when its statement is imported again (its
    fingerprint is remembered); set to anything else, it is forgotten."""
    key = {"user_id": row["user_id"], "fingerprint": row["fingerprint"]}
    if not skipped:
        await db.import_skips.delete_one(key)
        return
    record = key | {"date": row["date"], "import_id": row["import_id"], "row_id": row["_id"]}
    await db.import_skips.update_one(
        key, {"$setOnInsert": record | {"created_at": now_ms()}}, upsert=True
    )


async def update_row(
    db: AsyncDatabase, user_id: ObjectId, import_id: str, row_id: str, body: ImportRowUpdate
) -> ImportRowChange:
    """Correct a row of a preview. A changed kind or category suggests a rule for the payee;
    with `remember` it is created and applied to the preview's other rows."""
    record = await _preview(db, user_id, import_id)
    owned = {"_id": object_id(row_id), "user_id": user_id, "import_id": record["_id"]}
    row = await db.import_rows.find_one(owned) if owned["_id"] else None
    if row is None:
        raise NotFound("row")
    changes = await row_changes(db, user_id, row, body)
    suggestion = suggested_rule(row, changes)
    was_skipped = row["kind"] == "skip"
    if changes:
        row = await db.import_rows.find_one_and_update(
            owned, {"$set": changes}, return_document=True
        )
        if row is None:
            raise NotFound("row")
        if (row["kind"] == "skip") != was_skipped:
            await remember_skip(db, row, row["kind"] == "skip")
    answer = ImportRowChange(row=ImportRowOut.model_validate(row))
    if suggestion is not None and body.remember:
        rule = await rule_store.create_rule(db, user_id, suggestion)
        answer.rule = RuleOut.model_validate(rule)
        answer.applied = await rule_store.apply_to_preview(
            db, user_id, record["_id"], rule, row["_id"]
        )
    elif suggestion is not None:
        answer.suggested_rule = RuleSuggestion.model_validate(suggestion)
    return answer


async def apply_rule(db: AsyncDatabase, user_id: ObjectId, rule_id: str) -> int:
    """Re-label what imports created by one of your rules; how many entries changed."""
    rule = await get_owned(db.rules, rule_id, user_id, "rule")
    return await rule_store.apply_rule(db, user_id, rule)


# ---------------------------------------------------------------- commit, undo, discard


async def _move(
    db: AsyncDatabase, user_id: ObjectId, import_id: str, allowed: tuple[str, ...], to: str
) -> tuple[bool, Doc]:
    """(whether the import went from one of the `allowed` statuses to `to`, the import): one
    atomic update, so a commit, an undo and a discard never run on the same import at once."""
    oid = object_id(import_id)
    if oid is not None:
        moved = await update_stamped(
            db.imports,
            user_id,
            {"_id": oid, "user_id": user_id, "status": {"$in": list(allowed)}},
            {"$set": {"status": to, "updated_at": now_ms()}},
        )
        if moved is not None:
            return True, moved
    return False, await get_owned(db.imports, import_id, user_id, "import")


async def _settle(
    db: AsyncDatabase, record: Doc, status: ImportStatus, stamp: str | None = None
) -> None:
    """The import's status once an undo has ended (`stamp`: a field to set to the time)."""
    at = now_ms()
    change = {"status": str(status), "updated_at": at} | ({stamp: at} if stamp else {})
    owned = {"_id": record["_id"], "user_id": record["user_id"]}
    await update_stamped(db.imports, record["user_id"], owned, {"$set": change})


async def commit_import(
    db: AsyncDatabase, user: User, import_id: str, app_url: str
) -> CommitResult:
    """Write the preview to the books (`imports.store.commit`); a committed import answers
    what it added, again."""
    moved, record = await _move(db, user.id, import_id, ("preview", "committing"), "committing")
    if not moved:
        if record["status"] == ImportStatus.committed:
            return CommitResult.model_validate(record["result"])
        raise Conflict(
            f"This import is {record['status']}; upload the statement again to re-import it",
            code=ErrorCode.import_not_in_preview,
        )
    return CommitResult.model_validate(await import_store.commit(db, user, record, app_url))


async def undo_import(db: AsyncDatabase, user: User, import_id: str) -> UndoResult:
    """Remove what the commit added (`imports.store.undo`); an undone import removes
    nothing more. A refused payment reversal leaves the import committed, unchanged."""
    moved, record = await _move(db, user.id, import_id, ("committed", "undoing"), "undoing")
    if not moved:
        if record["status"] == ImportStatus.undone:
            return UndoResult.model_validate({"removed": {}})
        raise Conflict(
            f"This import is {record['status']}: only a committed import can be undone",
            code=ErrorCode.import_not_committed,
        )
    try:
        removed = await import_store.undo(db, user, record["_id"])
    except AppError:  # a payment's reversal was refused: nothing of the undo happened
        await _settle(db, record, ImportStatus.committed)
        raise
    await _settle(db, record, ImportStatus.undone, stamp="undone_at")
    return UndoResult.model_validate(removed)


async def delete_import(
    db: AsyncDatabase, user_id: ObjectId, import_id: str, expected: Expected = None
) -> None:
    """Discard a preview, or the record of an undone import, with its rows; a committed
    import is a 409 (undo it instead), one at another version than an If-Match's
    `expected` a 412."""
    oid = object_id(import_id)
    if oid is None:
        raise NotFound("import")

    async def work(session: AsyncClientSession) -> None:
        deleted = await db.imports.find_one_and_delete(
            owned(oid, user_id, expected) | {"status": {"$in": ["preview", "undone"]}},
            session=session,
        )
        if deleted is None:
            record = await get_owned(db.imports, oid, user_id, "import", session=session)
            check_version(record, expected, "import")
            raise Conflict(
                f"This import is {record['status']}: undo it (POST .../undo) instead",
                code=ErrorCode.import_committed,
            )
        await tombstone(db, user_id, "imports", [oid], session)

    await in_transaction(db, work)
    await db.import_rows.delete_many({"user_id": user_id, "import_id": oid})
