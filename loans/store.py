"""Loans as stored: debts and their payments, read and written in the caller's transaction,
every query naming the user. What a change to a debt's events makes of its documents is
worked out by loans/state.py (pure); this reads what that needs and writes what it gives.

Collections: `debts` (a loan's terms, its rate resets, and the state its events give),
`payments` (each with the split its replay gave it).
"""

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import months as account_months
from core import sync
from core.dates import Period, now_ms
from core.sync import Expected
from database import Doc, delete_owned
from loans.debt import events_of
from loans.events import Event, Payment
from loans.state import Booked, Change, changed_splits, rebook, resumes, split_fields
from loans.state import carried_state as carried_state  # ops/migrations.py reads it here

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
BY_DEBT = "$debt_id"
BY_MONTH = {"$dateToString": {"format": "%Y-%m", "date": "$payment_date"}}


# ---------------------------------------------------------------- a debt's events


async def payments_of(
    db: AsyncDatabase, debt: Doc, session: AsyncClientSession | None = None
) -> list[Doc]:
    # On the (user_id, debt_id, payment_date) index; a loan has a few hundred at most.
    query = {"user_id": debt["user_id"], "debt_id": debt["_id"]}
    return await db.payments.find(query, session=session).to_list(None)


async def events(
    db: AsyncDatabase, debt: Doc, session: AsyncClientSession | None = None
) -> list[Event]:
    """Every event of the debt: its payments and its rate changes (kept on the debt)."""
    return events_of(debt, await payments_of(db, debt, session))


async def book(
    db: AsyncDatabase,
    debt: Doc,
    session: AsyncClientSession,
    *,
    add: Event | None = None,
    remove: str | None = None,
    rate_changes: list[Doc] | None = None,
) -> Booked:
    """Apply a change to the debt's events (`add` one, `remove` one by id, or set the debt's
    `rate_changes`; none: its terms changed) and write back the debt's state and the splits
    of the payments it changes; `record` stores a new payment. A refusal is a domain error."""
    change = Change(add, remove, rate_changes)
    recorded = None if resumes(debt, change) else await payments_of(db, debt, session)
    booked = rebook(debt, change, recorded)
    owner = debt["user_id"]
    resplit = changed_splits(recorded or [], booked.state)
    # The debt and every payment re-split are written: each takes a version of its own.
    seq = await sync.stamp(db, owner, session, 1 + len(resplit))
    for at, (payment_id, split) in enumerate(resplit, start=seq + 1):
        query = {"_id": payment_id, "user_id": owner}
        await db.payments.update_one(query, {"$set": split | {"sync_seq": at}}, session=session)
    booked = replace(booked, fields=booked.fields | {"sync_seq": seq})
    query = {"_id": debt["_id"], "user_id": owner}
    await db.debts.update_one(query, {"$set": booked.fields}, session=session)
    return booked


async def record(
    db: AsyncDatabase,
    debt: Doc,
    event: Payment,
    session: AsyncClientSession,
    *,
    method: str,
    effect: str | None = None,
    notes: str | None = None,
    extra: Doc | None = None,
) -> Doc:
    """Book a payment on the debt (as read in the caller's transaction) and store it with its
    split, under the event's id. `extra` fields are stored with it (an import's id)."""
    booked = await book(db, debt, session, add=event)
    payment = {
        "_id": ObjectId(event.id),
        "user_id": debt["user_id"],
        "debt_id": debt["_id"],
        "debt_name": debt["name"],
        "amount": event.amount,
        "payment_date": event.date,
        "payment_type": event.payment_type,
        "prepayment_effect": effect,
        "payment_method": method,
        "status": "completed",
        "notes": notes,
        **split_fields(booked.rows[event.id]),
        "transaction_id": str(uuid.uuid4()),
        "created_at": now_ms(),
        **(extra or {}),
        "sync_seq": await sync.stamp(db, debt["user_id"], session),
    }
    await db.payments.insert_one(payment, session=session)
    await account_months.move(db, debt["user_id"], "payments", session, added=[payment])
    return payment


async def unrecord(
    db: AsyncDatabase, debt: Doc, payment_id: ObjectId, session: AsyncClientSession
) -> None:
    """Remove a payment: the debt replayed without it (its state, and the later payments'
    splits, as if it had never been made), then the payment itself."""
    await book(db, debt, session, remove=str(payment_id))
    query = {"_id": payment_id, "user_id": debt["user_id"]}
    removed = await db.payments.find_one_and_delete(query, session=session)
    await sync.tombstone(db, debt["user_id"], "payments", [payment_id], session)
    removed = [removed] if removed is not None else []
    await account_months.move(db, debt["user_id"], "payments", session, removed=removed)


# ---------------------------------------------------------------- debts


async def active_debts(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    """The user's active debts, newest first."""
    query = {"user_id": user_id, "status": "active"}
    return await db.debts.find(query).sort(NEWEST_FIRST).to_list(None)


async def delete_debt(
    db: AsyncDatabase, user_id: ObjectId, debt_id: str, expected: Expected = None
) -> None:
    """Delete the user's debt together with all of its payments (404 when not theirs, 412
    when not at an If-Match's `expected` version)."""

    async def payments_gone(docs: list[Doc], session: AsyncClientSession) -> None:
        await account_months.move(db, user_id, "payments", session, removed=docs)

    children = ("payments", "debt_id")
    await delete_owned(
        db, "debts", debt_id, user_id, "debt", children, expected=expected, removed=payments_gone
    )


def summary_pipeline(user_id: Any, next_due: int) -> list[Doc]:
    """The user's debts counted by status and type, their totals (remaining and EMI over
    active debts), and the `next_due` active debts due soonest: one aggregation."""
    active = {"$eq": ["$status", "active"]}
    totals = {
        "_id": None,
        "count": {"$sum": 1},
        "principal": {"$sum": "$principal"},
        "paid": {"$sum": "$total_paid"},
        "interest": {"$sum": "$total_interest_paid"},
        "remaining": {"$sum": {"$cond": [active, "$remaining_amount", 0]}},
        "emi": {"$sum": {"$cond": [active, "$monthly_emi", 0]}},
    }
    due_fields = ("name", "next_payment_date", "status", "monthly_emi", "remaining_amount")
    soonest = [
        {"$match": {"status": "active"}},
        {"$sort": {"next_payment_date": 1, "_id": 1}},
        {"$limit": next_due},
        {"$project": {"debt_id": "$_id", **dict.fromkeys(due_fields, 1)}},
    ]
    return [
        {"$match": {"user_id": user_id}},
        {
            "$facet": {
                "by_status": [{"$group": {"_id": "$status", "n": {"$sum": 1}}}],
                "by_type": [{"$group": {"_id": "$debt_type", "n": {"$sum": 1}}}],
                "totals": [{"$group": totals}],
                "next_due": soonest,
            }
        },
    ]


async def summary(db: AsyncDatabase, user_id: ObjectId, next_due: int) -> Doc:
    """`summary_pipeline`'s one answer: its facets."""
    cursor = await db.debts.aggregate(summary_pipeline(user_id, next_due))
    (facets,) = await cursor.to_list(None)
    return facets


# ---------------------------------------------------------------- payment totals


async def payment_totals(
    db: AsyncDatabase,
    user_id: ObjectId,
    start: date,
    end: date,
    key: Any = BY_MONTH,
    debt_id: ObjectId | None = None,
) -> list[Doc]:
    """Payments in [start, end) (of one debt, or all) summed per `key`: `BY_DEBT` or
    `BY_MONTH` ("2024-01"). One `$group` on (user_id[, debt_id], payment_date); each row has
    the debt's name, the total, interest, principal and count."""
    query: Doc = {"user_id": user_id, "payment_date": {"$gte": start, "$lt": end}}
    if debt_id is not None:
        query["debt_id"] = debt_id
    pipeline = [
        {"$match": query},
        {
            "$group": {
                "_id": key,
                "name": {"$max": "$debt_name"},
                "total": {"$sum": "$amount"},
                "interest": {"$sum": "$interest_component"},
                "principal": {"$sum": "$principal_component"},
                "count": {"$sum": 1},
            }
        },
    ]
    return await (await db.payments.aggregate(pipeline)).to_list(None)


async def monthly_payment_totals(
    db: AsyncDatabase, user_id: ObjectId, period: Period, debt_id: ObjectId | None = None
) -> list[Doc]:
    """`payment_totals` per month of `period`."""
    start, end = period.bounds()
    return await payment_totals(db, user_id, start, end, BY_MONTH, debt_id)
