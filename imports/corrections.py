"""A preview's rows corrected by hand: a row's kind, category, debt or transfer account
changed (checked against your books), a skip remembered for the next import of the row, a
correction remembered as a rule and applied to the preview's other rows; a rule re-applied
to what imports created."""

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from accounts import store as accounts_store
from core.dates import now_ms
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from database import Doc, get_owned, object_id
from imports import rule_store
from imports.rules import suggested_rule
from schemas import (
    ImportRowChange,
    ImportRowOut,
    ImportRowUpdate,
    ImportStatus,
    RowStatus,
    RuleOut,
    RuleSuggestion,
)


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
