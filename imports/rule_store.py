"""The user's statement rules as stored: read in the order they apply (a preview's rule
book), created (at most MAX_RULES), applied to a preview's rows when one is remembered, and
re-applied on request to the expenses and income imports created. How a rule matches a row
is `imports.statements.rules` (pure); the same match here is a query on the stored rows."""

import re
from decimal import Decimal

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from core.errors import Conflict, ErrorCode
from core.sync import stamp
from database import Doc, in_transaction
from imports.rules import RuleBook
from imports.store import ENTRY_COLLECTIONS
from ledger import store as ledger_store
from recurring import store as recurring_store

MAX_RULES = 500  # per user: a preview reads them all
RELABEL_BATCH = 500  # entries a rule re-labels per transaction


async def rule_book(db: AsyncDatabase, user_id: ObjectId) -> RuleBook:
    return RuleBook.of(await user_rules(db, user_id))


async def user_rules(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's rules in the order they apply: `order`, then oldest first."""
    order = [("order", 1), ("created_at", 1), ("_id", 1)]
    return await db.rules.find({"user_id": user_id}).sort(order).to_list(MAX_RULES)


def rule_query(match: Doc) -> Doc:
    """A rule's match as a filter on stored rows: each text a case-insensitive "contains"
    (the text escaped, never a user pattern), every given field required."""
    query: Doc = {}
    for field in ("payee", "vpa", "narration"):
        if match.get(field):
            query[field] = {"$regex": re.escape(match[field]), "$options": "i"}
    if match.get("direction"):
        query["direction"] = match["direction"]
    bounds = {}
    if match.get("min_amount") is not None:
        bounds["$gte"] = Decimal(match["min_amount"])
    if match.get("max_amount") is not None:
        bounds["$lte"] = Decimal(match["max_amount"])
    if bounds:
        query["amount"] = bounds
    return query


def entry_changes(kind: str, outcome: Doc) -> Doc:
    """The fields of an expense or income a rule's `set` changes (its kind stays)."""
    changes: Doc = {}
    if outcome.get("title"):
        changes["title" if kind == "expense" else "source"] = outcome["title"]
    if kind == "expense" and outcome.get("category"):
        changes["category"] = outcome["category"]
    if kind == "income" and outcome.get("income_type"):
        changes["income_type"] = outcome["income_type"]
    if outcome.get("tags"):
        changes["tags"] = outcome["tags"]
    return changes


async def apply_rule(db: AsyncDatabase, user_id: ObjectId, rule: Doc) -> int:
    """Re-label the imported expenses and income whose rows the rule matches; the count of
    entries that changed. An entry keeps its kind (a rule's kind applies at preview). An
    entry an import created has its row's id, so the rows the rule matches name them (rows
    never committed name nothing, and change nothing)."""
    query = {"user_id": user_id, **rule_query(rule.get("match") or {})}
    rows = await db.import_rows.find(query, projection={"kind": 1}).to_list(None)
    changed = 0
    for kind in ("expense", "income"):
        changes = entry_changes(kind, rule.get("set") or {})
        ids = [row["_id"] for row in rows if row["kind"] == kind]
        if not changes or not ids:
            continue
        for at in range(0, len(ids), RELABEL_BATCH):
            batch = ids[at : at + RELABEL_BATCH]
            changed += await _relabel(db, user_id, ENTRY_COLLECTIONS[kind], batch, changes)
    return changed


async def _relabel(
    db: AsyncDatabase, user_id: ObjectId, collection: str, ids: list[ObjectId], changes: Doc
) -> int:
    """`changes` on those of the entries `ids` that differ, in one transaction; how many.
    Each entry takes a version of its own (one left unchanged leaves a gap). A new title
    gives a new payee key (unless a UPI address names the payee), and the payees it left
    and joined are queued for detection."""
    differs = [{name: {"$ne": value}} for name, value in changes.items()]
    name = ledger_store.PAYEE_FIELD[collection]

    async def work(session: AsyncClientSession) -> int:
        seq = await stamp(db, user_id, session, len(ids))
        query = {"user_id": user_id, "_id": {"$in": ids}, "$or": differs}
        fields = {"payee_key": 1, "vpa": 1}
        entries = {
            d["_id"]: d
            for d in await db[collection].find(query, fields, session=session).to_list(None)
        }
        payees = {entry.get("payee_key") or "" for entry in entries.values()}
        updates = []
        for at, entry_id in enumerate(ids, start=seq):
            if (entry := entries.get(entry_id)) is None:
                continue
            change = changes | {"updated_at": now_ms(), "sync_seq": at}
            if name in changes:
                change |= ledger_store.payee_fields(changes[name], entry.get("vpa"))
                payees.add(change["payee_key"])
            updates.append(UpdateOne({"_id": entry_id, "user_id": user_id}, {"$set": change}))
        if not updates:
            return 0
        result = await db[collection].bulk_write(updates, ordered=False, session=session)
        await recurring_store.queue_payees(db, user_id, payees, session)
        return result.matched_count

    return await in_transaction(db, work)


async def apply_to_preview(
    db: AsyncDatabase, user_id: ObjectId, import_id: ObjectId, rule: Doc, except_row: ObjectId
) -> int:
    """A rule just remembered, applied to the other rows of the preview it came from that
    the user has not set by hand."""
    outcome = rule["set"]
    changes = {k: outcome[k] for k in ("kind", "title", "category", "income_type") if k in outcome}
    if outcome.get("tags"):
        changes["tags"] = outcome["tags"]
    changes["rule"] = rule["name"]
    query = {
        "user_id": user_id,
        "import_id": import_id,
        "_id": {"$ne": except_row},
        "kind_set": False,
        "kind": {"$nin": ["skip", "transfer"]},  # a transfer row stays one
        **rule_query(rule.get("match") or {}),
    }
    result = await db.import_rows.update_many(query, {"$set": changes})
    return result.modified_count


async def create_rule(db: AsyncDatabase, user_id: ObjectId, fields: Doc) -> Doc:
    """Store a rule (`{name, match, set, order}`); at most MAX_RULES per user (409)."""
    if await db.rules.count_documents({"user_id": user_id}) >= MAX_RULES:
        raise Conflict(
            f"You have {MAX_RULES} rules, the most there can be: delete one first",
            code=ErrorCode.too_many_rules,
        )
    at = now_ms()
    doc = fields | {"_id": ObjectId(), "user_id": user_id, "created_at": at, "updated_at": at}

    async def work(session: AsyncClientSession) -> Doc:
        stored = doc | {"sync_seq": await stamp(db, user_id, session)}
        await db.rules.insert_one(stored, session=session)
        return stored

    return await in_transaction(db, work)
