"""A card's entries as the database sums them by day, and the summaries its imported
statements print.

What moves a card: expenses and loan payments made with it (purchases), refunds on it
(`refund: true` expenses, and income: credits that are not payments), transfers out of it
(purchases: cash drawn, money sent) and transfers into it (payments of its bill). Each collection is
one `$group` by day on its (user_id, account_id[s], day) index."""

import asyncio
from datetime import date
from decimal import Decimal

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from accounts.store import COMMITTED, ENTRY_DAYS
from cards.rules import Ledger
from cards.statements import Printed
from core.dates import as_day
from core.money import from_sum
from database import Doc


async def _by_day(
    db: AsyncDatabase, collection: str, match: Doc, day: str, sums: Doc
) -> dict[str, dict[date, Decimal]]:
    """Each of `sums` ({name: what to sum}) by day, as {name: {day: amount}}."""
    group = {"_id": f"${day}", **{name: {"$sum": value} for name, value in sums.items()}}
    pipeline = [{"$match": match}, {"$group": group}]
    rows = await (await db[collection].aggregate(pipeline)).to_list(None)
    return {name: {as_day(r["_id"]): from_sum(r[name]) for r in rows} for name in sums}


def _add(into: dict[date, Decimal], more: dict[date, Decimal]) -> None:
    for day, value in more.items():
        if value:
            into[day] = into.get(day, Decimal(0)) + value


async def ledger(db: AsyncDatabase, user_id: ObjectId, card_id: ObjectId) -> Ledger:
    """The card's purchases, refunds and payments by day."""
    mine = {"user_id": user_id, "account_id": card_id}
    moved = {"user_id": user_id, "account_ids": card_id}

    def side(field: str) -> Doc:
        return {"$cond": [{"$eq": [f"${field}", card_id]}, "$amount", 0]}

    amount = {"total": "$amount"}
    refunded = {"$eq": ["$refund", True]}
    spent = {
        "total": {"$cond": [refunded, 0, "$amount"]},
        "refunds": {"$cond": [refunded, "$amount", 0]},
    }
    sides = {"sent": side("from_account_id"), "received": side("to_account_id")}
    expenses, payments, income, transfers = await asyncio.gather(
        _by_day(db, "expenses", mine, ENTRY_DAYS["expenses"], spent),
        _by_day(db, "payments", mine, ENTRY_DAYS["payments"], amount),
        _by_day(db, "income", mine, ENTRY_DAYS["income"], amount),
        _by_day(db, "transfers", moved, "date", sides),
    )
    out = Ledger()
    for found in (expenses["total"], payments["total"], transfers["sent"]):
        _add(out.purchases, found)
    _add(out.refunds, expenses["refunds"])
    _add(out.refunds, income["total"])
    _add(out.payments, transfers["received"])
    return out


async def with_terms(db: AsyncDatabase, user_id: ObjectId, limit: int) -> list[Doc]:
    """The user's credit cards with a statement day (the ones with cycles), oldest first."""
    query = {"user_id": user_id, "kind": "credit_card", "statement_day": {"$ne": None}}
    return await db.accounts.find(query).sort("created_at", 1).limit(limit).to_list(None)


async def payers(
    db: AsyncDatabase, user_id: ObjectId, card_ids: list[ObjectId]
) -> dict[ObjectId, ObjectId]:
    """The account each card was last paid from (its latest transfer in), by card: one
    `$group` on the transfers' (user_id, account_ids, date) index for all the cards."""
    match = {"user_id": user_id, "account_ids": {"$in": card_ids}}
    match["to_account_id"] = {"$in": card_ids}
    pipeline = [
        {"$match": match},
        {"$sort": {"date": -1, "_id": -1}},
        {"$group": {"_id": "$to_account_id", "payer": {"$first": "$from_account_id"}}},
    ]
    rows = await (await db.transfers.aggregate(pipeline)).to_list(None)
    return {row["_id"]: row["payer"] for row in rows if row["payer"] is not None}


async def printed(db: AsyncDatabase, user_id: ObjectId, card_id: ObjectId) -> list[Printed]:
    """The summaries the card's committed statement imports print, by statement date."""
    query = {"user_id": user_id, "account_id": card_id, "status": COMMITTED}
    query["card_summary.statement_date"] = {"$ne": None}
    found = await db.imports.find(query, {"card_summary": 1}).to_list(None)
    out = []
    for doc in found:
        summary = doc["card_summary"]
        due = summary.get("due_date")
        out.append(
            Printed(
                statement_date=as_day(summary["statement_date"]),
                due_date=as_day(due) if due else None,
                total_due=summary.get("total_due"),
                minimum_due=summary.get("minimum_due"),
            )
        )
    return sorted(out, key=lambda p: p.statement_date)
